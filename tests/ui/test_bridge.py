"""The bridge over a long session: thousands of signals must leave the interpreter's shared objects intact.

PySide6 6.12.0's `emit()` returns True without taking a reference to it. Before Python 3.12 every emit
lost one, and a live session, which emits an input level about 30 times a second, aborted the app
(`bool_dealloc`) within minutes. pyproject.toml excludes that release; these tests catch any like it.
"""

from __future__ import annotations

import gc
import sys
import threading

from translator.errors import Remedy, TranslatorError
from translator.pipeline.live_events import InputLevel
from ui.bridge import Background, CoreBridge, describe_error

EVENTS = 3000
JOBS = 1000


def bool_references() -> tuple[int, int]:
    gc.collect()
    return sys.getrefcount(True), sys.getrefcount(False)


def assert_references_kept(before: tuple[int, int], emits: int) -> None:
    # Other tests' objects come and go meanwhile, so the counts drift a little; a leak loses one per emit.
    after = bool_references()
    assert all(then - now < emits // 5 for now, then in zip(after, before)), (
        f"references to True/False went from {before} to {after}: this PySide6 loses them on emit(); "
        "install another release (pip install 'PySide6-Essentials!=6.12.0')"
    )


def test_input_levels_from_a_worker_reach_the_meter_without_losing_references(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = CoreBridge()
    received: list[tuple[float, bool]] = []
    bridge.input_level.connect(lambda rms, gated: received.append((rms, gated)))
    before = bool_references()

    def capture() -> None:
        for number in range(EVENTS):
            bridge.on_live_event(InputLevel(rms=number / EVENTS, gated=number % 3 == 0))

    worker = threading.Thread(target=capture)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(received) == EVENTS, timeout=10_000)
    assert received[:4] == [(0.0, True), (1 / EVENTS, False), (2 / EVENTS, False), (3 / EVENTS, True)]
    received.clear()
    assert_references_kept(before, EVENTS)


def test_background_results_reach_the_gui_thread_without_losing_references(qtbot) -> None:  # type: ignore[no-untyped-def]
    background = Background()
    results: list[bool] = []
    before = bool_references()
    for number in range(JOBS):
        background.run("flag", lambda number=number: number % 2 == 0, results.append, print)
        background.wait(5)
    qtbot.waitUntil(lambda: len(results) == JOBS, timeout=10_000)
    assert results[:3] == [True, False, True]
    results.clear()
    assert_references_kept(before, JOBS)


def test_the_window_words_the_cores_remedies_without_command_line_options() -> None:
    unknown = TranslatorError("no audio input device matches 'Studio Mic'", remedy=Remedy.LIST_DEVICES)
    assert describe_error(unknown) == (
        "no audio input device matches 'Studio Mic': choose one from the Live tab's device lists "
        "(the refresh button finds new ones)"
    )
    # The Live tab takes input from a file too: the remedy names that control, never the option.
    no_microphone = TranslatorError("no audio input device found: connect a microphone", remedy=Remedy.INPUT_FROM_FILE)
    assert describe_error(no_microphone) == (
        "no audio input device found: connect a microphone, or play an audio file as the input "
        "(File… beside the Live tab's input)"
    )
    # Every remedy the core has is worded without a command-line option.
    for remedy in Remedy:
        assert "--" not in describe_error(TranslatorError("something failed", remedy=remedy))
