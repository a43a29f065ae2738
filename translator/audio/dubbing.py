"""The translated speech track: each segment's speech placed at its source start time.

The track is as long as the input, so it can replace or sit beside a video's audio. Speech that would
run into the next segment is re-synthesised faster (Piper's length scale, so pitch is kept), up to a
bound; what still does not fit pushes the following segment later rather than being cut, except at
the end of the input, where the track stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from translator.audio.files import WavTrackWriter
from translator.stages.synthesis import SpeechAudio

DEFAULT_MAX_SPEEDUP = 1.35


@dataclass(frozen=True)
class Placement:
    """Where speech went in the track: from `start` to `end` seconds, at `speed` times its natural pace."""

    start: float
    speed: float
    end: float


class DubTrack:
    """Writes speech into a WAV track in source order, never holding more than one segment."""

    def __init__(self, writer: WavTrackWriter, max_speedup: float = DEFAULT_MAX_SPEEDUP) -> None:
        self._writer = writer
        self._max_speedup = max(max_speedup, 1.0)

    def place(self, start: float, slot_end: float, speak: Callable[[float], SpeechAudio]) -> Placement:
        """Put the speech `speak(speed)` at `start` (or after the speech before it), fitting it before
        `slot_end` by speeding it up within the bound."""
        rate = self._writer.sample_rate
        begin = max(round(start * rate), self._writer.samples_written)
        slot = slot_end - begin / rate
        speech, speed = speak(1.0), 1.0
        if speech.duration > slot:
            # Already late (slot <= 0, pushed back by the speech before): catch up as fast as allowed.
            speed = min(self._max_speedup, speech.duration / slot) if slot > 0 else self._max_speedup
            speech = speak(speed)
        return self.put(begin / rate, speech, speed)

    def put(self, start: float, speech: SpeechAudio, speed: float = 1.0) -> Placement:
        """Put speech already made (at `speed`) at `start`, or after the speech before it, as it is."""
        begin = max(round(start * self._writer.sample_rate), self._writer.samples_written)
        self._writer.write_silence(begin - self._writer.samples_written)
        self._writer.write(speech.samples)
        rate = self._writer.sample_rate
        return Placement(begin / rate, speed, (begin + len(speech.samples)) / rate)

    @property
    def position(self) -> float:
        """Seconds written so far: speech placed now starts here at the earliest."""
        return self._writer.samples_written / self._writer.sample_rate

    def finish(self, duration: float) -> None:
        """Make the track exactly `duration` seconds long and move it into place."""
        length = round(duration * self._writer.sample_rate)
        self._writer.write_silence(length - self._writer.samples_written)
        self._writer.commit(length)

    def abort(self) -> None:
        self._writer.abort()
