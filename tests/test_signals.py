"""SIGTERM and SIGHUP stop the command line and the window as Ctrl+C does, with nothing lost or left behind.

Each test sends a real signal to a real process (a `translator` subprocess, or this one for the window).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from translator.audio.files import read_audio

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication: the window test runs offscreen

SUFFIXES = ("transcript.txt", "transcript.srt", "transcript.vtt", "de.txt", "de.srt", "de.vtt", "de.json", "de.wav")


def _translator(demo_folder: Path, tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "TRANSLATOR_CONFIG": str(tmp_path / "absent.toml"), "XDG_STATE_HOME": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "translator.cli", *arguments, "--to", "de", "--config", str(demo_folder / "demo.toml"),
         "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip


def _wait_for_line(process: subprocess.Popen[str], start: str) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(start):
            return
    pytest.fail(f"the process ended before printing '{start}' (exit {process.wait()})")


def test_sigterm_ends_a_live_session_with_its_recording_and_a_second_writer_is_turned_away(
    demo_folder: Path, jfk_path: Path, tmp_path: Path
) -> None:
    long_input = write_wav(tmp_path / "talk.wav", np.tile(read_audio(jfk_path), 3))  # 33 s: longer than the test
    heard = tmp_path / "out" / "heard.wav"
    session = _translator(demo_folder, tmp_path, "live", "--input-file", str(long_input), "--output-file", str(heard))
    _wait_for_line(session, "listening to")
    second = _translator(demo_folder, tmp_path, "live", "--input-file", str(long_input), "--output-file", str(heard))
    _, refused = second.communicate(timeout=120)
    assert second.returncode == 2
    assert refused.strip().splitlines()[-1] == (
        f"translator: error: another translator run (pid {session.pid}) is writing {heard}.*; "
        "wait for it to finish or choose another output folder"
    )
    # Stop it once more than a second of output is on disk (a loaded machine may be slower than the refusal).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(part.stat().st_size for part in heard.parent.glob(".*.part")) < 96_000:
        time.sleep(0.1)
    session.send_signal(signal.SIGTERM)
    out, err = session.communicate(timeout=60)
    assert session.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"translator: stopped by SIGTERM; the speech so far is in {heard}"
    assert "utterances; p50 / p95 per stage" in out
    with wave.open(str(heard), "rb") as recording:  # complete under its final name: a valid WAV, up to the stop
        assert recording.getnframes() > recording.getframerate()
    assert [path.name for path in heard.parent.iterdir()] == ["heard.wav"]  # no temporary, no lock


def test_sighup_stops_a_batch_between_whole_files(demo_folder: Path, jfk_path: Path, tmp_path: Path) -> None:
    inputs = []
    for name in ("a", "b", "c", "d"):
        inputs.append(tmp_path / f"{name}.flac")
        inputs[-1].write_bytes(jfk_path.read_bytes())
    out = tmp_path / "out"
    batch = _translator(demo_folder, tmp_path, "batch", *map(str, inputs), "--out", str(out))
    deadline = time.monotonic() + 120
    while not (out / "a.de.json").exists() and batch.poll() is None:  # the first file complete, the second begun
        assert time.monotonic() < deadline
        time.sleep(0.02)
    batch.send_signal(signal.SIGHUP)
    _, err = batch.communicate(timeout=60)
    assert batch.returncode == 128 + signal.SIGHUP, err
    assert err.strip().splitlines()[-1] == (
        "translator: stopped by SIGHUP; finished files are complete: rerun with --skip-existing to resume"
    )
    written = {name: {path.name for path in out.glob(f"{name}.*")} for name in "abcd"}
    assert written["a"] == {f"a.{suffix}" for suffix in SUFFIXES}
    assert all(names in (set(), {f"{stem}.{suffix}" for suffix in SUFFIXES}) for stem, names in written.items())
    assert set() in written.values(), "the signal came after the last file"
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]  # no temporaries, no locks


def test_sigterm_closes_the_window_which_stops_its_batch_and_keeps_its_settings(
    qtbot, demo_folder: Path, speech_like: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from translator.audio.files import SAMPLE_RATE
    from translator.config import load_config
    from ui.app import close_on_stop_signals
    from ui.main_window import MainWindow
    from ui.settings import SETTINGS_ENVIRONMENT, SettingsStore

    settings = tmp_path / "gui.ini"
    monkeypatch.setenv(SETTINGS_ENVIRONMENT, str(settings))
    window = MainWindow(SettingsStore(settings), load_config(demo_folder / "demo.toml"), demo_folder=tmp_path / "demo")
    qtbot.addWidget(window)
    window.show()
    pause = np.zeros(SAMPLE_RATE, np.float32)
    long_file = write_wav(tmp_path / "long.wav", np.tile(np.concatenate([speech_like, pause]), 200))
    view = window.files_view
    view.add_paths([long_file])
    view.output_folder.setText(str(tmp_path / "out"))
    view.start.click()
    qtbot.waitUntil(lambda: 0 < view.files.rows[0].progress < 1, timeout=60_000)
    restore = close_on_stop_signals(window)
    try:
        # From another thread, as a signal comes while the GUI thread waits in Qt's event loop.
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    finally:
        restore()
    assert not window.background.busy
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(("ui-", "batch-"))]
    assert str(tmp_path / "out") in settings.read_text()  # saved as the close button saves it
    assert not list((tmp_path / "out").iterdir())  # the file in progress left nothing, temporaries included
