"""Build the desktop app: one folder with the `speech-translator` executable, and an archive of it.

Run with the project's Python environment, on the OS the app is for (PyInstaller does not cross-build):

    python packaging/build.py [--dist DIR] [--work DIR] [--no-archive]

It needs PyInstaller (`pip install -e '.[packaging]'`; the `dev` extra includes it). On Linux the folder
also gets the .desktop file, the SVG icon, the AppStream metainfo and `install-desktop.sh`, and the
archive is a .tar.gz; on Windows and macOS it is a .zip (of the folder, or of the .app on macOS).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "translator.spec"
APP_ID = "io.github.offline_speech_translator"
EXECUTABLE = "speech-translator"
APP_BUNDLE = "Offline Speech Translator.app"


def project_version() -> str:
    """The version in pyproject.toml: the one the frozen app reports."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def run_pyinstaller(dist: Path, work: Path) -> Path:
    """Freeze the app into `dist`/speech-translator and return that folder."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("build: PyInstaller is missing: pip install -e '.[packaging]'") from None
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    subprocess.run(command, check=True, cwd=ROOT)
    return dist / EXECUTABLE


def add_linux_desktop_files(app: Path) -> None:
    """Put the desktop integration inside the app folder, laid out as under /usr/share."""
    linux = PACKAGING / "linux"
    for source, folder in (
        (linux / f"{APP_ID}.desktop", "share/applications"),
        (PACKAGING / "icons" / f"{APP_ID}.svg", "share/icons/hicolor/scalable/apps"),
        (linux / f"{APP_ID}.metainfo.xml", "share/metainfo"),
    ):
        (app / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, app / folder / source.name)
    shutil.copy2(linux / "install-desktop.sh", app / "install-desktop.sh")
    (app / "install-desktop.sh").chmod(0o755)


def make_archive(dist: Path, app: Path, version: str) -> Path:
    """A .tar.gz of the folder on Linux, a .zip elsewhere, named with the version, OS and machine."""
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    base = dist / f"{EXECUTABLE}-{version}-{system}-{platform.machine().lower()}"
    root = dist / APP_BUNDLE if sys.platform == "darwin" else app
    if system == "macos":
        # ditto keeps the bundle's symbolic links (and so its code signature) as links; zip would copy them.
        archive = base.with_name(base.name + ".zip")
        subprocess.run(["ditto", "-c", "-k", "--keepParent", str(root), str(archive)], check=True)
        return archive
    if system != "linux":
        return Path(shutil.make_archive(str(base), "zip", root_dir=root.parent, base_dir=root.name))
    archive = base.with_name(base.name + ".tar.gz")
    partial = archive.with_name(archive.name + ".partial")
    # gzip level 6: 0.4% larger than level 9 here, in a third of the time. Symlinks stay links; the files
    # belong to whoever extracts them, not to the build machine's user.
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(root, arcname=root.name, filter=_anonymous)
    partial.replace(archive)
    return archive


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    return member


def folder_size(folder: Path) -> int:
    """The bytes of the files under `folder`, not counting symbolic links."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def main(argv: list[str] | None = None) -> int:
    """Build the folder (and, unless told not to, the archive); returns the exit status."""
    parser = argparse.ArgumentParser(description="Build the desktop app with PyInstaller.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work folder")
    parser.add_argument("--no-archive", action="store_true", help="only the folder, no archive")
    arguments = parser.parse_args(argv)
    dist, work = arguments.dist.resolve(), arguments.work.resolve()

    started = time.monotonic()
    app = run_pyinstaller(dist, work)
    if sys.platform.startswith("linux"):
        add_linux_desktop_files(app)
    print(f"build: {app} ({folder_size(app) / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s")
    if not arguments.no_archive:
        started = time.monotonic()
        archive = make_archive(dist, app, project_version())
        print(f"build: {archive} ({archive.stat().st_size / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
