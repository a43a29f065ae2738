"""Batch translation on a Ray cluster (translator/cluster, `translator batch --cluster`), with the demo models.

One local Ray instance serves the whole module (its own temporary folder and token, never a shared cluster);
drivers run in this process, which is already connected to it, or as `translator` subprocesses that find it
through $RAY_ADDRESS. Outputs are compared byte for byte with a local batch's; workers and a driver are killed
with SIGKILL mid-batch.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_files import speech_at, write_audio, write_wav

from translator.cli import main
from translator.cluster.address import ClusterAddress
from translator.cluster.driver import ClusterBatch, ClusterSettings
from translator.cluster.events import FileAssigned
from translator.cluster.worker import WorkerInfo, WorkerModels, scratch_root
from translator.compute import ComputeSettings
from translator.config import load_config
from translator.languages import find_language
from translator.pipeline.batch import BatchSettings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the Files tab's test: no screen needed, as in tests/ui

OUTPUTS = ("transcript.txt", "transcript.srt", "transcript.vtt", "de.txt", "de.srt", "de.vtt", "de.json", "de.wav")
# What differs between two runs of the same file: how long it took, and (on a cluster) which worker did it.
RUN_FIELDS = ("times", "real_time_factor", "worker")


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A local Ray instance with 2 CPUs for this module, connected in this process; its address for subprocesses."""
    temporary = Path(tempfile.mkdtemp(prefix="ray-"))
    with pytest.MonkeyPatch.context() as patch:
        # The workers' scratch folders (translator-cluster/) too, so what killed workers leave goes with the module.
        patch.setenv("TMPDIR", str(temporary))
        # A token of the module's own: nothing is written to the user's ~/.ray.
        patch.setenv("RAY_AUTH_MODE", "token")
        patch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(32))
        import ray  # here: Ray reads its authentication settings once, when it is first imported

        ray.init(
            num_cpus=2,
            include_dashboard=False,
            _temp_dir=str(temporary),
            log_to_driver=False,
            configure_logging=False,
            logging_level=logging.ERROR,
        )
        try:
            address = ray.get_runtime_context().gcs_address
            patch.setenv("RAY_ADDRESS", address)
            yield address
        finally:
            ray.shutdown()
            shutil.rmtree(temporary, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "no-user-config" / "settings.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # the log file


def demo_command(inputs: Path, out: Path, demo_folder: Path, *extra: str) -> list[str]:
    """`translator batch` into German with the demo models, one CPU thread per model."""
    config = str(demo_folder / "demo.toml")
    return ["batch", str(inputs), "--to", "de", "--config", config, "--threads", "1", "--out", str(out), *extra]


def speech_files(folder: Path, speech: np.ndarray, seconds: dict[str, float]) -> Path:
    """Files of speech-like audio, a stretch of speech every 6 s, of the given lengths (the suffix picks the format)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, length in seconds.items():
        audio = speech_at(speech, np.arange(0.5, length - 4.0, 6.0), length)
        (write_wav if name.endswith(".wav") else write_audio)(folder / name, audio)
    return folder


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def comparable(name: str, content: bytes, out: Path) -> Any:
    """A JSON output without what differs between runs (its own output folder named the same), else the bytes."""
    if not name.endswith(".json"):
        return content
    data = json.loads(content.decode().replace(str(out), "OUT"))
    return {key: value for key, value in data.items() if key not in RUN_FIELDS}


def assert_complete_sets(out: Path, stems: list[str]) -> None:
    """Exactly the outputs of `stems` under `out`: each set whole, nothing else (no temporaries, no scratch)."""
    expected = {f"{stem}.{suffix}" for stem in stems for suffix in OUTPUTS}
    assert {path.name for path in out.rglob("*")} == expected
    for stem in stems:
        assert json.loads((out / f"{stem}.de.json").read_text())["segments"]


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as track:
        return track.getnframes() / track.getframerate()


def test_cluster_outputs_equal_a_local_batch(
    ray_address: str,
    demo_folder: Path,
    speech_like: np.ndarray,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """local:2, with the inputs sent to the workers and with shared storage: the same outputs as a local batch,
    byte for byte but for the run's timings and worker; a corrupt file among them fails alike, the rest go on."""
    inputs = speech_files(tmp_path / "talks", speech_like, {"a.wav": 20.0, "b.flac": 14.0, "c.mp3": 9.0})
    (inputs / "broken.mp3").write_bytes(b"\x00not audio" * 500)
    runs = {"local": (), "cluster": ("--cluster", "local:2"), "shared": ("--cluster", "local:2", "--shared-storage")}
    outputs, errors = {}, {}
    for name, options in runs.items():
        out = tmp_path / name
        assert main(demo_command(inputs, out, demo_folder, *options)) == 1  # the broken file failed
        outputs[name] = {key: comparable(key, value, out) for key, value in files_under(out).items()}
        errors[name] = [line for line in capsys.readouterr().err.splitlines() if "failed:" in line]
    assert len(outputs["local"]) == 3 * len(OUTPUTS)
    assert outputs["cluster"] == outputs["local"]
    assert outputs["shared"] == outputs["local"]
    assert errors["cluster"] == errors["shared"] == errors["local"]
    assert len(errors["local"]) == 1 and "broken.mp3: cannot decode it" in errors["local"][0]
    report = json.loads((tmp_path / "cluster" / "talks" / "a.de.json").read_text())
    assert report["worker"].startswith("worker-")


def test_a_worker_killed_mid_file_is_replaced_and_nothing_is_lost(
    ray_address: str, demo_folder: Path, speech_like: np.ndarray, tmp_path: Path
) -> None:
    """SIGKILL to the worker translating a long file: the file is tried again, and every file's outputs are
    there once, whole, with no temporary or scratch file left."""
    inputs = speech_files(
        tmp_path / "archive", speech_like, {"long.wav": 600.0, "short1.wav": 12.0, "short2.wav": 12.0}
    )
    config = load_config(demo_folder / "demo.toml")
    models = WorkerModels(replace(config, compute=ComputeSettings(cpu_threads=1)))
    out = tmp_path / "out"
    killed: list[int] = []
    worker_scratch = Path(os.environ["TMPDIR"]) / scratch_root().name  # the workers' temporary folder, not ours

    def kill_mid_file(worker: WorkerInfo) -> None:
        """SIGKILL once the worker's speech track for long.wav is being written: surely mid-file."""
        track = f"{worker.name}-*/*/out/.long.de.wav.*.part"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(part.stat().st_size > 100_000 for part in worker_scratch.glob(track)):
                os.kill(worker.pid, signal.SIGKILL)
                killed.append(worker.pid)
                return
            time.sleep(0.01)

    def kill_the_long_files_worker(event: object) -> None:
        if isinstance(event, FileAssigned) and event.path.name == "long.wav" and event.attempt == 1:
            threading.Thread(target=kill_mid_file, args=(event.worker,)).start()

    batch = ClusterBatch(
        models,
        BatchSettings(target=find_language("de"), output_folder=out),
        ClusterSettings(ClusterAddress.parse("local:2"), retries=1),
        kill_the_long_files_worker,
    )
    report = batch.run([inputs])
    assert killed, "the long file's speech track never appeared in its worker's scratch folder"
    assert not report.batch.failed
    assert report.workers_lost == 1
    runs = {run.path.name: run for run in report.runs}
    assert runs["long.wav"].attempts == 2
    assert f"pid {killed[0]})" not in runs["long.wav"].worker
    assert_complete_sets(out / "archive", ["long", "short1", "short2"])
    assert wav_seconds(out / "archive" / "long.de.wav") == pytest.approx(600.0, abs=0.01)
    result = json.loads((out / "archive" / "long.de.json").read_text())
    assert result["worker"] == runs["long.wav"].worker
    assert result["segments"][-1]["end"] > 590  # to the end of the file, not a part of it


def test_resume_after_the_driver_is_killed(
    ray_address: str,
    demo_folder: Path,
    speech_like: np.ndarray,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """kill -9 of the driver mid-batch leaves only whole output sets; --skip-existing then finishes the rest."""
    names = [f"part{number}" for number in range(6)]
    inputs = speech_files(tmp_path / "shows", speech_like, {f"{name}.wav": 90.0 for name in names})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "translator", *demo_command(inputs, out, demo_folder, "--cluster", "auto")]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not list(out.rglob("*.de.json")) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.kill()
    _, err = driver.communicate(timeout=30)
    done = sorted(path.name.removesuffix(".de.json") for path in out.rglob("*.de.json"))
    assert done and len(done) < len(names), err  # killed mid-batch: some files finished, not all
    for stem in done:  # a set's JSON moves into place last: with it, the whole set is there
        assert all((out / "shows" / f"{stem}.{suffix}").exists() for suffix in OUTPUTS)

    assert main(demo_command(inputs, out, demo_folder, "--cluster", "auto", "--skip-existing")) == 0
    summary = capsys.readouterr().out
    assert f"{len(names) - len(done)} translated, {len(done)} skipped, 0 failed" in summary
    assert_complete_sets(out / "shows", names)  # the killed run's temporaries were removed too
    assert all(wav_seconds(out / "shows" / f"{name}.de.wav") == pytest.approx(90.0, abs=0.01) for name in names)


def test_without_ray_the_option_says_how_to_install_it(
    demo_folder: Path,
    jfk_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as it does where the extra is not installed
    assert main(demo_command(jfk_path, tmp_path / "out", demo_folder, "--cluster", "local:2")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "needs Ray, which is not installed: pip install -e '.[cluster]'" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("address", "environment"), [("ray://127.0.0.1:9", None), ("auto", "127.0.0.1:9")])
def test_an_unreachable_cluster_is_one_line(
    address: str,
    environment: str | None,
    demo_folder: Path,
    jfk_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Port 9 refuses at once: the answer is one line, at once, not Ray's retries for half a minute."""
    if environment is not None:
        monkeypatch.setenv("RAY_ADDRESS", environment)
    assert main(demo_command(jfk_path, tmp_path / "out", demo_folder, "--cluster", address)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot reach the Ray cluster at {environment or address} (connection refused)" in err


def test_the_files_tab_runs_its_batch_on_the_cluster(
    ray_address: str, demo_folder: Path, speech_like: np.ndarray, tmp_path: Path, qtbot: Any
) -> None:
    """The Files tab's "Run on: A Ray cluster at local:2", remembered in its settings, through the batch
    controller: the rows hear of each file as they do locally, and the outputs are written."""
    from translator.models.loading import ModelCache
    from ui.bridge import Background, CoreBridge
    from ui.files_view import FilesView
    from ui.sessions import BatchController
    from ui.settings import SettingsStore

    inputs = speech_files(tmp_path / "talks", speech_like, {"one.wav": 12.0, "two.wav": 12.0})
    settings = SettingsStore(tmp_path / "gui.ini")
    view = FilesView(settings)
    qtbot.addWidget(view)
    view.cluster.where.setCurrentIndex(1)
    view.cluster.address_field.setText("local:2")
    view.output_folder.setText(str(tmp_path / "out"))
    view.save_settings()
    view = FilesView(settings)  # a new window: the choice is remembered
    qtbot.addWidget(view)
    assert view.cluster.address() == "local:2"
    bridge = CoreBridge()
    finished: list[Path] = []
    bridge.file_finished.connect(lambda result: finished.append(result.source))
    controller = BatchController(bridge, ModelCache(), Background())
    config = replace(load_config(demo_folder / "demo.toml"), compute=ComputeSettings(cpu_threads=1))
    with qtbot.waitSignal(controller.finished, timeout=180_000) as done:
        controller.start([inputs], config, view.settings_for(find_language("de")), view.cluster.address())
    report = done.args[0]
    assert not report.failed and len(report.finished) == 2
    qtbot.waitUntil(lambda: len(finished) == 2)
    assert all(result.worker is not None for result in report.finished)
    assert_complete_sets(tmp_path / "out" / "talks", ["one", "two"])
