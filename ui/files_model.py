"""The Files tab's list: one row per input file with its state, progress, language, speed and result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from translator.pipeline.inputs import find_inputs
from ui.widgets import Index, RowsModel

PROGRESS_COLUMN = 2


@dataclass
class FileRow:
    path: Path
    root: Path  # what the user added: the file itself or the folder it was found in
    state: str = "queued"
    progress: float = 0.0  # 0..1
    language: str = ""
    real_time_factor: float | None = None
    message: str = ""
    outputs: tuple[Path, ...] = field(default=())


def find_rows(paths: list[Path]) -> list[FileRow]:
    """The rows for `paths`: each file, and the audio and video files inside each folder (by the core's rules),
    plus a failed row for a path that is missing, unreadable or a folder without audio. Touches no widget, so
    it can run off the GUI thread."""
    rows = []
    for root in paths:
        try:
            found, problems = find_inputs([root], None)
        except OSError as error:  # a folder that vanishes or cannot be read during the search
            rows.append(FileRow(root, root, state="failed", message=f"{root}: {error.strerror or error}"))
            continue
        rows += [FileRow(item.path, root) for item in found]
        rows += [FileRow(problem.path, root, state="failed", message=problem.message) for problem in problems]
    return rows


class FilesModel(RowsModel):
    COLUMNS = ("file", "state", "progress", "language", "RTF", "result or error")
    rows: list[FileRow]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.progress
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        result = row.message or ", ".join(sorted(path.name for path in row.outputs))  # the same order every run
        rtf = "" if row.real_time_factor is None else f"{row.real_time_factor:.3f}"
        values = (str(row.path) if role == Qt.ItemDataRole.ToolTipRole else row.path.name, row.state,
                  f"{row.progress:.0%}", row.language, rtf, result)  # fmt: skip
        return values[index.column()]

    def add(self, rows: list[FileRow]) -> int:
        known = {row.path for row in self.rows}
        fresh = [row for row in rows if row.path not in known]
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()
        return len(fresh)

    def remove(self, numbers: list[int]) -> None:
        for number in sorted(numbers, reverse=True):
            self.beginRemoveRows(QModelIndex(), number, number)
            del self.rows[number]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows.clear()
        self.endResetModel()

    def row_of(self, path: Path) -> int | None:
        for number, row in enumerate(self.rows):
            if row.path == path:
                return number
        return None

    def update(self, path: Path, **changes: Any) -> None:
        number = self.row_of(path)
        if number is None:  # a folder with no audio in it fails before any file starts
            self.add([FileRow(path, path)])
            number = len(self.rows) - 1
        for name, value in changes.items():
            setattr(self.rows[number], name, value)
        self.row_changed(number)


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a progress bar in the current style."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: Index) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = round(100 * float(index.data(Qt.ItemDataRole.UserRole)))
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        bar.state = option.state
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
