"""The thread plumbing batch and live share: stage threads joined by bounded queues, one stop, one error.

A `Workers` group runs each stage in a named thread. Stages hand work on through `StageQueue`s, whose
blocking `put` and `get` wake as soon as the group stops, so no stage polls. A stage that has nothing
more to send puts `END`, and the stage reading that queue ends when it gets it. The first stage to fail
stops the others: its traceback is logged, and a `StageError` naming it becomes the group's error and
is handed to the owner's `on_failure`. `stop()` sets the flag, wakes every waiter and joins the threads
within a timeout.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, Literal, TypeVar

from translator.errors import StageError, TranslatorError
from translator.files import interrupts_deferred

logger = logging.getLogger(__name__)
T = TypeVar("T")
Stage = tuple[str, Callable[[], None]]  # a stage's name and the work its thread does


class _End(enum.Enum):
    END = "end"


END: Final = _End.END  # put by a stage that has nothing more to send; `get` also returns it once the group stops
End = Literal[_End.END]


class StageQueue(Generic[T]):
    """A bounded queue between two stages of one `Workers` group.

    `put` waits while the queue is full and `get` while it is empty; both return at once when the group
    stops (`put` then drops the item and answers False, `get` answers `END`).
    """

    def __init__(self, maxsize: int, stopping: threading.Event) -> None:
        self._items: deque[T | End] = deque()
        self._maxsize = maxsize
        self._stopping = stopping
        self._changed = threading.Condition()

    def put(self, item: T | End) -> bool:
        """Queue `item`, waiting for room; False (the item dropped) when the group has stopped."""
        with self._changed:
            while len(self._items) >= self._maxsize and not self._stopping.is_set():
                self._changed.wait()
            if self._stopping.is_set():
                return False
            self._items.append(item)
            self._changed.notify_all()
            return True

    def get(self) -> T | End:
        """The next item, waiting for one; `END` when the sending stage has finished or the group stopped."""
        with self._changed:
            while not self._items and not self._stopping.is_set():
                self._changed.wait()
            if self._stopping.is_set():
                return END
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def take_ready(self, limit: int) -> list[T]:
        """Up to `limit` items already queued, without waiting; an `END` is left for the next `get`."""
        taken: list[T] = []
        with self._changed:
            while len(taken) < limit and self._items and not self._stopping.is_set():
                item = self._items[0]
                if item is END:
                    break
                self._items.popleft()
                taken.append(item)
            if taken:
                self._changed.notify_all()
        return taken

    def qsize(self) -> int:
        """How many items wait (for statistics; it may change at once)."""
        with self._changed:
            return len(self._items)

    def wake(self) -> None:
        """Wake every waiter so it sees that the group stopped."""
        with self._changed:
            self._changed.notify_all()


class Workers:
    """A group of stage threads sharing one stop flag and one error; the first stage to fail stops them all.

    label: prefixes the thread names ("live" gives "live-capture").
    on_failure: called once, from the failing stage's thread, with the first stage's error.
    subject: what the group works on, for log lines (a file's path); the label when not given.
    """

    def __init__(
        self, label: str, on_failure: Callable[[StageError], None] = lambda error: None, subject: str | None = None
    ) -> None:
        self.label = label
        self.subject = subject or label
        self.error: TranslatorError | None = None
        self._on_failure = on_failure
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._queues: list[StageQueue[Any]] = []
        self._conditions: list[threading.Condition] = []
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._ended = threading.Condition(self._lock)

    @property
    def stopping(self) -> bool:
        """Whether the group was told to stop (a stage failed, or `abort` or `stop` was called)."""
        return self._stopping.is_set()

    def queue(self, maxsize: int) -> StageQueue[T]:
        """A bounded queue whose waiters this group wakes when it stops."""
        created: StageQueue[T] = StageQueue(maxsize, self._stopping)
        with self._lock:
            self._queues.append(created)
        return created

    def wake_on_stop(self, condition: threading.Condition) -> None:
        """Notify `condition` when the group stops, for a stage that waits on it rather than on a queue."""
        with self._lock:
            self._conditions.append(condition)

    def start(self, stages: Sequence[Stage]) -> None:
        """Start one daemon thread per stage, named `label-stage`; a Ctrl+C meanwhile comes once all have started."""
        threads = [
            threading.Thread(target=self._run, args=stage, name=f"{self.label}-{stage[0]}", daemon=True)
            for stage in stages
        ]
        with interrupts_deferred():  # Ctrl+C waits until all have started, so `stop` has every one to join
            with self._lock:
                self._threads += threads
                self._running += len(threads)
            for thread in threads:
                thread.start()

    def _run(self, stage: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # a failing stage stops the group with an error naming it; never silently
            logger.exception("%s: the %s stage failed", self.subject, stage)
            failure = StageError(stage, error)
            failure.__cause__ = error  # so the owner can tell, say, a full disk from a model's failure
            if self.abort(failure):
                self._on_failure(failure)
        finally:
            with self._ended:
                self._running -= 1
                self._ended.notify_all()

    def abort(self, error: TranslatorError) -> bool:
        """Stop every stage because of `error`; True when it is the first error (it becomes `self.error`)."""
        with self._lock:
            first = self.error is None
            if first:
                self.error = error
        self._request_stop()
        return first

    def _request_stop(self) -> None:
        self._stopping.set()
        with self._lock:
            queues, conditions = list(self._queues), list(self._conditions)
        for waiting in queues:
            waiting.wake()
        for condition in conditions:
            with condition:
                condition.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every stage has returned; False if `timeout` seconds passed first."""
        with self._ended:
            return self._ended.wait_for(lambda: self._running == 0, timeout)

    def stop(self, timeout: float) -> bool:
        """Stop every stage and join the threads, all within `timeout` seconds; True when all have ended."""
        self._request_stop()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)
