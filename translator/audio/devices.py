"""Sound devices through PortAudio (sounddevice): listing them and choosing one by index or name.

sounddevice is imported on first use, so the batch path works on a machine without PortAudio and the
live path fails with a message that says how to install it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from translator.errors import Remedy, TranslatorError

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
