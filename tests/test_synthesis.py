"""Tests for translator.stages.synthesis with the demo Piper voices (real PiperVoice)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import find_language
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings, find_voice, voice_language

EN, DE, FR, ES = (find_language(code) for code in ("en", "de", "fr", "es"))
GERMAN_TEXT = "Das Wetter ist heute schön. Wir gehen in den Park. Es regnet nicht."


@pytest.fixture(scope="module")
def voices(demo_folder: Path) -> Path:
    return demo_folder / "voices"


@pytest.fixture(scope="module")
def german(voices: Path) -> SpeechSynthesizer:
    return SpeechSynthesizer(SynthesizerSettings(voices), DE)


def copy_voice(voice: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(voice, folder / voice.name)
    shutil.copy(f"{voice}.json", folder / f"{voice.name}.json")
    return folder / voice.name


@pytest.mark.parametrize(("language", "locale"), [(EN, "en_US"), (DE, "de_DE"), (FR, "fr_FR"), (ES, "es_ES")])
def test_find_voice_picks_the_language(voices: Path, language: object, locale: str) -> None:
    found = find_voice(voices, language)
    assert found.name.startswith(locale)
    assert voice_language(found) == language


def test_folder_without_the_language(voices: Path, tmp_path: Path) -> None:
    folder = tmp_path / "only-english"
    copy_voice(find_voice(voices, EN), folder)
    assert find_voice(folder, EN).parent == folder
    with pytest.raises(UnsupportedLanguageError, match="no Spanish voice"):
        find_voice(folder, ES)
    with pytest.raises(UnsupportedLanguageError, match="Spanish"):
        SpeechSynthesizer(SynthesizerSettings(folder), ES)


def test_folder_voice_without_config_is_skipped(voices: Path, tmp_path: Path) -> None:
    folder = tmp_path / "voices"
    voice = copy_voice(find_voice(voices, DE), folder)
    Path(f"{voice}.json").unlink()
    with pytest.raises(UnsupportedLanguageError, match="German"):
        find_voice(folder, DE)


def test_voice_file_without_config(voices: Path, tmp_path: Path) -> None:
    voice = copy_voice(find_voice(voices, DE), tmp_path / "voices")
    Path(f"{voice}.json").unlink()
    with pytest.raises(ModelError, match=f"{voice.name}.json") as error:
        SpeechSynthesizer(SynthesizerSettings(voice), DE)
    assert "\n" not in str(error.value)


def test_missing_voice_location(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        find_voice(tmp_path / "no-voices", DE)


def test_german_voice_for_french(voices: Path) -> None:
    with pytest.raises(UnsupportedLanguageError, match="German, not French"):
        SpeechSynthesizer(SynthesizerSettings(find_voice(voices, DE)), FR)


def test_corrupt_voice_is_a_model_error(voices: Path, tmp_path: Path) -> None:
    voice = copy_voice(find_voice(voices, DE), tmp_path / "voices")
    voice.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError, match="cannot load the voice"):
        SpeechSynthesizer(SynthesizerSettings(voice), DE)


def test_speak_returns_float32_at_the_voice_rate(german: SpeechSynthesizer) -> None:
    config = json.loads(Path(f"{german.path}.json").read_text(encoding="utf-8"))
    assert german.language == DE
    assert german.is_demo
    assert german.sample_rate == config["audio"]["sample_rate"]

    speech = german.speak(GERMAN_TEXT)

    assert speech.samples.dtype == np.float32
    assert speech.samples.ndim == 1
    assert speech.sample_rate == german.sample_rate
    assert speech.duration > 1.0
    assert np.abs(speech.samples).max() > 0.05
    assert np.all(np.isfinite(speech.samples))


def test_speed_shortens_the_audio(german: SpeechSynthesizer) -> None:
    normal = german.speak(GERMAN_TEXT)
    faster = german.speak(GERMAN_TEXT, speed=1.3)
    slower = german.speak(GERMAN_TEXT, speed=0.8)
    assert len(faster.samples) / len(normal.samples) == pytest.approx(1 / 1.3, rel=0.1)
    assert len(slower.samples) / len(normal.samples) == pytest.approx(1 / 0.8, rel=0.1)


def test_length_scale_setting_slows_the_voice(voices: Path, german: SpeechSynthesizer) -> None:
    base = json.loads(Path(f"{german.path}.json").read_text(encoding="utf-8"))["inference"]["length_scale"]
    slow = SpeechSynthesizer(SynthesizerSettings(voices, length_scale=base * 1.5), DE)
    ratio = len(slow.speak(GERMAN_TEXT).samples) / len(german.speak(GERMAN_TEXT).samples)
    assert ratio == pytest.approx(1.5, rel=0.1)


def test_sentences_yields_one_piece_per_sentence(german: SpeechSynthesizer) -> None:
    pieces = list(german.sentences(GERMAN_TEXT))
    assert len(pieces) == 3
    assert all(piece.sample_rate == german.sample_rate and piece.duration > 0.2 for piece in pieces)
    total = sum(len(piece.samples) for piece in pieces)
    assert total == len(german.speak(GERMAN_TEXT).samples)


def test_speak_nothing(german: SpeechSynthesizer) -> None:
    speech = german.speak("")
    assert speech.samples.dtype == np.float32
    assert len(speech.samples) == 0
