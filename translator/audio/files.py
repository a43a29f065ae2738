"""Audio in and out: streamed decoding of any container PyAV reads, and atomic WAV writing.

Decoding streams fixed-size blocks of 16 kHz mono float32, so an hour-long recording never has to
fit in memory at once.
"""

from __future__ import annotations

import stat
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


# No recording comes near a hundred times full scale: such samples are damage, like NaN, and left in they overflow
# the recogniser's features.
_LOUDEST_VALID_SAMPLE = 100.0
# A file may decode a little shorter than its header says (encoder padding); more than this is a cut-off file.
_SHORTFALL_SECONDS = 1.0


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be an input file (missing, a folder, a pipe, a device, empty), or None if it may be one.

    A pipe or a device is refused by name: the file is read more than once (probed, then decoded)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as error:
        return f"cannot read it ({error.strerror or error})"
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        return f"it is {kind}, not a regular file: save the audio to a file and give that instead"
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    return None


class AudioFile:
    """An input file opened for streamed decoding to 16 kHz mono float32.

    Opening checks that the file exists, is a regular file, is not empty and has an audio track, so a bad input
    fails before any model work starts. Damage found while decoding (a file cut short, samples that are not
    numbers) is repaired where the rest can still be used, and said in `warnings`, one line per kind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []
        if (problem := file_problem(path)) is not None:
            raise AudioError(f"{path}: {problem}")
        self._declared: float | None = None  # the audio track's length by its header, where it says
        try:
            with av.open(str(path), metadata_errors="ignore") as container:
                if not container.streams.audio:
                    raise AudioError(f"{path}: the file has no audio track")
                stream = container.streams.audio[0]
                if stream.duration is not None and stream.time_base is not None:
                    self._declared = self.duration = float(stream.duration * stream.time_base)
                elif container.duration is not None:
                    self.duration = container.duration / av.time_base  # an estimate (from the bit rate)
                else:
                    self.duration = 0.0
        except av.error.EOFError:
            raise AudioError(f"{path}: the file ends before its first audio: it is truncated") from None
        except av.FFmpegError as error:
            raise AudioError(f"{path}: cannot decode it ({_reason(error)}); is it an audio or video file?") from error

    def blocks(self, block_seconds: float = 0.5) -> Iterator[np.ndarray]:
        """Yield the audio as consecutive float32 blocks of `block_seconds` (the last may be shorter).

        A file that cannot be decoded to its end (cut short, damaged) yields what came before the damage and
        says so in `warnings`, as does one whose samples hold NaN or infinities (replaced by silence)."""
        self.warnings.clear()
        block_size = int(block_seconds * SAMPLE_RATE)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_size = 0
        decoded = 0  # samples yielded so far
        repaired = 0
        try:
            with av.open(str(self.path), metadata_errors="ignore") as container:
                for frame in container.decode(audio=0):
                    frame.pts = None  # let the resampler count samples; some containers have broken pts
                    for resampled in resampler.resample(frame):
                        samples, bad = _repaired(resampled.to_ndarray().reshape(-1))
                        pending.append(samples)
                        pending_size += len(samples)
                        repaired += bad
                    while pending_size >= block_size:
                        joined = np.concatenate(pending)
                        yield joined[:block_size]
                        decoded += block_size
                        pending, pending_size = [joined[block_size:]], pending_size - block_size
        except av.FFmpegError as error:
            if decoded + pending_size == 0:
                raise AudioError(f"{self.path}: {_reason(error)}; the file may be truncated or corrupt") from error
            self.warnings.append(
                f"{self.path}: cannot decode past {(decoded + pending_size) / SAMPLE_RATE:.1f} s ({_reason(error)}): "
                "the file is truncated or damaged; the audio before that is used"
            )
        else:
            self._check_length(decoded + pending_size)
        for resampled in resampler.resample(None):
            samples, bad = _repaired(resampled.to_ndarray().reshape(-1))
            pending.append(samples)
            repaired += bad
        if repaired:
            self.warnings.append(
                f"{self.path}: {repaired} samples were not audio (NaN, infinite, or over "
                f"{_LOUDEST_VALID_SAMPLE:g} times full scale) and were replaced by silence; the file may be damaged"
            )
        tail = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        if tail.size:
            yield tail
        elif not decoded:
            raise AudioError(f"{self.path}: no audio could be decoded from it; the file may be corrupt")

    def _check_length(self, samples: int) -> None:
        """Warn when the whole file decoded to clearly less than its header promises: the file was cut short."""
        if self._declared is not None and self._declared - samples / SAMPLE_RATE > _SHORTFALL_SECONDS:
            self.warnings.append(
                f"{self.path}: holds {samples / SAMPLE_RATE:.1f} s of audio where its header says "
                f"{self._declared:.1f} s: the file is probably truncated; the audio it holds is used"
            )


def _repaired(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """`samples` with every NaN, infinity or absurdly loud value replaced by silence, and how many there were."""
    valid = np.abs(samples) <= _LOUDEST_VALID_SAMPLE  # False for NaN too
    if valid.all():
        return samples, 0
    return np.where(valid, samples, np.float32(0.0)), int(valid.size - np.count_nonzero(valid))


def read_audio(path: Path) -> np.ndarray:
    """Decode a whole (short) file to 16 kHz mono float32."""
    return np.concatenate(list(AudioFile(path).blocks()))


def read_span(path: Path, start: float, end: float) -> np.ndarray:
    """Decode the stretch from `start` to `end` seconds of a file to 16 kHz mono float32, seeking to it
    rather than decoding everything before it (a segment late in an hour-long recording plays at once)."""
    wanted = max(0, round((end - start) * SAMPLE_RATE))
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    decoded = 0
    first_time: float | None = None
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if start > 0:
                container.seek(int(start * av.time_base))  # to the last keyframe at or before `start`
            for frame in container.decode(audio=0):
                if first_time is None:
                    first_time = float(frame.time) if frame.time is not None else 0.0
                frame.pts = None
                for resampled in resampler.resample(frame):
                    pieces.append(resampled.to_ndarray().reshape(-1))
                    decoded += resampled.samples
                if first_time + decoded / SAMPLE_RATE >= end:
                    break
    except av.FFmpegError as error:
        raise AudioError(f"{path}: cannot decode it ({_reason(error)})") from error
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    skip = max(0, round((start - (first_time or 0.0)) * SAMPLE_RATE))
    return audio[skip : skip + wanted]


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
