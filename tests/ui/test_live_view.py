"""The Live tab driven like a user would, on the virtual sound card with the demo models."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from bench.virtual_sound import VirtualSoundServer
from translator.audio.devices import portaudio
from translator.audio.files import SAMPLE_RATE
from ui.main_window import MainWindow
from ui.sessions import State
from ui.widgets import LOOPBACK


def _choose(window: MainWindow, push_to_talk: bool = False) -> None:
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    view.input_device.set_choice(LOOPBACK)  # the card's monitor: what the test plays is what is heard
    view.speech.setChecked(True)
    view.push_to_talk.setChecked(push_to_talk)


def _play(speech: np.ndarray) -> None:
    portaudio().play(np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), speech]), SAMPLE_RATE)


def _live_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("live-")]


def test_a_live_session_fills_the_transcript_and_the_latency_panel(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, speech_like: np.ndarray, tmp_path: Path
) -> None:
    virtual_sound.silence_input()
    _choose(window)
    view = window.live_view
    levels, interims = [], []
    window.bridge.input_level.connect(lambda rms, gated: levels.append(rms))
    window.bridge.interim_text.connect(lambda utterance, committed, tentative: interims.append(utterance))

    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)
    assert view.start.text() == "Stop" and not view.target.isEnabled()
    _play(speech_like)
    # The utterance's own figures come first, the session's rolling ones with the next stats event.
    qtbot.waitUntil(lambda: view.latency.percentile_text("speech_to_speech")[2] == "1", timeout=40_000)

    rows = view.transcript.final_rows()
    assert len(rows) == 1 and rows[0].source and rows[0].translation and rows[0].language == "en"
    assert interims, "no interim text was shown while the speech went on"
    assert levels and max(levels) > 0.01
    bars = view.latency.stage_bars.bars
    assert {"recognition", "translation", "synthesis", "playback_wait"} <= set(bars)
    assert all(bars[name].duration > 0 for name in ("recognition", "translation", "synthesis"))
    assert view.latency.headline.text().startswith("speech → speech:") and "ms" in view.latency.headline.text()
    p50, p95, count = view.latency.percentile_text("speech_to_speech")
    assert p50.endswith("ms") and p95.endswith("ms") and count == "1"

    for name in ("session.txt", "session.srt"):  # written off the GUI thread
        with qtbot.waitSignal(view.transcript_saved, timeout=10_000):
            view.save_transcript(tmp_path / name)
    assert rows[0].translation in (tmp_path / "session.txt").read_text()
    subtitles = (tmp_path / "session.srt").read_text()
    assert "-->" in subtitles and rows[0].source in subtitles and rows[0].translation in subtitles
    view.save_transcript(tmp_path / "session.doc")
    assert "name the file .txt, .srt or .vtt" in window.banner.text()

    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=15_000)
    assert view.start.text() == "Start" and view.target.isEnabled()
    assert not _live_threads()


def test_push_to_talk_with_the_keyboard_shortcut(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, speech_like: np.ndarray
) -> None:
    virtual_sound.silence_input()
    _choose(window, push_to_talk=True)
    view = window.live_view
    assert not view.talk.isEnabled()  # nothing to talk into before the session runs
    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)
    assert view.talk.isEnabled()

    window.activateWindow()  # shortcuts reach the active window only
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert view.talk.isChecked()
    with qtbot.waitSignal(window.bridge.speech_started, timeout=10_000):
        pass
    portaudio().play(speech_like, SAMPLE_RATE, blocking=False)
    qtbot.wait(round(1000 * len(speech_like) / SAMPLE_RATE) + 300)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert not view.talk.isChecked()
    qtbot.waitUntil(lambda: len(view.latency.history.values) == 1, timeout=30_000)
    rows = view.transcript.final_rows()
    assert len(rows) == 1 and rows[0].source and rows[0].translation


def test_closing_the_window_stops_the_session(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, private_settings: Path
) -> None:
    virtual_sound.silence_input()
    _choose(window)
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)
    assert _live_threads()
    window.close()
    assert not _live_threads()
    assert window.live.state is State.IDLE
    assert "live" in private_settings.read_text()


def test_without_models_the_window_says_what_to_do(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window(None)
    assert "Use demo models" in window.banner.text()
    window.banner.hide()
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    assert "Use demo models" in window.banner.text()
    assert window.live.state is State.IDLE


def test_a_missing_microphone_is_a_message_not_a_crash(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer
) -> None:
    window.live_view.input_device.set_choice("Studio Mic 9000")
    assert "not found" in window.live_view.input_device.currentText()
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Studio Mic 9000" in window.banner.text(), timeout=30_000)
    assert "device lists" in window.banner.text()  # the window's own words, not a command's
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=5_000)
    assert window.live_view.start.text() == "Start"


def test_a_broken_model_folder_is_a_message(qtbot, window: MainWindow, tmp_path: Path) -> None:
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    window.settings_view.whisper.set_path(empty)
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not-a-model" in window.banner.text(), timeout=30_000)
    assert "model.bin" in window.banner.text()
    assert window.live.state is State.IDLE


@pytest.mark.parametrize("source", ["auto", "de"])
def test_conversation_mode_needs_two_languages(qtbot, window: MainWindow, source: str) -> None:
    view = window.live_view
    view.source.set_code(source)
    view.target.set_code("de")
    view.conversation.setChecked(True)
    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    assert "two different languages" in window.banner.text()
    assert window.live.state is State.IDLE


def test_swap_exchanges_the_languages_and_typing_finds_one(qtbot, window: MainWindow) -> None:
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    qtbot.mouseClick(view.swap, Qt.MouseButton.LeftButton)
    assert (view.source.code(), view.target.code()) == ("de", "en")
    completer = view.target.completer()
    completer.setCompletionPrefix("portug")
    assert completer.currentCompletion().startswith("Portuguese")


def test_a_transcript_that_cannot_be_written_is_a_message(qtbot, window: MainWindow, tmp_path: Path) -> None:
    with qtbot.waitSignal(window.live_view.save_failed, timeout=10_000):
        window.live_view.save_transcript(tmp_path / "no such folder" / "session.txt")
    assert "cannot save the transcript to" in window.banner.text() and "unexpected" not in window.banner.text()
    assert not list(tmp_path.glob("**/*session*"))
