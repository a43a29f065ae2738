"""Live audio out: translated speech played on a speaker, or written in real time to a WAV file.

Speech is queued per utterance (`schedule.SpeechSchedule`) and pulled by the player (PortAudio's callback,
or a pacing thread for a file), which notes when an utterance's first and last samples reach the listener.
Those facts travel through a queue to a small forwarder thread, the only place the mark listeners
(`add_mark_listener`) run, so the audio thread never waits on user code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from translator.audio.devices import LIBRARY_MESSAGES, AudioDeviceError, find_device, portaudio
from translator.audio.files import WavTrackWriter
from translator.audio.schedule import MarkForwarder, PlaybackMark, SpeechSchedule
from translator.audio.sources import check_stream, open_stream, resample
from translator.files import ensure_writable_folder

OUTPUT_RATES = (48000, 44100, 22050, 16000)  # tried in turn when the device refuses its own default rate
_BLOCK_SECONDS = 0.02  # one callback's worth: short enough for prompt marks, long enough not to underflow
_TICK = 0.02  # how often the file sink writes, and how far ahead of the clock it runs (its "buffer")


class AudioSink(Protocol):
    """Where translated speech goes: queued per utterance, played in order, with marks as it is heard."""

    def start(self) -> None: ...

    def add_mark_listener(self, listener: Callable[[PlaybackMark], None]) -> None:
        """Call `listener` with every mark from now on, from the sink's forwarder thread."""
        ...

    def play(self, utterance_id: int, samples: np.ndarray, sample_rate: int) -> None:
        """Queue speech for an utterance (called once per sentence; resampled here, off the audio thread).

        Never blocks for long.
        """
        ...

    def finish_utterance(self, utterance_id: int) -> None: ...

    def drop_queued(self) -> float: ...

    @property
    def busy(self) -> bool: ...

    @property
    def underflows(self) -> int: ...

    def stop(self) -> None: ...

    @property
    def name(self) -> str: ...

    @property
    def audible(self) -> bool:
        """Whether a microphone may hear this sink (a speaker), so the echo gate applies."""
        ...


class _ScheduledSink:
    """What both sinks share: the schedule of queued speech and the forwarder of its marks."""

    def __init__(self, sample_rate: int) -> None:
        self._marks = MarkForwarder()
        self._schedule = SpeechSchedule(sample_rate, self._marks.facts)

    def add_mark_listener(self, listener: Callable[[PlaybackMark], None]) -> None:
        """Call `listener` with every mark from now on, from the forwarder thread (never the audio thread)."""
        self._marks.add_listener(listener)

    @property
    def busy(self) -> bool:
        return self._schedule.busy

    def finish_utterance(self, utterance_id: int) -> None:
        """No more audio for `utterance_id`: its "finished" mark follows when its last sample has been heard."""
        self._schedule.finish(utterance_id)

    def drop_queued(self) -> float:
        """Discard speech not yet heard; returns its length in seconds (to the ms)."""
        return round(self._schedule.drop() / self._schedule.rate, 3)

    def _queue(self, utterance_id: int, samples: np.ndarray, sample_rate: int) -> None:
        self._schedule.add(utterance_id, resample(np.asarray(samples, np.float32), sample_rate, self._schedule.rate))


class SpeakerSink(_ScheduledSink):
    """Speech played on an output device through a PortAudio stream (mono, copied to every channel)."""

    def __init__(self, device: str | int | None = None) -> None:
        self._sounddevice = portaudio()
        self.device = find_device(device, "output")
        super().__init__(round(self.device.default_sample_rate))
        self._lock = threading.Lock()
        self._stream: Any = None
        self._stopped = False
        self._ended = threading.Event()
        self._underflows = 0
        self._last_callback = 0.0

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def audible(self) -> bool:
        return True

    @property
    def underflows(self) -> int:
        return self._underflows

    def start(self) -> None:
        """Open and start the output stream; AudioDeviceError if the device cannot play."""
        with self._lock:
            if self._stream is not None or self._stopped:
                return
            LIBRARY_MESSAGES.hold()  # until stop(): PortAudio's own lines about a failing device go to the log
            try:
                self._stream = self._started(open_stream(self.device, "output", OUTPUT_RATES, self._opener))
            except BaseException:
                LIBRARY_MESSAGES.release()
                raise

    def _started(self, stream: Any) -> Any:
        self._schedule.rate = round(stream.samplerate)
        self._last_callback = time.monotonic()
        self._marks.start()
        try:
            stream.start()
        except self._sounddevice.PortAudioError as error:
            stream.close(ignore_errors=True)
            raise AudioDeviceError(f"cannot start output device '{self.name}': {error}") from error
        return stream

    def _opener(self, rate: int, channels: int) -> Any:
        return self._sounddevice.OutputStream(
            device=self.device.index,
            channels=channels,
            samplerate=rate,
            blocksize=round(_BLOCK_SECONDS * rate),
            dtype="float32",
            latency="low",
            callback=self._callback,
            finished_callback=self._ended.set,
        )

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's audio thread: copy queued samples out and note marks; nothing here waits or calls out.
        if status.output_underflow:
            self._underflows += 1
        now = time.monotonic()
        self._last_callback = now
        dac, current = time_info.outputBufferDacTime, time_info.currentTime
        latency = dac - current if dac and current else 0.0  # some host APIs report no times (zeros)
        mono = np.zeros(frames, np.float32)
        self._schedule.pull(mono, now + max(0.0, latency))
        outdata[:] = mono[:, None]

    def play(self, utterance_id: int, samples: np.ndarray, sample_rate: int) -> None:
        """Queue speech for `utterance_id`; AudioDeviceError if the device has failed. Ignored after stop()."""
        self._check()
        if self._stopped:
            return
        self._queue(utterance_id, samples, sample_rate)

    def _check(self) -> None:
        stream = self._stream
        if stream is None or self._stopped:
            return
        check_stream(stream, self._ended, self._last_callback, f"output device '{self.name}'", "took no audio")

    def stop(self) -> None:
        """Close the stream and deliver the marks already noted; safe to call twice and from any thread."""
        with self._lock:
            stream, self._stream, self._stopped = self._stream, None, True
        if stream is not None:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
            LIBRARY_MESSAGES.release()
        self._marks.close()


class WavFileSink(_ScheduledSink):
    """Speech written to a WAV file as a listener would hear it: in real time, silence between utterances.

    A pacing thread writes, every few milliseconds, the audio that has played by then, and notes the same
    marks a speaker would (each mark's time is its sample's place in the file on the monotonic clock), so
    the live pipeline behaves as it does with a speaker. The file appears, complete, on `stop()`.
    """

    def __init__(self, path: Path, sample_rate: int = 22050) -> None:
        ensure_writable_folder(path.parent)
        super().__init__(sample_rate)
        self.path = path
        self._lock = threading.Lock()
        self._writer: WavTrackWriter | None = None
        self._stopped = False
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="playback-file", daemon=True)
        self._started_at = 0.0
        self._error: OSError | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def audible(self) -> bool:
        return False

    @property
    def underflows(self) -> int:
        return 0

    def start(self) -> None:
        """Start the file's clock; its first sample is this moment."""
        with self._lock:
            if self._writer is not None or self._stopped:
                return
            try:
                self._writer = WavTrackWriter(self.path, self._schedule.rate)
            except OSError as error:
                raise self._failure(error) from error
            self._started_at = time.monotonic()
            self._marks.start()
            self._thread.start()

    def _run(self) -> None:
        while not self._closing.wait(_TICK):
            # Written one tick ahead, like a speaker's buffer: speech queued now starts no earlier than now.
            if not self._write_until(time.monotonic() + _TICK):
                return

    def _write_until(self, moment: float) -> bool:
        writer = self._writer
        assert writer is not None
        count = round((moment - self._started_at) * self._schedule.rate) - writer.samples_written
        if count <= 0:
            return True
        block = np.zeros(count, np.float32)
        self._schedule.pull(block, self._started_at + writer.samples_written / self._schedule.rate)
        try:
            writer.write(block)
        except OSError as error:
            self._error = error
            return False
        return True

    def _failure(self, error: OSError) -> AudioDeviceError:
        return AudioDeviceError(f"cannot write {self.path}: {error.strerror or error}; check the free disk space")

    def play(self, utterance_id: int, samples: np.ndarray, sample_rate: int) -> None:
        """Queue speech for `utterance_id`; AudioDeviceError if writing the file failed. Ignored after stop()."""
        if self._error is not None:
            raise self._failure(self._error)
        if self._stopped:
            return
        self._queue(utterance_id, samples, sample_rate)

    def stop(self) -> None:
        """Write up to this moment and move the file into place; safe to call twice and from any thread.

        Speech still queued is not written (a listener would not have heard it). Raises AudioDeviceError
        if the file could not be written; nothing then appears under its name.
        """
        with self._lock:
            writer, already = self._writer, self._stopped
            self._stopped = True
        if already or writer is None:
            return
        self._closing.set()
        self._thread.join()
        if self._error is None:
            self._write_until(time.monotonic())
        self._marks.close()
        if self._error is not None:
            writer.abort()
            raise self._failure(self._error) from self._error
        try:
            writer.commit()
        except OSError as error:  # commit removes the partial file itself
            raise self._failure(error) from error
