"""Tests for translator.stages.recognition with the demo Whisper model, loaded by the real faster-whisper."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from translator.audio.files import SAMPLE_RATE, AudioFile
from translator.errors import ModelError
from translator.languages import find_language
from translator.models.demo.whisper import DEMO_TRANSCRIPT, whisper_tokenizer
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, SpeechSegmenter, Window, pack_windows

ENGLISH = find_language("en")


@pytest.fixture(scope="module")
def recognizer(demo_folder: Path) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1))


@pytest.fixture(scope="module")
def jfk_chunks(jfk_path: Path) -> list[SpeechChunk]:
    segmenter = SpeechSegmenter()
    chunks = [chunk for block in AudioFile(jfk_path).blocks() for chunk in segmenter.push(block)]
    chunks.extend(segmenter.flush())
    assert len(chunks) >= 2
    return chunks


@pytest.fixture(scope="module")
def jfk_window(jfk_chunks: list[SpeechChunk]) -> Window:
    (window,) = pack_windows(jfk_chunks)
    return window


def test_demo_recognizer_loads_on_cpu(recognizer: SpeechRecognizer) -> None:
    assert recognizer.is_demo
    assert recognizer.name == "whisper-demo"
    assert recognizer.compute.device == "cpu"


def test_transcribes_jfk_window_with_source_times(recognizer: SpeechRecognizer, jfk_window: Window) -> None:
    segments = list(recognizer.transcribe(jfk_window, ENGLISH))

    assert [segment.text for segment in segments] == [DEMO_TRANSCRIPT]
    (segment,) = segments
    assert jfk_window.chunks[0].start <= segment.start < segment.end
    # Whisper's closing timestamp (29.98 s) runs past the audio: it is clamped to the window's last piece.
    assert segment.end == pytest.approx(jfk_window.source_end)
    assert segment.end <= 11.0
    assert segment.avg_logprob <= 0.0
    assert 0.0 <= segment.no_speech_prob <= 1.0
    assert segment.no_speech_prob < 0.5  # it is speech


def test_times_map_to_a_later_window_source_start(recognizer: SpeechRecognizer, jfk_chunks: list[SpeechChunk]) -> None:
    (window,) = pack_windows(jfk_chunks[1:])
    (segment,) = recognizer.transcribe(window, ENGLISH, previous_text="Earlier words.")
    assert segment.text == DEMO_TRANSCRIPT
    assert segment.start == pytest.approx(jfk_chunks[1].start)
    assert segment.end == pytest.approx(jfk_chunks[-1].end)


def test_detect_language_is_english_but_not_certain(recognizer: SpeechRecognizer, jfk_window: Window) -> None:
    guess = recognizer.detect_language(jfk_window)
    assert guess.language == ENGLISH
    assert 0.0 < guess.probability < 1.0
    assert guess.probability == pytest.approx(0.77, abs=0.05)


def test_language_whisper_cannot_recognise(recognizer: SpeechRecognizer, jfk_window: Window) -> None:
    asturian = find_language("ast")
    assert asturian.whisper is None
    with pytest.raises(ModelError, match="Asturian"):
        list(recognizer.transcribe(jfk_window, asturian))


def test_missing_model_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-whisper"
    with pytest.raises(ModelError) as error:
        SpeechRecognizer(RecognizerSettings(missing))
    assert str(missing) in str(error.value)
    assert "\n" not in str(error.value)


def test_folder_without_tokenizer(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "whisper-demo", tmp_path / "whisper")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="tokenizer.json") as error:
        SpeechRecognizer(RecognizerSettings(folder))
    assert "\n" not in str(error.value)


def test_folder_without_model_bin(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "whisper-demo", tmp_path / "whisper")
    (folder / "model.bin").unlink()
    with pytest.raises(ModelError, match="model.bin"):
        SpeechRecognizer(RecognizerSettings(folder))


@pytest.mark.parametrize("content", [b"not a model", None], ids=["garbage", "zero-filled"])
def test_corrupt_model_bin_is_a_model_error(demo_folder: Path, tmp_path: Path, content: bytes | None) -> None:
    folder = shutil.copytree(demo_folder / "whisper-demo", tmp_path / "whisper")
    model = folder / "model.bin"
    model.write_bytes(content if content is not None else b"\0" * model.stat().st_size)
    with pytest.raises(ModelError, match="cannot load the Whisper model"):
        SpeechRecognizer(RecognizerSettings(folder))


def test_whisper_tokenizer_round_trips_and_has_whisper_ids() -> None:
    tokenizer = whisper_tokenizer()
    text = " Grüß Gott, 日本語!"
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    assert len(ids) > 1
    assert tokenizer.decode(ids) == text

    assert tokenizer.get_vocab_size() == 51865
    expected = {
        "<|endoftext|>": 50257,
        "<|startoftranscript|>": 50258,
        "<|en|>": 50259,
        "<|translate|>": 50358,
        "<|transcribe|>": 50359,
        "<|notimestamps|>": 50363,
        "<|0.00|>": 50364,
        "<|30.00|>": 51864,
    }
    assert {token: tokenizer.token_to_id(token) for token in expected} == expected
    # Special tokens are single tokens, not spelled out.
    assert tokenizer.encode("<|en|>", add_special_tokens=False).ids == [50259]


def test_demo_model_loads_in_faster_whisper_directly(demo_folder: Path) -> None:
    model = WhisperModel(str(demo_folder / "whisper-demo"), device="cpu", compute_type="int8", local_files_only=True)
    silence = np.zeros(5 * SAMPLE_RATE, np.float32)

    segments, info = model.transcribe(silence, vad_filter=True)

    assert list(segments) == []
    assert info.duration == pytest.approx(5.0)
    assert info.duration_after_vad == 0.0


def test_faster_whisper_transcribes_jfk_with_its_own_vad(demo_folder: Path, jfk_path: Path) -> None:
    model = WhisperModel(str(demo_folder / "whisper-demo"), device="cpu", compute_type="int8", local_files_only=True)
    segments, info = model.transcribe(str(jfk_path), vad_filter=True, beam_size=1)
    assert [segment.text.strip() for segment in segments] == [DEMO_TRANSCRIPT]
    assert info.language == "en"
