"""The segments editor: a translated file's segments as a table to correct (times, source text, translation),
with buttons to hear each row's source and translated speech, and Save, which re-renders the file's outputs
off the GUI thread (`translator.pipeline.edit`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.edit import (
    EditableFile,
    EditReport,
    EditStages,
    SegmentCorrection,
    apply_edit,
    format_time,
    load_edit,
    parse_time,
    plan_edit,
)
from translator.pipeline.results import Segment
from ui.bridge import Background

# Columns: two play buttons, then what can be corrected.
PLAY_SOURCE, PLAY_SPEECH, START, END, SOURCE_TEXT, TRANSLATION = range(6)
_NO_VOICE_HINT = "choose a voice in Settings: the speech track is made again with it"
Play = Callable[[Path, float, float], None]  # a file and the stretch of it to play, in seconds


def window_stages(cache: ModelCache, config: AppConfig, target: Language) -> EditStages:
    """The edit's stages from the window's model cache and settings, loaded only when the edit needs them."""

    return EditStages(
        translator=lambda: cache.load(config, [target], False, 5, _NO_VOICE_HINT).translator,
        synthesizer=lambda: cache.load(config, [target], True, 5, _NO_VOICE_HINT).voices[target],
    )


class SegmentsEditor(QDialog):
    """Shows one file's segments; Save applies the corrections and says what was recomputed, or one line
    saying what to fix (the outputs then stay as they were)."""

    def __init__(
        self,
        file: EditableFile,
        stages: EditStages,
        background: Background,
        play: Play,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.file = file
        self._stages = stages
        self._background = background
        self._play = play
        self.setWindowTitle(f"Segments of {file.json_path.name}")
        self.resize(1000, 520)
        self.table = QTableWidget(0, 6)
        self.table.setAccessibleName("Segments")
        source, target = file.source_language.name, file.target_language.name
        self.table.setHorizontalHeaderLabels(["", "", "Start", "End", f"Spoken ({source})", f"Translation ({target})"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in (PLAY_SOURCE, PLAY_SPEECH, START, END):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (SOURCE_TEXT, TRANSLATION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.remove = QPushButton("Remove segment")
        self.remove.setToolTip("Remove the selected segments: their text and speech go from every output")
        self.remove.clicked.connect(self._remove_selected)
        self.save = QPushButton("Save")
        self.save.setAccessibleName("Save and re-render the outputs")
        self.save.setDefault(True)
        self.save.clicked.connect(self.save_corrections)
        self.status = QLabel("Correct the times or the texts, then Save: only the changed segments are recomputed.")
        self.status.setAccessibleName("Edit status")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._fill()

    def _fill(self) -> None:
        segments = self.file.result.segments
        track = self.file.outputs.get("wav")
        self.table.setRowCount(len(segments))
        self.table.setVerticalHeaderLabels([str(segment.index) for segment in segments])
        for row, segment in enumerate(segments):
            for column, text in (
                (START, format_time(segment.start)),
                (END, format_time(segment.end)),
                (SOURCE_TEXT, segment.source_text),
                (TRANSLATION, segment.text),
            ):
                self.table.setItem(row, column, QTableWidgetItem(text))
            self._cell(row, START).setData(Qt.ItemDataRole.UserRole, segment.index)
            self.table.setCellWidget(row, PLAY_SOURCE, self._play_button("source", segment.index, self._play_source))
            speech = self._play_button("translation", segment.index, self._play_speech)
            speech.setEnabled(track is not None and segment.dub_start is not None and segment.dub_end is not None)
            self.table.setCellWidget(row, PLAY_SPEECH, speech)

    def _play_button(self, what: str, index: int, play: Callable[[int], None]) -> QToolButton:
        button = QToolButton()
        button.setText("▶ " + ("source" if what == "source" else "speech"))
        button.setAccessibleName(f"Play the {what} of segment {index}")
        button.clicked.connect(lambda: play(self._row_of(index)))
        return button

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None  # every row gets its items in _fill
        return item

    def _index_at(self, row: int) -> int:
        """The index of the segment a row shows (rows go when segments are removed, so they are not indices)."""
        index: int = self._cell(row, START).data(Qt.ItemDataRole.UserRole)
        return index

    def _row_of(self, index: int) -> int:
        return next(row for row in range(self.table.rowCount()) if self._index_at(row) == index)

    def _play_source(self, row: int) -> None:
        segment = self._segment_at(row)
        try:  # the times as they stand in the table, so a correction can be heard before it is saved
            start, end = parse_time(self._cell(row, START).text()), parse_time(self._cell(row, END).text())
        except ValueError:
            start, end = segment.start, segment.end
        self._play(self.file.result.source, start, end)

    def _play_speech(self, row: int) -> None:
        segment = self._segment_at(row)
        track = self.file.outputs.get("wav")
        if track is not None and segment.dub_start is not None and segment.dub_end is not None:
            self._play(track, segment.dub_start, segment.dub_end)

    def _segment_at(self, row: int) -> Segment:
        index = self._index_at(row)
        return next(segment for segment in self.file.result.segments if segment.index == index)

    def _remove_selected(self) -> None:
        for row in sorted({index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True):
            self.table.removeRow(row)

    def corrections(self) -> list[SegmentCorrection]:
        """The segments as the table shows them now; a time that does not read is a ValueError naming it."""
        corrections = []
        for row in range(self.table.rowCount()):
            index = self._index_at(row)
            try:
                start, end = (parse_time(self._cell(row, column).text()) for column in (START, END))
            except ValueError as error:
                raise ValueError(f"segment {index}: {error}") from None
            texts = (self._cell(row, column).text() for column in (SOURCE_TEXT, TRANSLATION))
            corrections.append(SegmentCorrection(index, start, end, *texts))
        return corrections

    def save_corrections(self) -> None:
        """Check the corrections here (at once), then re-render the outputs in the background."""
        try:
            plan = plan_edit(self.file, self.corrections())
        except (ValueError, TranslatorError) as error:
            self.status.setText(f"Not saved: {error}")
            return
        if not plan.changed:
            self.status.setText("Nothing changed: the outputs are as they were.")
            return
        self.save.setEnabled(False)
        self.status.setText("Saving: translating and speaking the changed segments…")
        self._background.run("edit", lambda: apply_edit(plan, self._stages), self._saved, self._failed)

    def _saved(self, report: EditReport) -> None:
        self.save.setEnabled(True)
        self.file = load_edit(self.file.json_path)
        self._fill()
        self.status.setText(
            f"Saved: {report.translated} translated again, {report.spoken} spoken again, {report.reused} kept their "
            f"speech, {report.removed} removed; {len(report.rewritten)} files rewritten."
        )

    def _failed(self, message: str) -> None:
        self.save.setEnabled(True)
        self.status.setText(f"Not saved (the outputs are as they were): {message}")
