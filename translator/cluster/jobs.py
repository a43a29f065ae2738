"""The files of a cluster batch waiting for a worker: a file whose worker was lost comes back to the front."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from translator.pipeline.inputs import InputFile


@dataclass
class Job:
    """One input of the batch: its place in the inputs, its outputs, its length, and how often it was started."""

    index: int
    item: InputFile
    paths: dict[str, Path]
    duration: float
    attempts: int = 0


class JobQueue:
    """Files waiting for a worker. A file whose worker was lost comes back to the front; `take` waits while
    files are still being translated elsewhere, since one of them may come back."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._pending = deque(jobs)
        self._unfinished = len(jobs)
        self._stopped = False
        self._changed = threading.Condition()

    def take(self) -> Job | None:
        with self._changed:
            while not self._pending and self._unfinished > 0 and not self._stopped:
                self._changed.wait()
            return None if self._stopped or not self._pending else self._pending.popleft()

    def retry(self, job: Job) -> None:
        with self._changed:
            self._pending.appendleft(job)
            self._changed.notify_all()

    def done(self) -> None:
        with self._changed:
            self._unfinished -= 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def left(self) -> list[Job]:
        with self._changed:
            return list(self._pending)
