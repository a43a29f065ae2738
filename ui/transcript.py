"""The live transcript: one row per utterance, its text as it is recognised and then its translation.

Interim text is shown in italics until the utterance's final text replaces it; utterances the pipeline
merged collapse into one row, and notices (dropped speech, merges) are rows of their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from translator.pipeline.live_events import UtteranceDone
from translator.pipeline.outputs import Caption
from ui.widgets import Index, RowsModel


class RowKind(Enum):
    INTERIM = "interim"
    FINAL = "final"
    NOTICE = "notice"


@dataclass
class TranscriptRow:
    kind: RowKind
    utterance: int | None
    source: str = ""
    translation: str = ""
    language: str = ""
    start: float | None = None  # seconds since the transcript began
    end: float | None = None
    note: str = ""


class TranscriptModel(RowsModel):
    """Rows in the order utterances began; columns: time, language, what was said, its translation."""

    COLUMNS = ("time", "lang", "said", "translation")
    rows: list[TranscriptRow]

    def __init__(self) -> None:
        super().__init__()
        self._origin: float | None = None  # monotonic time of the transcript's zero
        self._demo = False

    def set_demo(self, demo: bool) -> None:
        """Label the translation column as the demo models' placeholder output (or not)."""
        if demo != self._demo:
            self._demo = demo
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 3, 3)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        title = super().headerData(section, orientation, role)
        return f"{title} (demo models: placeholder)" if self._demo and title == "translation" else title

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if row.kind is RowKind.NOTICE:
                return {0: _clock(row.start), 2: row.note}.get(column, "")
            return (_clock(row.start), row.language, row.source, row.translation + row.note)[column]
        if role == Qt.ItemDataRole.FontRole and row.kind is not RowKind.FINAL:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.kind is not RowKind.FINAL:
            return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.kind.value}: {row.source} → {row.translation}"
        return None

    def _now(self) -> float:
        now = time.monotonic()
        if self._origin is None:
            self._origin = now
        return now - self._origin

    def _since_origin(self, moment: float | None) -> float | None:
        if moment is None:
            return None
        if self._origin is None:
            self._origin = moment
        return max(0.0, moment - self._origin)

    def _row_for(self, utterance: int) -> int:
        for number in range(len(self.rows) - 1, -1, -1):
            if self.rows[number].utterance == utterance:
                return number
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(TranscriptRow(RowKind.INTERIM, utterance, start=self._now()))
        self.endInsertRows()
        return len(self.rows) - 1

    def set_interim(self, utterance: int, committed: str, tentative: str) -> None:
        number = self._row_for(utterance)
        row = self.rows[number]
        if row.kind is RowKind.INTERIM:
            row.source = f"{committed} {tentative}".strip()
            self.row_changed(number)

    def set_final(self, utterance: int, text: str, language: str, merged: tuple[int, ...]) -> None:
        for other in merged:  # the merged utterances' rows fold into this one
            if other != utterance:
                for number, row in enumerate(self.rows):
                    if row.utterance == other:
                        self.beginRemoveRows(QModelIndex(), number, number)
                        del self.rows[number]
                        self.endRemoveRows()
                        break
        number = self._row_for(utterance)
        row = self.rows[number]
        row.kind, row.source, row.language = RowKind.FINAL, text, language
        if len(merged) > 1:
            row.note = f"  [{len(merged)} utterances merged]"
        self.row_changed(number)

    def set_translation(self, utterance: int, text: str) -> None:
        number = self._row_for(utterance)
        self.rows[number].translation = text
        self.row_changed(number)

    def set_done(self, done: UtteranceDone, speaking: bool = True) -> None:
        """The utterance's final texts and times; "[not spoken]" marks speech skipped in a session that speaks."""
        number = self._row_for(done.utterance)
        row = self.rows[number]
        row.kind = RowKind.FINAL
        row.source = row.source or done.source_text
        row.translation = done.translation
        if done.timeline.speech_start is not None:
            row.start = self._since_origin(done.timeline.speech_start)
            row.end = self._since_origin(done.timeline.speech_end)
        if speaking and not done.spoken:
            row.note += "  [not spoken]"
        self.row_changed(number)

    def add_notice(self, text: str) -> None:
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(TranscriptRow(RowKind.NOTICE, None, start=self._now(), note=text))
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows.clear()
        self._origin = None
        self.endResetModel()

    def plain_text(self) -> str:
        """Final lines, each said line then its translation, for the clipboard."""
        return "\n".join(f"{row.source}\n→ {row.translation}" for row in self.final_rows())

    def final_rows(self) -> list[TranscriptRow]:
        return [row for row in self.rows if row.kind is RowKind.FINAL]

    def captions(self) -> list[Caption]:
        """Final lines as bilingual captions (said line above its translation) at the times they were said."""
        captions = []
        for row in self.final_rows():
            start = row.start or 0.0
            end = row.end if row.end is not None and row.end > start else start + 2.0
            captions.append(Caption(start, end, f"{row.source}\n{row.translation}"))
        return captions


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"
