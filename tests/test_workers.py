"""The stage plumbing batch and live share: named threads, bounded queues that wake on stop, END, the
guard that logs a failing stage and names it, and stop within a timeout."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from translator.errors import StageError, TranslatorError
from translator.pipeline.workers import END, StageQueue, Workers

DEADLINE = 5.0  # seconds: far longer than any of these should take


def test_stages_run_in_named_threads_and_end_passes_down_the_line() -> None:
    workers = Workers("test")
    numbers: StageQueue[int] = workers.queue(2)  # smaller than what is sent: put waits for the reader
    received: list[int] = []
    names: list[str] = []

    def produce() -> None:
        names.append(threading.current_thread().name)
        for number in range(10):
            assert numbers.put(number)
        numbers.put(END)

    def consume() -> None:
        names.append(threading.current_thread().name)
        while (number := numbers.get()) is not END:
            received.append(number)

    workers.start([("produce", produce), ("consume", consume)])
    assert workers.wait(DEADLINE), "END did not end the reading stage"
    assert received == list(range(10))
    assert sorted(names) == ["test-consume", "test-produce"]
    assert workers.error is None and not workers.stopping


def test_take_ready_takes_what_is_queued_and_leaves_end_for_get() -> None:
    workers = Workers("test")
    items: StageQueue[str] = workers.queue(8)
    for item in ("a", "b", "c"):
        items.put(item)
    items.put(END)
    assert items.take_ready(2) == ["a", "b"]
    assert items.take_ready(5) == ["c"]
    assert items.take_ready(5) == []
    assert items.get() is END


def test_a_failing_stage_stops_the_others_logs_its_traceback_and_names_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[StageError] = []
    workers = Workers("test", on_failure=failures.append)
    never_fed: StageQueue[int] = workers.queue(1)
    waiting = threading.Event()
    outcome: list[object] = []

    def broken() -> None:
        assert waiting.wait(DEADLINE)
        raise RuntimeError("model crashed")

    def patient() -> None:
        waiting.set()
        outcome.append(never_fed.get())  # nothing ever comes: only the stop ends this wait

    with caplog.at_level(logging.ERROR, logger="translator.pipeline.workers"):
        workers.start([("recognition", broken), ("translation", patient)])
        assert workers.wait(DEADLINE), "the failure did not stop the other stage"
    assert outcome == [END]
    assert workers.stopping
    assert isinstance(workers.error, StageError) and workers.error.stage == "recognition"
    assert str(workers.error) == "recognition failed: RuntimeError: model crashed"
    assert failures == [workers.error]
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and "recognition" in logged[0].getMessage()
    assert isinstance(logged[0].exc_info[1], RuntimeError)  # type: ignore[index]


def test_only_the_first_error_counts() -> None:
    failures: list[StageError] = []
    workers = Workers("test", on_failure=failures.append)
    assert workers.abort(TranslatorError("cancelled"))

    def broken() -> None:
        raise RuntimeError("too late")

    workers.start([("synthesis", broken)])
    assert workers.wait(DEADLINE)
    assert str(workers.error) == "cancelled"
    assert failures == []  # the stage's error came second: it is logged, not published


def test_stop_wakes_a_blocked_put_and_a_blocked_get() -> None:
    workers = Workers("test")
    full: StageQueue[int] = workers.queue(1)
    empty: StageQueue[int] = workers.queue(1)
    full.put(0)
    outcomes: dict[str, object] = {}

    def writer() -> None:
        outcomes["put"] = full.put(1)

    def reader() -> None:
        outcomes["get"] = empty.get()

    workers.start([("writer", writer), ("reader", reader)])
    assert not workers.wait(0.3)  # both are blocked, and stay blocked until the stop
    started = time.monotonic()
    assert workers.stop(timeout=DEADLINE)
    assert time.monotonic() - started < 1.0
    assert outcomes == {"put": False, "get": END}
    assert workers.error is None


def test_stop_wakes_a_condition_a_stage_waits_on() -> None:
    workers = Workers("test")
    condition = threading.Condition()
    workers.wake_on_stop(condition)

    def waiter() -> None:
        with condition:
            condition.wait_for(lambda: workers.stopping)

    workers.start([("waiter", waiter)])
    assert not workers.wait(0.2)
    assert workers.stop(timeout=DEADLINE)


def test_stop_returns_within_its_timeout_when_a_stage_does_not_listen() -> None:
    workers = Workers("test")
    release = threading.Event()
    workers.start([("stubborn", lambda: release.wait(DEADLINE))])
    try:
        started = time.monotonic()
        assert workers.stop(timeout=0.3) is False
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
    assert workers.wait(DEADLINE)
