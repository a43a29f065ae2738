"""Live audio sources: a file paced in real time, and real PortAudio input streams on the virtual sound card.

The virtual card's null sink renders in 2 s periods while nothing plays, so a stream recording its
monitor may wait that long for its first block; the tests wait on blocks, with generous deadlines.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from bench.virtual_sound import VirtualSoundServer
from translator.audio import sources
from translator.audio.devices import AudioDeviceError, find_device, portaudio
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.loopback import no_loopback_message
from translator.audio.sources import EndOfStream, FileSource, MicrophoneSource, open_stream, resampler_to_16k
from translator.errors import AudioError, Remedy

DEADLINE = 15.0  # seconds a test waits for audio before it fails


def tone(frequency: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * frequency * np.arange(round(seconds * rate)) / rate)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum)) * rate / len(samples)


class Recorder:
    """Reads a source on a thread, so a test can wait on something else while it records."""

    def __init__(self, source: MicrophoneSource) -> None:
        self.source = source
        self.blocks: list[np.ndarray] = []
        self.first_block = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Recorder:
        self.source.start()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            block = self.source.read(0.05)
            if block is not None:
                self.blocks.append(block)
                self.first_block.set()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.source.stop()

    def audio(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


def loud_audio(source: MicrophoneSource, seconds: float, threshold: float = 0.05) -> np.ndarray:
    """Read until `seconds` of blocks louder than `threshold` (RMS) have arrived; fails at the deadline."""
    loud: list[np.ndarray] = []
    deadline = time.monotonic() + DEADLINE
    while sum(map(len, loud)) < seconds * SAMPLE_RATE:
        assert time.monotonic() < deadline, "the played tone was not recorded"
        block = source.read(0.2)
        if block is not None and float(np.sqrt(np.mean(block**2))) > threshold:
            loud.append(block)
    return np.concatenate(loud)


def some_audio(source: MicrophoneSource, seconds: float) -> np.ndarray:
    blocks: list[np.ndarray] = []
    deadline = time.monotonic() + DEADLINE
    while sum(map(len, blocks)) < seconds * SAMPLE_RATE:
        assert time.monotonic() < deadline, "the input stream delivered no audio"
        block = source.read(0.2)
        if block is not None:
            assert block.dtype == np.float32 and block.ndim == 1 and len(block) > 0
            blocks.append(block)
    return np.concatenate(blocks)


def play_tone(seconds: float = 8.0, rate: int = 44100) -> None:
    """Start playing a 440 Hz tone on the default output (sounddevice's own stream); `stop_tone()` ends it."""
    portaudio().play(tone(440, seconds, rate), rate, device=find_device(None, "output").index)


def stop_tone() -> None:
    portaudio().stop()


def read_all(source: FileSource) -> list[np.ndarray]:
    blocks: list[np.ndarray] = []
    while True:
        try:
            block = source.read(0.5)
        except EndOfStream:
            return blocks
        if block is not None:
            blocks.append(block)


# Files.


def test_file_source_delivers_every_sample_in_real_time(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "two-seconds.wav", tone(300, 2.0, SAMPLE_RATE))
    source = FileSource(path)
    assert source.name == "two-seconds.wav"
    source.start()
    began = time.monotonic()
    blocks = read_all(source)
    elapsed = time.monotonic() - began
    np.testing.assert_array_equal(np.concatenate(blocks), read_audio(path))
    assert 1.8 <= elapsed < 10
    assert all(len(block) == round(0.032 * SAMPLE_RATE) for block in blocks[:-1])
    with pytest.raises(EndOfStream):  # it stays ended
        source.read(0.1)
    assert source.overflows == 0
    source.stop()


def test_file_source_never_waits_longer_than_asked(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "speech.wav", tone(300, 2.0, SAMPLE_RATE))
    source = FileSource(path, block_seconds=0.5)
    source.start()
    assert source.read(0.01) is None  # the first block is due only once half a second has been "recorded"
    assert len(read_all(source)) == 4
    source.stop()


def test_file_source_without_pacing_is_fast_and_speed_scales(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(300, 20.0, SAMPLE_RATE))
    source = FileSource(path, realtime=False)
    source.start()
    began = time.monotonic()
    assert sum(map(len, read_all(source))) == 20 * SAMPLE_RATE
    assert time.monotonic() - began < 5
    faster = FileSource(write_wav(tmp_path / "short.wav", tone(300, 2.0, SAMPLE_RATE)), speed=4.0)
    faster.start()
    began = time.monotonic()
    read_all(faster)
    assert 0.45 <= time.monotonic() - began < 1.8


def test_file_source_read_after_stop_returns_none(tmp_path: Path) -> None:
    source = FileSource(write_wav(tmp_path / "a.wav", tone(300, 1.0, SAMPLE_RATE)))
    assert source.read(0.01) is None  # not started
    source.start()
    source.stop()
    source.stop()
    assert source.read(0.01) is None


def test_a_bad_file_fails_at_construction(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(AudioError, match="garbage.wav"):
        FileSource(garbage)
    with pytest.raises(AudioError, match="no such file"):
        FileSource(tmp_path / "missing.wav")


def test_streaming_resampler_keeps_the_signal() -> None:
    resample = resampler_to_16k(44100)
    source = tone(440, 2.0, 44100)
    out = np.concatenate([resample(source[start : start + 1411]) for start in range(0, len(source), 1411)])
    assert abs(len(out) - 2 * SAMPLE_RATE) < 200  # the filter holds back a few samples
    assert abs(dominant_frequency(out[1000:]) - 440) < 2
    identity = resampler_to_16k(SAMPLE_RATE)
    np.testing.assert_array_equal(identity(source[:100]), source[:100])


# Input devices.


def test_microphone_records_the_played_tone_at_16k(virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.loopback()
    source = MicrophoneSource()
    assert source.name == "default"
    source.start()
    try:
        play_tone()
        recorded = loud_audio(source, 0.5)
    finally:
        stop_tone()
        source.stop()
    assert abs(dominant_frequency(recorded) - 440) <= 10
    assert 0.3 < float(np.max(np.abs(recorded))) < 0.7
    assert isinstance(source.overflows, int) and source.overflows >= 0


def test_microphone_records_silence_from_a_silent_source(virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.silence_input()
    source = MicrophoneSource("pulse")
    source.start()
    try:
        quiet = some_audio(source, 0.5)
    finally:
        source.stop()
    assert float(np.max(np.abs(quiet))) < 1e-3


def test_loopback_hears_what_is_played_while_the_microphone_is_silent(virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.silence_input()  # only the monitor route can hear the tone
    previous = os.environ.get("PULSE_SOURCE")
    loopback = MicrophoneSource(loopback=True)
    assert loopback.name == "pulse (nullsink.monitor)"
    microphone = MicrophoneSource()
    loopback.start()
    assert os.environ.get("PULSE_SOURCE") == previous  # set only while the stream opened
    try:
        with Recorder(microphone) as plain:
            play_tone()
            recorded = loud_audio(loopback, 0.5)
    finally:
        stop_tone()
        loopback.stop()
    assert abs(dominant_frequency(recorded) - 440) <= 10
    # A source opened afterwards still records the default source: the monitor did not leak to it.
    assert len(plain.audio()) > 0
    assert float(np.max(np.abs(plain.audio()))) < 1e-3


def test_no_loopback_source_gives_this_systems_advice(
    virtual_sound: VirtualSoundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "pulse_monitor_source", lambda: None)  # as if no sound server answered
    with pytest.raises(AudioDeviceError) as error:
        MicrophoneSource(loopback=True)  # and no device is named like a loopback one
    assert error.value.remedy is Remedy.LIST_DEVICES
    if sys.platform.startswith("linux"):
        assert "PulseAudio or PipeWire" in str(error.value) and "pactl" in str(error.value)
    linux, windows, mac = (no_loopback_message(system) for system in ("linux", "win32", "darwin"))
    assert "Stereo Mix" not in linux and "BlackHole" not in linux
    assert "Stereo Mix" in windows and "BlackHole" in mac


def test_unknown_input_device_is_an_audio_device_error(virtual_sound: VirtualSoundServer) -> None:
    with pytest.raises(AudioDeviceError, match="no audio input device matches 'no-such-mic'"):
        MicrophoneSource("no-such-mic")


def test_microphone_stop_is_idempotent_and_read_after_it_returns_none(virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.silence_input()
    source = MicrophoneSource(block_seconds=0.02)
    assert source.read(0.01) is None  # not started
    source.start()
    assert len(some_audio(source, 0.1)) > 0
    stopper = threading.Thread(target=source.stop)
    stopper.start()
    stopper.join()
    source.stop()
    assert source.read(0.05) is None
    assert source.overflows >= 0


def test_a_vanishing_sound_server_is_an_error_not_a_hang(tmp_path: Path, virtual_sound: VirtualSoundServer) -> None:
    doomed = VirtualSoundServer(tmp_path / "doomed")
    previous = os.environ["PULSE_SERVER"]
    os.environ["PULSE_SERVER"] = doomed.server  # the ALSA pulse plugin connects when a stream opens
    try:
        source = MicrophoneSource("pulse")
        source.start()
    finally:
        os.environ["PULSE_SERVER"] = previous
    try:
        assert len(some_audio(source, 0.1)) > 0
        doomed.stop()
        deadline = time.monotonic() + DEADLINE
        with pytest.raises(AudioDeviceError, match="input device 'pulse' stopped"):
            while time.monotonic() < deadline:
                source.read(0.2)
    finally:
        source.stop()
        doomed.stop()


def test_a_device_refusing_every_rate_names_the_rates_tried(virtual_sound: VirtualSoundServer) -> None:
    pulse = dataclasses.replace(find_device("pulse", "input"), default_sample_rate=1.0)
    with pytest.raises(
        AudioDeviceError, match=r"input device 'pulse' accepts none of the sample rates tried \(1, 2 Hz"
    ):
        open_stream(pulse, "input", (2,), lambda rate, channels: pytest.fail("no rate should be accepted"))
