"""Sound devices through real PortAudio streams on the virtual sound card the tests start."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bench.virtual_sound import VirtualSoundServer
from translator.audio.devices import AudioDeviceError, find_device, list_devices, portaudio
from translator.errors import Remedy


def test_lists_the_virtual_devices(virtual_sound: VirtualSoundServer) -> None:
    devices = list_devices()
    assert any(device.name == "pulse" and device.input_channels and device.output_channels for device in devices)
    assert sum(device.default_input for device in devices) == 1
    assert sum(device.default_output for device in devices) == 1


def test_find_device_by_default_index_and_name(virtual_sound: VirtualSoundServer) -> None:
    default = find_device(None, "input")
    assert default.default_input
    pulse = find_device("PULSE", "output")
    assert pulse.name == "pulse"
    assert find_device(str(pulse.index), "output") == pulse


def test_unknown_device_says_so_and_offers_the_device_list(virtual_sound: VirtualSoundServer) -> None:
    with pytest.raises(AudioDeviceError, match="no audio input device matches 'no-such-mic'") as raised:
        find_device("no-such-mic", "input")
    assert raised.value.remedy is Remedy.LIST_DEVICES  # the CLI names `translator devices`, the window its lists


def test_played_sound_comes_back_through_the_loopback(virtual_sound: VirtualSoundServer) -> None:
    sounddevice = portaudio()
    virtual_sound.loopback()
    rate = 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    recorded = sounddevice.playrec(
        tone, samplerate=rate, channels=1, dtype="float32", device=(find_device(None, "input").index,
                                                                   find_device(None, "output").index),
    )  # fmt: skip
    sounddevice.wait()
    assert float(np.max(np.abs(recorded))) > 0.2
    virtual_sound.silence_input()
    quiet = sounddevice.rec(
        rate // 4, samplerate=rate, channels=1, dtype="float32", device=find_device(None, "input").index
    )
    sounddevice.wait()
    assert float(np.max(np.abs(quiet))) < 1e-3


def test_no_device_is_a_one_line_error_naming_the_remedy() -> None:
    # A fresh process whose PortAudio finds no sound server and no sound card (this machine has none).
    code = (
        "from translator.audio.devices import find_device, AudioDeviceError\n"
        "try:\n    find_device(None, 'input')\nexcept AudioDeviceError as error:\n    print(error, error.remedy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={"PULSE_SERVER": "unix:/nonexistent", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if "device found" not in result.stdout:
        pytest.skip("this machine has a real sound device")
    assert result.stdout.strip() == "no audio input device found: connect a microphone Remedy.INPUT_FROM_FILE"
