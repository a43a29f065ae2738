"""What the window tells a new user, and the controls its messages name: the demo models and the way to
real ones, messages that float and go once their cause is fixed, live input from a file, a language no
voice speaks, importing a model, and a finished file's speech played in the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from audio_files import speech_at, write_wav
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton

from bench.virtual_sound import VirtualSoundServer
from translator.config import AppConfig, ModelPaths
from translator.models.demo.translation import build_demo_opus_mt
from ui.main_window import DEMO_QUEUE_NOTICE, MainWindow
from ui.sessions import State
from ui.transcript import RowKind


def _banner_button(window: MainWindow, text: str) -> QPushButton:
    return next(button for button in window.banner.findChildren(QPushButton)
                if button.text().startswith(text) and button.isVisible())  # fmt: skip


def _positions(window: MainWindow) -> list[QPoint]:
    view = window.live_view
    return [widget.mapTo(window, QPoint(0, 0)) for widget in (view.start, view.source, view.table, window.tabs)]


def test_the_demo_models_say_what_they_are_and_lead_to_real_ones(qtbot, window: MainWindow) -> None:
    text = window.banner.text()
    assert "Demo models in use" in text and "English, French, German and Spanish only" in text
    assert "Press Start and speak" in text
    assert window.live_view.table.hint().startswith("Press Start (Ctrl+Enter) and speak")
    assert window.live_view.demo_notice.isVisibleTo(window)
    assert "demo models" in window.live_view.transcript.headerData(3, Qt.Orientation.Horizontal)
    _banner_button(window, "Get real models").click()
    assert window.tabs.currentIndex() == window.tabs.count() - 1  # Settings, with the chain for the Live languages
    qtbot.waitUntil(lambda: "to download:" in window.settings_view.plan_text.text(), timeout=20_000)
    assert window.settings_view.download.isEnabled()


def test_without_models_the_transcript_says_where_to_start(open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window(None)
    assert window.live_view.table.hint().startswith("Choose models in Settings")
    assert not window.live_view.demo_notice.isVisibleTo(window)


def test_a_message_floats_moves_nothing_and_goes_once_its_cause_is_fixed(
    qtbot, window: MainWindow, jfk_path: Path
) -> None:
    window.resize(1280, 720)
    window.banner.hide()
    before = _positions(window)
    window.live_view.start.setFocus()
    window.files_view.start.click()  # nothing in the list
    assert "Nothing to translate" in window.banner.text()
    assert _positions(window) == before
    window.files_view.add_paths([jfk_path])
    assert window.banner.text() == ""  # the file is there now: the message has no reason to stay

    for box in window.files_view.formats.values():
        box.setChecked(False)
    window.files_view.start.click()
    assert "at least one output format" in window.banner.text()
    window.files_view.formats["srt"].setChecked(True)
    assert window.banner.text() == ""

    window.banner.show_error("something unrelated")
    window.files_view.formats["txt"].setChecked(True)
    assert window.banner.text() == "⚠ something unrelated"  # a message stays until its own cause is gone


def test_a_failed_download_can_be_tried_again_and_keeps_the_focus(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = open_window(None)  # no models; the Hub cannot be reached in the tests
    window.activateWindow()
    qtbot.waitActive(window)
    settings = window.settings_view
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    settings.plan.click()
    qtbot.waitUntil(settings.download.isEnabled, timeout=20_000)
    settings.download.setFocus()
    with qtbot.waitSignal(window.catalog.download_failed, timeout=30_000) as failure:
        settings.download.click()
    assert "no network" in failure.args[0]
    assert settings.download.isEnabled() and not settings.cancel_download.isEnabled()
    assert settings.download.hasFocus()
    assert not settings.whisper.edit.hasFocus() and not settings.whisper.edit.hasSelectedText()


def test_live_input_from_a_file_in_a_language_no_voice_speaks(
    qtbot,
    open_window,
    demo_folder: Path,
    speech_like: np.ndarray,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    japanese = build_demo_opus_mt(tmp_path / "opus-mt-en-ja", "en", "de")  # a model that serves en->ja
    window: MainWindow = open_window(
        AppConfig(ModelPaths(demo_folder / "whisper-demo", japanese, demo_folder / "voices"))
    )
    view = window.live_view
    recording = write_wav(tmp_path / "talk.wav", speech_at(speech_like, [0.5], 5.0))
    view.source.set_code("en")
    view.target.set_code("ja")
    view.input_device.set_file(recording)
    assert view.choices().input_file == recording and view.choices().input_device is None
    view.start.click()
    qtbot.waitUntil(lambda: "No voice speaks Japanese" in window.banner.text(), timeout=30_000)
    assert "shown, not spoken" in window.banner.text()
    qtbot.waitUntil(lambda: bool(view.transcript.final_rows()), timeout=30_000)
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=30_000)  # the file ended the session
    row = view.transcript.final_rows()[0]
    assert row.translation and "[not spoken]" not in row.note  # text only was the plan, not a skip
    assert view.latency.headline.text().endswith("text only")
    window.close()

    again: MainWindow = open_window(None)  # the chosen file is remembered like a device
    assert again.live_view.input_device.chosen_file() == recording


def test_the_demo_voice_says_why_speech_queues(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, speech_like: np.ndarray, tmp_path: Path
) -> None:
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    view.speech.setChecked(True)
    view.input_device.set_file(write_wav(tmp_path / "talk.wav", speech_at(speech_like, [0.5], 4.0)))
    view.start.click()
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)
    notices = [row.note for row in view.transcript.rows if row.kind is RowKind.NOTICE]
    assert notices == [DEMO_QUEUE_NOTICE]
    view.start.click()
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=30_000)


def test_importing_a_voice_chooses_it(qtbot, open_window, demo_folder: Path) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = open_window(None)
    window.settings_view.import_requested.emit(demo_folder / "voices" / "fr_FR-demo-x_low.onnx")
    qtbot.waitUntil(lambda: "Imported" in window.banner.text(), timeout=30_000)
    assert window.settings_view.voices.path() == window.store.root
    assert window.store.is_installed("fr_FR-demo-x_low")
    assert "fr_FR-demo-x_low" in window.banner.text() and "chosen for voice" in window.banner.text()
    window.settings_view.import_requested.emit(demo_folder / "no-such-model")
    qtbot.waitUntil(lambda: "does not exist" in window.banner.text(), timeout=30_000)


def test_a_finished_file_opens_or_plays_here(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, jfk_path: Path, tmp_path: Path
) -> None:
    view = window.files_view
    view.add_paths([jfk_path])
    view.output_folder.setText(str(tmp_path / "out"))
    view.start.click()
    qtbot.waitUntil(lambda: view.files.rows[0].state == "done", timeout=60_000)
    shown = view.files.data(view.files.index(0, 5))
    assert shown == ", ".join(sorted(path.name for path in view.files.rows[0].outputs))  # the same order every run

    window.open_url = lambda url: False  # no application opens anything here
    view.table.selectRow(0)
    view.open_action.trigger()  # "Open result" (double-click now edits the segments)
    assert "Nothing on this computer is set up to open .wav files" in window.banner.text()
    playing: list[Path | None] = []
    window.player.playing.connect(playing.append)
    _banner_button(window, "Play it here").click()
    assert playing == [tmp_path / "out" / "jfk.de.wav"]
    view.table.selectRow(0)
    assert view.play.text() == "Stop playing"
    view.play.click()
    qtbot.waitUntil(lambda: playing[-1] is None, timeout=15_000)
    assert view.play.text() == "Play translation" and view.play.isEnabled()
