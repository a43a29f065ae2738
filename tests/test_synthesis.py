"""Tests for translator.stages.synthesis with the demo Piper voices (real PiperVoice)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import find_language
from translator.stages.synthesis import (
    SpeechSynthesizer,
    SynthesizerSettings,
    find_voice,
    first_clause,
    voice_language,
    word_count,
)

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


@pytest.mark.parametrize(
    ("text", "head", "rest"),
    [
        (
            "Ask not what your country can do for you, ask what you can do for your country.",
            "Ask not what your country can do for you,",
            "ask what you can do for your country.",
        ),
        (  # the first break that leaves a clause long enough; the later sentences follow with the rest
            "Wir haben heute Morgen lange gewartet, aber der Zug kam nicht, und wir gingen heim. Dann regnete es.",
            "Wir haben heute Morgen lange gewartet,",
            "aber der Zug kam nicht, und wir gingen heim. Dann regnete es.",
        ),
        (
            "The meeting went on for hours — far too long for everyone who had to sit through it.",
            "The meeting went on for hours —",
            "far too long for everyone who had to sit through it.",
        ),
        (
            "We waited for a very long time; the train never came and so we walked home.",
            "We waited for a very long time;",
            "the train never came and so we walked home.",
        ),
        (
            "我们今天早上等了很久，但是火车一直没有来，所以我们回家了。",
            "我们今天早上等了很久，",
            "但是火车一直没有来，所以我们回家了。",
        ),
    ],
)
def test_a_long_first_sentence_is_cut_after_its_first_clause(text: str, head: str, rest: str) -> None:
    assert first_clause(text) == (head, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Frag nicht, was dein Land für dich tun kann.",  # short: synthesised whole
        "Yes, I know, but we should really go home now before it rains.",  # each clause too short alone
        "We paid 1,000 dollars at 3:45 for a well-known painting from 1990–1995 in the old town.",  # no break
        "It was a long and tiring day at work for all of us in the office, truly.",  # the tail too short
        "Short. Then a much longer second sentence follows here, with a clause break in the middle of it.",
        "",
    ],
)
def test_no_cut_inside_a_word_a_short_sentence_or_a_short_clause(text: str) -> None:
    assert first_clause(text) is None


def test_word_count_counts_spaceless_scripts_by_characters() -> None:
    assert word_count("Ask not what your country can do for you.") == 9
    assert word_count("我们今天早上等了很久") == 5


def test_pieces_speak_the_first_clause_alone_then_one_piece_per_sentence(german: SpeechSynthesizer) -> None:
    text = "Wir haben heute Morgen lange gewartet, aber der Zug kam nicht und wir gingen heim. Dann regnete es."
    pieces = list(german.pieces(text))
    head, rest = first_clause(text) or ("", "")
    assert len(pieces) == 3  # the first clause, the rest of its sentence, the second sentence
    assert len(pieces[0].samples) == len(german.speak(head).samples)
    assert sum(len(piece.samples) for piece in pieces[1:]) == len(german.speak(rest).samples)
    assert len(list(german.pieces(GERMAN_TEXT))) == 3  # short sentences: one piece each, as sentences() gives


def test_cpu_threads_limit_the_voices_onnx_runtime(voices: Path) -> None:
    limited = SpeechSynthesizer(SynthesizerSettings(voices, cpu_threads=1), DE)
    options = limited._voice.session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert limited.speak("Hallo.").duration > 0
