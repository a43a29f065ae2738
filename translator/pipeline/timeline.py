"""Latency as a fact about each utterance: when each thing happened, and what follows from it.

Times are `time.monotonic()` seconds. Speech end is when the speaker stopped (the start of the
silence the VAD then waited out), so speech-to-speech latency includes that wait.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

STAGES = ("end_wait", "recognition", "translation", "queue_wait", "synthesis", "playback_wait", "speech_to_speech")


@dataclass
class UtteranceTimeline:
    """Filled in stage by stage as the utterance moves through the pipeline; a field stays None
    when its step did not happen (synthesis skipped, no speaker)."""

    utterance: int
    speech_start: float | None = None
    speech_end: float | None = None
    end_confirmed: float | None = None
    recognition_start: float | None = None
    recognition_end: float | None = None
    translation_start: float | None = None
    translation_end: float | None = None
    synthesis_start: float | None = None
    first_audio: float | None = None
    synthesis_end: float | None = None
    first_played: float | None = None
    playback_end: float | None = None

    def _span(self, start: float | None, end: float | None) -> float | None:
        return None if start is None or end is None else end - start

    @property
    def end_wait(self) -> float | None:
        """How long the VAD waited in silence before calling the utterance finished."""
        return self._span(self.speech_end, self.end_confirmed)

    @property
    def recognition(self) -> float | None:
        return self._span(self.recognition_start, self.recognition_end)

    @property
    def hidden_wait(self) -> float | None:
        """Recognition time that ran while the VAD was still waiting: the part of the wait it hid."""
        if self.recognition_start is None or self.recognition_end is None or self.end_confirmed is None:
            return None
        return max(0.0, min(self.recognition_end, self.end_confirmed) - self.recognition_start)

    @property
    def translation(self) -> float | None:
        return self._span(self.translation_start, self.translation_end)

    @property
    def synthesis(self) -> float | None:
        """Time to the first sentence's audio: playback can start then."""
        return self._span(self.synthesis_start, self.first_audio)

    @property
    def queue_wait(self) -> float | None:
        """Time spent waiting between stages (recognition to translation to synthesis). A speculative
        final is ready before the end is confirmed; the rest of that wait is the VAD's, not a queue's."""
        ready = None if self.recognition_end is None else max(self.recognition_end, self.end_confirmed or 0.0)
        waits = [
            self._span(ready, self.translation_start),
            self._span(self.translation_end, self.synthesis_start),
        ]
        known = [w for w in waits if w is not None]
        return sum(known) if known else None

    @property
    def playback_wait(self) -> float | None:
        """From the first synthesised audio to its first sample at the speaker."""
        return self._span(self.first_audio, self.first_played)

    @property
    def speech_to_speech(self) -> float | None:
        """End of speech to the first translated sound: the latency a user feels."""
        return self._span(self.speech_end, self.first_played)

    def stage_seconds(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in STAGES}


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float
    count: int


@dataclass
class RollingStats:
    """p50 and p95 of each stage over the last `window` utterances."""

    window: int = 100
    _values: dict[str, deque[float]] = field(default_factory=dict)

    def add(self, timeline: UtteranceTimeline) -> None:
        for name, value in timeline.stage_seconds().items():
            if value is not None:
                self._values.setdefault(name, deque(maxlen=self.window)).append(value)

    def summary(self) -> dict[str, Percentiles]:
        return {
            name: Percentiles(float(np.percentile(values, 50)), float(np.percentile(values, 95)), len(values))
            for name, values in self._values.items()
            if values
        }
