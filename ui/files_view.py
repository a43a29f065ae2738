"""The Files tab: a list of files to translate (added by dialog or drag-and-drop), where the outputs go,
and each file's state, progress, detected language, real-time factor and error as the batch runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from translator.audio.files import AUDIO_EXTENSIONS
from translator.pipeline.batch import BatchSettings, find_inputs
from translator.pipeline.outputs import FORMATS
from translator.pipeline.results import FileResult
from ui.sessions import State
from ui.settings import SettingsStore
from ui.widgets import AUTO, Index, LanguagePicker, RowsModel

PROGRESS_COLUMN = 2
# The order in which a finished file's outputs are worth opening.
_OPEN_PREFERENCE = ("wav", "txt", "srt", "vtt", "json")


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


class FilesModel(RowsModel):
    COLUMNS = ("file", "state", "progress", "language", "RTF", "result or error")
    rows: list[FileRow]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.progress
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        result = row.message or (", ".join(path.name for path in row.outputs) if row.outputs else "")
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
        bar.rect = option.rect.adjusted(2, 3, -2, -3)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 100
        bar.progress = round(100 * float(index.data(Qt.ItemDataRole.UserRole)))
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        bar.state = option.state  # type: ignore[attr-defined]
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class FilesView(QWidget):
    start_requested = Signal()
    cancel_requested = Signal()
    open_requested = Signal(object)  # a Path: a result file or a folder

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.setAcceptDrops(True)
        self.files = FilesModel()
        self.table = QTableView()
        self.table.setAccessibleName("Files to translate")
        self.table.setModel(self.files)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self._open_result(index.row()))
        add_files, add_folder = QPushButton("Add files…"), QPushButton("Add folder…")
        remove, clear = QPushButton("Remove"), QPushButton("Clear list")
        add_files.clicked.connect(self._add_files_dialog)
        add_folder.clicked.connect(self._add_folder_dialog)
        remove.clicked.connect(self._remove_selected)
        clear.clicked.connect(self.files.clear)
        self._list_buttons = (add_files, add_folder, remove, clear)
        self.source = LanguagePicker("Spoken language of the files", allow_auto=True)
        self.target = LanguagePicker("Translate files into", allow_auto=False)
        self.output_folder = QLineEdit()
        self.output_folder.setAccessibleName("Output folder")
        self.output_folder.setPlaceholderText("beside each input")
        browse = QToolButton()
        browse.setText("…")
        browse.setAccessibleName("Choose output folder")
        browse.clicked.connect(self._choose_output_folder)
        self.formats = {fmt: QCheckBox(fmt) for fmt in FORMATS}
        for fmt, box in self.formats.items():
            box.setAccessibleName(f"Write {fmt}")
        self.start = QPushButton("Translate")
        self.start.setAccessibleName("Translate files")
        self.start.clicked.connect(self.start_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel translation")
        self.cancel.clicked.connect(self.cancel_requested)
        open_folder = QPushButton("Open output folder")
        open_folder.clicked.connect(self._open_folder)
        self.summary = QLabel("Drop audio or video files or folders here, or add them.")
        self.summary.setAccessibleName("Batch summary")

        list_row = QHBoxLayout()
        for button in self._list_buttons:
            list_row.addWidget(button)
        list_row.addStretch(1)
        options = QHBoxLayout()
        for widget in (QLabel("From"), self.source, QLabel("to"), self.target, QLabel("Output"), self.output_folder):
            options.addWidget(widget)
        options.addWidget(browse)
        formats = QHBoxLayout()
        formats.addWidget(QLabel("Formats"))
        for box in self.formats.values():
            formats.addWidget(box)
        formats.addStretch(1)
        for widget in (self.start, self.cancel, open_folder):
            formats.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(list_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(options)
        layout.addLayout(formats)
        layout.addWidget(self.summary)
        self._restore()
        self.show_state(State.IDLE.value)

    def _restore(self) -> None:
        self.source.set_code(self._settings.get("files/source", AUTO))
        self.target.set_code(self._settings.get("files/target", "de"))
        self.output_folder.setText(self._settings.get("files/output_folder", ""))
        chosen = set(self._settings.get("files/formats", ",".join(FORMATS)).split(","))
        for fmt, box in self.formats.items():
            box.setChecked(fmt in chosen)

    def save_settings(self) -> None:
        self._settings.set("files/source", self.source.code())
        self._settings.set("files/target", self.target.code())
        self._settings.set("files/output_folder", self.output_folder.text().strip())
        self._settings.set("files/formats", ",".join(self.chosen_formats()))

    def chosen_formats(self) -> list[str]:
        return [fmt for fmt, box in self.formats.items() if box.isChecked()]

    # Adding files.
    def add_paths(self, paths: list[Path]) -> int:
        """Add files, and the audio and video files inside folders; returns how many rows were added."""
        rows = []
        for root in paths:
            found, problems = find_inputs([root], None)
            rows += [FileRow(item.path, root) for item in found]
            rows += [FileRow(problem.path, root, state="failed", message=problem.message) for problem in problems]
        added = self.files.add(rows)
        self.summary.setText(f"{len(self.files.rows)} files in the list")
        return added

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    def _add_files_dialog(self) -> None:
        patterns = " ".join(f"*{extension}" for extension in sorted(AUDIO_EXTENSIONS))
        names, _ = QFileDialog.getOpenFileNames(self, "Add files", "", f"Audio and video ({patterns});;All files (*)")
        self.add_paths([Path(name) for name in names])

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder")
        if folder:
            self.add_paths([Path(folder)])

    def _choose_output_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output_folder.text())
        if folder:
            self.output_folder.setText(folder)

    def _remove_selected(self) -> None:
        self.files.remove([index.row() for index in self.table.selectionModel().selectedRows()])

    # Running.
    def pending(self) -> list[Path]:
        """What the batch should translate: whole folders where none of their files was removed or done,
        so outputs mirror the folder's layout; otherwise the files one by one."""
        todo = [row for row in self.files.rows if row.state != "done" and row.path.exists()]
        inputs: list[Path] = []
        for root in dict.fromkeys(row.root for row in todo):
            mine = [row for row in todo if row.root == root]
            everything = [row for row in self.files.rows if row.root == root]
            if root.is_dir() and len(mine) == len(everything):
                inputs.append(root)
            else:
                inputs += [row.path for row in mine]
        return inputs

    def settings_for(self, target: Any) -> BatchSettings:
        folder = self.output_folder.text().strip()
        return BatchSettings(
            target=target,
            source=self.source.language(),
            output_folder=Path(folder).expanduser() if folder else None,
            formats=frozenset(self.chosen_formats()),
        )

    def mark_queued(self, inputs: list[Path]) -> None:
        roots = set(inputs)
        for row in self.files.rows:
            if row.path in roots or row.root in roots:
                self.files.update(row.path, state="queued", progress=0.0, message="", outputs=())

    def show_state(self, state: str) -> None:
        idle = state == State.IDLE.value
        self.start.setEnabled(idle)
        self.cancel.setEnabled(state in (State.LOADING.value, State.RUNNING.value))
        for widget in (*self._list_buttons, self.source, self.target, self.output_folder, *self.formats.values()):
            widget.setEnabled(idle)
        if state == State.LOADING.value:
            self.summary.setText("Loading models…")
        if idle:
            for row in self.files.rows:
                if row.state in ("queued", "translating"):
                    self.files.update(row.path, state="cancelled" if row.state == "translating" else "queued")

    def file_started(self, path: Path, index: int, total: int, duration: float) -> None:
        self.files.update(path, state="translating", progress=0.0)
        self.summary.setText(f"Translating file {index + 1} of {total}: {path.name} ({duration:.0f} s)")

    def file_progress(self, path: Path, position: float, duration: float) -> None:
        self.files.update(path, progress=min(1.0, position / duration) if duration > 0 else 0.0)

    def file_finished(self, result: FileResult) -> None:
        self.files.update(
            result.source,
            state="done",
            progress=1.0,
            language=result.source_language
            + (f" ({result.language_probability:.0%})" if result.language_probability is not None else ""),
            real_time_factor=result.times.real_time_factor(result.duration),
            message="",
            outputs=result.outputs,
        )

    def file_failed(self, path: Path, message: str) -> None:
        self.files.update(path, state="failed", message=message)

    def file_skipped(self, path: Path, reason: str) -> None:
        self.files.update(path, state="skipped", progress=1.0, message=reason)

    def batch_finished(self, finished: int, skipped: int, failed: int) -> None:
        self.summary.setText(f"{finished} translated, {skipped} skipped, {failed} failed")

    # Results.
    def result_to_open(self, number: int) -> Path | None:
        outputs = self.files.rows[number].outputs
        for suffix in _OPEN_PREFERENCE:
            for path in outputs:
                if path.suffix == f".{suffix}" and ".transcript." not in path.name:
                    return path
        return outputs[0] if outputs else None

    def _open_result(self, number: int) -> None:
        path = self.result_to_open(number)
        if path is not None:
            self.open_requested.emit(path)

    def _open_folder(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        result = self.result_to_open(selected[0].row()) if selected else None
        folder = result.parent if result else Path(self.output_folder.text().strip() or ".").expanduser()
        self.open_requested.emit(folder)
