"""Latency as a fact about each utterance: when each thing happened, and what follows from it.

Times are `time.monotonic()` seconds. Speech end is when the speaker stopped (the start of the
silence the VAD then waited out), so speech-to-speech latency includes that wait. Work may run ahead of
the confirmed end: recognition, translation and the first piece of synthesis can all start while the VAD
still waits (a speculative chain); the timeline keeps their real times, and its `hidden_*` figures say how
much of each the wait hid.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

STAGES = ("end_wait", "recognition", "translation", "queue_wait", "synthesis", "playback_wait", "speech_to_speech")
HIDDEN = ("hidden_wait", "hidden_work", "held")  # what ran ahead of the confirmed end, kept in the rolling figures
# The fields each working stage runs between (synthesis: to the first audio, when playback can start).
_WORK_SPANS = {
    "recognition": ("recognition_start", "recognition_end"),
    "translation": ("translation_start", "translation_end"),
    "synthesis": ("synthesis_start", "first_audio"),
}


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
    first_queued: float | None = None  # the first audio handed to the sink (later than first_audio when held)
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

    def hidden(self, stage: str) -> float | None:
        """How much of a working stage ("recognition", "translation", or "synthesis" to the first audio) ran
        while the VAD was still waiting, so the listener never waited for it; the rest came after the end."""
        start: float | None = getattr(self, _WORK_SPANS[stage][0])
        end: float | None = getattr(self, _WORK_SPANS[stage][1])
        if start is None or end is None or self.end_confirmed is None:
            return None
        return max(0.0, min(end, self.end_confirmed) - start)

    @property
    def hidden_wait(self) -> float | None:
        """Recognition time that ran while the VAD was still waiting: the part of the wait it hid."""
        return self.hidden("recognition")

    @property
    def hidden_work(self) -> float | None:
        """Recognition, translation and synthesis (to the first audio) that ran while the VAD was still
        waiting: the part of the chain the wait hid (recognition alone when nothing more ran ahead)."""
        known = [part for part in map(self.hidden, _WORK_SPANS) if part is not None]
        return sum(known) if known else None

    @property
    def held(self) -> float | None:
        """How long the first audio was ready before it was handed to the sink: made ahead, it waits for the
        end of speech to be confirmed (about zero when synthesis ran after the end)."""
        return self._span(self.first_audio, self.first_queued)

    @property
    def translation(self) -> float | None:
        return self._span(self.translation_start, self.translation_end)

    @property
    def synthesis(self) -> float | None:
        """Time to the first piece of audio (a sentence, or a long sentence's first clause): playback can
        start then."""
        return self._span(self.synthesis_start, self.first_audio)

    def _after_end(self, start: float | None, end: float | None) -> float | None:
        """How much of the span from `start` to `end` came after the end of speech was confirmed."""
        if start is None or end is None:
            return None
        return max(0.0, end - max(start, self.end_confirmed or start))

    @property
    def queue_wait(self) -> float | None:
        """Time spent after the end of speech waiting between stages (recognition to translation to synthesis
        to the sink). Work that ran ahead of the confirmed end waited for the VAD, not for a queue: only the
        part of each wait after the end counts."""
        waits = [
            self._after_end(self.recognition_end, self.translation_start),
            self._after_end(self.translation_end, self.synthesis_start),
            self._after_end(self.first_audio, self.first_queued),
        ]
        known = [w for w in waits if w is not None]
        return sum(known) if known else None

    @property
    def handed_to_sink(self) -> float | None:
        """When the first audio reached the sink: `first_queued`, or `first_audio` where it was not held."""
        return self.first_queued or self.first_audio

    @property
    def playback_wait(self) -> float | None:
        """From the first audio handed to the sink to its first sample at the speaker."""
        return self._span(self.handed_to_sink, self.first_played)

    @property
    def speech_to_speech(self) -> float | None:
        """End of speech to the first translated sound: the latency a user feels."""
        return self._span(self.speech_end, self.first_played)

    def stage_seconds(self) -> dict[str, float | None]:
        """Every figure of `STAGES` and `HIDDEN`, by name."""
        return {name: getattr(self, name) for name in STAGES + HIDDEN}


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
