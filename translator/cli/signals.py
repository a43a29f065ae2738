"""SIGTERM and SIGHUP stop the command as Ctrl+C does, and none of them cuts a file's outputs in two.

Scripts and service managers stop a program with SIGTERM (a background job from a shell ignores Ctrl+C), and
closing its terminal sends SIGHUP. While `stop_signals_as_interrupts()` is active, either raises `Terminated`, a
KeyboardInterrupt, in the main thread, so every path that finishes cleanly on Ctrl+C (a live session writes
its recording, a batch removes the temporaries of the file in progress) does so on these too. The first one
raises; the rest are ignored, so a repeated SIGTERM cannot cut that cleaning-up short. While a file's outputs
move into place (`translator.files.interrupts_deferred`), any of these, Ctrl+C included, waits for the end.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from translator.cli.exit_codes import EXIT_INTERRUPTED
from translator.files import defer_interrupt

# SIGHUP does not exist on Windows.
STOP_SIGNALS = tuple(signal.Signals[name] for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(KeyboardInterrupt):
    """A stop signal (SIGTERM or SIGHUP) arrived; handled wherever Ctrl+C is."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        self.exit_status = 128 + signum  # as the shell reports a program the signal ended
        super().__init__(f"stopped by {self.signal_name}")


def stopped_by(interrupt: KeyboardInterrupt) -> str:
    """How the run was stopped, for its one line: "interrupted" (Ctrl+C) or "stopped by SIGTERM"."""
    return str(interrupt) if isinstance(interrupt, Terminated) else "interrupted"


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """The exit status after `interrupt`: 130 for Ctrl+C, 128 + the signal's number for the others."""
    return interrupt.exit_status if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def _raise_unless_deferred(interrupt: KeyboardInterrupt) -> None:
    # Moving a file's outputs into place is not cut in two: the interrupt waits for the end of it.
    if not defer_interrupt(interrupt):
        raise interrupt


@contextlib.contextmanager
def stop_signals_as_interrupts() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `Terminated` in the main thread (the first one; later ones are
    ignored), and Ctrl+C KeyboardInterrupt as before, each held back while outputs move into place; the previous
    handlers come back on leaving. A signal this process was started ignoring (`nohup`, a background job) stays
    ignored. Outside the main thread, where Python cannot take signals, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = threading.Event()

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            _raise_unless_deferred(Terminated(signum))

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        _raise_unless_deferred(KeyboardInterrupt())

    handlers = {signum: raise_terminated for signum in STOP_SIGNALS if signal.getsignal(signum) == signal.SIG_DFL}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        handlers[signal.SIGINT] = raise_interrupt
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: not set from Python
