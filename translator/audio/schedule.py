"""The speech a sink has queued, and the marks that say when each utterance is heard.

The player (an audio callback or a pacing thread) pulls samples from a `SpeechSchedule`, which notes when
an utterance's first and last samples reach the listener. Those facts travel through a queue to a
`MarkForwarder` thread, the only place the sink's mark listeners run, so the audio thread never waits
on user code.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

logger = logging.getLogger(__name__)
_MAX_MARK_DELAY = 1.0  # a mark is held until its time, but never longer than this
MarkFact = tuple[int, Literal["started", "finished"], float]  # a mark, as the player notes it


@dataclass(frozen=True)
class PlaybackMark:
    """When an utterance's first ("started") or last ("finished") sample reached the listener.

    `time` is on the `time.monotonic()` clock and includes the stream's output latency where PortAudio
    reports it.
    """

    utterance_id: int
    kind: Literal["started", "finished"]
    time: float


class SpeechSchedule:
    """The queued speech, shared by the caller's threads and the player; each method holds the lock briefly.

    Facts for marks, `(utterance_id, kind, time)`, go to `facts`. Every utterance named in
    `finish()` gets exactly one "finished" fact: when its last sample has played, at once if nothing of
    it is queued, or when `drop()` discards what is left (so a caller waiting for it is never stranded).
    """

    def __init__(self, rate: int, facts: queue.SimpleQueue[MarkFact | None]) -> None:
        self.rate = rate
        self._facts = facts
        self._lock = threading.Lock()
        self._chunks: deque[list[Any]] = deque()  # [utterance_id, samples, samples played, time queued]
        self._queued: dict[int, int] = {}  # samples not yet played, per utterance
        self._started: set[int] = set()
        self._finishing: set[int] = set()  # finish() called, samples still queued
        self._last_played: dict[int, float] = {}  # when each utterance's latest played sample ends
        self._playing_until = 0.0

    def add(self, utterance_id: int, samples: np.ndarray) -> None:
        if not len(samples):
            return
        with self._lock:
            self._chunks.append([utterance_id, samples, 0, time.monotonic()])
            self._queued[utterance_id] = self._queued.get(utterance_id, 0) + len(samples)

    def finish(self, utterance_id: int) -> None:
        with self._lock:
            if self._queued.get(utterance_id):
                self._finishing.add(utterance_id)
            else:
                self._finished(utterance_id, time.monotonic())

    def drop(self) -> int:
        """Discard everything not yet played; returns the number of samples dropped."""
        with self._lock:
            dropped: int = sum(len(chunk[1]) - chunk[2] for chunk in self._chunks)
            self._chunks.clear()
            now = time.monotonic()
            for utterance_id in list(self._queued):
                del self._queued[utterance_id]
                if utterance_id in self._finishing:
                    self._finishing.discard(utterance_id)
                    self._finished(utterance_id, now)
            return dropped

    def pull(self, out: np.ndarray, first_sample_time: float) -> None:
        """Fill `out` (zeros) with queued speech whose first sample is heard at `first_sample_time`."""
        with self._lock:
            filled = 0
            while filled < len(out) and self._chunks:
                chunk = self._chunks[0]
                utterance_id, samples, position, queued_at = chunk
                if position == 0:
                    # A late pull (a busy CPU) covers time already past: nothing is heard before it was queued.
                    filled = max(filled, min(len(out), math.ceil((queued_at - first_sample_time) * self.rate)))
                    if filled == len(out):
                        break
                count = min(len(out) - filled, len(samples) - position)
                out[filled : filled + count] = samples[position : position + count]
                if utterance_id not in self._started:
                    self._started.add(utterance_id)
                    self._facts.put((utterance_id, "started", first_sample_time + filled / self.rate))
                filled += count
                chunk[2] = position + count
                end = first_sample_time + filled / self.rate
                self._last_played[utterance_id] = end
                self._playing_until = end
                self._queued[utterance_id] -= count
                if chunk[2] == len(samples):
                    self._chunks.popleft()
                if not self._queued[utterance_id]:
                    del self._queued[utterance_id]
                    if utterance_id in self._finishing:
                        self._finishing.discard(utterance_id)
                        self._finished(utterance_id, end)

    def _finished(self, utterance_id: int, fallback: float) -> None:
        self._started.discard(utterance_id)
        self._facts.put((utterance_id, "finished", self._last_played.pop(utterance_id, fallback)))

    @property
    def busy(self) -> bool:
        return bool(self._chunks) or time.monotonic() < self._playing_until


class MarkForwarder:
    """A thread that hands marks to the listeners, each no earlier than the moment it describes."""

    def __init__(self) -> None:
        self.facts: queue.SimpleQueue[MarkFact | None] = queue.SimpleQueue()
        self._listeners: list[Callable[[PlaybackMark], None]] = []
        self._listeners_lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="playback-marks", daemon=True)

    def add_listener(self, listener: Callable[[PlaybackMark], None]) -> None:
        with self._listeners_lock:
            self._listeners.append(listener)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while (fact := self.facts.get()) is not None:
            mark = PlaybackMark(*fact)
            # The player notes a sample before the speaker plays it; waiting until then keeps `busy`
            # and the marks in agreement. On close, what is left is delivered without waiting.
            delay = mark.time - time.monotonic()
            if delay > 0:
                self._closing.wait(min(delay, _MAX_MARK_DELAY))
            with self._listeners_lock:
                listeners = list(self._listeners)
            for listener in listeners:
                try:
                    listener(mark)
                except Exception:  # a failing listener must not stop the marks that follow
                    logger.exception("playback mark listener failed for %s", mark)

    def close(self) -> None:
        """Deliver the marks already noted, then end the thread."""
        self._closing.set()
        self.facts.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
