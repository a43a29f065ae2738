"""What a new user meets on the command line: the demo models' languages, a language no voice speaks, the
settings file of the demo models, the model list and the end-of-batch and end-of-session summaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audio_files import speech_at, write_wav

from translator import cli
from translator.cli import main
from translator.cli.model_choice import command_line_message
from translator.errors import Remedy, TranslatorError
from translator.models.demo.translation import build_demo_opus_mt
from translator.models.folders import DEMO_SPEECH_NOTE
from translator.pipeline.outputs import DEMO_NOTICE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "no-user-config" / "settings.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture
def talk(tmp_path: Path, speech_like: np.ndarray) -> Path:
    """A short recording: one utterance of speech-like sound."""
    return write_wav(tmp_path / "talk.wav", speech_at(speech_like, [0.5], 5.0))


@pytest.fixture
def japanese_models(tmp_path: Path, demo_folder: Path) -> list[str]:
    """Model options for English into Japanese: the demo Whisper model and voices, and a translation model
    whose folder name says en->ja (its words are the demo's German; what matters is the language it serves)."""
    japanese = build_demo_opus_mt(tmp_path / "opus-mt-en-ja", "en", "de")
    return ["--whisper", str(demo_folder / "whisper-demo"), "--translation", str(japanese),
            "--voice", str(demo_folder / "voices"), "--from", "en", "--to", "ja"]  # fmt: skip


def _error_lines(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if "error:" in line]


def test_the_demo_models_command_says_what_they_know(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-models", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert f"--config {tmp_path / 'demo' / 'demo.toml'}" in out  # a path that works from any folder
    assert "English, French, German and Spanish only" in out and "placeholder" in out


def test_a_language_the_demo_models_lack_names_their_languages_not_a_voice(
    demo_folder: Path, talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", str(talk), "--to", "ja", "--config", str(demo_folder / "demo.toml"), "--out", str(tmp_path)]
    assert main(args) == 2
    [line] = _error_lines(capsys.readouterr().err)
    assert "the demo models translate only into English, French, German and Spanish" in line
    assert "translator models download --profile auto --to ja" in line
    assert "voice" not in line


def test_a_language_no_voice_speaks_gets_text_and_subtitles(
    japanese_models: list[str], talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(talk), *japanese_models, "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "note: no voice speaks Japanese: text and subtitles only, no speech track (wav)" in captured.err
    assert {path.name for path in out.iterdir()} == {
        f"talk.{kind}.{fmt}" for kind in ("transcript", "ja") for fmt in ("txt", "srt", "vtt")
    } | {"talk.ja.json"}
    # A speech track asked for by name is still an error, and it says there is no voice to add.
    assert main(["batch", str(talk), *japanese_models, "--out", str(out), "--formats", "srt,wav"]) == 2
    [line] = _error_lines(capsys.readouterr().err)
    assert "no Piper voice speaks Japanese" in line and "leave wav and video out of --formats" in line


def test_live_in_a_language_no_voice_speaks_is_text_only(
    japanese_models: list[str], talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heard = tmp_path / "heard.wav"
    assert main(["live", "--input-file", str(talk), *japanese_models, "--output-file", str(heard), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "note: no voice speaks Japanese: translations are shown, not spoken" in captured.err
    lines = [line for line in captured.out.splitlines() if line.startswith("#")]
    assert lines and "[not spoken]" not in lines[0]
    assert not heard.exists()


def test_live_with_the_demo_models_says_why_speech_queues_and_text_only_is_not_unspoken(
    demo_folder: Path, talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ["--config", str(demo_folder / "demo.toml"), "--to", "de", "--quiet"]
    assert main(["live", "--input-file", str(talk), *config, "--output-file", str(tmp_path / "heard.wav")]) == 0
    assert f"note: {DEMO_SPEECH_NOTE}" in capsys.readouterr().err
    assert main(["live", "--input-file", str(talk), *config, "--no-speech"]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("#")]
    assert lines and not any("[not spoken]" in line for line in lines)
    assert "not spoken 0" in captured.out
    assert DEMO_SPEECH_NOTE not in captured.err  # nothing is spoken, so nothing queues


def test_a_batch_where_every_file_failed_prints_no_empty_table(
    demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF, but not really a WAV file")
    args = ["batch", str(broken), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--quiet"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == "0 translated, 0 skipped, 1 failed\n"
    assert DEMO_NOTICE not in captured.out


def test_a_missing_demo_settings_file_says_how_to_make_it(
    tmp_path: Path, talk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["batch", str(talk), "--to", "fr", "--config", ".demo-models/demo.toml"]) == 2
    [line] = _error_lines(capsys.readouterr().err)
    assert f"settings file .demo-models/demo.toml (looked for in {tmp_path}) does not exist" in line
    assert "translator demo-models DIR" in line
    assert main(["batch", str(talk), "--to", "fr", "--config", str(tmp_path / "mine.toml")]) == 2
    [line] = _error_lines(capsys.readouterr().err)
    assert line.endswith(f"settings file {tmp_path / 'mine.toml'} does not exist")


def test_the_model_list_shows_whole_licences_and_every_state(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--stage", "translation"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["nllb-200-distilled-600m"].split("  ")[-2].strip() == "CC-BY-NC-4.0 (non-commercial)"
    assert "CC-BY-4.0 or Apache-2.0  " in rows["opus-mt-en-es"]
    assert all(line.endswith("  not installed") for name, line in rows.items() if name not in ("id", "0"))
    assert main(["models", "list", "--installed"]) == 0  # nothing installed: no empty table, just the count
    assert capsys.readouterr().out.splitlines()[0].startswith("0 installed in ")


def test_every_remedy_has_command_line_words() -> None:
    for remedy in Remedy:
        assert command_line_message(TranslatorError("something failed", remedy=remedy)) != "something failed"


def test_the_desktop_apps_executable_is_named_in_its_hints(
    tmp_path: Path, talk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The installed app has `speech-translator` and no `translator`: a hint must name what the user has.
    monkeypatch.setattr(sys, "argv", ["/opt/speech-translator/speech-translator"])
    assert main(["batch", str(talk), "--to", "de", "--whisper", "whisper-small", "--out", str(tmp_path)]) == 2
    [line] = _error_lines(capsys.readouterr().err)
    assert line.endswith("run: speech-translator models download whisper-small")
    assert set(cli._COMMANDS) == set(cli._parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def _set_up(home: Path, path: str) -> subprocess.CompletedProcess[str]:
    """Source the quick start's set-up as a user with this home and PATH (the project is already installed)."""
    environment = {"HOME": str(home), "PATH": path, "PYTHON": sys.executable}
    return subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts' / 'setup.sh'}"],
        env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_set_up_puts_translator_on_the_path_where_the_users_bin_folder_is(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    user_bin = home / ".local" / "bin"
    result = _set_up(home, f"{user_bin}:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert (user_bin / "translator").resolve() == (ROOT / ".venv" / "bin" / "translator").resolve()
    # Not on the PATH: nothing is written into the home folder, and the quick start still works.
    other = tmp_path / "other"
    other.mkdir()
    result = _set_up(other, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert not (other / ".local").exists()
    # Someone else's file of that name is never replaced.
    (user_bin / "translator").unlink()
    (user_bin / "translator").write_text("#!/bin/sh\necho mine\n")
    result = _set_up(home, f"{user_bin}:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert (user_bin / "translator").read_text() == "#!/bin/sh\necho mine\n"
