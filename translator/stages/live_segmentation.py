"""Live speech cut into utterances, step by step: started, paused (silence began), resumed, ended.

The pause lets recognition start before the end of speech is confirmed; push-to-talk replaces the VAD
with the speaker's own marks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from translator.audio.files import SAMPLE_RATE
from translator.stages.segmentation import VAD_WINDOW, SileroVad


@dataclass(frozen=True)
class LiveSegmenterSettings:
    """How live speech is cut into utterances.

    min_silence_ms: silence that ends an utterance.
    pause_ms: silence after which the utterance so far is frozen so its final recognition can start
        before the end is confirmed (must be below min_silence_ms to hide any of the wait). The cut is
        where the final's audio ends too, so a shorter pause clips word endings the VAD already calls
        silence: on real speech (`python -m bench.speculation`, docs/speculation.md) two or one 32 ms VAD
        windows (64 or 32 ms) spoke 90 and 170 ms sooner at p50 (731 ms at 100) but turned jfk's
        "Americans" into "america" and "American" in every run.
    preroll_ms: audio kept before the detected start, so the first syllable is not cut.
    max_utterance_s: an utterance is cut at this length even if the speaker never pauses.
    threshold: Silero speech probability at or above which a window is speech.
    """

    min_silence_ms: int = 400
    pause_ms: int = 100
    preroll_ms: int = 200
    max_utterance_s: float = 15.0
    threshold: float = 0.5


@dataclass(frozen=True)
class UtteranceStarted:
    utterance: int
    sample: int  # stream position of the first sample of the utterance (preroll included)


@dataclass(frozen=True)
class UtterancePaused:
    """Silence began: `audio` is the utterance as it stands; it becomes final unless speech resumes."""

    utterance: int
    audio: np.ndarray = field(repr=False)
    speech_end_sample: int


@dataclass(frozen=True)
class UtteranceResumed:
    utterance: int


@dataclass(frozen=True)
class UtteranceEnded:
    """The end is confirmed (or forced by the length limit or push-to-talk): `audio` is final."""

    utterance: int
    audio: np.ndarray = field(repr=False)
    start_sample: int
    speech_end_sample: int
    forced: bool = False


SegmentEvent = UtteranceStarted | UtterancePaused | UtteranceResumed | UtteranceEnded


class LiveSegmenter:
    """Cuts a live 16 kHz stream into utterances with Silero VAD, reporting each step as it happens.

    With `push_to_talk`, the VAD is not used: `press()` and `release()` mark the start and end.
    """

    def __init__(self, settings: LiveSegmenterSettings = LiveSegmenterSettings(), push_to_talk: bool = False) -> None:
        self.settings = settings
        self.push_to_talk = push_to_talk
        self._vad = SileroVad()
        self._off_threshold = max(settings.threshold - 0.15, 0.01)
        self._preroll = settings.preroll_ms * SAMPLE_RATE // 1000
        self._pause = settings.pause_ms * SAMPLE_RATE // 1000
        self._min_silence = settings.min_silence_ms * SAMPLE_RATE // 1000
        self._max_length = int(settings.max_utterance_s * SAMPLE_RATE)
        self._received = 0
        self._decided = 0
        self._recent: list[np.ndarray] = []  # audio before any utterance, for the preroll
        self._recent_start = 0
        self._audio: list[np.ndarray] = []  # the open utterance
        self._start: int | None = None  # stream position where the open utterance's audio begins
        self._silence_start: int | None = None
        self._paused = False
        self._next_id = 0
        self._pressed = False

    @property
    def position(self) -> int:
        """Samples received so far."""
        return self._received

    def press(self) -> list[SegmentEvent]:
        """Push-to-talk: an utterance starts now (with the preroll)."""
        self._pressed = True
        # The preroll catches the syllable of a speaker who pressed a moment late.
        return [self._open(max(self._received - self._preroll, 0))] if self._start is None else []

    def release(self) -> list[SegmentEvent]:
        """Push-to-talk: the open utterance ends now."""
        self._pressed = False
        if self._start is None:
            return []
        return [self._close(self._received, forced=True)]

    def finish(self) -> list[SegmentEvent]:
        """End of stream: close the open utterance (at its pause, if silence had begun)."""
        if self._start is None:
            return []
        if self._paused and self._silence_start is not None:
            return [self._close(self._silence_start + self._pause)]
        return [self._close(self._received, forced=True)]

    @property
    def in_silence(self) -> bool:
        """Whether the open utterance's speaker has gone quiet (it may be ending)."""
        return self._start is not None and self._silence_start is not None

    def open_audio(self) -> np.ndarray | None:
        """A copy of the open utterance's audio so far, or None between utterances."""
        if self._start is None:
            return None
        return np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)

    def push(self, block: np.ndarray) -> list[SegmentEvent]:
        """Feed one block; returns what it caused, in order."""
        events: list[SegmentEvent] = []
        self._received += len(block)
        if self._start is None:
            self._recent.append(block)
        else:
            self._audio.append(block)
        if self.push_to_talk:
            if self._start is not None and self._received - self._start >= self._max_length:
                events.append(self._close(self._received, forced=True))
                if self._pressed:
                    events.append(self._open(self._received))
            self._trim_recent()
            return events
        for probability in self._vad.probabilities(block):
            position = self._decided
            self._decided += VAD_WINDOW
            events.extend(self._step(float(probability), position))
        self._trim_recent()
        return events

    def _step(self, probability: float, position: int) -> list[SegmentEvent]:
        end = position + VAD_WINDOW
        if probability >= self.settings.threshold:
            events: list[SegmentEvent] = []
            if self._start is None:
                events.append(self._open(max(position - self._preroll, 0)))
            elif self._paused:
                self._paused = False
                events.append(UtteranceResumed(self._next_id - 1))
            self._silence_start = None
            if self._start is not None and end - self._start >= self._max_length:
                events.append(self._close(end, forced=True))
                events.append(self._open(end))
            return events
        if self._start is None:
            return []
        if probability < self._off_threshold and self._silence_start is None:
            self._silence_start = position
        if self._silence_start is None:
            return []
        silence = end - self._silence_start
        if silence >= self._min_silence:
            return [self._close(self._silence_start + self._pause)]
        if silence >= self._pause and not self._paused:
            self._paused = True
            cut = self._silence_start + self._pause
            return [UtterancePaused(self._next_id - 1, self._take(cut), self._silence_start)]
        return []

    def _open(self, start: int) -> UtteranceStarted:
        """Begin an utterance whose audio starts at stream position `start` (inside the recent audio)."""
        recent = np.concatenate(self._recent) if self._recent else np.zeros(0, np.float32)
        offset = max(start - self._recent_start, 0)
        self._audio = [recent[offset:]]
        self._start = self._recent_start + offset
        self._recent, self._recent_start = [], self._received
        self._silence_start, self._paused = None, False
        self._next_id += 1
        return UtteranceStarted(self._next_id - 1, self._start)

    def _close(self, cut: int, forced: bool = False) -> UtteranceEnded:
        assert self._start is not None
        audio = self._take(cut)
        speech_end = self._silence_start if self._silence_start is not None and not forced else cut
        event = UtteranceEnded(self._next_id - 1, audio, self._start, speech_end, forced)
        # What came after the cut is recent audio again: it may hold the next utterance's preroll.
        joined = np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
        self._recent = [joined[cut - self._start :]]
        self._recent_start = cut
        self._audio, self._start, self._silence_start, self._paused = [], None, None, False
        return event

    def _take(self, cut: int) -> np.ndarray:
        """The open utterance's audio up to stream position `cut`."""
        assert self._start is not None
        joined = np.concatenate(self._audio)
        self._audio = [joined]
        cut_audio: np.ndarray = joined[: max(cut - self._start, 0)].copy()
        return cut_audio

    def _trim_recent(self) -> None:
        if self._start is not None or not self._recent:
            return
        joined = np.concatenate(self._recent)
        keep = min(len(joined), self._preroll + VAD_WINDOW)  # the preroll plus the window being judged
        self._recent = [joined[len(joined) - keep :]]
        self._recent_start = self._received - keep
