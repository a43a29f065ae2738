"""The main audio track of a dubbed recording: the translated speech alone, or laid over the original.

A voice-over keeps the original audio under the translated speech, lowered while the speech plays
("ducking") with short fades, so the change is heard as a level and not as a cut. Where the speech plays
is read from the dub track itself, so the same code serves a fresh batch and a re-rendered edit. Both
tracks are streamed in blocks and the gain curve holds one value per 10 ms: memory stays bounded
whatever the recording's length.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from translator.errors import AudioError, TranslatorError

DEFAULT_DUCK_DB = 18.0
MAX_DUCK_DB = 60.0
_FRAME_SECONDS = 0.01
# The dub track is digital silence between segments: anything above -50 dBFS is speech.
_SPEECH_RMS = 10 ** (-50 / 20)


@dataclass(frozen=True)
class MixSettings:
    """How the main (default) audio track of a dubbed recording is made.

    voice_over: False puts the translated speech alone on the main track; True lays it over the original audio.
    duck_db: how many decibels the original is lowered while the translation speaks (voice-over only); 0 keeps
        it at full level.
    fade_seconds: how long the original takes to go down before the speech starts and to come back after it.
    hold_seconds: pauses in the translated speech shorter than this keep the original down, so its level does
        not pump between sentences.
    """

    voice_over: bool = False
    duck_db: float = DEFAULT_DUCK_DB
    fade_seconds: float = 0.25
    hold_seconds: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 <= self.duck_db <= MAX_DUCK_DB:
            raise TranslatorError(f"the ducking level must be between 0 and {MAX_DUCK_DB:g} dB, not {self.duck_db:g}")


def speech_activity(dub_track: Path) -> np.ndarray:
    """Whether the dub track speaks in each 10 ms frame, read in blocks from its 16-bit WAV."""
    try:
        with wave.open(str(dub_track), "rb") as track:
            frame = max(1, round(track.getframerate() * _FRAME_SECONDS))
            block = frame * 100  # a second at a time
            channels = track.getnchannels()
            active: list[np.ndarray] = []
            while data := track.readframes(block):
                samples = np.frombuffer(data, "<i2").reshape(-1, channels)[:, 0].astype(np.float32) / 32768.0
                frames = np.pad(samples, (0, -len(samples) % frame)).reshape(-1, frame)
                active.append(np.sqrt(np.mean(frames**2, axis=1)) > _SPEECH_RMS)
    except (OSError, wave.Error, EOFError) as error:
        raise AudioError(f"{dub_track}: cannot read the dub track ({error}); translate the file again") from error
    return np.concatenate(active) if active else np.zeros(0, bool)


def _dilate(mask: np.ndarray, frames: int) -> np.ndarray:
    """`mask` widened by `frames` on each side."""
    if frames <= 0 or not mask.size:
        return mask
    return np.convolve(mask.astype(np.float32), np.ones(2 * frames + 1, np.float32), mode="same") > 0.5


def ducking_gain(activity: np.ndarray, settings: MixSettings) -> np.ndarray:
    """The original's linear gain per 10 ms frame: lowered by `duck_db` wherever the speech plays, reaching
    that level as the speech starts and leaving it as the speech ends, over `fade_seconds`."""
    hold = round(settings.hold_seconds / _FRAME_SECONDS / 2)
    fade = max(1, round(settings.fade_seconds / _FRAME_SECONDS))
    # Closing (widen, then narrow) bridges short pauses; widening by half a fade more puts each fade
    # (a moving average as wide as the fade) just outside the speech.
    closed = ~_dilate(~_dilate(activity, hold), hold)
    ducked = _dilate(closed, (fade + 1) // 2)
    level_db = np.where(ducked, -settings.duck_db, 0.0)
    padded = np.pad(level_db, fade, mode="edge")
    smoothed = np.convolve(padded, np.ones(fade) / fade, mode="same")[fade:-fade]
    gain: np.ndarray = (10 ** (smoothed / 20)).astype(np.float32)
    return gain


class _Samples:
    """Reads a stream of sample blocks `count` samples at a time (silence once it runs out)."""

    def __init__(self, blocks: Iterator[np.ndarray], channels: int) -> None:
        self._blocks = blocks
        self._channels = channels
        self._pending = np.zeros((0, channels), np.float32)

    def read(self, count: int) -> np.ndarray:
        parts = [self._pending]
        have = len(self._pending)
        while have < count and (block := next(self._blocks, None)) is not None:
            parts.append(block)
            have += len(block)
        joined = np.concatenate(parts) if len(parts) > 1 else self._pending
        if have < count:
            joined = np.concatenate([joined, np.zeros((count - have, self._channels), np.float32)])
        self._pending = joined[count:]
        return joined[:count]


def decoded_blocks(path: Path, rate: int, layout: str) -> Iterator[np.ndarray]:
    """The first audio track of `path` as float32 blocks of shape (samples, channels) at `rate`, in `layout`
    (mono or stereo)."""
    resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
    channels = 1 if layout == "mono" else 2
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            for frame in container.decode(audio=0):
                frame.pts = None  # let the resampler count samples; some containers have broken pts
                for resampled in resampler.resample(frame):
                    yield resampled.to_ndarray().reshape(-1, channels)
            for resampled in resampler.resample(None):
                yield resampled.to_ndarray().reshape(-1, channels)
    except av.FFmpegError as error:
        raise AudioError(f"{path}: decoding failed ({error}); the file may be truncated or corrupt") from error


def main_track_blocks(
    source: Path, dub_track: Path, settings: MixSettings, rate: int, layout: str
) -> Iterator[np.ndarray]:
    """The main track in blocks of shape (samples, channels) at `rate` in `layout`: the dub track alone,
    or (voice-over) the original audio of `source`, ducked under the dub track, with the dub track on top.

    The dub track is as long as the input, so the two line up sample for sample from the start.
    """
    channels = 1 if layout == "mono" else 2
    dub = decoded_blocks(dub_track, rate, layout)
    if not settings.voice_over:
        yield from dub
        return
    gain = ducking_gain(speech_activity(dub_track), settings)
    frame_times = (np.arange(len(gain)) + 0.5) * _FRAME_SECONDS
    speech = _Samples(dub, channels)
    position = 0
    for original in decoded_blocks(source, rate, layout):
        times = (position + np.arange(len(original))) / rate
        under = np.interp(times, frame_times, gain, left=1.0, right=1.0).astype(np.float32) if gain.size else 1.0
        mixed = original * np.reshape(under, (-1, 1)) + speech.read(len(original))
        position += len(original)
        yield np.clip(mixed, -1.0, 1.0)
