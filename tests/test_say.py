"""`translator say`: typed text translated and spoken with the demo models, to a WAV and to the virtual sound card."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps
from test_sources import DEADLINE, Recorder

from bench.virtual_sound import VirtualSoundServer
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import MicrophoneSource
from translator.cli import main
from translator.languages import find_language
from translator.models.folders import DEMO_TRANSLATIONS
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings

GERMAN = DEMO_TRANSLATIONS["de"]  # what the demo models say in German, whatever they are given


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(scope="module")
def sentence_seconds(demo_folder: Path) -> float:
    """How long the demo German voice takes to say the demo sentence once."""
    voice = SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), find_language("de"))
    return voice.speak(GERMAN).duration


def say(demo_folder: Path, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[list[str], str]:
    """Run `translator say` with the demo models; its lines of output, and its standard error."""
    status = main(["say", *arguments, "--config", str(demo_folder / "demo.toml")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Traceback" not in captured.err
    return captured.out.splitlines(), captured.err


def speech_seconds(audio: np.ndarray) -> float:
    """How much of 16 kHz `audio` Silero VAD calls speech."""
    spans = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300))
    return sum(span["end"] - span["start"] for span in spans) / SAMPLE_RATE


def test_say_writes_the_translated_speech_to_a_wav(
    demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sentence_seconds: float
) -> None:
    out = tmp_path / "said.wav"
    lines, err = say(
        demo_folder, capsys, "Where is the station?", "--to", "de", "--from", "en", "--output-file", str(out)
    )
    assert lines[0] == f"#1 Where is the station? → {GERMAN}"
    times = lines[1].split(" · ")
    assert [part.split()[0] for part in times] == ["tr", "syn", "play", "text→speech"]
    assert all(part.endswith("ms") for part in times)
    assert len(lines) == 2
    assert "demo models" in err
    audio = read_audio(out)
    assert len(audio) / SAMPLE_RATE == pytest.approx(sentence_seconds, abs=0.05)
    assert speech_seconds(audio) > 0.6 * sentence_seconds


def test_a_pasted_paragraph_is_spoken_sentence_by_sentence(
    demo_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sentence_seconds: float,
) -> None:
    paragraph = "Dr. Smith came home late.  He was tired!\n\nWas dinner ready? Nobody knew.\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(paragraph))
    out = tmp_path / "paragraph.wav"
    lines, _ = say(demo_folder, capsys, "-", "--to", "de", "--from", "en", "--output-file", str(out))
    said = [line for line in lines if line.startswith("#")]
    assert said == [  # "Dr." ends no sentence; each sentence is heard in the order it was written
        f"#1 Dr. Smith came home late. → {GERMAN}",
        f"#2 He was tired! → {GERMAN}",
        f"#3 Was dinner ready? → {GERMAN}",
        f"#4 Nobody knew. → {GERMAN}",
    ]
    assert len(read_audio(out)) / SAMPLE_RATE == pytest.approx(4 * sentence_seconds, abs=0.1)


def test_say_speaks_into_the_virtual_sound_device(
    virtual_sound: VirtualSoundServer, demo_folder: Path, capsys: pytest.CaptureFixture[str], sentence_seconds: float
) -> None:
    virtual_sound.loopback()
    with Recorder(MicrophoneSource()) as monitor:
        # The null sink renders in 2 s periods while idle: once the monitor delivers, it runs steadily.
        assert monitor.first_block.wait(DEADLINE)
        lines, _ = say(demo_folder, capsys, "Good morning. See you soon.", "--to", "de", "--from", "en")
        heard = monitor.audio()
    said = [line for line in lines if line.startswith("#")]
    assert said == [f"#1 Good morning. → {GERMAN}", f"#2 See you soon. → {GERMAN}"]
    assert "[not spoken]" not in "\n".join(lines)
    assert all("play wait" in line and "text→speech" in line for line in lines if line.startswith("    "))
    assert speech_seconds(heard) > 2 * 0.6 * sentence_seconds  # both sentences reached the speaker


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [
        (["   ", "--to", "de", "--from", "en"], {}, "nothing to say"),
        (["Hello.", "--to", "de"], {"LANG": "C.UTF-8"}, "pass --from LANG"),
        (["Hello.", "--to", "ja", "--from", "en", "--no-speech"], {}, "demo models translate only into"),
    ],
)
def test_say_errors_are_one_line(
    demo_folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    environment: dict[str, str],
    expected: str,
) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    status = main(["say", *arguments, "--config", str(demo_folder / "demo.toml")])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0]


def test_without_from_the_text_is_read_in_the_desktops_language(
    demo_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    lines, err = say(demo_folder, capsys, "Guten Morgen.", "--to", "fr", "--no-speech")
    assert "reading the text as German" in err
    assert lines == [f"#1 Guten Morgen. → {DEMO_TRANSLATIONS['fr']}", lines[1]]
    assert lines[1].split()[0] == "tr" and "text→speech" not in lines[1]
