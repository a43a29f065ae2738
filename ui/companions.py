"""What keeps the live session at hand beside the main window: the captions window, the tray icon and
push-to-talk from any application, wired to the window's live controller and Live tab."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow

from ui.bridge import CoreBridge
from ui.captions_window import CaptionsWindow
from ui.global_shortcut import GlobalShortcut, platform_problem
from ui.live_view import LiveView
from ui.sessions import LiveController, State
from ui.settings import SettingsStore
from ui.settings_view import SettingsView
from ui.tray import LiveTray

logger = logging.getLogger(__name__)

_MESSAGE_MS = 15_000
IN_WINDOW_FALLBACK = "F2 works in this window"


class LiveCompanions(QObject):
    """The captions window, the tray icon and the global push-to-talk shortcut of one main window.

    The shortcut listens only while a push-to-talk session runs; where it cannot, the status bar and the
    Settings tab say why in one line, and the window's own F2 goes on working.
    """

    def __init__(
        self,
        window: QMainWindow,
        settings: SettingsStore,
        bridge: CoreBridge,
        live: LiveController,
        live_view: LiveView,
        settings_view: SettingsView,
        start: Callable[[], None],
        demo_in_use: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self._window, self._live, self._live_view, self._settings_view = window, live, live_view, settings_view
        self._start = start
        self.captions = CaptionsWindow(settings)
        self.captions.follow(bridge)
        bridge.live_started.connect(lambda source, sink: self.captions.set_demo(demo_in_use()))
        live_view.captions_requested.connect(self.show_captions)

        self.tray = LiveTray(self)
        self.tray.start_requested.connect(self._start_from_tray)
        self.tray.stop_requested.connect(live.stop)
        self.tray.show_requested.connect(self.show_window)
        self.tray.captions_requested.connect(self.show_captions)
        self.tray.quit_requested.connect(window.close)
        live.state_changed.connect(self.tray.show_state)
        live.failed.connect(self._failed)
        live_view.talk_pressed.connect(lambda: self.tray.show_talking(True))
        live_view.talk_released.connect(lambda: self.tray.show_talking(False))

        self.shortcut = GlobalShortcut(self)
        self.shortcut.pressed.connect(lambda: self._talk(True))
        self.shortcut.released.connect(lambda: self._talk(False))
        live.state_changed.connect(self._listen_while_talking)
        problem = platform_problem()
        settings_view.global_talk_note.setText(
            f"Not available here: {problem}; {IN_WINDOW_FALLBACK}."
            if problem
            else "Works while another application has focus, during a session with Push to talk on."
        )

    def show_captions(self) -> None:
        self.captions.show()
        self.captions.raise_()
        self.captions.activateWindow()

    def show_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

    def _start_from_tray(self) -> None:
        self._start()
        if self._live.state is State.IDLE:  # it could not start: the window says why
            self.show_window()

    def _failed(self, message: str) -> None:
        if not self._window.isActiveWindow():
            self.tray.notify(message)

    def _talk(self, talking: bool) -> None:
        # Through the Talk button, so the window shows it and the session hears it exactly as with F2.
        talk = self._live_view.talk
        if talk.isEnabled() and talk.isChecked() != talking:
            talk.setChecked(talking)

    def _listen_while_talking(self, state: str) -> None:
        if state != State.RUNNING.value:
            self.shortcut.stop()
            return
        sequence = self._settings_view.global_talk_sequence()
        if not (self._live_view.push_to_talk.isChecked() and sequence):
            return
        problem = self.shortcut.start(sequence)
        if problem:
            message = f"Push to talk from other applications is off: {problem}; {IN_WINDOW_FALLBACK}."
            logger.info(message)
            self._settings_view.global_talk_note.setText(message)
            self._window.statusBar().showMessage(message, _MESSAGE_MS)
        else:
            self._window.statusBar().showMessage(f"Hold {sequence} to talk, in any application.", _MESSAGE_MS)

    def save_settings(self) -> None:
        self.captions.save_settings()

    def shutdown(self) -> None:
        """Close the captions window, stop listening to the keyboard and take the icon out of the tray."""
        self.captions.close()
        self.shortcut.stop()
        self.tray.hide()
