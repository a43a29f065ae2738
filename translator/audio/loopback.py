"""Recording what the computer plays (loopback): the sound server's monitor source, or a loopback device.

On Linux a PulseAudio server (or PipeWire's pulse layer) offers a monitor of every output; `pactl` names
the default one. Elsewhere a loopback device must exist by name ("Stereo Mix", BlackHole); when none
does, the error says what this system needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from translator.audio.devices import AudioDevice, AudioDeviceError, find_device, list_devices
from translator.errors import Remedy

# What it takes to record what the computer plays, on each system (chosen by `no_loopback_message`).
_LOOPBACK_ADVICE = {
    "linux": "it needs a PulseAudio or PipeWire sound server (PipeWire with pipewire-pulse) and its pactl tool "
    "(Debian/Ubuntu: sudo apt install pulseaudio-utils), or a monitor source of the speakers chosen as the input "
    "device",
    "win32": "enable 'Stereo Mix' (Sound settings, Recording tab) and choose it as the input device",
    "darwin": "install a loopback driver such as BlackHole, send the sound to it and choose it as the input device",
}


def _pactl(*arguments: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["pactl", *arguments], env={**os.environ, "LC_ALL": "C"}, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def pulse_monitor_source() -> str | None:
    """The monitor of the default sink when a PulseAudio (or PipeWire) server answers, else None."""
    if shutil.which("pactl") is None:
        return None
    info = _pactl("info")
    if info is None or info.returncode != 0:
        return None
    sources = _pactl("list", "short", "sources")
    names = [line.split("\t")[1] for line in (sources.stdout if sources else "").splitlines() if "\t" in line]
    default = _pactl("get-default-sink")  # pactl 15 and later; `pactl info` has it for older ones
    sink = default.stdout.strip() if default is not None and default.returncode == 0 else ""
    if not sink:
        sink = next(
            (line.split(":", 1)[1].strip() for line in info.stdout.splitlines() if line.startswith("Default Sink:")), ""
        )
    if f"{sink}.monitor" in names:
        return f"{sink}.monitor"
    monitor = next((name for name in names if name.endswith(".monitor")), None)
    if monitor is None:
        raise AudioDeviceError(
            "no loopback source: the sound server has no monitor source; is an output device set up?"
        )
    return monitor


def loopback_device(choice: str | int | None, pulse: bool) -> AudioDevice:
    """The input device to record the computer's own sound from."""
    if choice is not None:
        return find_device(choice, "input")
    if pulse:
        # The ALSA "pulse" device goes through libpulse, which honours PULSE_SOURCE; "default" may not
        # (PipeWire's own ALSA plugin), so it is only the fallback.
        named = [device for device in list_devices() if device.name == "pulse" and device.input_channels > 0]
        return named[0] if named else find_device(None, "input")
    loopbacks = [device for device in list_devices() if device.is_loopback]
    if not loopbacks:
        raise AudioDeviceError(no_loopback_message(), remedy=Remedy.LIST_DEVICES)
    return loopbacks[0]


def no_loopback_message(platform: str = sys.platform) -> str:
    """Why the computer's own sound cannot be recorded, with this system's way to make it possible."""
    system = next((name for name in _LOOPBACK_ADVICE if platform.startswith(name)), "linux")
    return f"no loopback source to record what this computer plays: {_LOOPBACK_ADVICE[system]}"
