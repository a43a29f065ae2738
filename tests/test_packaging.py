"""The desktop app, frozen with PyInstaller from a clean copy of the checkout, runs from its folder alone.

The build happens once for the module: `packaging/build.py` on a copy of what git lists (committed or not,
so uncommitted work counts), into temporary folders; the copy and PyInstaller's work folder are then
deleted. Every command runs the frozen executable in a clean environment (only PATH, HOME and the Qt
platform) from a temporary folder, so it can reach neither the source tree nor the virtual environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from translator.cli.bench import NOT_INSTALLED as BENCH_NOT_INSTALLED
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.models.demo.whisper import DEMO_TRANSCRIPT

pytest.importorskip("PyInstaller", reason="PyInstaller is not installed: pip install -e '.[packaging]'")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test runs the Linux build"),
    pytest.mark.timeout(900),  # the first test also waits for the build (about two minutes on two cores)
]

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "io.github.offline_speech_translator"
EXECUTABLE = "speech-translator"


@dataclass(frozen=True)
class BuiltApp:
    folder: Path
    archive: Path
    checkout: Path
    home: Path

    @property
    def executable(self) -> Path:
        return self.folder / EXECUTABLE

    def run(self, *arguments: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the frozen executable with `arguments`, in a clean environment, from `cwd`."""
        environment = {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "QT_QPA_PLATFORM": "offscreen"}
        return subprocess.run(
            [str(self.executable), *arguments],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def project_version() -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def copy_checkout(destination: Path) -> None:
    """Copy the files git lists (tracked and untracked, less the ignored) to `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltApp]:
    base = tmp_path_factory.mktemp("packaging")
    checkout, dist, work = base / "checkout", base / "dist", base / "work"
    copy_checkout(checkout)
    build = subprocess.run(
        [sys.executable, str(checkout / "packaging" / "build.py"), "--dist", str(dist), "--work", str(work)],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert build.returncode == 0, f"the build failed:\n{build.stdout[-3000:]}\n{build.stderr[-6000:]}"
    # The modules were frozen from the copy, not from the checkout the virtual environment has installed.
    modules = "".join(path.read_text(encoding="utf-8") for path in work.rglob("PYZ-*.toc"))
    assert str(checkout / "translator" / "cli" / "__init__.py") in modules
    assert str(ROOT / "translator" / "cli" / "__init__.py") not in modules
    # The benchmark and its virtual sound card are developer tools: none of them is frozen into the app.
    assert str(checkout / "bench") not in modules
    shutil.rmtree(checkout)
    shutil.rmtree(work)
    home = base / "home"
    home.mkdir()
    archives = list(dist.glob(f"{EXECUTABLE}-{project_version()}-linux-*.tar.gz"))
    assert len(archives) == 1, sorted(path.name for path in dist.iterdir())
    yield BuiltApp(dist / EXECUTABLE, archives[0], checkout, home)
    shutil.rmtree(base)  # 800 MB


def test_folder_has_the_app_its_desktop_files_and_an_archive(app: BuiltApp) -> None:
    assert os.access(app.executable, os.X_OK)
    for path in (
        f"share/applications/{APP_ID}.desktop",
        f"share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"share/metainfo/{APP_ID}.metainfo.xml",
        "install-desktop.sh",
    ):
        assert (app.folder / path).is_file(), path
    assert not app.checkout.exists()
    # What the app never uses stays out (torch alone would add gigabytes).
    bundled = {path.name for path in (app.folder / "_internal").iterdir()}
    assert not bundled & {"torch", "transformers", "matplotlib", "PIL", "scipy", "pytest"}
    size = sum(path.stat().st_size for path in app.folder.rglob("*") if path.is_file() and not path.is_symlink())
    assert size < 800 * 2**20
    with tarfile.open(app.archive) as archive:
        names = set(archive.getnames())
    assert {f"{EXECUTABLE}/{EXECUTABLE}", f"{EXECUTABLE}/install-desktop.sh"} <= names
    assert f"{EXECUTABLE}/share/applications/{APP_ID}.desktop" in names


def test_version(app: BuiltApp, tmp_path: Path) -> None:
    result = app.run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"translator {project_version()}"


def test_batch_translates_a_file_with_demo_models_built_by_the_frozen_app(app: BuiltApp, tmp_path: Path) -> None:
    built = app.run("demo-models", "demo", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "demo" / "demo.toml").is_file()
    shutil.copy2(ROOT / "tests" / "data" / "jfk.flac", tmp_path / "talk.flac")

    result = app.run("batch", "talk.flac", "--to", "de", "--config", "demo/demo.toml", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    for suffix in ("transcript.txt", "transcript.srt", "de.txt", "de.srt", "de.vtt", "de.json", "de.wav"):
        assert (out / f"talk.{suffix}").is_file(), suffix
    assert (out / "talk.de.txt").read_text(encoding="utf-8").splitlines()[1:] == [DEMO_TRANSLATIONS["de"]]
    assert DEMO_TRANSCRIPT in (out / "talk.transcript.txt").read_text(encoding="utf-8")
    record = json.dumps(json.loads((out / "talk.de.json").read_text(encoding="utf-8")), ensure_ascii=False)
    assert DEMO_TRANSLATIONS["de"] in record
    assert (out / "talk.de.wav").stat().st_size > 16000
    assert "1 translated" in result.stdout


def test_window_opens_offscreen_and_closes(app: BuiltApp, tmp_path: Path) -> None:
    result = app.run("gui", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_models_devices_and_live_commands_start(app: BuiltApp, tmp_path: Path) -> None:
    catalog = app.run("models", "list", "--stage", "recognition", cwd=tmp_path)
    assert catalog.returncode == 0, catalog.stderr
    assert "whisper-small" in catalog.stdout  # the catalog travels inside the app
    devices = app.run("devices", cwd=tmp_path)  # needs PortAudio: the system's, else the bundled copy
    assert devices.returncode == 0, devices.stderr
    live = app.run("live", "--help", cwd=tmp_path)
    assert live.returncode == 0, live.stderr
    assert "--loopback" in live.stdout
    # The benchmark is a developer tool left out of the app: one line says where it runs.
    bench = app.run("bench", "--size", "tiny", cwd=tmp_path)
    assert bench.returncode == 2
    assert bench.stderr.strip().splitlines() == [f"translator: error: {BENCH_NOT_INSTALLED}"]


def test_install_desktop_puts_the_app_in_the_menu_and_takes_it_away(app: BuiltApp, tmp_path: Path) -> None:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    script = str(app.folder / "install-desktop.sh")
    subprocess.run(["sh", script], env=environment, check=True, capture_output=True, timeout=60)
    desktop = tmp_path / ".local" / "share" / "applications" / f"{APP_ID}.desktop"
    assert f'Exec="{app.executable}"' in desktop.read_text(encoding="utf-8").splitlines()
    assert (tmp_path / ".local" / "bin" / EXECUTABLE).resolve() == app.executable.resolve()

    subprocess.run(["sh", script, "--remove"], env=environment, check=True, capture_output=True, timeout=60)
    assert not desktop.exists()
    assert not (tmp_path / ".local" / "bin" / EXECUTABLE).exists()
