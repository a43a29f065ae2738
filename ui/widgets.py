"""Small widgets the views share: language and device pickers, the input level meter, the message banner."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from translator.audio.devices import AudioDevice
from translator.languages import LANGUAGES, Language, find_language

Index = QModelIndex | QPersistentModelIndex
AUTO = "auto"
DEFAULT_DEVICE = ""
LOOPBACK = "loopback:"


class LanguagePicker(QComboBox):
    """Every language in the table, searchable by typing any part of its name or code."""

    def __init__(self, accessible_name: str, allow_auto: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if allow_auto:
            self.addItem("Auto-detect", AUTO)
        for language in LANGUAGES:
            self.addItem(f"{language.name} ({language.code})", language.code)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        # Typed text that names no language falls back to the chosen one instead of lingering.
        self.lineEdit().editingFinished.connect(lambda: self.setEditText(self.currentText()))
        self.setMinimumContentsLength(14)

    def code(self) -> str:
        """The chosen language's code, or "auto"."""
        return str(self.currentData())

    def language(self) -> Language | None:
        """The chosen language; None for auto-detect."""
        code = self.code()
        return None if code == AUTO else find_language(code)

    def set_code(self, code: str) -> None:
        index = self.findData(code)
        if index >= 0:
            self.setCurrentIndex(index)


class DevicePicker(QComboBox):
    """The system default, the sound devices for one direction and, for input, the computer's own sound."""

    def __init__(self, accessible_name: str, direction: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self._direction = direction
        self.setMinimumContentsLength(18)
        self.set_devices([])

    def set_devices(self, devices: list[AudioDevice]) -> None:
        """Fill the list, keeping the current choice when the device is still there."""
        chosen = self.choice()
        self.blockSignals(True)
        self.clear()
        self.addItem("System default", DEFAULT_DEVICE)
        if self._direction == "input":
            self.addItem("What this computer plays (loopback)", LOOPBACK)
        for device in devices:
            if device.serves("input" if self._direction == "input" else "output"):
                loopback = self._direction == "input" and device.is_loopback
                self.addItem(f"{device.name} (loopback)" if loopback else device.name, device.name)
        self.blockSignals(False)
        self.set_choice(chosen)

    def choice(self) -> str:
        """ "" for the default, "loopback:" for the computer's sound, else a device name."""
        data = self.currentData()
        return str(data) if data is not None else DEFAULT_DEVICE

    def set_choice(self, choice: str) -> None:
        index = self.findData(choice)
        if index < 0 and choice:
            # Remembered but not connected now: keep it listed, so starting says which device is missing.
            self.addItem(f"{choice} (not found)", choice)
            index = self.count() - 1
        self.setCurrentIndex(max(index, 0))


class LevelMeter(QProgressBar):
    """The microphone's level in dBFS, from -60 (empty) to 0 (full); marked while the echo gate holds it."""

    FLOOR_DB = -60.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Input level")
        self.setRange(0, 100)
        self.setTextVisible(True)
        self.setFixedWidth(170)
        self.reset_level()

    def show_level(self, rms: float, gated: bool) -> None:
        decibels = 20 * math.log10(rms) if rms > 0 else self.FLOOR_DB
        decibels = max(self.FLOOR_DB, min(0.0, decibels))
        self.setValue(round(100 * (1 - decibels / self.FLOOR_DB)))
        self.setFormat("echo gate (playing)" if gated else f"{decibels:.0f} dB")

    def reset_level(self) -> None:
        self.setValue(0)
        self.setFormat("input level")


class MessageBanner(QFrame):
    """A dismissable line at the top of the window: errors with what to do, and notices."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Message")
        self.setAutoFillBackground(True)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._actions = QHBoxLayout()
        close = QToolButton()
        close.setText("✕")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.hide)
        close.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._label, 1)
        layout.addLayout(self._actions)
        layout.addWidget(close)
        self.hide()

    def show_error(self, message: str) -> None:
        self._show(message, error=True, actions=())

    def show_info(self, message: str, actions: Sequence[tuple[str, Callable[[], None]]] = ()) -> None:
        """A notice, with buttons for what the user can do about it (each also dismisses the banner)."""
        self._show(message, error=False, actions=actions)

    def text(self) -> str:
        return self._label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def _show(self, message: str, error: bool, actions: Sequence[tuple[str, Callable[[], None]]]) -> None:
        while self._actions.count():
            widget = self._actions.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for name, action in actions:
            button = QPushButton(name)
            button.clicked.connect(self.hide)
            button.clicked.connect(action)
            self._actions.addWidget(button)
        self._label.setText(("⚠ " if error else "") + message)
        palette = QApplication.palette(self)
        if error:  # red with white text reads in light and dark themes alike
            palette.setColor(QPalette.ColorRole.Window, QColor(170, 35, 28))
            palette.setColor(QPalette.ColorRole.WindowText, QColor("white"))
        else:
            palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.ToolTipBase))
            palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.ToolTipText))
        self.setPalette(palette)
        self.show()


class RowsModel(QAbstractTableModel):
    """A table over a list of rows with fixed named columns; subclasses say what each cell shows."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def row_changed(self, number: int) -> None:
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(self.COLUMNS) - 1))
