"""The system tray icon: live translation started and stopped, and its state seen, while the window is hidden.

The menu exists whether or not the desktop has a tray; only the icon is left out where there is none (a
line in the log says so), so nothing else depends on it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.sessions import State

logger = logging.getLogger(__name__)

APP_NAME = "Offline Speech Translator"
STATE_TEXT = {
    State.IDLE: "Stopped",
    State.LOADING: "Loading models…",
    State.RUNNING: "Listening",
    State.STOPPING: "Stopping…",
}
TALKING_TEXT = "Talking (push-to-talk held)"
# The dot in the icon's corner: grey stopped, amber busy, green listening, red while push-to-talk is held.
_DOT = {State.IDLE: "#9e9e9e", State.LOADING: "#f0a30a", State.RUNNING: "#2e9e44", State.STOPPING: "#f0a30a"}
_TALKING_DOT = "#d32f2f"
_ICON_SIZE = 64


class LiveTray(QObject):
    """The tray's icon and menu: Start, Stop, the session's state, Show the window, Captions window, Quit."""

    start_requested = Signal()
    stop_requested = Signal()
    show_requested = Signal()
    captions_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = State.IDLE
        self._talking = False
        self.menu = QMenu()
        self.state_action = self.menu.addAction(STATE_TEXT[State.IDLE])
        self.state_action.setEnabled(False)  # a line of information, not a command
        self.menu.addSeparator()
        self.start_action = self.menu.addAction("Start live translation", self.start_requested.emit)
        self.stop_action = self.menu.addAction("Stop", self.stop_requested.emit)
        self.menu.addSeparator()
        self.menu.addAction("Show the window", self.show_requested.emit)
        self.menu.addAction("Captions window", self.captions_requested.emit)
        self.menu.addSeparator()
        self.menu.addAction("Quit", self.quit_requested.emit)
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(self)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
        else:
            logger.info("this desktop has no system tray: the window runs without its tray icon")
        self.show_state(State.IDLE.value)
        if self.icon is not None:
            self.icon.show()

    def show_state(self, state: str) -> None:
        """Enable Start or Stop as the session allows, and show the state in the menu, tooltip and icon."""
        self._state = State(state)
        self.start_action.setEnabled(self._state is State.IDLE)
        self.stop_action.setEnabled(self._state in (State.LOADING, State.RUNNING))
        if self._state is not State.RUNNING:
            self._talking = False
        self._update()

    def show_talking(self, talking: bool) -> None:
        self._talking = talking and self._state is State.RUNNING
        self._update()

    def state_text(self) -> str:
        return TALKING_TEXT if self._talking else STATE_TEXT[self._state]

    def notify(self, message: str) -> None:
        """A desktop notification from the tray (where there is one): for failures while the window is hidden."""
        if self.icon is not None and self.icon.supportsMessages():
            self.icon.showMessage(APP_NAME, message, QSystemTrayIcon.MessageIcon.Warning)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()

    def _update(self) -> None:
        text = self.state_text()
        self.state_action.setText(text)
        if self.icon is not None:
            self.icon.setToolTip(f"{APP_NAME}: {text.lower()}")
            self.icon.setIcon(state_icon(_TALKING_DOT if self._talking else _DOT[self._state]))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:  # a plain click: the menu is the right click
            self.show_requested.emit()


def state_icon(dot: str) -> QIcon:
    """The app's tray icon drawn here (no image file to ship): a speech bubble with a dot of the state's colour."""
    pixmap = QPixmap(_ICON_SIZE, _ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1565c0"))
    painter.drawRoundedRect(4, 6, 56, 40, 12, 12)
    painter.drawPolygon([QPointF(14, 44), QPointF(30, 44), QPointF(12, 58)])  # the bubble's tail
    painter.setBrush(QColor("white"))
    for x in (18, 32, 46):
        painter.drawEllipse(QPointF(x, 26), 4, 4)
    painter.setBrush(QColor(dot))
    painter.setPen(QColor("white"))
    painter.drawEllipse(QPointF(50, 50), 11, 11)
    painter.end()
    return QIcon(pixmap)
