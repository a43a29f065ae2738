"""The `translator` command: batch runs with the demo models, exit codes and one-line errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audio_files import speech_at, write_wav

from translator import __version__, cli
from translator.cli import batch as batch_command
from translator.cli import main
from translator.cli.model_choice import command_line_message
from translator.errors import Remedy, StageError, TranslatorError
from translator.pipeline.outputs import DEMO_NOTICE

OUTPUTS = ("transcript.txt", "transcript.srt", "transcript.vtt", "de.txt", "de.srt", "de.vtt", "de.json", "de.wav")
STAGE_COLUMNS = ("file", "audio", "lang", "segs", "decode", "recognize", "translate", "speak", "wall", "RTF")


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read the user's settings: point both lookups at empty places under tmp_path."""
    absent = tmp_path / "no-user-config" / "settings.toml"
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(absent))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # the log file
    return absent


def run_main(args: list[str]) -> int:
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def assert_one_line_error(err: str, *expected: str) -> str:
    """stderr holds exactly one error line (argparse may print its usage first) and no traceback."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


def output_names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_demo_models_then_batch(tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    assert main(["demo-models", str(models)]) == 0
    assert str(models / "demo.toml") in capsys.readouterr().out
    assert (models / "demo.toml").is_file()

    out = tmp_path / "out"
    code = main(
        ["batch", str(jfk_path), "--to", "de", "--config", str(models / "demo.toml"), "--out", str(out), "--quiet"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert output_names(out) == {f"jfk.{suffix}" for suffix in OUTPUTS}
    lines = captured.out.splitlines()
    assert lines[0].split() == list(STAGE_COLUMNS)
    row = lines[1].split()
    assert row[0] == "jfk.flac"
    assert row[1] == "11.0s"
    # The lang column holds the language and its probability, e.g. "en 0.77".
    assert row[2] == "en"
    assert 0.0 < float(row[3]) <= 1.0
    assert row[4] == "1"
    assert all(re.fullmatch(r"\d+\.\d\ds", cell) for cell in row[5:10])
    assert re.fullmatch(r"\d+\.\d{3}", row[10])
    assert "1 translated, 0 skipped, 0 failed" in captured.out
    assert f"note: {DEMO_NOTICE}" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_one_bad_input_exits_1(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(np.random.default_rng(3).integers(0, 256, 10_000, dtype=np.uint8).tobytes())
    out = tmp_path / "out"
    code = main(
        ["batch", str(bad), str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 1
    failures = [line for line in captured.err.splitlines() if "failed:" in line]
    assert len(failures) == 1
    assert failures[0].startswith("translator: failed: ") and "bad.mp3" in failures[0]
    assert output_names(out) == {f"jfk.{suffix}" for suffix in OUTPUTS}
    assert "1 translated, 0 skipped, 1 failed" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_skip_existing(tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["batch", str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--out", str(tmp_path)]
    assert main([*args, "--formats", "srt,json", "--quiet"]) == 0
    assert output_names(tmp_path) >= {"jfk.de.srt", "jfk.transcript.srt", "jfk.de.json"}
    assert "jfk.de.wav" not in output_names(tmp_path)
    capsys.readouterr()
    assert main([*args, "--formats", "srt,json", "--skip-existing", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "0 translated, 1 skipped, 0 failed" in captured.out
    assert "skipped" in captured.err and "jfk.flac" in captured.err


def _console_command() -> list[str]:
    script = Path(sys.executable).with_name("translator")
    if script.is_file():
        return [str(script)]
    found = shutil.which("translator")
    return [found] if found else [sys.executable, "-m", "translator.cli"]


def test_console_script_in_a_subprocess(tmp_path: Path, demo_folder: Path, jfk_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    env = {
        **os.environ,
        "TRANSLATOR_CONFIG": str(tmp_path / "absent.toml"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    command = [*_console_command(), "batch", str(empty), str(jfk_path), "--to", "German", "--out", str(out)]
    completed = subprocess.run(
        [*command, "--config", str(demo_folder / "demo.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    failures = [line for line in completed.stderr.splitlines() if "failed:" in line]
    assert failures == [f"translator: failed: {empty}: the file is empty (0 bytes)"]
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "1 translated, 0 skipped, 1 failed" in completed.stdout
    assert output_names(out) == {f"jfk.{suffix}" for suffix in OUTPUTS}


# --- usage errors: exit 2, one line ------------------------------------------------------------------


def test_unknown_target_language(jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["batch", str(jfk_path), "--to", "klingon"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--to", "klingon")


def test_unknown_format(jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["batch", str(jfk_path), "--to", "de", "--formats", "srt,docx"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--formats", "docx")


def test_unknown_source_language(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", str(jfk_path), "--to", "de", "--from", "klingon", "--config", str(demo_folder / "demo.toml")]
    assert run_main([*args, "--out", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "klingon")


def test_missing_model_folder(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nonexistent"
    args = ["batch", str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--out", str(tmp_path)]
    assert run_main([*args, "--whisper", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("translator: error: ") and err.count("\n") == 1
    assert_one_line_error(err, str(missing))
    assert not list(tmp_path.glob("jfk.*"))


def test_no_models_configured(tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["batch", str(jfk_path), "--to", "de", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert_one_line_error(err, "translator demo-models")


def test_speech_track_without_a_voice(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = ["--whisper", str(demo_folder / "whisper-demo"), "--translation", str(demo_folder / "nllb-demo")]
    out = tmp_path / "out"
    assert run_main(["batch", str(jfk_path), "--to", "de", *models, "--out", str(out), "--formats", "srt,wav"]) == 2
    assert_one_line_error(capsys.readouterr().err, "voice")
    assert output_names(out) == set()
    # Without the speech track the same models need no voice.
    assert run_main(["batch", str(jfk_path), "--to", "de", *models, "--out", str(out), "--formats", "srt"]) == 0
    assert output_names(out) == {"jfk.de.srt", "jfk.transcript.srt"}


def test_unwritable_output_folder(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file: no folder can be made under it")
    out = blocker / "out"
    args = ["batch", str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--out", str(out)]
    assert run_main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert_one_line_error(err, "cannot write to", str(out))


def test_target_the_translation_model_lacks(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", str(jfk_path), "--to", "ja", "--config", str(demo_folder / "demo.toml"), "--out", str(tmp_path)]
    assert run_main([*args, "--formats", "srt"]) == 2
    assert_one_line_error(capsys.readouterr().err, "Japanese")


# --- other commands ---------------------------------------------------------------------------------


def test_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["languages"]) == 0
    lines = capsys.readouterr().out.splitlines()
    german = [line for line in lines if line.split()[:2] == ["de", "German"]]
    assert len(german) == 1
    assert "deu_Latn" in german[0].split()
    assert len(lines) > 50


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"translator {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main([]) == 2
    assert_one_line_error(capsys.readouterr().err)


def test_speech_like_input_through_the_cli(
    tmp_path: Path, demo_folder: Path, speech_like: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_wav(tmp_path / "talk.wav", speech_at(speech_like, [1.0], 7.0))
    args = ["batch", str(tmp_path), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--quiet"]
    assert main([*args, "--formats", "txt"]) == 0
    assert (tmp_path / "talk.de.txt").read_text(encoding="utf-8").splitlines()[1:] == [
        "Frag nicht, was dein Land für dich tun kann."
    ]
    assert source.is_file()
    assert "talk.wav" in capsys.readouterr().out


def test_internal_error_is_one_line_and_logged(
    jfk_path: Path,
    demo_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(batch_command, "_summary", broken)
    status = run_main(["batch", str(jfk_path), "--to", "de", "--config", str(demo_folder / "demo.toml"),
                       "--out", str(tmp_path / "out"), "--quiet"])  # fmt: skip
    assert status == cli.EXIT_INTERNAL
    line = assert_one_line_error(capsys.readouterr().err, "internal error", "ZeroDivisionError: a bug")
    assert str(tmp_path / "xdg-state") in line
    assert "Traceback" in cli.log_path().read_text(encoding="utf-8")


def test_the_core_command_line_without_the_window_names_the_launchers(capsys: pytest.CaptureFixture[str]) -> None:
    # `python -m translator gui`: the core never imports ui/, so only the installed commands open the window.
    assert run_main(["gui", "--check"]) == 2
    assert_one_line_error(capsys.readouterr().err, "translator gui", "translator-gui")


def test_the_command_line_words_the_cores_remedies_as_its_own_options() -> None:
    no_microphone = TranslatorError("no audio input device found: connect a microphone", remedy=Remedy.INPUT_FROM_FILE)
    assert command_line_message(no_microphone) == (
        "no audio input device found: connect a microphone, or use --input-file FILE"
    )
    no_gpu = StageError("recognition", TranslatorError("no CUDA device is visible", remedy=Remedy.RUN_ON_CPU))
    assert command_line_message(no_gpu) == "recognition failed: no CUDA device is visible, or use --device cpu"
    assert command_line_message(TranslatorError("plain")) == "plain"
