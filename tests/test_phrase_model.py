"""Tests for the phrase Whisper model (translator.models.demo.phrases): real speech in, the right phrase out.

The model is loaded by faster-whisper's real `WhisperModel` through `SpeechRecognizer`, and fed what
the project feeds it: espeak-ng speech cut by `SpeechSegmenter`. The test voice and speed are ones the
model never heard in training.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from translator.audio.files import SAMPLE_RATE, read_audio
from translator.languages import find_language
from translator.models.demo import phrases
from translator.models.demo.phrases import PHRASES, phrase_whisper, speak_phrase
from translator.models.folders import DEMO_MARKER
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SegmenterSettings, SpeechChunk, SpeechSegmenter, Window, pack_windows

ENGLISH = find_language("en")
# A voice variant and speed absent from scripts/train_phrase_model.py's training speech.
TEST_VOICE = "en-us+m7"
TEST_SPEED = 165

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (apt install espeak-ng): it speaks the phrases",
)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return phrase_whisper(tmp_path_factory.mktemp("phrase-whisper"))


@pytest.fixture(scope="module")
def recognizer(model_folder: Path) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(model_folder, beam_size=1))


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """Each phrase as 16 kHz speech in the test voice."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng): it speaks the phrases")
    folder = tmp_path_factory.mktemp("spoken")
    return {
        text: read_audio(speak_phrase(text, folder / f"{index}.wav", voice=TEST_VOICE, speed=TEST_SPEED))
        for index, text in enumerate(PHRASES)
    }


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def speech_chunks(audio: np.ndarray, settings: SegmenterSettings = SegmenterSettings()) -> list[SpeechChunk]:
    """Cut `audio` into stretches of speech as the live and batch pipelines do, in 0.5 s blocks."""
    segmenter = SpeechSegmenter(settings)
    block = SAMPLE_RATE // 2
    chunks = [chunk for start in range(0, len(audio), block) for chunk in segmenter.push(audio[start : start + block])]
    chunks.extend(segmenter.flush())
    return chunks


def transcribe(recognizer: SpeechRecognizer, windows: list[Window]) -> list[str]:
    """Every window's segments in order, with the previous text as a prompt, as the batch pipeline does."""
    texts: list[str] = []
    for window in windows:
        for segment in recognizer.transcribe(window, ENGLISH, " ".join(texts)):
            texts.append(segment.text)
    return texts


def test_phrases_are_distinct() -> None:
    assert len(PHRASES) == 6
    words = [word.strip(",.?").casefold() for phrase in PHRASES for word in phrase.split()]
    assert len(words) == len(set(words)), "the phrases share a word"


def test_folder_holds_a_loadable_marked_model(model_folder: Path, recognizer: SpeechRecognizer) -> None:
    for name in ("model.bin", "config.json", "vocabulary.json", "preprocessor_config.json", "tokenizer.json"):
        assert (model_folder / name).is_file(), name
    assert "scripts/train_phrase_model.py" in (model_folder / DEMO_MARKER).read_text()
    assert recognizer.is_demo
    assert recognizer.compute.device == "cpu"
    assert (phrases.SHIPPED_MODEL / "model.bin").stat().st_size < 8_000_000


def test_missing_shipped_model_names_the_training_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phrases, "SHIPPED_MODEL", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="scripts/train_phrase_model.py"):
        phrase_whisper(tmp_path / "model")


def test_speak_phrase_without_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phrases.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt install espeak-ng"):
        speak_phrase(PHRASES[0], tmp_path / "out.wav")


@needs_espeak
@pytest.mark.parametrize("text", PHRASES)
def test_each_phrase_is_transcribed_exactly(
    text: str, recognizer: SpeechRecognizer, spoken: dict[str, np.ndarray]
) -> None:
    audio = np.concatenate([silence(0.8), spoken[text], silence(0.8)])
    chunks = speech_chunks(audio)
    assert len(chunks) == 1
    windows = list(pack_windows(chunks))

    segments = [segment for window in windows for segment in recognizer.transcribe(window, ENGLISH)]

    assert [segment.text for segment in segments] == [text]
    (segment,) = segments
    assert chunks[0].start <= segment.start < segment.end <= chunks[0].end
    assert segment.no_speech_prob < 0.5


@needs_espeak
def test_language_is_detected_as_english(recognizer: SpeechRecognizer, spoken: dict[str, np.ndarray]) -> None:
    (chunk,) = speech_chunks(np.concatenate([silence(0.5), spoken[PHRASES[1]], silence(0.8)]))
    guess = recognizer.detect_language(Window((chunk,), chunk.audio))
    assert guess.language == ENGLISH
    assert guess.probability > 0.9


def test_silence_gives_nothing(recognizer: SpeechRecognizer) -> None:
    rng = np.random.default_rng(0)
    quiet = (rng.standard_normal(3 * SAMPLE_RATE) * 1e-3).astype(np.float32)
    assert speech_chunks(silence(3.0)) == []
    assert speech_chunks(quiet) == []
    # Even a window of silence handed straight to the recognizer yields no text.
    for audio in (silence(1.0), quiet[:SAMPLE_RATE]):
        window = Window((SpeechChunk(0, audio),), audio)
        assert list(recognizer.transcribe(window, ENGLISH)) == []


@needs_espeak
def test_three_phrases_in_order_one_window_each(recognizer: SpeechRecognizer, spoken: dict[str, np.ndarray]) -> None:
    said = [PHRASES[2], PHRASES[0], PHRASES[5]]
    audio = np.concatenate(
        [silence(0.5), spoken[said[0]], silence(1.0), spoken[said[1]], silence(1.0), spoken[said[2]], silence(0.8)]
    )
    chunks = speech_chunks(audio, SegmenterSettings(min_silence_ms=300))
    assert len(chunks) == 3
    windows = [Window((chunk,), chunk.audio) for chunk in chunks]

    segments = []
    for window in windows:
        previous = " ".join(segment.text for segment in segments)
        segments.extend(recognizer.transcribe(window, ENGLISH, previous))

    assert [segment.text for segment in segments] == said
    for segment, chunk in zip(segments, chunks):
        assert chunk.start <= segment.start < segment.end <= chunk.end


@needs_espeak
def test_a_phrase_said_twice_is_transcribed_twice(recognizer: SpeechRecognizer, spoken: dict[str, np.ndarray]) -> None:
    text = PHRASES[4]
    audio = np.concatenate([silence(0.5), spoken[text], silence(1.0), spoken[text], silence(0.8)])
    chunks = speech_chunks(audio, SegmenterSettings(min_silence_ms=300))
    assert len(chunks) == 2
    assert transcribe(recognizer, [Window((chunk,), chunk.audio) for chunk in chunks]) == [text, text]
