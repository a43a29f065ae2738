"""The live session from the side of the screen: the captions window, the tray menu and push-to-talk from any
application, on the virtual sound card with the demo models (offscreen, and once on a real X server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import test_real_window
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from bench.virtual_sound import VirtualSoundServer
from translator.audio.devices import portaudio
from translator.audio.files import SAMPLE_RATE
from translator.config import AppConfig
from translator.languages import find_language
from translator.pipeline.live_events import FinalTranscript, InterimTranscript, TranslationReady
from ui.captions_window import CaptionsOptions
from ui.global_shortcut import platform_problem, pynput_hotkey
from ui.main_window import MainWindow
from ui.sessions import State
from ui.tray import TALKING_TEXT
from ui.widgets import LOOPBACK

SCRIPT = Path(__file__).with_name("screenshot_captions.py")
x_display = test_real_window.x_display  # the private Xvfb screen, as a fixture of this module too
ENGLISH, GERMAN = find_language("en"), find_language("de")


def _choose(window: MainWindow, push_to_talk: bool = False) -> None:
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    view.input_device.set_choice(LOOPBACK)  # the card's monitor: what the test plays is what is heard
    view.speech.setChecked(False)  # text only: the captions are under test, and nothing waits for the voice
    view.push_to_talk.setChecked(push_to_talk)


def _start(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)


def test_the_captions_window_shows_interim_then_final_text_of_a_live_session(
    qtbot, window: MainWindow, virtual_sound: VirtualSoundServer, speech_like: np.ndarray
) -> None:
    virtual_sound.silence_input()
    _choose(window)
    qtbot.mouseClick(window.live_view.captions_button, Qt.MouseButton.LeftButton)
    captions = window.companions.captions
    assert captions.isVisible() and captions.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    shown: list[tuple[str, str, str]] = []  # event, what the window showed after it (as text and as HTML)
    for name, signal in (("interim", window.bridge.interim_text), ("translation", window.bridge.translation_ready)):
        # Connected after the window's own slots: each sees what the window shows once it has handled the event.
        signal.connect(
            lambda *_, name=name: shown.append((name, captions.plain_text(), captions.text.document.toHtml()))
        )

    _start(qtbot, window)
    portaudio().play(np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), speech_like]), SAMPLE_RATE)
    qtbot.waitUntil(lambda: any(caption.translation for caption in captions.captions()), timeout=40_000)

    before_translation = shown[: [event for event, _, _ in shown].index("translation")]
    forming = [html for event, text, html in before_translation if event == "interim" and text]
    assert forming, "no words were shown while the speech went on"
    assert all("font-style:italic" in html for html in forming)  # forming: grey italics
    row = window.live_view.transcript.final_rows()[0]
    assert [(caption.source, caption.translation, caption.final) for caption in captions.captions()] == [
        (row.source, row.translation, True)
    ]
    assert captions.plain_text() == f"{row.source}\n{row.translation}"  # the spoken line above its translation
    assert "font-style:italic" not in captions.text.document.toHtml()  # settled
    qtbot.mouseClick(window.live_view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=15_000)


def test_the_captions_font_size_and_options_apply_and_persist(qtbot, open_window, demo_config: AppConfig) -> None:  # type: ignore[no-untyped-def]
    window = open_window(demo_config)
    view_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&View")
    next(action for action in view_menu.actions() if "Captions" in action.text()).trigger()
    captions = window.companions.captions
    captions.resize(700, 220)
    qtbot.waitUntil(captions.isActiveWindow)  # shortcuts reach the active window only
    for event in (
        InterimTranscript(1, "Good", "morning"),
        FinalTranscript(1, "Good morning.", ENGLISH),
        TranslationReady(1, "Guten Morgen.", ENGLISH, GERMAN),
        InterimTranscript(2, "", "Where is"),
    ):
        window.bridge.on_live_event(event)
    assert captions.plain_text() == "Good morning.\nGuten Morgen.\nWhere is"
    assert captions.options == CaptionsOptions()  # 36 pt, the spoken line shown, dark, framed
    assert captions.grab().toImage().pixelColor(3, 3).lightness() < 30

    wheel = QWheelEvent(
        QPointF(50, 50), QPointF(captions.mapToGlobal(QPoint(50, 50))), QPoint(), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(captions, wheel)
    assert captions.options.font_size == 40 and "font-size:40pt" in captions.text.document.toHtml()
    sizes = []
    for key, modifier in (
        (Qt.Key.Key_Minus, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Plus, Qt.KeyboardModifier.NoModifier),
    ):
        qtbot.keyClick(captions, key, modifier)
        sizes.append(captions.options.font_size)
    assert sizes == [36, 32, 36, 40]

    captions.show_source.trigger()
    assert captions.plain_text() == "Guten Morgen.\nWhere is"  # the words still forming show all the same
    captions.dark.trigger()
    assert captions.grab().toImage().pixelColor(3, 3).lightness() > 225
    assert captions.text.outline.isEmpty()
    captions.transparent.trigger()
    assert not captions.text.outline.isEmpty()  # outlined letters, readable over whatever is behind them
    assert captions.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert captions.testAttribute(Qt.WidgetAttribute.WA_TranslucentBackground) and captions.isVisible()
    assert captions.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    chosen = CaptionsOptions(font_size=40, show_source=False, dark=False, transparent=True)
    assert captions.options == chosen
    window.close()
    assert not captions.isVisible()

    again = open_window(demo_config).companions.captions
    assert again.options == chosen and again.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert again.size() == QSize(700, 220)


def test_the_tray_menu_starts_and_stops_a_session(qtbot, window: MainWindow, virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.silence_input()
    _choose(window)
    tray = window.companions.tray  # offscreen there is no tray to put an icon in: the menu is there all the same
    actions = {action.text(): action for action in tray.menu.actions()}
    assert {"Start live translation", "Stop", "Show the window", "Captions window", "Quit"} <= set(actions)
    assert tray.state_action.text() == "Stopped"
    assert tray.start_action.isEnabled() and not tray.stop_action.isEnabled()
    window.hide()  # out of sight: only the tray is at hand

    tray.start_action.trigger()
    qtbot.waitUntil(lambda: window.live.state is State.RUNNING, timeout=30_000)
    assert tray.state_action.text() == "Listening" and not tray.start_action.isEnabled()
    assert window.live_view.start.text() == "Stop"  # the window follows what the tray did
    tray.stop_action.trigger()
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=15_000)
    assert tray.state_action.text() == "Stopped" and tray.start_action.isEnabled()

    actions["Show the window"].trigger()
    assert window.isVisible()
    actions["Quit"].trigger()
    assert not window.isVisible()


def test_the_global_shortcut_says_where_it_cannot_work() -> None:
    assert "Wayland" in (platform_problem({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux") or "")
    assert "Wayland" in (platform_problem({"XDG_SESSION_TYPE": "wayland"}, "linux") or "")
    assert platform_problem({}, "linux") == "no X server (DISPLAY is unset)"
    assert platform_problem({"DISPLAY": ":0"}, "linux") is None
    assert platform_problem({}, "win32") is None
    assert "not supported" in (platform_problem({}, "sunos5") or "")
    assert pynput_hotkey("Ctrl+Alt+Space") == "<ctrl>+<alt>+<space>"
    assert pynput_hotkey("Ctrl+Shift+K") == "<ctrl>+<shift>+k"
    assert pynput_hotkey("F9") == "<f9>"
    assert pynput_hotkey("Media Play") is None and pynput_hotkey("") is None


def test_without_an_x_server_push_to_talk_from_anywhere_is_a_message_and_f2_still_talks(
    qtbot, open_window, demo_config: AppConfig, virtual_sound: VirtualSoundServer, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    virtual_sound.silence_input()
    window = open_window(demo_config)
    note = window.settings_view.global_talk_note.text()
    assert "Wayland" in note and "F2 works in this window" in note
    _choose(window, push_to_talk=True)
    _start(qtbot, window)
    message = window.statusBar().currentMessage()
    assert message.startswith("Push to talk from other applications is off:") and "Wayland" in message
    assert not window.companions.shortcut.listening
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert window.live_view.talk.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert not window.live_view.talk.isChecked()


def test_a_key_held_while_another_application_has_focus_talks(
    qtbot,
    x_display: str,
    open_window,
    demo_config: AppConfig,
    virtual_sound: VirtualSoundServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    xlib = pytest.importorskip("Xlib.display", reason="python-xlib (pynput's X11 backend) is not installed")
    from Xlib import XK, X
    from Xlib.ext import xtest

    monkeypatch.setenv("DISPLAY", x_display)  # only the shortcut uses it: the window stays offscreen
    for name in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    virtual_sound.silence_input()
    window = open_window(demo_config)
    _choose(window, push_to_talk=True)
    threads = set(threading.enumerate())
    _start(qtbot, window)
    assert window.companions.shortcut.listening, window.statusBar().currentMessage()
    assert window.statusBar().currentMessage() == "Hold Ctrl+Alt+Space to talk, in any application."

    display = xlib.Display(x_display)  # another application on that X server, its window focused
    screen = display.screen()
    other = screen.root.create_window(0, 0, 200, 100, 0, screen.root_depth)
    other.map()
    other.set_input_focus(X.RevertToParent, X.CurrentTime)
    display.sync()
    assert display.get_input_focus().focus == other

    def keys(kind: int, names: tuple[str, ...]) -> None:  # XTEST: as if typed on the keyboard
        for name in names:
            xtest.fake_input(display, kind, display.keysym_to_keycode(XK.string_to_keysym(name)))
        display.sync()

    view = window.live_view
    try:
        with qtbot.waitSignal(window.bridge.speech_started, timeout=10_000):  # the session hears the press
            keys(X.KeyPress, ("Control_L", "Alt_L", "space"))
        assert view.talk.isChecked() and window.companions.tray.state_text() == TALKING_TEXT
        keys(X.KeyRelease, ("space", "Alt_L", "Control_L"))
        qtbot.waitUntil(lambda: not view.talk.isChecked(), timeout=5_000)
    finally:
        display.close()
    qtbot.mouseClick(view.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live.state is State.IDLE, timeout=15_000)
    assert not window.companions.shortcut.listening
    # The keyboard is no longer watched, at once: not only after the next key pressed somewhere.
    qtbot.waitUntil(lambda: set(threading.enumerate()) <= threads, timeout=5_000)


def test_a_screenshot_of_the_captions_window_on_a_real_screen(x_display: str, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PULSE_SERVER")}
    environment["DISPLAY"] = x_display
    screenshot = tmp_path / "captions.png"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(screenshot), str(tmp_path / "work")],
        env=environment, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["platform"] == "xcb" and summary["saved"] and summary["on_top"] and summary["demo_notice"]
    events = [event for event, _ in summary["shown"]]
    first_final = events.index("final")
    assert any(event == "interim" and text for event, text in summary["shown"][:first_final])  # words forming
    assert first_final < events.index("translation")
    assert [translation for _, translation in summary["captions"]] == [
        "Frag nicht, was dein Land für dich tun kann."
    ] * 2
    image = QImage(str(screenshot))
    assert (image.width(), image.height()) == (summary["width"], summary["height"]) == (1000, 300)
    pixels = np.array([image.pixelColor(x, y).lightness() for x in range(0, 1000, 8) for y in range(0, 300, 8)])
    assert pixels.std() > 10  # drawn: light captions on black, not a blank screen
