"""The Files tab: a list of files to translate (added by dialog or drag-and-drop), where the outputs go,
and each file's state, progress, detected language, real-time factor and error as the batch runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from translator.audio.files import AUDIO_EXTENSIONS
from translator.audio.mixing import DEFAULT_DUCK_DB, MAX_DUCK_DB, MixSettings
from translator.pipeline.batch import BatchSettings
from translator.pipeline.outputs import DEFAULT_FORMATS, FORMATS
from translator.pipeline.results import FileResult
from ui.bridge import Background
from ui.cluster_choice import ClusterChoice
from ui.files_model import PROGRESS_COLUMN, FileRow, FilesModel, ProgressDelegate, find_rows
from ui.sessions import State
from ui.settings import SettingsStore
from ui.widgets import AUTO, HintedTable, LanguagePicker

# The order in which a finished file's outputs are worth opening.
_OPEN_PREFERENCE = ("mp4", "mkv", "m4a", "mka", "wav", "txt", "srt", "vtt", "json")


def _names(folders: list[Path]) -> str:
    return ", ".join(folder.name or str(folder) for folder in folders)


class FilesView(QWidget):
    start_requested = Signal()
    cancel_requested = Signal()
    play_requested = Signal(object)  # the Path of a translated speech track, to play in the app
    stop_playing_requested = Signal()
    open_requested = Signal(object)  # a Path: a result file or a folder
    edit_requested = Signal(object)  # the Path of a finished file's NAME.LANG.json, to correct its segments

    def __init__(
        self, settings: SettingsStore, parent: QWidget | None = None, background: Background | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._background = background or Background(self)
        self._searching: list[Path] = []  # folders dropped or added whose audio is still being looked for
        self._idle = True
        self.setAcceptDrops(True)
        self.files = FilesModel()
        self.table = HintedTable("Drop audio or video files or folders here, or add them.")
        self.table.setAccessibleName("Files to translate")
        self.table.setModel(self.files)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        # A finished file opens for correction; its result still opens from the context menu (right-click).
        self.table.doubleClicked.connect(lambda index: self._activate(index.row()))
        self.edit_action = QAction("Edit segments…", self.table)
        self.edit_action.triggered.connect(lambda: self._on_selected(self._edit_segments))
        self.open_action = QAction("Open result", self.table)
        self.open_action.triggered.connect(lambda: self._on_selected(self._open_result))
        self.table.addActions([self.edit_action, self.open_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_playing(self._playing))
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
        self.formats["video"].setToolTip(
            "The dubbed recording, NAME.LANG.mkv (and .mp4): the picture copied, the translated speech as its main "
            "sound, the original sound and both subtitles as further tracks"
        )
        self.voice_over = QCheckBox("voice-over")
        self.voice_over.setAccessibleName("Dub as a voice-over")
        self.voice_over.setToolTip(
            "The dubbed video keeps the original sound under the translation, lowered while it speaks"
        )
        self.duck_db = QSpinBox()
        self.duck_db.setRange(0, round(MAX_DUCK_DB))
        self.duck_db.setSuffix(" dB")
        self.duck_db.setAccessibleName("How far the original sound is lowered under the translation")
        for control in (self.formats["video"], self.voice_over):
            control.toggled.connect(lambda _: self._enable_mix())
        self.cluster = ClusterChoice()
        self.start = QPushButton("Translate")
        self.start.setAccessibleName("Translate files")
        self.start.clicked.connect(self.start_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel translation")
        self.cancel.clicked.connect(self.cancel_requested)
        open_folder = QPushButton("Open output folder")
        open_folder.clicked.connect(self._open_folder)
        self.play = QPushButton("Play translation")
        self.play.setAccessibleName("Play the selected file's translated speech")
        self.play.setToolTip("Play the selected file's speech track (wav) here")
        self.play.clicked.connect(self._play_or_stop)
        self.play.setEnabled(False)
        self._playing: Path | None = None
        self.summary = QLabel("Drop audio or video files or folders here, or add them.")
        self.summary.setAccessibleName("Batch summary")

        widget: QWidget  # the loops below hold different kinds
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
        formats.addWidget(self.voice_over)
        formats.addWidget(self.duck_db)
        formats.addStretch(1)
        actions = QHBoxLayout()  # a row of their own: the formats row, with the dubbed video's choices, is full
        actions.addWidget(self.cluster)
        actions.addStretch(1)
        for widget in (self.start, self.cancel, self.play, open_folder):
            actions.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(list_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(options)
        layout.addLayout(formats)
        layout.addLayout(actions)
        layout.addWidget(self.summary)
        self._restore()
        self.show_state(State.IDLE.value)

    def _restore(self) -> None:
        self.source.set_code(self._settings.get("files/source", AUTO))
        self.target.set_code(self._settings.get("files/target", "de"))
        self.output_folder.setText(self._settings.get("files/output_folder", ""))
        chosen = set(self._settings.get("files/formats", ",".join(DEFAULT_FORMATS)).split(","))
        for fmt, box in self.formats.items():
            box.setChecked(fmt in chosen)
        self.voice_over.setChecked(self._settings.get("files/voice_over", False))
        self.duck_db.setValue(self._settings.get("files/duck_db", round(DEFAULT_DUCK_DB)))
        self.cluster.restore(self._settings)

    def save_settings(self) -> None:
        self._settings.set("files/source", self.source.code())
        self._settings.set("files/target", self.target.code())
        self._settings.set("files/output_folder", self.output_folder.text().strip())
        self._settings.set("files/formats", ",".join(self.chosen_formats()))
        self._settings.set("files/voice_over", self.voice_over.isChecked())
        self._settings.set("files/duck_db", self.duck_db.value())
        self.cluster.save(self._settings)

    def chosen_formats(self) -> list[str]:
        return [fmt for fmt, box in self.formats.items() if box.isChecked()]

    # Adding files.
    def add_paths(self, paths: list[Path]) -> None:
        """Add files, and the audio and video files inside folders. Files are listed at once; folders are
        searched off the GUI thread (a large tree takes seconds) and their rows appear when the search ends."""
        folders = [path for path in paths if path.is_dir()]
        if not folders:
            self._add_rows(find_rows(paths))
            return
        self._searching += folders
        self._show_list_state()

        def found(rows: list[FileRow]) -> None:
            self._forget_search(folders)
            self._add_rows(rows)

        def failed(message: str) -> None:
            self._forget_search(folders)
            self._show_list_state()
            self.summary.setText(f"Could not look through {_names(folders)}: {message}")

        self._background.run("find-audio", lambda: find_rows(paths), found, failed)

    def _forget_search(self, folders: list[Path]) -> None:
        for folder in folders:
            self._searching.remove(folder)

    def _add_rows(self, rows: list[FileRow]) -> None:
        self.files.add(rows)
        self._show_list_state()

    def _show_list_state(self) -> None:
        # Translate waits for the searches: the batch would miss the folders whose rows are not listed yet.
        self.start.setEnabled(self._idle and not self._searching)
        if self._searching:
            self.summary.setText(f"Looking for audio in {_names(self._searching)}…")
        else:
            count = len(self.files.rows)
            self.summary.setText(f"{count} {'file' if count == 1 else 'files'} in the list")

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
            mix=MixSettings(self.voice_over.isChecked(), float(self.duck_db.value())),
        )

    def mark_queued(self, inputs: list[Path]) -> None:
        roots = set(inputs)
        for row in self.files.rows:
            if row.path in roots or row.root in roots:
                self.files.update(row.path, state="queued", progress=0.0, message="", outputs=())

    def show_state(self, state: str) -> None:
        idle = state == State.IDLE.value
        self._idle = idle
        self.start.setEnabled(idle and not self._searching)
        self.cancel.setEnabled(state in (State.LOADING.value, State.RUNNING.value))
        for widget in (*self._list_buttons, self.source, self.target, self.output_folder, *self.formats.values()):
            widget.setEnabled(idle)
        self.cluster.setEnabled(idle)
        self._enable_mix()
        if state == State.LOADING.value:
            self.summary.setText("Loading models…")
        if idle:
            for row in self.files.rows:
                if row.state in ("queued", "translating"):
                    self.files.update(row.path, state="cancelled" if row.state == "translating" else "queued")

    def _enable_mix(self) -> None:
        """The voice-over controls shape the dubbed video: usable while idle with the video chosen."""
        video = self._idle and self.formats["video"].isChecked()
        self.voice_over.setEnabled(video)
        self.duck_db.setEnabled(video and self.voice_over.isChecked())

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
        self.show_playing(self._playing)  # the selected row may have a speech track now

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

    def segments_file(self, number: int) -> Path | None:
        """Row `number`'s NAME.LANG.json, whose segments can be corrected, if it has one."""
        return next((path for path in self.files.rows[number].outputs if path.suffix == ".json"), None)

    def _edit_segments(self, number: int) -> None:
        path = self.segments_file(number)
        if path is not None:
            self.edit_requested.emit(path)

    def _activate(self, number: int) -> None:
        """Double-click: correct a finished file's segments; a file without its JSON opens its result."""
        if self.segments_file(number) is not None:
            self._edit_segments(number)
        else:
            self._open_result(number)

    def _on_selected(self, action: Callable[[int], None]) -> None:
        selected = self.table.selectionModel().selectedRows()
        if selected:
            action(selected[0].row())

    def speech_track(self, number: int) -> Path | None:
        """The translated speech track of row `number`, if it has one."""
        return next((path for path in self.files.rows[number].outputs if path.suffix == ".wav"), None)

    def _selected_track(self) -> Path | None:
        selected = self.table.selectionModel().selectedRows()
        return self.speech_track(selected[0].row()) if selected else None

    def show_playing(self, path: Path | None) -> None:
        """What the app is playing now (None: nothing): the Play button becomes Stop while it plays."""
        self._playing = path
        self.play.setText("Stop playing" if path is not None else "Play translation")
        self.play.setEnabled(path is not None or self._selected_track() is not None)

    def _play_or_stop(self) -> None:
        track = self._selected_track()
        if self._playing is not None:
            self.stop_playing_requested.emit()
        elif track is not None:
            self.play_requested.emit(track)

    def _open_folder(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        result = self.result_to_open(selected[0].row()) if selected else None
        folder = result.parent if result else Path(self.output_folder.text().strip() or ".").expanduser()
        self.open_requested.emit(folder)
