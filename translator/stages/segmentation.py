"""Speech segmentation on a stream, with the Silero VAD that faster-whisper ships.

`SpeechSegmenter` takes 16 kHz audio block by block and yields each stretch of speech as soon as the
silence after it is long enough, so nothing waits for the end of the input. `RecognitionWindows`
packs consecutive stretches into windows of at most 30 s (Whisper's input size) and remembers where
each piece came from, so one encoder pass serves several short utterances and times map back to
the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from faster_whisper.vad import get_vad_model

from translator.audio.files import SAMPLE_RATE

VAD_WINDOW = 512  # samples per Silero VAD decision at 16 kHz
_VAD_CONTEXT = 64  # samples of the previous window Silero v6 sees with each window
_MIN_PAUSE = SAMPLE_RATE * 98 // 1000  # a pause this long is a fair place to split an overlong stretch


@dataclass(frozen=True)
class SegmenterSettings:
    """How speech is told from silence.

    threshold: Silero speech probability at or above which a window is speech.
    min_silence_ms: silence that ends a stretch of speech.
    min_speech_ms: shorter stretches are dropped as clicks and breaths.
    max_speech_s: a stretch is cut at this length even without a pause.
    speech_pad_ms: audio kept on each side of a stretch so the first and last syllables survive.
    """

    threshold: float = 0.5
    min_silence_ms: int = 700
    min_speech_ms: int = 250
    max_speech_s: float = 29.0
    speech_pad_ms: int = 300


@dataclass(frozen=True)
class SpeechChunk:
    """A stretch of speech: its audio and the sample where it starts in the source."""

    start_sample: int
    audio: np.ndarray

    @property
    def start(self) -> float:
        return self.start_sample / SAMPLE_RATE

    @property
    def end(self) -> float:
        return (self.start_sample + len(self.audio)) / SAMPLE_RATE


class SileroVad:
    """Silero VAD run incrementally: the recurrent state and context carry over between calls, so
    probabilities match a single pass over the whole stream."""

    def __init__(self) -> None:
        self._session = get_vad_model().session
        self._state_h = np.zeros((1, 1, 128), np.float32)
        self._state_c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_VAD_CONTEXT, np.float32)
        self._leftover = np.zeros(0, np.float32)

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Speech probability of each complete 512-sample window in `audio` (plus any leftover)."""
        audio = np.concatenate([self._leftover, audio.astype(np.float32, copy=False)])
        count = len(audio) // VAD_WINDOW
        self._leftover = audio[count * VAD_WINDOW :]
        if count == 0:
            return np.zeros(0, np.float32)
        windows = audio[: count * VAD_WINDOW].reshape(count, VAD_WINDOW)
        contexts = np.concatenate([self._context[None, :], windows[:-1, -_VAD_CONTEXT:]])
        self._context = windows[-1, -_VAD_CONTEXT:].copy()
        output, self._state_h, self._state_c = self._session.run(
            None,
            {"input": np.concatenate([contexts, windows], axis=1), "h": self._state_h, "c": self._state_c},
        )
        probabilities: np.ndarray = output.reshape(-1)
        return probabilities


class SpeechSegmenter:
    """Turns a stream of 16 kHz blocks into `SpeechChunk`s as their ends are confirmed."""

    def __init__(self, settings: SegmenterSettings = SegmenterSettings()) -> None:
        self.settings = settings
        self._vad = SileroVad()
        self._off_threshold = max(settings.threshold - 0.15, 0.01)
        self._pad = settings.speech_pad_ms * SAMPLE_RATE // 1000
        self._min_silence = settings.min_silence_ms * SAMPLE_RATE // 1000
        self._min_speech = settings.min_speech_ms * SAMPLE_RATE // 1000
        self._max_speech = int(settings.max_speech_s * SAMPLE_RATE) - 2 * self._pad
        # Audio kept from sample `_buffer_start` on: the current stretch and the padding before it.
        self._buffer: list[np.ndarray] = []
        self._buffer_start = 0
        self._received = 0
        self._decided = 0  # samples the VAD has judged
        self._speech_start: int | None = None
        self._silence_start: int | None = None
        self._last_pause: tuple[int, int] | None = None  # the latest short pause inside the open stretch
        self._last_end = 0

    def push(self, block: np.ndarray) -> Iterator[SpeechChunk]:
        """Feed one block; yield the stretches of speech it completes."""
        self._buffer.append(block)
        self._received += len(block)
        for probability in self._vad.probabilities(block):
            position = self._decided
            self._decided += VAD_WINDOW
            yield from self._step(float(probability), position)
        if self._speech_start is None:
            # Only audio the VAD has judged can be dropped: speech may start in the rest.
            self._trim(self._decided - self._pad)

    def flush(self) -> Iterator[SpeechChunk]:
        """End of stream: yield the stretch still open, if any."""
        if self._speech_start is not None:
            end = self._silence_start if self._silence_start is not None else self._received
            yield from self._emit(self._speech_start, end)
            self._close()

    def _step(self, probability: float, position: int) -> Iterator[SpeechChunk]:
        end = position + VAD_WINDOW
        if probability >= self.settings.threshold:
            if self._silence_start is not None and position - self._silence_start >= _MIN_PAUSE:
                self._last_pause = (self._silence_start, position)
            self._silence_start = None
            if self._speech_start is None:
                self._speech_start = position
        elif self._speech_start is not None:
            if probability < self._off_threshold and self._silence_start is None:
                self._silence_start = position
            if self._silence_start is not None and end - self._silence_start >= self._min_silence:
                yield from self._emit(self._speech_start, self._silence_start)
                self._close()
                return
        if self._speech_start is not None and end - self._speech_start > self._max_speech:
            yield from self._cut(end)

    def _cut(self, end: int) -> Iterator[SpeechChunk]:
        """Split a stretch that reached the maximum length: in the pause it is in, else at its last
        short pause, else right here."""
        assert self._speech_start is not None
        if self._silence_start is not None:
            yield from self._emit(self._speech_start, self._silence_start)
            self._close()
        elif self._last_pause is not None:
            pause_start, pause_end = self._last_pause
            yield from self._emit(self._speech_start, pause_start)
            self._speech_start, self._last_pause = pause_end, None
        else:
            yield from self._emit(self._speech_start, end, pad_end=False)
            self._speech_start = end

    def _close(self) -> None:
        self._speech_start = self._silence_start = self._last_pause = None

    def _emit(self, start: int, end: int, pad_end: bool = True) -> Iterator[SpeechChunk]:
        if end - start < self._min_speech:
            return
        padded_start = max(start - self._pad, self._last_end, self._buffer_start)
        padded_end = min(end + self._pad, self._received) if pad_end else end
        audio = np.concatenate(self._buffer)[padded_start - self._buffer_start : padded_end - self._buffer_start]
        self._last_end = padded_end
        self._trim(padded_end)
        yield SpeechChunk(padded_start, audio.copy())

    def _trim(self, keep_from: int) -> None:
        keep_from = max(keep_from, self._buffer_start)
        if keep_from == self._buffer_start or not self._buffer:
            return
        joined = np.concatenate(self._buffer)
        self._buffer = [joined[keep_from - self._buffer_start :]]
        self._buffer_start = keep_from


@dataclass(frozen=True)
class Window:
    """Up to 30 s of speech for one recognition pass, and the source position of each piece."""

    chunks: tuple[SpeechChunk, ...]
    audio: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, chunks: Sequence[SpeechChunk]) -> Window:
        """The window holding `chunks`, one after another."""
        return cls(tuple(chunks), np.concatenate([chunk.audio for chunk in chunks]))

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def source_end(self) -> float:
        return self.chunks[-1].end

    def to_source_time(self, time: float, is_end: bool = False) -> float:
        """Map a time inside the window to the source: `is_end` keeps a boundary in the earlier piece."""
        time = min(max(time, 0.0), self.duration)
        offset = 0.0
        for index, chunk in enumerate(self.chunks):
            length = len(chunk.audio) / SAMPLE_RATE
            last = index == len(self.chunks) - 1
            if time < offset + length or (is_end and time <= offset + length) or last:
                return chunk.start + min(time - offset, length)
            offset += length
        raise AssertionError("unreachable: the last chunk always answers")


def pack_windows(chunks: Iterable[SpeechChunk], max_seconds: float = 30.0) -> Iterator[Window]:
    """Group consecutive chunks into windows no longer than `max_seconds`."""
    limit = int(max_seconds * SAMPLE_RATE)
    group: list[SpeechChunk] = []
    size = 0
    for chunk in chunks:
        if group and size + len(chunk.audio) > limit:
            yield Window.of(group)
            group, size = [], 0
        group.append(chunk)
        size += len(chunk.audio)
    if group:
        yield Window.of(group)
