"""The GUI thread keeps running while slow work is under way: a large folder dropped on the Files tab is
searched off the GUI thread, and its rows appear when the search ends."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from audio_files import write_wav
from drag_and_drop import drop
from PySide6.QtCore import QTimer

from translator.audio.files import SAMPLE_RATE
from ui.main_window import MainWindow

# About 40,000 entries: searched on the GUI thread, they stopped the window for about 0.5 s on a 2-core machine.
_PARTS, _FOLDERS_PER_PART, _FILES_PER_FOLDER = 8, 50, 100
_LONGEST_PAUSE_S = 0.25
_TICK_MS = 10


def _large_tree(root: Path) -> list[Path]:
    """Thousands of small non-audio files in nested folders, with a few audio files among them."""
    for part in range(_PARTS):
        for number in range(_FOLDERS_PER_PART):
            folder = root / f"part{part}" / f"folder{number}"
            folder.mkdir(parents=True)
            for file in range(_FILES_PER_FOLDER):
                (folder / f"note{file}.txt").touch()
    audio = [root / "part0" / "folder7" / "talk.wav", root / "part5" / "folder42" / "talk.WAV", root / "intro.wav"]
    for path in audio:
        write_wav(path, np.zeros(SAMPLE_RATE // 10, np.float32))
    return audio


def test_the_window_keeps_running_while_a_large_folder_is_searched(qtbot, window: MainWindow, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    audio = _large_tree(archive)
    view = window.files_view
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(_TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 5)

    assert drop(view, [archive])
    searching = view.summary.text()
    start_while_searching = view.start.isEnabled()
    qtbot.waitUntil(lambda: len(view.files.rows) == len(audio), timeout=60_000)
    qtbot.wait(5 * _TICK_MS)
    timer.stop()

    longest_pause = max(np.diff(ticks))
    assert longest_pause < _LONGEST_PAUSE_S, f"the GUI thread stood still for {longest_pause:.2f} s"
    assert searching == "Looking for audio in archive…"
    assert not start_while_searching  # the list is not complete yet
    assert sorted(row.path for row in view.files.rows) == sorted(audio)
    assert all(row.root == archive and row.state == "queued" for row in view.files.rows)
    assert view.summary.text() == "3 files in the list" and view.start.isEnabled()
