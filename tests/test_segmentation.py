"""Tests for translator.stages.segmentation: streamed Silero VAD, speech chunks and recognition windows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

from translator.audio.files import SAMPLE_RATE, AudioFile, read_audio
from translator.stages.segmentation import (
    VAD_WINDOW,
    SegmenterSettings,
    SileroVad,
    SpeechChunk,
    SpeechSegmenter,
    pack_windows,
)


def segment(blocks: Iterable[np.ndarray], settings: SegmenterSettings = SegmenterSettings()) -> list[SpeechChunk]:
    """Every chunk the segmenter yields for `blocks`, the ones `flush` gives included."""
    segmenter = SpeechSegmenter(settings)
    chunks = [chunk for block in blocks for chunk in segmenter.push(block)]
    chunks.extend(segmenter.flush())
    return chunks


def in_blocks(audio: np.ndarray, size: int) -> list[np.ndarray]:
    return [audio[i : i + size] for i in range(0, len(audio), size)]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def chunk(start_sample: int, samples: int, value: float = 0.0) -> SpeechChunk:
    return SpeechChunk(start_sample, np.full(samples, value, np.float32))


@pytest.fixture(scope="module")
def jfk_audio(jfk_path: Path) -> np.ndarray:
    return read_audio(jfk_path)


def speech_bounds(audio: np.ndarray) -> tuple[float, float]:
    """First and last audible sample of `audio`, in seconds."""
    audible = np.flatnonzero(np.abs(audio) > 1e-3)
    return audible[0] / SAMPLE_RATE, (audible[-1] + 1) / SAMPLE_RATE


# --- SpeechSegmenter on real speech ----------------------------------------------------------------------------


def test_jfk_streamed_matches_faster_whisper_timestamps(jfk_path: Path, jfk_audio: np.ndarray) -> None:
    settings = SegmenterSettings()
    chunks = segment(AudioFile(jfk_path).blocks(), settings)
    reference = get_speech_timestamps(
        jfk_audio,
        VadOptions(
            threshold=settings.threshold,
            min_silence_duration_ms=settings.min_silence_ms,
            min_speech_duration_ms=settings.min_speech_ms,
            max_speech_duration_s=settings.max_speech_s,
            speech_pad_ms=settings.speech_pad_ms,
        ),
    )

    assert len(reference) >= 2  # JFK pauses between phrases
    assert len(chunks) == len(reference)
    for ours, theirs in zip(chunks, reference):
        assert ours.start == pytest.approx(theirs["start"] / SAMPLE_RATE, abs=0.1)
        # faster-whisper keeps trailing silence shorter than min_silence at the very end; we may end earlier.
        assert ours.end == pytest.approx(theirs["end"] / SAMPLE_RATE, abs=0.35)
    for earlier, later in zip(chunks, chunks[1:]):
        assert earlier.end <= later.start
    assert chunks[-1].end <= len(jfk_audio) / SAMPLE_RATE


def test_chunk_audio_is_the_source_audio(jfk_path: Path, jfk_audio: np.ndarray) -> None:
    for piece in segment(AudioFile(jfk_path).blocks()):
        expected = jfk_audio[piece.start_sample : piece.start_sample + len(piece.audio)]
        np.testing.assert_array_equal(piece.audio, expected)
        assert piece.end == pytest.approx(piece.start + len(piece.audio) / SAMPLE_RATE)


@pytest.mark.parametrize("size", [1000, 777, VAD_WINDOW, 16000])
def test_incremental_probabilities_equal_one_pass(jfk_audio: np.ndarray, size: int) -> None:
    padded = np.pad(jfk_audio, (0, VAD_WINDOW - len(jfk_audio) % VAD_WINDOW))
    one_pass = get_vad_model()(padded.copy()).reshape(-1)  # the model zeroes part of its input in place

    vad = SileroVad()
    streamed = np.concatenate([vad.probabilities(block) for block in in_blocks(jfk_audio, size)])

    complete = len(jfk_audio) // VAD_WINDOW
    assert len(streamed) == complete
    np.testing.assert_allclose(streamed, one_pass[:complete], atol=1e-4)
    assert streamed.max() > 0.9 and streamed.min() < 0.1  # real speech and real pauses were judged


def test_probabilities_of_short_blocks_wait_for_a_full_window() -> None:
    vad = SileroVad()
    assert vad.probabilities(np.zeros(VAD_WINDOW - 1, np.float32)).shape == (0,)
    assert vad.probabilities(np.zeros(1, np.float32)).shape == (1,)


# --- Silence and synthetic speech --------------------------------------------------------------------------------


def test_digital_silence_gives_no_chunks() -> None:
    assert segment(in_blocks(silence(6.0), 8000)) == []


def test_low_white_noise_gives_no_chunks() -> None:
    noise = (np.random.default_rng(0).standard_normal(6 * SAMPLE_RATE) * 0.005).astype(np.float32)
    assert segment(in_blocks(noise, 8000)) == []


def test_speech_between_silences_is_one_chunk_at_the_speech(speech_like: np.ndarray) -> None:
    audio = np.concatenate([silence(2.0), speech_like, silence(2.0)])
    first, last = speech_bounds(speech_like)

    chunks = segment(in_blocks(audio, 8000))

    assert len(chunks) == 1
    assert chunks[0].start == pytest.approx(2.0 + first, abs=0.4)
    assert chunks[0].end == pytest.approx(2.0 + last, abs=0.4)


def test_long_speech_without_pause_is_cut_at_max_speech(speech_like: np.ndarray) -> None:
    repeats = int(np.ceil(8 * SAMPLE_RATE / len(speech_like)))
    audio = np.tile(speech_like, repeats)[: 8 * SAMPLE_RATE]
    settings = SegmenterSettings(max_speech_s=3)

    chunks = segment(in_blocks(audio, 4000), settings)

    assert len(chunks) >= 3
    for piece in chunks:
        assert len(piece.audio) <= settings.max_speech_s * SAMPLE_RATE
    # The cuts lose nothing and repeat nothing: consecutive pieces touch.
    for earlier, later in zip(chunks, chunks[1:]):
        assert earlier.start_sample + len(earlier.audio) == later.start_sample
    assert chunks[0].start < 0.5
    assert chunks[-1].end > 7.5


def test_real_speech_chunks_never_exceed_max_speech(jfk_audio: np.ndarray) -> None:
    settings = SegmenterSettings(max_speech_s=3)
    chunks = segment(in_blocks(jfk_audio, 8000), settings)
    assert len(chunks) >= 3
    assert max(len(piece.audio) for piece in chunks) <= settings.max_speech_s * SAMPLE_RATE


def test_chunks_do_not_depend_on_block_size(jfk_audio: np.ndarray) -> None:
    reference = [(piece.start_sample, len(piece.audio)) for piece in segment(in_blocks(jfk_audio, VAD_WINDOW))]
    for size in (777, 1000):
        assert [(piece.start_sample, len(piece.audio)) for piece in segment(in_blocks(jfk_audio, size))] == reference


def test_min_silence_decides_whether_a_pause_splits(speech_like: np.ndarray) -> None:
    audio = np.concatenate([silence(1.0), speech_like, silence(1.5), speech_like, silence(1.0)])
    blocks = in_blocks(audio, 8000)
    second_starts = 1.0 + len(speech_like) / SAMPLE_RATE + 1.5

    split = segment(blocks)  # default min_silence_ms=700
    joined = segment(blocks, SegmenterSettings(min_silence_ms=2000))

    assert len(split) == 2
    assert split[0].end < second_starts < split[1].end
    assert split[1].start == pytest.approx(second_starts, abs=0.4)
    assert len(joined) == 1
    assert joined[0].start == pytest.approx(split[0].start, abs=0.05)
    assert joined[0].end == pytest.approx(split[1].end, abs=0.05)


def test_short_click_is_dropped_by_min_speech(speech_like: np.ndarray) -> None:
    click = speech_like[: int(0.5 * SAMPLE_RATE)]
    audio = np.concatenate([silence(1.0), click, silence(2.0)])
    assert len(segment(in_blocks(audio, 8000))) == 1
    assert segment(in_blocks(audio, 8000), SegmenterSettings(min_speech_ms=1000)) == []


def test_flush_yields_speech_still_open_at_the_end(speech_like: np.ndarray) -> None:
    audio = np.concatenate([silence(1.0), speech_like])
    segmenter = SpeechSegmenter()
    pushed = [piece for block in in_blocks(audio, 8000) for piece in segmenter.push(block)]
    flushed = list(segmenter.flush())

    assert pushed == []
    assert len(flushed) == 1
    assert flushed[0].end == pytest.approx(len(audio) / SAMPLE_RATE, abs=0.05)
    assert list(segmenter.flush()) == []


# --- pack_windows and Window.to_source_time ----------------------------------------------------------------------


def test_pack_windows_respects_max_seconds_and_order() -> None:
    chunks = [chunk(i * 5 * SAMPLE_RATE, (1 + i % 3) * SAMPLE_RATE, value=i) for i in range(8)]  # 1, 2, 3 s long

    windows = list(pack_windows(chunks, max_seconds=4.0))

    assert all(window.duration <= 4.0 for window in windows)
    assert [id(piece) for window in windows for piece in window.chunks] == [id(piece) for piece in chunks]
    # Greedy: 1+2 | 3+1 | 2 (2+3 > 4) | 3+1 | 2
    assert [len(window.chunks) for window in windows] == [2, 2, 1, 2, 1]
    for window in windows:
        np.testing.assert_array_equal(window.audio, np.concatenate([piece.audio for piece in window.chunks]))
        assert window.source_end == window.chunks[-1].end


def test_pack_windows_default_fills_thirty_seconds() -> None:
    chunks = [chunk(i * 20 * SAMPLE_RATE, 10 * SAMPLE_RATE) for i in range(4)]
    windows = list(pack_windows(chunks))
    assert [len(window.chunks) for window in windows] == [3, 1]
    assert windows[0].duration == 30.0


def test_pack_windows_of_nothing_is_nothing() -> None:
    assert list(pack_windows([])) == []


def test_to_source_time_maps_each_piece_to_its_source() -> None:
    first = chunk(10 * SAMPLE_RATE, 2 * SAMPLE_RATE)  # source 10-12 s, window 0-2 s
    second = chunk(50 * SAMPLE_RATE, 3 * SAMPLE_RATE)  # source 50-53 s, window 2-5 s
    (window,) = pack_windows([first, second])

    assert window.duration == 5.0
    assert window.to_source_time(0.0) == 10.0
    assert window.to_source_time(1.5) == 11.5
    assert window.to_source_time(2.5) == 50.5  # inside the 2nd piece: its own source start
    assert window.to_source_time(4.0, is_end=True) == 52.0
    # The boundary: a start belongs to the later piece, an end to the earlier one.
    assert window.to_source_time(2.0) == 50.0
    assert window.to_source_time(2.0, is_end=True) == 12.0
    # Beyond the window: clamped.
    assert window.to_source_time(-1.0) == 10.0
    assert window.to_source_time(7.0) == 53.0
    assert window.to_source_time(7.0, is_end=True) == 53.0
