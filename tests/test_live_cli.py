"""`translator live` from the command line: a file in, a WAV out, and its one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.virtual_sound import VirtualSoundServer
from translator.cli import main


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_live_from_a_file_to_a_wav(
    demo_folder: Path, jfk_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "heard.wav"
    status = main(
        ["live", "--input-file", str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"),
         "--output-file", str(out), "--quiet"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Traceback" not in captured.err
    lines = captured.out.splitlines()
    utterance_lines = [line for line in lines if line.startswith("#")]
    assert len(utterance_lines) >= 3  # jfk.flac holds four stretches of speech
    assert "Frag nicht, was dein Land für dich tun kann." in utterance_lines[0]
    assert any("speech→speech" in line for line in lines)
    assert any(line.strip().startswith("speech_to_speech") for line in lines)  # the p50 / p95 summary
    assert "demo models" in captured.err
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--conversation", "de", "klingon"], "klingon"),
        ([], "--to LANG"),
    ],
)
def test_live_errors_are_one_line(
    demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], expected: str
) -> None:
    target = [] if arguments == [] or arguments[0] == "--conversation" else ["--to", "de"]
    try:
        status = main(["live", *target, *arguments, "--config", str(demo_folder / "demo.toml"), "--no-speech"])
    except SystemExit as exit_:  # argparse rejects an unknown language itself
        status = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0]


def test_unknown_input_device_names_the_listing_command(
    virtual_sound: VirtualSoundServer, demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["live", "--to", "de", "--input-device", "no-such-microphone", "--config", str(demo_folder / "demo.toml"),
         "--no-speech"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip().splitlines()[-1] == (
        "translator: error: no audio input device matches 'no-such-microphone': run 'translator devices' to list them"
    )


def test_ctrl_c_stops_cleanly(demo_folder: Path, jfk_path: Path, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "translator.cli", "live", "--input-file", str(jfk_path), "--to", "de",
         "--config", str(demo_folder / "demo.toml"), "--no-speech", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TRANSLATOR_CONFIG": str(tmp_path / "absent.toml"), "XDG_STATE_HOME": str(tmp_path)},
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:  # wait until the session is listening
        if line.startswith("listening to"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "utterances; p50 / p95 per stage" in out
