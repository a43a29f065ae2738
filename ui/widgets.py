"""Small widgets the views share: language and device pickers, the input level meter, the message banner."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QWidget,
)

from translator.audio.devices import AudioDevice
from translator.languages import LANGUAGES, Language, find_language

Index = QModelIndex | QPersistentModelIndex
AUTO = "auto"
DEFAULT_DEVICE = ""
LOOPBACK = "loopback:"
FILE_INPUT = "file:"
LOOPBACK_TIP = (
    "Translate what this computer plays (a call, a video). On Linux this needs PulseAudio or PipeWire; "
    "on Windows enable Stereo Mix; on macOS install a loopback driver such as BlackHole."
)


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
        typing = self.lineEdit()
        assert typing is not None  # an editable combo box always has one
        # Typed text that names no language falls back to the chosen one instead of lingering.
        typing.editingFinished.connect(lambda: self.setEditText(self.currentText()))
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
    """The system default, the sound devices for one direction and, for input, the computer's own sound or an
    audio file played as if it were spoken (`set_file`)."""

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
            self.setItemData(1, LOOPBACK_TIP, Qt.ItemDataRole.ToolTipRole)
        for device in devices:
            if device.serves("input" if self._direction == "input" else "output"):
                loopback = self._direction == "input" and device.is_loopback
                self.addItem(f"{device.name} (loopback)" if loopback else device.name, device.name)
        self.blockSignals(False)
        self.set_choice(chosen)

    def choice(self) -> str:
        """ "" for the default, "loopback:" for the computer's sound, "file:PATH" for a file, else a device name."""
        data = self.currentData()
        return str(data) if data is not None else DEFAULT_DEVICE

    def chosen_file(self) -> Path | None:
        """The audio file chosen as the input, or None for a device."""
        choice = self.choice()
        return Path(choice[len(FILE_INPUT) :]) if choice.startswith(FILE_INPUT) else None

    def set_file(self, path: Path) -> None:
        """List `path` as the input (replacing a file chosen before) and choose it."""
        for index in range(self.count() - 1, -1, -1):
            if str(self.itemData(index)).startswith(FILE_INPUT):
                self.removeItem(index)
        self.addItem(f"File: {path.name}", f"{FILE_INPUT}{path}")
        self.setItemData(self.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(self.count() - 1)

    def set_choice(self, choice: str) -> None:
        if choice.startswith(FILE_INPUT) and self.findData(choice) < 0:
            self.set_file(Path(choice[len(FILE_INPUT) :]))
            return
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
    """A dismissable message floating at the top right of the window: errors with what to do, and notices.

    It floats over the pages (`float_over`) instead of taking a place in a layout, so showing or hiding
    it never moves a control from under the pointer. A message may name its cause; `resolve(cause)`
    hides it once that cause is gone (a file added after "Nothing to translate").
    """

    dismissed = Signal()
    # At most this wide, so at 1280 pixels it floats over the empty right end of the rows under the tabs; a
    # long message wraps instead. At least this wide, so on a narrow window it still reads.
    WIDEST = 520
    NARROWEST = 420

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Message")
        self.setAutoFillBackground(True)
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(14)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 90))
        self.setGraphicsEffect(shadow)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._actions = QHBoxLayout()
        close = QToolButton()
        close.setText("✕")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self._dismiss)
        close.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._label, 1)
        layout.addLayout(self._actions)
        layout.addWidget(close)
        self._cause: str | None = None
        self._host: QWidget | None = None
        self._beside: QWidget | None = None
        self.hide()

    def float_over(self, host: QWidget, beside: QWidget | None = None) -> None:
        """Float over `host`, at its top right, to the right of `beside` (the tab bar) where there is room."""
        self.setParent(host)
        self._host, self._beside = host, beside
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._place()
        return False

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        margin = 6
        left, top = margin, margin
        if self._beside is not None:
            corner = self._beside.mapTo(host, QPoint(0, 0))
            left, top = corner.x() + self._beside.sizeHint().width() + 16, corner.y()
        left = max(left, host.width() - margin - self.WIDEST)
        left = max(margin, min(left, host.width() - margin - self.NARROWEST))
        width = host.width() - margin - left
        self.setGeometry(left, top, width, self.heightForWidth(width))
        self.raise_()

    def show_error(self, message: str, cause: str | None = None) -> None:
        self._show(message, error=True, actions=(), cause=cause)

    def show_info(
        self, message: str, actions: Sequence[tuple[str, Callable[[], None]]] = (), cause: str | None = None
    ) -> None:
        """A notice, with buttons for what the user can do about it (each also dismisses the banner)."""
        self._show(message, error=False, actions=actions, cause=cause)

    def resolve(self, *causes: str) -> None:
        """Hide the message if it was shown for one of `causes`, which is gone now."""
        if self._cause is not None and self._cause in causes:
            self.hide()

    def _dismiss(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()  # else hiding hands the focus to the next field, selecting its text
        self.hide()

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():  # dismissed or resolved, not the window minimised
            self._cause = None
        super().hideEvent(event)

    def text(self) -> str:
        return self._label.text() if self.isVisibleTo(self.window()) else ""

    def _show(
        self, message: str, error: bool, actions: Sequence[tuple[str, Callable[[], None]]], cause: str | None
    ) -> None:
        while (item := self._actions.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()  # at once: it would be drawn over the new message until deleted
                widget.deleteLater()
        for name, action in actions:
            button = QPushButton(name)
            button.clicked.connect(self._dismiss)
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
        self._cause = cause  # after show(): a hide-and-show keeps the new cause
        self._place()


class HintedTable(QTableView):
    """A table that says what to do while it has no rows."""

    def __init__(self, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint = ""
        self.set_hint(hint)

    def hint(self) -> str:
        return self._hint

    def set_hint(self, text: str) -> None:
        self._hint = text
        self.setAccessibleDescription(text)
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self._hint and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24), flags, self._hint)
            painter.end()


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
