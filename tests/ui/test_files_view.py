"""The Files tab: files added by drag-and-drop, translated through the real pipeline, rows that finish."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from audio_files import write_wav
from drag_and_drop import drop
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication

from translator.audio.files import SAMPLE_RATE
from ui.main_window import MainWindow
from ui.sessions import State


def test_dropped_files_and_folders_fill_the_list(qtbot, window: MainWindow, jfk_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "talks"
    (folder / "day2").mkdir(parents=True)
    write_wav(folder / "one.wav", np.zeros(SAMPLE_RATE, np.float32))
    write_wav(folder / "day2" / "two.wav", np.zeros(SAMPLE_RATE, np.float32))
    (folder / "notes.txt").write_text("not audio")
    assert drop(window.files_view, [jfk_path, folder])
    qtbot.waitUntil(lambda: len(window.files_view.files.rows) == 3)  # folders are searched off the GUI thread
    names = [row.path.name for row in window.files_view.files.rows]
    assert names == ["jfk.flac", "two.wav", "one.wav"]
    assert drop(window.files_view, [jfk_path])  # dropping a file twice lists it once
    assert len(window.files_view.files.rows) == 3

    empty = QMimeData()
    empty.setText("just text")
    enter = QDragEnterEvent(QPoint(1, 1), Qt.DropAction.CopyAction, empty, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window.files_view, enter)
    assert not enter.isAccepted()


def test_files_translate_and_their_rows_finish(qtbot, window: MainWindow, jfk_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF, but not really a WAV file")
    view = window.files_view
    view.add_paths([jfk_path, broken])
    view.target.set_code("de")
    view.output_folder.setText(str(tmp_path / "out"))
    opened: list[Path] = []
    view.open_requested.connect(opened.append)

    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.batch.state is State.IDLE and view.files.rows[0].state != "queued", timeout=60_000)
    done, failed = view.files.rows
    assert (done.state, done.progress) == ("done", 1.0)
    assert done.language.startswith("en") and done.real_time_factor is not None and done.real_time_factor > 0
    assert all(path.is_file() for path in done.outputs)
    assert {path.name for path in done.outputs} >= {"jfk.de.txt", "jfk.de.srt", "jfk.de.wav", "jfk.transcript.txt"}
    assert failed.state == "failed" and "broken.wav" in failed.message
    assert "1 of 2 files failed" in window.banner.text()
    assert "1 translated, 0 skipped, 1 failed" in view.summary.text()

    view.table.selectRow(0)
    view.open_action.trigger()  # "Open result" (double-click now edits the segments)
    assert opened == [tmp_path / "out" / "jfk.de.wav"]

    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)  # again: the finished file is not redone
    qtbot.waitUntil(lambda: window.batch.state is State.IDLE and view.files.rows[1].state == "failed", timeout=30_000)
    assert view.files.rows[0].state == "done"


def test_closing_the_window_cancels_a_batch(qtbot, window: MainWindow, speech_like: np.ndarray, tmp_path: Path) -> None:
    pause = np.zeros(SAMPLE_RATE, np.float32)
    long_file = write_wav(tmp_path / "long.wav", np.tile(np.concatenate([speech_like, pause]), 200))
    view = window.files_view
    view.add_paths([long_file])
    view.output_folder.setText(str(tmp_path / "out"))
    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: 0 < view.files.rows[0].progress < 1, timeout=60_000)
    window.close()
    assert not window.background.busy
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("ui-")]
    assert not list((tmp_path / "out").glob("long.*"))  # a cancelled file leaves no outputs that look finished


def test_nothing_to_translate_is_a_message(qtbot, window: MainWindow) -> None:
    qtbot.mouseClick(window.files_view.start, Qt.MouseButton.LeftButton)
    assert "add files or folders" in window.banner.text()
    assert window.batch.state is State.IDLE
