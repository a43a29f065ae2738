"""Sound devices through PortAudio (sounddevice): listing them and choosing one by index or name.

sounddevice is imported on first use, so the batch path works on a machine without PortAudio and the
live path fails with a message that says how to install it. While a stream is open, what PortAudio and ALSA
print on their own goes to the log (`LIBRARY_MESSAGES`), so a vanishing device ends in our one line alone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from translator.errors import Remedy, TranslatorError
from translator.paths import log_path

Direction = Literal["input", "output"]
_LOOPBACK_HINTS = ("monitor", "loopback", "stereo mix", "what u hear")


class AudioDeviceError(TranslatorError):
    """No usable sound device, or PortAudio itself is missing."""


@dataclass(frozen=True)
class AudioDevice:
    """A PortAudio device as the user sees it."""

    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_sample_rate: float
    default_input: bool = False
    default_output: bool = False

    @property
    def is_loopback(self) -> bool:
        """Whether the device records what the computer plays (a monitor or loopback source)."""
        lowered = self.name.lower()
        return self.input_channels > 0 and any(hint in lowered for hint in _LOOPBACK_HINTS)

    def serves(self, direction: Direction) -> bool:
        return (self.input_channels if direction == "input" else self.output_channels) > 0


class LibraryMessages:
    """Sends what C libraries print on the C `stderr` stream to the app's log while anyone holds it.

    When a device vanishes, PortAudio's audio thread prints its own diagnostics ("Expression
    'alsa_snd_pcm_poll_descriptors_revents(...)' failed in 'src/hostapi/alsa/pa_linux_alsa.c'"), and ALSA its
    errors, through the C library's `stderr`, at any moment, where nothing in Python can catch them; a redirect of
    file descriptor 2 around a call cannot either, and for the whole session it would also take Python's own
    output (and its terminal check) away. So the `stderr` pointer alone is swapped while streams are open: Python
    writes to descriptor 2 itself and is untouched. The log (or /dev/null when the app has no log folder yet)
    is opened once per path and never closed, since a library thread may still be writing through it when the
    pointer is put back. glibc only; elsewhere nothing changes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved: int | None = None  # the C library's own stderr, while swapped
        self._opened: dict[str, int] = {}  # FILE pointers by path, kept for the process
        self._libc: ctypes.CDLL | None = None
        if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
            self._libc = ctypes.CDLL(None)
            self._libc.fopen.restype = ctypes.c_void_p
            self._libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
            self._libc.setvbuf.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t)

    def hold(self) -> None:
        """Send the C libraries' messages to the log until every holder has released."""
        with self._lock:
            self._holders += 1
            if self._holders == 1 and self._libc is not None:
                target = self._target()
                if target is not None:
                    stderr = ctypes.c_void_p.in_dll(self._libc, "stderr")
                    self._saved, stderr.value = stderr.value, target

    def release(self) -> None:
        """Undo one `hold()`; the last one puts the C library's own stderr back."""
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._saved is not None and self._libc is not None:
                ctypes.c_void_p.in_dll(self._libc, "stderr").value = self._saved
                self._saved = None

    def _target(self) -> int | None:
        assert self._libc is not None
        log = log_path()
        path = str(log) if log.parent.is_dir() else os.devnull
        if path not in self._opened:
            stream = self._libc.fopen(os.fsencode(path), b"a")
            if not stream:
                return None
            self._libc.setvbuf(stream, None, 1, 0)  # _IOLBF: each line reaches the log as it is written
            self._opened[path] = stream
        return self._opened[path]


LIBRARY_MESSAGES = LibraryMessages()


def portaudio() -> ModuleType:
    """The sounddevice module, or an `AudioDeviceError` saying how to install PortAudio."""
    try:
        import sounddevice
    except OSError as error:  # sounddevice raises OSError when the PortAudio library is absent
        raise AudioDeviceError(
            "the PortAudio library is missing: install it (Debian/Ubuntu: sudo apt install libportaudio2)"
        ) from error
    module: ModuleType = sounddevice
    return module


def refresh_devices() -> None:
    """Make PortAudio look for devices again (it only enumerates them when it starts)."""
    sounddevice = portaudio()
    sounddevice._terminate()
    sounddevice._initialize()


def list_devices() -> list[AudioDevice]:
    """Every input and output device PortAudio reports."""
    sounddevice = portaudio()
    host_apis = [api["name"] for api in sounddevice.query_hostapis()]
    default_input, default_output = sounddevice.default.device
    return [
        AudioDevice(
            index=index,
            name=info["name"],
            host_api=host_apis[info["hostapi"]],
            input_channels=info["max_input_channels"],
            output_channels=info["max_output_channels"],
            default_sample_rate=info["default_samplerate"],
            default_input=index == default_input,
            default_output=index == default_output,
        )
        for index, info in enumerate(sounddevice.query_devices())
    ]


def find_device(choice: str | int | None, direction: Direction) -> AudioDevice:
    """The device for `direction`: the system default when `choice` is None, else by index, exact
    name, or a unique part of the name (case-insensitive)."""
    devices = [device for device in list_devices() if device.serves(direction)]
    if not devices:
        device = "a microphone" if direction == "input" else "speakers or headphones"
        instead = Remedy.INPUT_FROM_FILE if direction == "input" else Remedy.OUTPUT_TO_FILE
        raise AudioDeviceError(f"no audio {direction} device found: connect {device}", remedy=instead)
    if choice is None:
        default = next((device for device in devices if getattr(device, f"default_{direction}")), None)
        return default or devices[0]
    text = str(choice).strip()
    if text.isdigit():
        match = [device for device in devices if device.index == int(text)]
    else:
        match = [device for device in devices if device.name.lower() == text.lower()] or [
            device for device in devices if text.lower() in device.name.lower()
        ]
    if len(match) == 1:
        return match[0]
    if not match:
        raise AudioDeviceError(f"no audio {direction} device matches '{text}'", remedy=Remedy.LIST_DEVICES)
    names = ", ".join(f"{device.index}: {device.name}" for device in match)
    raise AudioDeviceError(f"'{text}' matches several {direction} devices ({names}): give its number")
