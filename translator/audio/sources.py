"""Live audio sources: a microphone (or what the computer plays) through PortAudio, or a file played in real time.

Every source delivers 16 kHz mono float32 blocks. PortAudio's callback only copies each block into a
bounded queue; downmixing is all it does, and resampling happens in `read()` on the caller's thread, so the
audio thread never waits on Python work and a slow consumer costs dropped blocks (counted), not glitches.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from translator.audio.devices import (
    LIBRARY_MESSAGES,
    AudioDevice,
    AudioDeviceError,
    Direction,
    find_device,
    portaudio,
)
from translator.audio.files import SAMPLE_RATE, AudioFile
from translator.audio.loopback import loopback_device, pulse_monitor_source
from translator.errors import Remedy

INPUT_RATES = (48000, 44100, 16000)  # tried in turn when the device refuses its own default rate
# A device that delivers or takes no block for this long has failed, even if PortAudio has not said so;
# generous because some devices (Bluetooth headsets, idle sound servers) take seconds to start.
DEVICE_STALL_SECONDS = 10.0
_POLL = 0.1  # how often a waiting read() looks at the stream's health


def check_stream(stream: Any, ended: threading.Event, last_activity: float, device: str, stalled: str) -> None:
    """Raise `AudioDeviceError` if a PortAudio stream has ended or has moved no audio for too long:
    a device that vanished must be an error, never a hang."""
    if ended.is_set() or not stream.active:
        raise AudioDeviceError(f"{device} stopped: check that it is still connected")
    if time.monotonic() - last_activity > DEVICE_STALL_SECONDS:
        raise AudioDeviceError(f"{device} {stalled} for {DEVICE_STALL_SECONDS:.0f} s: check that it is still connected")


class EndOfStream(Exception):
    """A finite source (a file) has delivered everything."""


class AudioSource(Protocol):
    """Where live audio comes from: 16 kHz mono float32 blocks, read one at a time."""

    def start(self) -> None: ...

    def read(self, timeout: float) -> np.ndarray | None:
        """The next block as 16 kHz mono float32 (any length > 0), or None if none arrived within `timeout`.

        Raises EndOfStream after a finite source's last block; raises AudioDeviceError if the device failed
        or disappeared.
        """
        ...

    def stop(self) -> None: ...

    @property
    def overflows(self) -> int: ...

    @property
    def name(self) -> str: ...


class Resampler:
    """A streaming (stateful) mono float32 resampler built on FFmpeg's through PyAV.

    Blocks are resampled as parts of one continuous signal, so block edges cause no clicks; the filter's
    delay means the first outputs are a little shorter than their inputs (and may be empty), and `flush()`
    returns what is still held back.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if self.from_rate == self.to_rate:
            return np.asarray(samples, np.float32).reshape(-1)
        if len(samples) == 0:
            return np.zeros(0, np.float32)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = self.from_rate
        frame.pts = None  # the resampler counts samples itself
        return self._join(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        """The samples still inside the filter; the resampler takes no more input afterwards."""
        if self.from_rate == self.to_rate:
            return np.zeros(0, np.float32)
        return self._join(self._resampler.resample(None))

    @staticmethod
    def _join(frames: list[av.AudioFrame]) -> np.ndarray:
        if not frames:
            return np.zeros(0, np.float32)
        return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames])


def resampler_to_16k(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """A streaming resampler from `rate` to 16 kHz (keep one per stream); identity when `rate` is 16 kHz."""
    return Resampler(rate, SAMPLE_RATE)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """A whole clip from `from_rate` to `to_rate`, nothing held back."""
    resampler = Resampler(from_rate, to_rate)
    head = resampler(samples)
    return np.concatenate([head, resampler.flush()])


def open_stream(
    device: AudioDevice, direction: Direction, rates: Sequence[int], opener: Callable[[int, int], Any]
) -> Any:
    """Open a PortAudio stream on `device` at the first (rate, channels) it accepts.

    The device's default rate is tried first, then `rates`; mono first, then stereo, then all its channels
    (the caller downmixes or duplicates). `opener(rate, channels)` builds the stream.
    """
    sounddevice = portaudio()
    check = sounddevice.check_input_settings if direction == "input" else sounddevice.check_output_settings
    most = device.input_channels if direction == "input" else device.output_channels
    candidates = list(dict.fromkeys([round(device.default_sample_rate), *rates]))
    layouts = list(dict.fromkeys(channels for channels in (1, 2, most) if channels <= most))
    refusal = "no settings to try"
    for rate in candidates:
        for channels in layouts:
            try:
                check(device=device.index, channels=channels, dtype="float32", samplerate=rate)
            except sounddevice.PortAudioError as error:
                refusal = str(error)
                continue
            try:
                return opener(rate, channels)
            except sounddevice.PortAudioError as error:
                raise AudioDeviceError(
                    f"cannot open {direction} device '{device.name}': {error}; "
                    "check that it is connected and not in use"
                ) from error
    tried = ", ".join(str(rate) for rate in candidates)
    raise AudioDeviceError(
        f"{direction} device '{device.name}' accepts none of the sample rates tried ({tried} Hz; last refusal: "
        f"{refusal}): choose another device",
        remedy=Remedy.LIST_DEVICES,
    )


class MicrophoneSource:
    """An input device through PortAudio; with `loopback`, what the computer plays instead.

    `read()` returns None when the source is not running (before `start()` and after `stop()`), so a
    caller polling it after another thread stopped it simply sees no more audio.
    """

    def __init__(
        self,
        device: str | int | None = None,
        loopback: bool = False,
        block_seconds: float = 0.032,
        max_queued_seconds: float = 2.0,
    ) -> None:
        self._sounddevice = portaudio()
        self._block_seconds = block_seconds
        self._queue: queue.Queue[np.ndarray] = queue.Queue(
            maxsize=max(1, math.ceil(max_queued_seconds / block_seconds))
        )
        self._monitor = pulse_monitor_source() if loopback else None
        self.device = loopback_device(device, self._monitor is not None) if loopback else find_device(device, "input")
        self._lock = threading.Lock()
        self._stream: Any = None
        self._stopped = False
        self._ended = threading.Event()
        self._resample: Callable[[np.ndarray], np.ndarray] = resampler_to_16k(SAMPLE_RATE)
        self._input_overflows = 0
        self._dropped = 0
        self._last_block = 0.0

    @property
    def name(self) -> str:
        return f"{self.device.name} ({self._monitor})" if self._monitor else self.device.name

    @property
    def overflows(self) -> int:
        return self._input_overflows + self._dropped

    def start(self) -> None:
        """Open and start the input stream; AudioDeviceError if the device cannot record."""
        with self._lock:
            if self._stream is not None or self._stopped:
                return
            LIBRARY_MESSAGES.hold()  # until stop(): PortAudio's own lines about a failing device go to the log
            try:
                self._stream = self._started(self._open())
            except BaseException:
                LIBRARY_MESSAGES.release()
                raise

    def _started(self, stream: Any) -> Any:
        self._resample = resampler_to_16k(round(stream.samplerate))
        self._last_block = time.monotonic()
        try:
            stream.start()
        except self._sounddevice.PortAudioError as error:
            stream.close(ignore_errors=True)
            raise AudioDeviceError(f"cannot start input device '{self.name}': {error}") from error
        return stream

    def _open(self) -> Any:
        def opener(rate: int, channels: int) -> Any:
            return self._sounddevice.InputStream(
                device=self.device.index,
                channels=channels,
                samplerate=rate,
                blocksize=round(self._block_seconds * rate),
                dtype="float32",
                callback=self._callback,
                finished_callback=self._ended.set,
            )

        if self._monitor is None:
            return open_stream(self.device, "input", INPUT_RATES, opener)
        # libpulse reads PULSE_SOURCE when the ALSA pulse plugin opens a device (each open makes a new
        # connection), so it only has to be set while opening; restoring it at once keeps any stream
        # opened later, by this process or another source, on the user's own default source.
        previous = os.environ.get("PULSE_SOURCE")
        os.environ["PULSE_SOURCE"] = self._monitor
        try:
            return open_stream(self.device, "input", INPUT_RATES, opener)
        finally:
            if previous is None:
                os.environ.pop("PULSE_SOURCE", None)
            else:
                os.environ["PULSE_SOURCE"] = previous

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's audio thread: copy the block and return; everything else happens in read().
        if status.input_overflow:
            self._input_overflows += 1
        block = indata[:, 0].copy() if indata.shape[1] == 1 else indata.mean(axis=1, dtype=np.float32)
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            self._dropped += 1

    def read(self, timeout: float) -> np.ndarray | None:
        """The next 16 kHz block, None after `timeout` or when not running; AudioDeviceError if the device failed."""
        deadline = time.monotonic() + timeout
        while True:
            stream = self._stream
            if stream is None:
                return None
            try:
                block = self._queue.get(timeout=max(0.0, min(_POLL, deadline - time.monotonic())))
            except queue.Empty:
                self._check(stream)
                if time.monotonic() >= deadline:
                    return None
                continue
            self._last_block = time.monotonic()
            samples = self._resample(block)
            if len(samples):
                return samples

    def _check(self, stream: Any) -> None:
        if self._stream is not stream:  # stopped meanwhile: not a failure
            return
        check_stream(stream, self._ended, self._last_block, f"input device '{self.name}'", "delivered no audio")

    def stop(self) -> None:
        """Close the stream; safe to call twice and from another thread than `read()`'s."""
        with self._lock:
            stream, self._stream, self._stopped = self._stream, None, True
        if stream is not None:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
            LIBRARY_MESSAGES.release()


class FileSource:
    """An audio file delivered as if a microphone were recording it.

    With `realtime`, block k (of `block_seconds`) is returned no earlier than the moment its last sample
    would have been recorded, `speed` times faster than real time; without it, as fast as it is asked
    for. `read()` returns None when not running (before `start()` and after `stop()`).
    """

    def __init__(self, path: Path, realtime: bool = True, block_seconds: float = 0.032, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self._file = AudioFile(path)
        self._path = path
        self._realtime = realtime
        self._block_seconds = block_seconds
        self._speed = speed
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._blocks: Iterator[np.ndarray] | None = None
        self._pending: np.ndarray | None = None
        self._started_at = 0.0
        self._delivered = 0  # samples returned so far
        self._ended = False

    @property
    def name(self) -> str:
        return self._path.name

    @property
    def overflows(self) -> int:
        return 0

    @property
    def warnings(self) -> list[str]:
        """What was wrong with the file but did not stop it (cut short, damaged samples), once it has been read."""
        return list(self._file.warnings)

    def start(self) -> None:
        with self._lock:
            if self._blocks is None and not self._stopped.is_set():
                self._blocks = self._file.blocks(self._block_seconds)
                self._started_at = time.monotonic()

    def read(self, timeout: float) -> np.ndarray | None:
        """The next block when it is due; None if it is not due within `timeout`; EndOfStream after the last."""
        with self._lock:
            if self._blocks is None or self._stopped.is_set():
                return None
            if self._pending is None and not self._ended:
                self._pending = next(self._blocks, None)
                self._ended = self._pending is None
            if self._ended:
                raise EndOfStream
            block = self._pending
            assert block is not None
            due = self._started_at + (self._delivered + len(block)) / SAMPLE_RATE / self._speed
        wait = due - time.monotonic() if self._realtime else 0.0
        if wait > timeout:
            self._stopped.wait(timeout)
            return None
        if wait > 0 and self._stopped.wait(wait):
            return None
        with self._lock:
            if self._stopped.is_set():
                return None
            self._pending = None
            self._delivered += len(block)
        return block

    def stop(self) -> None:
        """Stop delivering and close the file; safe to call twice and from another thread."""
        self._stopped.set()
        with self._lock:
            blocks, self._blocks = self._blocks, None
        if blocks is not None and hasattr(blocks, "close"):
            blocks.close()
