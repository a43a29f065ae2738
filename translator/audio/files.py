"""Audio in and out: streamed decoding of any container PyAV reads, and atomic WAV writing.

Decoding streams fixed-size blocks of 16 kHz mono float32, so an hour-long recording never has to
fit in memory at once.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from translator.errors import AudioError
from translator.files import atomic_path

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = frozenset(
    [
        ".wav",
        ".flac",
        ".mp3",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".aac",
        ".wma",
        ".aiff",
        ".aif",
        ".amr",
        ".mp4",
        ".m4v",
        ".mkv",
        ".webm",
        ".mov",
        ".avi",
        ".3gp",
    ]
)


class AudioFile:
    """An input file opened for streamed decoding to 16 kHz mono float32.

    Opening checks that the file exists, is not empty and has an audio track, so a bad input fails
    before any model work starts.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise AudioError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise AudioError(f"{path}: the file is empty (0 bytes)")
        try:
            with av.open(str(path), metadata_errors="ignore") as container:
                if not container.streams.audio:
                    raise AudioError(f"{path}: the file has no audio track")
                stream = container.streams.audio[0]
                if stream.duration is not None and stream.time_base is not None:
                    self.duration = float(stream.duration * stream.time_base)
                elif container.duration is not None:
                    self.duration = container.duration / av.time_base
                else:
                    self.duration = 0.0
        except av.FFmpegError as error:
            raise AudioError(f"{path}: cannot decode it ({_reason(error)}); is it an audio or video file?") from error

    def blocks(self, block_seconds: float = 0.5) -> Iterator[np.ndarray]:
        """Yield the audio as consecutive float32 blocks of `block_seconds` (the last may be shorter)."""
        block_size = int(block_seconds * SAMPLE_RATE)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_size = 0
        decoded_any = False
        try:
            with av.open(str(self.path), metadata_errors="ignore") as container:
                for frame in container.decode(audio=0):
                    frame.pts = None  # let the resampler count samples; some containers have broken pts
                    for resampled in resampler.resample(frame):
                        pending.append(resampled.to_ndarray().reshape(-1))
                        pending_size += resampled.samples
                    while pending_size >= block_size:
                        joined = np.concatenate(pending)
                        yield joined[:block_size]
                        decoded_any = True
                        pending, pending_size = [joined[block_size:]], pending_size - block_size
                for resampled in resampler.resample(None):
                    pending.append(resampled.to_ndarray().reshape(-1))
        except av.FFmpegError as error:
            raise AudioError(
                f"{self.path}: decoding failed ({_reason(error)}); the file may be truncated or corrupt"
            ) from error
        tail = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        if tail.size:
            yield tail
        elif not decoded_any:
            raise AudioError(f"{self.path}: the audio track holds no samples")


def read_audio(path: Path) -> np.ndarray:
    """Decode a whole (short) file to 16 kHz mono float32."""
    return np.concatenate(list(AudioFile(path).blocks()))


def _reason(error: av.FFmpegError) -> str:
    return getattr(error, "strerror", None) or str(error)


def to_int16(samples: np.ndarray) -> bytes:
    encoded: bytes = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    return encoded


class WavTrackWriter:
    """A mono 16-bit WAV written sample by sample to a temporary name and moved into place on `commit`.

    Writing is sequential so memory stays bounded whatever the track's length; an interrupted run
    leaves no file under the final name.
    """

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.samples_written = 0
        self._atomic = atomic_path(path)
        self._temporary = self._atomic.__enter__()
        self._wave = wave.open(str(self._temporary), "wb")  # noqa: SIM115 - open until commit() or abort()
        self._wave.setnchannels(1)
        self._wave.setsampwidth(2)
        self._wave.setframerate(sample_rate)

    def write(self, samples: np.ndarray) -> None:
        self._wave.writeframes(to_int16(samples))
        self.samples_written += len(samples)

    def write_silence(self, count: int) -> None:
        step = self.sample_rate * 10
        while count > 0:
            self.write(np.zeros(min(step, count), np.float32))
            count -= step

    def commit(self, length: int | None = None) -> None:
        """Move the track into place, cut to `length` samples (with a short fade) if it ran longer."""
        self._wave.close()
        if length is not None and self.samples_written > length:
            self._cut(length)
        self._atomic.__exit__(None, None, None)

    def _cut(self, length: int) -> None:
        fade = min(length, self.sample_rate // 50)  # 20 ms, so the cut does not click
        with wave.open(str(self._temporary), "rb") as full:
            frames = full.readframes(length)
        samples = np.frombuffer(frames, "<i2").astype(np.float32) / 32767.0
        samples[length - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        with wave.open(str(self._temporary), "wb") as cut:
            cut.setnchannels(1)
            cut.setsampwidth(2)
            cut.setframerate(self.sample_rate)
            cut.writeframes(to_int16(samples))
        self.samples_written = length

    def abort(self) -> None:
        self._wave.close()
        self._atomic.__exit__(AudioError, AudioError("aborted"), None)
