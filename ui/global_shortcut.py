"""Push-to-talk from any application: a key held while another window has focus, through pynput.

Where the platform lets an application see keys meant for others (X11, Windows, macOS with the user's
permission), a pynput listener watches for the chosen combination and reports its press and release. Where it
cannot (a Wayland session, no X server, pynput missing), `problem` says why in one line and nothing else
changes: the window's own shortcut (F2) keeps working. The listener only watches, it never swallows a key:
the focused application still receives it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence

logger = logging.getLogger(__name__)

DEFAULT_GLOBAL_TALK = "Ctrl+Alt+Space"
# X11 repeats a held key as release+press pairs: a release followed this soon by a press is one hold.
_RELEASE_GRACE_MS = 80

_MODIFIERS = (
    (Qt.KeyboardModifier.ControlModifier, "<ctrl>"),
    (Qt.KeyboardModifier.AltModifier, "<alt>"),
    (Qt.KeyboardModifier.ShiftModifier, "<shift>"),
    (Qt.KeyboardModifier.MetaModifier, "<cmd>"),
)
# Qt's keys that pynput names (letters, digits and punctuation go by their character).
_NAMED_KEYS = {
    Qt.Key.Key_Space: "<space>",
    Qt.Key.Key_Pause: "<pause>",
    Qt.Key.Key_ScrollLock: "<scroll_lock>",
    Qt.Key.Key_Insert: "<insert>",
    Qt.Key.Key_Home: "<home>",
    Qt.Key.Key_End: "<end>",
    Qt.Key.Key_PageUp: "<page_up>",
    Qt.Key.Key_PageDown: "<page_down>",
    Qt.Key.Key_Menu: "<menu>",
    Qt.Key.Key_Print: "<print_screen>",
    Qt.Key.Key_Tab: "<tab>",
    Qt.Key.Key_Left: "<left>",
    Qt.Key.Key_Right: "<right>",
    Qt.Key.Key_Up: "<up>",
    Qt.Key.Key_Down: "<down>",
}
_LAST_FUNCTION_KEY = 20  # pynput names F1 to F20 on every platform
_JOIN_SECONDS = 2.0


def pynput_hotkey(sequence: str) -> str | None:
    """A Qt key sequence ("Ctrl+Alt+Space") in pynput's notation ("<ctrl>+<alt>+<space>"); None for a key
    pynput cannot watch for (or an empty sequence)."""
    keys = QKeySequence(sequence)
    if keys.isEmpty():
        return None
    combination = keys[0]  # type: ignore[index]  # PySide6's stubs lack QKeySequence's operator[]
    key, modifiers = combination.key(), combination.keyboardModifiers()
    parts = [name for modifier, name in _MODIFIERS if modifiers & modifier]
    if key in _NAMED_KEYS:
        parts.append(_NAMED_KEYS[key])
    elif Qt.Key.Key_F1.value <= key.value < Qt.Key.Key_F1.value + _LAST_FUNCTION_KEY:
        parts.append(f"<f{key.value - Qt.Key.Key_F1.value + 1}>")
    elif 0x21 <= key.value <= 0x7E and chr(key.value) != "+":  # printable ASCII; "+" separates keys
        parts.append(chr(key.value).lower())
    else:
        return None
    return "+".join(parts)


def platform_problem(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no global shortcut can work here, from the environment alone (nothing is connected to); None where
    one may. The reasons are the user's words: they end up in the window."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if importlib.util.find_spec("pynput") is None:
        return "the pynput library is missing from this installation (./scripts/setup.sh installs it)"
    if platform.startswith("linux"):
        if environ.get("XDG_SESSION_TYPE") == "wayland" or environ.get("WAYLAND_DISPLAY"):
            # Under Wayland an X client (XWayland included) sees only keys sent to X windows; the desktop's
            # GlobalShortcuts portal is the way, and this app does not use it yet.
            return "Wayland shows no application the keys typed into others (its shortcut portal is not used yet)"
        if not environ.get("DISPLAY"):
            return "no X server (DISPLAY is unset)"
    elif platform != "win32" and platform != "darwin":
        return f"not supported on {platform}"
    return None


class GlobalShortcut(QObject):
    """Reports a key combination held in any application: `pressed`, then `released` when it is let go.

    `start(sequence)` returns None once listening, or the one-line reason it cannot; `stop()` ends it. The
    listener runs on pynput's thread; its events reach the GUI thread through a queued signal.
    """

    pressed = Signal()
    released = Signal()
    _key_changed = Signal(bool)  # from pynput's thread: the combination is now held (True) or not

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: Any = None  # pynput's keyboard.Listener: it ships no type information
        self._display_name: str | None = None  # the X server it watches
        self._held = False
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(_RELEASE_GRACE_MS)
        self._release_timer.timeout.connect(self._on_released)
        self._key_changed.connect(self._on_key_changed, Qt.ConnectionType.QueuedConnection)

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def start(self, sequence: str) -> str | None:
        """Listen for `sequence` (Qt's notation, e.g. "Ctrl+Alt+Space") in every application."""
        self.stop()
        problem = platform_problem()
        if problem:
            return problem
        hotkey = pynput_hotkey(sequence)
        if hotkey is None:
            return f"{sequence or 'no key'} cannot be watched for: choose a letter, a function key or Space"
        try:  # the X11 backend connects to the display as it is imported
            from pynput import keyboard
        except ImportError as error:
            return f"pynput cannot watch the keyboard here ({str(error).splitlines()[0]})"
        wanted = set(keyboard.HotKey.parse(hotkey))
        down: set[object] = set()

        def changed(key: object, pressed: bool) -> None:  # pynput's thread
            if not listener.running:  # stopped: what it still hears belongs to no session
                return
            canonical = listener.canonical(key)
            was_held = wanted <= down
            (down.add if pressed else down.discard)(canonical)
            if (wanted <= down) != was_held:
                self._key_changed.emit(not was_held)

        listener = keyboard.Listener(
            on_press=lambda key: changed(key, True), on_release=lambda key: changed(key, False)
        )
        listener.start()
        listener.wait()
        if not getattr(listener, "IS_TRUSTED", True):  # macOS without the Accessibility permission
            listener.stop()
            return "allow this app under System Settings, Privacy & Security, Accessibility"
        self._listener = listener
        self._display_name = os.environ.get("DISPLAY")
        logger.info("global push-to-talk: listening for %s", hotkey)
        return None

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            _end_x11_recording(listener, self._display_name)
            listener.join(_JOIN_SECONDS)
        self._release_timer.stop()
        if self._held:
            self._held = False
            self.released.emit()

    def _on_key_changed(self, held: bool) -> None:
        if self._listener is None:  # queued before stop()
            return
        if not held:
            self._release_timer.start()
        elif self._release_timer.isActive():  # a key repeat: still the same hold
            self._release_timer.stop()
        elif not self._held:
            self._held = True
            self.pressed.emit()

    def _on_released(self) -> None:
        if self._held:
            self._held = False
            self.released.emit()


def _end_x11_recording(listener: Any, display_name: str | None) -> None:
    """End an X11 listener now. pynput (1.8.2) sends its stop on the connection that is blocked waiting for keys,
    so the listener ends only at the next key pressed anywhere (moses-palmer/pynput#583); the same request on a
    connection of its own reaches the X server at once."""
    context = getattr(listener, "_context", None)  # the X RECORD context: only the X11 backend has one
    if context is None or not display_name:
        return
    try:
        from Xlib.display import Display

        display = Display(display_name)
        try:
            display.record_disable_context(context)
            display.sync()
        finally:
            display.close()
    except Exception as error:  # the X server is gone, and the listener with it
        logger.debug("ending the X11 key listener: %s", error)
