"""PyInstaller runtime hook (Linux): sound works without a system PortAudio, and programs the app starts
(`pactl` for loopback capture, `xdg-open` for a finished file) run with the system's own libraries.

sounddevice finds PortAudio with `ctypes.util.find_library("portaudio")`, which searches only the
system's libraries. The build bundles a copy (PyInstaller's sounddevice hook); the lookup falls back to
it, while a system PortAudio, when there is one, is still preferred.

The bootloader prepends the bundle's folder to LD_LIBRARY_PATH (keeping the user's value in
LD_LIBRARY_PATH_ORIG). This process read it when it started, so it is no longer needed here; left in the
environment it would make every child process load the bundle's libraries (readline, dbus, ...) instead of
its own, which breaks shells and tools built against newer ones.
"""

import ctypes.util
import os
import sys

_system_find_library = ctypes.util.find_library


def _find_library(name: str) -> str | None:
    found = _system_find_library(name)
    if found is None and name == "portaudio":
        bundled = os.path.join(sys._MEIPASS, "libportaudio.so.2")
        if os.path.isfile(bundled):
            return bundled
    return found


def _restore_library_path() -> None:
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


ctypes.util.find_library = _find_library
_restore_library_path()
