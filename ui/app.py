"""`translator gui` and `translator-gui`: start the window, with every failure shown in it, not as a traceback."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from translator import __version__
from translator.cli.options import missing_settings_message
from translator.config import AppConfig, load_config
from translator.errors import TranslatorError
from translator.models.store import default_models_dir
from translator.paths import default_config_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

logger = logging.getLogger(__name__)
# Ctrl+C in the terminal that started the window, a stop from a script or service manager, a closed terminal.
STOP_SIGNALS = tuple(signal.Signals[name] for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
APP_NAME = "Offline Speech Translator"
DESKTOP_ID = "io.github.offline_speech_translator"


def display_problem() -> str | None:
    """Why no window can open here, or None. Qt itself would abort with a terse message."""
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no display: start the app from a desktop session (DISPLAY and WAYLAND_DISPLAY are unset)"
    return None


def run(arguments: argparse.Namespace) -> int:
    """Open the window and run until it closes; returns the exit status."""
    problem = display_problem()
    if problem:
        print(f"translator: error: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from ui.main_window import MainWindow
        from ui.settings import SettingsStore, default_settings_path
    except ImportError as error:
        print(
            f"translator: error: the window cannot start ({error}): reinstall with ./scripts/setup.sh, "
            "or on Debian/Ubuntu: sudo apt install libegl1 libxkbcommon0 libxcb-cursor0",
            file=sys.stderr,
        )
        return 2
    try:  # the window's model store opens there: a wrong place is the same one line as on the command line
        default_models_dir()
    except TranslatorError as error:
        print(f"translator: error: {error}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)  # this process never makes a QCoreApplication of its own
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_ID)
    seed, seed_problem = _seed_config(arguments.config)
    window = MainWindow(SettingsStore(arguments.settings or default_settings_path()), seed)

    def show_unexpected(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        # An error no code path expected: logged in full, shown as one line, and the window goes on.
        logger.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, error, trace)))
        window.show_unexpected_error(f"unexpected {kind.__name__}: {error} (details in the log; please report it)")

    sys.excepthook = show_unexpected
    if seed_problem:
        window.banner.show_error(seed_problem)
    window.show()
    if arguments.check:  # open, draw once, close: proves an installed app can start
        QTimer.singleShot(0, window.close)
    restore_signals = close_on_stop_signals(window)
    try:
        return int(app.exec())
    finally:
        restore_signals()


def close_on_stop_signals(window: QWidget) -> Callable[[], None]:
    """Close `window` as its close button does (it saves the settings and stops any session or batch) on Ctrl+C,
    SIGTERM or SIGHUP; returns what puts the previous handlers back.

    Python runs a signal's handler only between its own instructions, and Qt's event loop may wait in C++ for
    long: the signal's number, written to a socket (`signal.set_wakeup_fd`), wakes the loop, and the handler
    queues the close rather than running it inside whatever code the signal interrupted."""
    from PySide6.QtCore import QSocketNotifier, QTimer

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_wakeup = signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, window)

    def drain() -> None:  # the bytes only wake the loop; the handler does the work
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)

    def close(signum: int, frame: FrameType | None) -> None:
        QTimer.singleShot(0, window.close)

    # A signal the app was started ignoring (`nohup`) stays ignored.
    previous = {
        signum: signal.signal(signum, close) for signum in STOP_SIGNALS if signal.getsignal(signum) != signal.SIG_IGN
    }

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        signal.set_wakeup_fd(previous_wakeup)
        notifier.setEnabled(False)
        reader.close()
        writer.close()

    return restore


def _seed_config(path: Path | None) -> tuple[AppConfig | None, str | None]:
    chosen = path or default_config_path()
    if path is None and not chosen.is_file():
        return None, None
    if path is not None and not path.exists():
        return None, missing_settings_message(path)
    try:
        return load_config(chosen), None
    except TranslatorError as error:
        return None, str(error)


def command_line(argv: Sequence[str] | None = None) -> int:
    """The `translator` command: the core's command line, with `translator gui` opening the window."""
    from translator.cli import main as cli_main

    return cli_main(argv, open_window=run)


def main(argv: Sequence[str] | None = None) -> int:
    """The `translator-gui` launcher: the same as `translator gui`."""
    return command_line(["gui", *(sys.argv[1:] if argv is None else argv)])
