"""The Live tab's type-to-speak row: a line to type in, the direction in conversation mode, and Speak."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QToolButton, QWidget

from translator.languages import Language


@dataclass(frozen=True)
class TypedText:
    """Text typed to be spoken, and how.

    source: the language it is typed in; None when the Live tab detects the spoken language and nothing was
        recognised yet (the desktop's language is then assumed, if it has one).
    target: the language to speak it in. targets: the languages a session with the same choices speaks, so
        that loading models for typed text keeps the set a session uses.
    output_device: a device name, or None for the system default.
    """

    text: str
    source: Language | None
    target: Language | None
    targets: tuple[Language, ...]
    output_device: str | None


class SpeakBox(QWidget):
    """Type, then Enter (or Speak): `speak_requested(text, reverse)`, where `reverse` means the other person's
    language into the user's (conversation mode's direction button). The line empties for the next text."""

    speak_requested = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setAccessibleName("Text to speak")
        self.text.setPlaceholderText("Type to speak: Enter translates it and speaks it (a paragraph too)")
        self.direction = QToolButton()
        self.direction.setCheckable(True)
        self.direction.setAccessibleName("Direction of typed text")
        self.direction.setToolTip("Which way typed text goes: press to type in the other person's language")
        self.speak = QPushButton("Speak")
        self.speak.setAccessibleName("Speak the typed text")
        self.speak.setToolTip("Translate the typed text and speak it (Enter)")
        self.speak.setEnabled(False)
        self.text.textChanged.connect(lambda text: self.speak.setEnabled(bool(text.strip())))
        self.text.returnPressed.connect(self._submit)
        self.speak.clicked.connect(self._submit)
        self.direction.toggled.connect(lambda _: self._show_direction())
        self._languages = ("", "")
        self._conversation = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.direction)
        layout.addWidget(self.speak)
        self._show_direction()

    def set_languages(self, source: str, target: str, conversation: bool) -> None:
        """The Live tab's languages (codes, or "auto") and whether it is in conversation mode."""
        self._languages, self._conversation = (source, target), conversation
        self._show_direction()

    @property
    def reverse(self) -> bool:
        """Whether typed text goes from the target language into the spoken one (conversation mode only)."""
        return self._conversation and self.direction.isChecked()

    def _show_direction(self) -> None:
        first, second = self._languages
        self.direction.setVisible(self._conversation)
        self.direction.setText(f"{second} → {first}" if self.reverse else f"{first} → {second}")

    def _submit(self) -> None:
        text = self.text.text().strip()
        if text:
            self.speak_requested.emit(text, self.reverse)
            self.text.clear()
