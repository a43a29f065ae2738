"""Batch without `--from`: the language is detected per window (and per stretch of speech in a window Whisper is
unsure of), each part translated from its own language, and every segment's language recorded.

A recording that really switches language is spoken by espeak-ng, half in English and half in German, and heard by
the bilingual phrase model (`bilingual_phrase_whisper`: Whisper's own language detection tells its English phrases
from its German ones). The other tests check, on real speech, that detected languages reach each segment, the
translator and the outputs, that a part already in the target language is kept, that an unsure window is detected
stretch by stretch, and that a fixed source language changes nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import FileSource
from translator.languages import find_language
from translator.models.demo import phrases
from translator.models.demo.phrases import (
    GERMAN_PHRASES,
    GERMAN_VOICE,
    PHRASES,
    bilingual_phrase_whisper,
    phrase_whisper,
    speak_phrase,
)
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import FinalTranscript, LiveEvent, LiveSettings, UtteranceDone
from translator.pipeline.outputs import render
from translator.pipeline.results import FileResult, Segment, StageTimes
from translator.stages.recognition import CONFIDENT_LANGUAGE, RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.translation import TextTranslator, TranslatorSettings

ENGLISH = find_language("en")
GERMAN = find_language("de")
SAID = (PHRASES[1], PHRASES[3])
# The switching recording: two English phrases, a longer pause, two German ones.
SAID_IN_ENGLISH = (PHRASES[0], PHRASES[4])
SAID_IN_GERMAN = (GERMAN_PHRASES[1], GERMAN_PHRASES[2])


@pytest.fixture(scope="module")
def phrases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two phrases, spoken by espeak-ng with a pause between them."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng): it speaks the phrases")
    folder = tmp_path_factory.mktemp("spoken")
    gap = np.zeros(SAMPLE_RATE, np.float32)
    parts = [gap]
    for index, text in enumerate(SAID):
        parts += [read_audio(speak_phrase(text, folder / f"{index}.wav")), gap]
    return write_wav(folder / "two-phrases.wav", np.concatenate(parts))


@pytest.fixture(scope="module")
def switching_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two English phrases, then (after a 2 s pause) two German ones, each spoken by espeak-ng in its language."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng): it speaks the phrases")
    folder = tmp_path_factory.mktemp("switching")
    gap = np.zeros(SAMPLE_RATE, np.float32)
    parts = [gap]
    for voice, said in (("en-us", SAID_IN_ENGLISH), (GERMAN_VOICE, SAID_IN_GERMAN)):
        for index, text in enumerate(said):
            parts += [read_audio(speak_phrase(text, folder / f"{voice}-{index}.wav", voice=voice)), gap]
        parts.append(gap)
    return write_wav(folder / "switching.wav", np.concatenate(parts))


@pytest.fixture(scope="module")
def bilingual_pipeline(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    model = bilingual_phrase_whisper(tmp_path_factory.mktemp("phrase-whisper-bilingual"))
    recognizer = SpeechRecognizer(RecognizerSettings(model, beam_size=1))
    return Pipeline(recognizer, TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")))


@pytest.fixture(scope="module")
def phrase_pipeline(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    model = phrase_whisper(tmp_path_factory.mktemp("phrase-whisper"))
    recognizer = SpeechRecognizer(RecognizerSettings(model, beam_size=1))
    return Pipeline(recognizer, TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")))


def translated(pipeline: Pipeline, path: Path, out: Path, **settings: object) -> FileResult:
    formats = frozenset({"json", "vtt"})
    report = BatchTranslator(pipeline, BatchSettings(output_folder=out, formats=formats, **settings)).run([path])  # type: ignore[arg-type]
    assert not report.failed, report.failed
    (result,) = report.finished
    return result


def test_the_detected_language_reaches_every_segment_and_the_json(
    phrase_pipeline: Pipeline, phrases_file: Path, tmp_path: Path
) -> None:
    result = translated(phrase_pipeline, phrases_file, tmp_path, target=GERMAN)
    assert [segment.source_text for segment in result.segments] == list(SAID)
    assert [segment.language for segment in result.segments] == ["en", "en"]
    assert [segment.text for segment in result.segments] == [DEMO_TRANSLATIONS["de"]] * 2  # translated from English
    data = json.loads((tmp_path / "two-phrases.de.json").read_text())
    assert data["source_language"] == "en"
    assert [segment["language"] for segment in data["segments"]] == ["en", "en"]
    assert "language spoken changes" not in (tmp_path / "two-phrases.de.vtt").read_text()


@pytest.mark.parametrize(
    ("target", "translations"),
    [
        ("fr", [DEMO_TRANSLATIONS["fr"]] * 4),
        ("de", [DEMO_TRANSLATIONS["de"]] * 2 + list(SAID_IN_GERMAN)),  # the German half is kept as it was said
        ("en", list(SAID_IN_ENGLISH) + [DEMO_TRANSLATIONS["en"]] * 2),  # the English half is kept
    ],
)
def test_a_recording_that_switches_language_is_heard_and_translated_part_by_part(
    bilingual_pipeline: Pipeline, switching_file: Path, tmp_path: Path, target: str, translations: list[str]
) -> None:
    result = translated(bilingual_pipeline, switching_file, tmp_path, target=find_language(target))
    assert [segment.source_text for segment in result.segments] == [*SAID_IN_ENGLISH, *SAID_IN_GERMAN]
    assert [segment.language for segment in result.segments] == ["en", "en", "de", "de"]
    assert [segment.text for segment in result.segments] == translations
    assert result.source_language == "en"  # the file's language: the first one heard
    data = json.loads((tmp_path / f"switching.{target}.json").read_text())
    assert [segment["language"] for segment in data["segments"]] == ["en", "en", "de", "de"]
    english_from, german_from = (f"00:00:{round(part.start * 1000) / 1000:06.3f}" for part in result.segments[::2])
    note = f"NOTE The language spoken changes: English (en) from {english_from}, German (de) from {german_from}.\n"
    assert note in (tmp_path / f"switching.{target}.vtt").read_text()


def test_a_conversation_answers_each_speaker_in_the_other_language(
    bilingual_pipeline: Pipeline, switching_file: Path
) -> None:
    events: list[LiveEvent] = []
    engine = LiveTranslator(
        bilingual_pipeline.recognizer,
        bilingual_pipeline.translator,
        {},
        FileSource(switching_file, speed=4.0),
        None,
        LiveSettings(conversation=(ENGLISH, GERMAN), interim_results=False),
        events.append,
    )
    engine.start()
    try:
        assert engine.wait(60)
    finally:
        engine.stop()
    finals = [(event.text, event.language.code) for event in events if isinstance(event, FinalTranscript)]
    assert finals == [(text, "en") for text in SAID_IN_ENGLISH] + [(text, "de") for text in SAID_IN_GERMAN]
    answers = [event.translation for event in events if isinstance(event, UtteranceDone)]
    assert answers == [DEMO_TRANSLATIONS["de"]] * 2 + [DEMO_TRANSLATIONS["en"]] * 2


def test_the_bilingual_phrases_share_no_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = [word.strip(",.?").casefold() for phrase in (*PHRASES, *GERMAN_PHRASES) for word in phrase.split()]
    assert len(words) == len(set(words)), "two phrases share a word: a transcript could be taken for another"
    monkeypatch.setattr(phrases, "BILINGUAL_MODEL", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="train_phrase_model.py --bilingual"):
        bilingual_phrase_whisper(tmp_path / "model")


def test_a_part_already_in_the_target_language_is_kept(
    phrase_pipeline: Pipeline, phrases_file: Path, tmp_path: Path
) -> None:
    result = translated(phrase_pipeline, phrases_file, tmp_path, target=ENGLISH)
    assert [(segment.language, segment.text) for segment in result.segments] == [("en", text) for text in SAID]


def test_a_fixed_source_language_is_not_detected(demo_folder: Path, jfk_path: Path, tmp_path: Path) -> None:
    # The demo Whisper detects English; told the speech is German, batch takes German for every segment.
    recognizer = SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1))
    pipeline = Pipeline(recognizer, TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")))
    result = translated(pipeline, jfk_path, tmp_path, target=find_language("fr"), source=GERMAN)
    assert result.source_language == "de" and result.language_probability is None
    assert result.segments and {segment.language for segment in result.segments} == {"de"}


def test_an_unsure_window_is_detected_stretch_by_stretch(demo_folder: Path, jfk_path: Path) -> None:
    recognizer = SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1))
    audio = read_audio(jfk_path)
    chunks = [SpeechChunk(start, audio[start : start + 3 * SAMPLE_RATE]) for start in (0, 4 * SAMPLE_RATE)]
    window = Window.of(chunks)
    guess = recognizer.detect_language(window)
    assert guess.probability < CONFIDENT_LANGUAGE  # the demo model is never sure
    # Both stretches are English, so they stay one part, whole, in order.
    (part,) = recognizer.language_parts(window)
    assert part.language == ENGLISH and part.window.chunks == window.chunks
    np.testing.assert_array_equal(part.window.audio, window.audio)
    # A stretch guessed unsurely keeps the language spoken before the window.
    (kept,) = recognizer.language_parts(window, previous=GERMAN)
    assert kept.language == GERMAN and kept.probability == pytest.approx(guess.probability, abs=0.05)


def test_the_subtitles_say_where_the_language_changes() -> None:
    segments = (
        Segment(0, 0.5, 3.0, "Where is the station?", "Où est la gare ?", -0.2, 0.01, language="en"),
        Segment(1, 3.5, 5.0, "Thank you.", "Merci.", -0.2, 0.01, language="en"),
        Segment(2, 66.12, 70.0, "Guten Morgen.", "Bonjour.", -0.3, 0.02, language="de"),
    )
    result = FileResult(Path("talk.wav"), 70.0, "en", 0.9, "fr", segments, {}, StageTimes(), demo=False)
    vtt = render(result, "vtt", translated=True)
    note = "NOTE The language spoken changes: English (en) from 00:00:00.500, German (de) from 00:01:06.120."
    assert vtt.startswith(f"WEBVTT\n\n{note}\n\n")
    assert "Bonjour." in vtt and "-->" not in note
    assert "NOTE" not in render(result, "srt", translated=True)
    assert [each["language"] for each in json.loads(render(result, "json", translated=True))["segments"]] == [
        "en",
        "en",
        "de",
    ]
