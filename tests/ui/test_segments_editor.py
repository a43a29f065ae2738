"""The segments editor: a finished file's segments as a table, play buttons per row, and Save re-rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from audio_files import write_wav
from PySide6.QtCore import Qt

from translator.languages import find_language
from translator.pipeline.edit import EditStages, load_edit
from ui.main_window import MainWindow
from ui.segments_editor import END, PLAY_SOURCE, PLAY_SPEECH, SOURCE_TEXT, TRANSLATION, SegmentsEditor

GERMAN = find_language("de")


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_the_table_shows_the_segments_and_save_rewrites_the_outputs(qtbot, window: MainWindow, outputs: Path) -> None:
    editor = window.edit_segments(outputs / "talk.de.json")
    assert isinstance(editor, SegmentsEditor) and editor.isVisible()
    table = editor.table
    file = load_edit(outputs / "talk.de.json")
    assert table.rowCount() == 3
    for row, segment in enumerate(file.result.segments):
        assert table.item(row, SOURCE_TEXT).text() == segment.source_text
        assert table.item(row, TRANSLATION).text() == segment.text
        assert table.cellWidget(row, PLAY_SOURCE).isEnabled() and table.cellWidget(row, PLAY_SPEECH).isEnabled()

    table.item(2, TRANSLATION).setText("Das ist neu.")
    qtbot.mouseClick(editor.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved"), timeout=30_000)
    assert (
        "0 translated again, 1 spoken again, 2 kept their speech, 0 removed; 8 files rewritten" in editor.status.text()
    )
    assert [cue.text for cue in pysubs2.load(str(outputs / "talk.de.srt"))][2] == "Das ist neu."
    assert (outputs / "talk.de.txt").read_text(encoding="utf-8").splitlines()[-1] == "Das ist neu."
    assert load_edit(outputs / "talk.de.json").result.segments[2].text == "Das ist neu."


def test_play_buttons_play_the_rows_source_and_speech(qtbot, window: MainWindow, outputs: Path) -> None:
    played: list[tuple[Path, float, float]] = []
    file = load_edit(outputs / "talk.de.json")
    no_models = EditStages(lambda: pytest.fail("nothing to translate"), lambda: pytest.fail("nothing to speak"))
    editor = SegmentsEditor(
        file, no_models, window.background, lambda path, start, end: played.append((path, start, end))
    )
    qtbot.addWidget(editor)
    segment = file.result.segments[1]
    qtbot.mouseClick(editor.table.cellWidget(1, PLAY_SPEECH), Qt.MouseButton.LeftButton)
    editor.table.item(1, END).setText("0:12.000")  # the source plays as the row's times stand now
    qtbot.mouseClick(editor.table.cellWidget(1, PLAY_SOURCE), Qt.MouseButton.LeftButton)
    assert played == [
        (outputs / "talk.de.wav", segment.dub_start, segment.dub_end),
        (file.result.source, segment.start, 12.0),
    ]


def test_a_bad_correction_is_one_line_and_changes_nothing(qtbot, window: MainWindow, outputs: Path) -> None:
    editor = window.edit_segments(outputs / "talk.de.json")
    assert editor is not None
    before = digests(outputs)
    editor.table.item(1, END).setText("soon")
    qtbot.mouseClick(editor.save, Qt.MouseButton.LeftButton)
    assert editor.status.text().startswith("Not saved: segment 1: 'soon' is not a time")
    editor.table.item(1, END).setText("0:14.000")  # past the next segment's start
    qtbot.mouseClick(editor.save, Qt.MouseButton.LeftButton)
    assert "segments must not overlap" in editor.status.text()
    assert digests(outputs) == before


def test_double_click_edits_a_finished_file_and_its_result_still_opens(
    qtbot, window: MainWindow, outputs: Path
) -> None:
    view = window.files_view
    talk = outputs.parent / "talk.wav"
    write_wav(talk, np.zeros(1600, np.float32))
    view.add_paths([talk])
    view.files.update(talk, state="done", outputs=tuple(sorted(outputs.iterdir())))
    view.table.doubleClicked.emit(view.files.index(0, 0))
    editors = window.findChildren(SegmentsEditor)
    assert len(editors) == 1 and editors[0].isVisible() and editors[0].table.rowCount() == 3

    opened: list[Path] = []
    view.open_requested.connect(opened.append)
    view.table.selectRow(0)
    assert view.open_action in view.table.actions() and view.edit_action in view.table.actions()
    view.open_action.trigger()  # the context menu's "Open result": what double-click did before
    assert opened == [outputs / "talk.de.wav"]
