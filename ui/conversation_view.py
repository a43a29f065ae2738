"""The conversation view: two people talking through one laptop, each reading their own column.

Each column is the whole conversation in one person's language, newest at the bottom, in text large enough
to read across a table: what that person said (muted, to the right) and, translated, what the other said.
The partner's column can be turned upside down, so that a laptop between two people works like a phone laid
flat between them. Columns are painted into an image that is mirrored both ways when turned, an exact 180°
turn, so the partner reads exactly what the user would.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from translator.languages import Language
from ui.transcript import RowKind, TranscriptModel

FONT_SCALE = 2.0  # times the window's font: readable from across a table
_MARGIN = 12
_GAP = 10  # between lines


@dataclass(frozen=True)
class ColumnLine:
    """A line in one person's column: their own words (`own`), or the other person's, translated."""

    text: str
    own: bool


def column_lines(transcript: TranscriptModel, language: Language | None) -> list[ColumnLine]:
    """The conversation as the speaker of `language` reads it: their own finished utterances, and every
    other finished utterance's translation (which is into their language in a two-person conversation)."""
    lines: list[ColumnLine] = []
    if language is None:
        return lines
    for row in transcript.rows:
        if row.kind is not RowKind.FINAL:
            continue
        if row.language == language.code:
            lines.append(ColumnLine(row.source, own=True))
        elif row.translation:
            lines.append(ColumnLine(row.translation, own=False))
    return lines


class ConversationColumn(QWidget):
    """One person's column: a title, then their lines from the bottom up; `set_flipped` turns it upside down."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.title = ""
        self.lines: list[ColumnLine] = []
        self.flipped = False

    def show_lines(self, title: str, lines: list[ColumnLine]) -> None:
        self.title, self.lines = title, lines
        self.setAccessibleDescription(" / ".join(line.text for line in lines[-3:]) or "nothing said yet")
        self.update()

    def set_flipped(self, flipped: bool) -> None:
        self.flipped = flipped
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        ratio = self.devicePixelRatioF()
        image = QImage(round(self.width() * ratio), round(self.height() * ratio), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(ratio)
        self._paint_content(image)
        if self.flipped:
            image = image.flipped(Qt.Orientation.Horizontal | Qt.Orientation.Vertical)
        painter = QPainter(self)
        painter.drawImage(0, 0, image)
        painter.end()

    def _paint_content(self, image: QImage) -> None:
        palette = self.palette()
        image.fill(palette.color(QPalette.ColorRole.Base))
        painter = QPainter(image)
        width, height = self.width(), self.height()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        title_font = QFont(font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        title_height = painter.fontMetrics().height() + _MARGIN
        painter.drawText(QRect(_MARGIN, _MARGIN // 2, width - 2 * _MARGIN, title_height), 0, self.title)
        painter.setFont(font)
        muted = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        bottom = height - _MARGIN
        for line in reversed(self.lines):
            align = Qt.AlignmentFlag.AlignRight if line.own else Qt.AlignmentFlag.AlignLeft
            flags = int(align | Qt.TextFlag.TextWordWrap)
            box = QRect(_MARGIN, 0, width - 2 * _MARGIN, height)
            needed = painter.boundingRect(box, flags, line.text).height()
            top = bottom - needed
            if top < title_height:
                break
            painter.setPen(muted if line.own else palette.color(QPalette.ColorRole.Text))
            painter.drawText(QRect(_MARGIN, top, width - 2 * _MARGIN, needed), flags, line.text)
            bottom = top - _GAP
        painter.end()


class ConversationView(QWidget):
    """The transcript of a two-person conversation as two large columns, the partner's optionally turned."""

    def __init__(self, transcript: TranscriptModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Conversation")
        self._transcript = transcript
        self._languages: tuple[Language | None, Language | None] = (None, None)
        self.user = ConversationColumn("Your column")
        self.partner = ConversationColumn("Your partner's column")
        self.flip = QToolButton()
        self.flip.setText("Turn partner's side")
        self.flip.setCheckable(True)
        self.flip.setAccessibleName("Turn the partner's column upside down")
        self.flip.setToolTip("Turn your partner's column upside down, for someone reading from across the table")
        self.flip.toggled.connect(self.partner.set_flipped)
        for signal in (transcript.rowsInserted, transcript.rowsRemoved, transcript.dataChanged, transcript.modelReset):
            signal.connect(lambda *_: self.refresh())
        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        columns = QHBoxLayout()
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self.user, 1)
        columns.addWidget(divider)
        columns.addWidget(self.partner, 1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Each column is one person's side of the conversation, in their language."))
        top.addStretch(1)
        top.addWidget(self.flip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(columns, 1)

    def set_languages(self, user: Language | None, partner: Language | None) -> None:
        """The user's language (the spoken one) and the partner's (the one translated into)."""
        self._languages = (user, partner)
        self.refresh()

    def refresh(self) -> None:
        for column, language in zip((self.user, self.partner), self._languages):
            column.show_lines(language.name if language else "", column_lines(self._transcript, language))
