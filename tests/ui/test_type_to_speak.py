"""Type to speak and the conversation view, driven like a user would, on the virtual sound card with the demo models."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from test_sources import DEADLINE, Recorder

from bench.virtual_sound import VirtualSoundServer
from translator.audio.sources import MicrophoneSource
from translator.models.folders import DEMO_TRANSLATIONS
from translator.pipeline.live_events import LiveStats, UtteranceDone
from ui.conversation_view import ColumnLine
from ui.main_window import MainWindow
from ui.sessions import State


def _loud_seconds(audio: np.ndarray, rate: int = 16000) -> float:
    """How much of `audio` is clearly sound, in 50 ms blocks."""
    block = rate // 20
    blocks = audio[: len(audio) // block * block].reshape(-1, block)
    return float(np.sum(np.sqrt(np.mean(blocks**2, axis=1)) > 0.02)) / 20


def test_typed_text_is_translated_spoken_and_timed(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer
) -> None:
    virtual_sound.loopback()
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    done: list[UtteranceDone] = []
    window.bridge.utterance_done.connect(done.append)
    assert not view.speak_box.direction.isVisibleTo(view)  # one way: no direction to choose
    with Recorder(MicrophoneSource()) as monitor:
        assert monitor.first_block.wait(DEADLINE)
        qtbot.keyClicks(view.speak_box.text, "Where is the station?")
        qtbot.keyClick(view.speak_box.text, Qt.Key.Key_Return)
        assert view.speak_box.text.text() == ""  # ready for the next text at once
        qtbot.waitUntil(lambda: bool(done), timeout=30_000)  # after its last sample was heard
        heard = monitor.audio()

    rows = view.transcript.final_rows()
    assert [(row.source, row.translation, row.language) for row in rows] == [
        ("Where is the station?", DEMO_TRANSLATIONS["de"], "en")
    ]
    assert "not spoken" not in rows[0].note
    assert done[0].spoken and done[0].utterance < 0  # typed ids never meet a live session's
    bars = view.latency.stage_bars.bars
    assert {"translation", "synthesis", "playback_wait"} <= set(bars) and "recognition" not in bars
    assert view.latency.headline.text().startswith("speech → speech:") and "ms" in view.latency.headline.text()
    assert _loud_seconds(heard) > 2.0  # the demo voice's 4 s sentence reached the speaker


def test_conversation_typing_goes_through_the_session_and_shows_two_columns(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer
) -> None:
    virtual_sound.silence_input()
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    view.conversation.setChecked(True)
    view.speech.setChecked(True)
    assert view.transcript_pages.currentWidget() is view.conversation_view
    stats: list[LiveStats] = []
    done: list[UtteranceDone] = []
    window.bridge.live_stats.connect(stats.append)
    window.bridge.utterance_done.connect(done.append)
    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)

    qtbot.mouseClick(view.speak_box.direction, Qt.MouseButton.LeftButton)  # the partner types, in German
    assert view.speak_box.direction.text() == "de → en"
    qtbot.keyClicks(view.speak_box.text, "Wo ist der Bahnhof?")
    qtbot.mouseClick(view.speak_box.speak, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    assert done[0].spoken
    row = view.transcript.final_rows()[0]
    assert (row.source, row.translation, row.language) == ("Wo ist der Bahnhof?", DEMO_TRANSLATIONS["en"], "de")
    # Spoken through the session's own speaker: its echo gate closed the microphone while it played.
    qtbot.waitUntil(lambda: bool(stats) and stats[-1].gated_seconds > 1.0, timeout=15_000)

    conversation = view.conversation_view
    assert (conversation.user.title, conversation.partner.title) == ("English", "German")
    assert conversation.user.lines == [ColumnLine(DEMO_TRANSLATIONS["en"], own=False)]
    assert conversation.partner.lines == [ColumnLine("Wo ist der Bahnhof?", own=True)]
    upright = conversation.partner.grab().toImage()
    qtbot.mouseClick(conversation.flip, Qt.MouseButton.LeftButton)
    turned = conversation.partner.grab().toImage()
    assert conversation.partner.flipped and not conversation.user.flipped
    assert turned != upright
    assert turned == upright.flipped(Qt.Orientation.Horizontal | Qt.Orientation.Vertical)  # exactly 180°

    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=15_000)
