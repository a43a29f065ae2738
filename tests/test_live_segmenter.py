"""The live segmenter: start, pause, resume and end events with preroll, limits and push-to-talk."""

from __future__ import annotations

import numpy as np
import pytest

from translator.audio.files import SAMPLE_RATE
from translator.stages.live_segmentation import (
    LiveSegmenter,
    LiveSegmenterSettings,
    UtteranceEnded,
    UtterancePaused,
    UtteranceResumed,
    UtteranceStarted,
)

BLOCK = 512


def feed(segmenter: LiveSegmenter, audio: np.ndarray) -> list[object]:
    events: list[object] = []
    for start in range(0, len(audio), BLOCK):
        events += segmenter.push(audio[start : start + BLOCK])
    return events


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


def test_one_utterance_with_preroll_pause_and_end(speech_like: np.ndarray) -> None:
    segmenter = LiveSegmenter(LiveSegmenterSettings(min_silence_ms=400, pause_ms=100, preroll_ms=200))
    events = feed(segmenter, np.concatenate([silence(1.0), speech_like, silence(1.0)]))
    kinds = [type(event) for event in events]
    assert kinds == [UtteranceStarted, UtterancePaused, UtteranceEnded]
    started, paused, ended = events
    assert isinstance(started, UtteranceStarted) and isinstance(paused, UtterancePaused)
    assert isinstance(ended, UtteranceEnded)
    # The preroll reaches back before the first speech the VAD saw.
    assert 0.6 <= started.sample / SAMPLE_RATE <= 1.0
    assert ended.start_sample == started.sample
    # The speculative snapshot is exactly the final audio, so its recognition can be reused.
    np.testing.assert_array_equal(paused.audio, ended.audio)
    speech_end = 1.0 + len(speech_like) / SAMPLE_RATE
    assert ended.speech_end_sample / SAMPLE_RATE == pytest.approx(speech_end, abs=0.35)
    assert not ended.forced


def test_a_short_pause_resumes_the_same_utterance(speech_like: np.ndarray) -> None:
    segmenter = LiveSegmenter(LiveSegmenterSettings(min_silence_ms=800, pause_ms=100))
    events = feed(segmenter, np.concatenate([speech_like, silence(0.4), speech_like, silence(1.2)]))
    kinds = [type(event) for event in events]
    assert kinds == [UtteranceStarted, UtterancePaused, UtteranceResumed, UtterancePaused, UtteranceEnded]
    ended = events[-1]
    assert isinstance(ended, UtteranceEnded)
    assert len(ended.audio) / SAMPLE_RATE > 2 * len(speech_like) / SAMPLE_RATE


def test_two_utterances_keep_their_order_and_ids(speech_like: np.ndarray) -> None:
    segmenter = LiveSegmenter(LiveSegmenterSettings(min_silence_ms=300))
    events = feed(segmenter, np.concatenate([speech_like, silence(1.0), speech_like, silence(1.0)]))
    ended = [event for event in events if isinstance(event, UtteranceEnded)]
    assert [event.utterance for event in ended] == [0, 1]
    assert ended[0].start_sample < ended[1].start_sample


def test_a_speaker_who_never_pauses_is_cut_at_the_limit(speech_like: np.ndarray) -> None:
    segmenter = LiveSegmenter(LiveSegmenterSettings(max_utterance_s=2.0))
    talk = np.concatenate([speech_like] * 4)
    events = feed(segmenter, talk) + segmenter.finish()
    ended = [event for event in events if isinstance(event, UtteranceEnded)]
    assert len(ended) >= 2
    assert all(len(event.audio) <= 2.0 * SAMPLE_RATE + BLOCK for event in ended)
    assert any(event.forced for event in ended)
    # Nothing is lost between the pieces.
    total = sum(len(event.audio) for event in ended)
    assert total >= len(talk) - 0.5 * SAMPLE_RATE


def test_silence_gives_nothing() -> None:
    segmenter = LiveSegmenter()
    assert feed(segmenter, silence(3.0)) == []
    assert segmenter.finish() == []


def test_push_to_talk_marks_start_and_end_without_the_vad() -> None:
    segmenter = LiveSegmenter(LiveSegmenterSettings(preroll_ms=200), push_to_talk=True)
    feed(segmenter, silence(1.0))
    started = segmenter.press()
    assert [type(event) for event in started] == [UtteranceStarted]
    assert feed(segmenter, silence(1.0)) == []  # silence does not end it
    ended = segmenter.release()
    assert len(ended) == 1 and isinstance(ended[0], UtteranceEnded) and ended[0].forced
    assert len(ended[0].audio) / SAMPLE_RATE == pytest.approx(1.2, abs=0.05)  # the second plus the preroll


def test_open_audio_grows_while_speaking(speech_like: np.ndarray) -> None:
    segmenter = LiveSegmenter()
    assert segmenter.open_audio() is None
    feed(segmenter, speech_like[:SAMPLE_RATE])
    first = segmenter.open_audio()
    feed(segmenter, speech_like[SAMPLE_RATE : 2 * SAMPLE_RATE])
    second = segmenter.open_audio()
    assert first is not None and second is not None and len(second) > len(first)
