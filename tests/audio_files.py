"""Writing test inputs with PyAV: audio in any container the app reads, from numpy arrays."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from translator.audio.files import SAMPLE_RATE

# Container suffix -> (audio codec, its sample rate, channel layout). Each is an encoder this FFmpeg build has.
_AUDIO_CODECS = {
    ".wav": ("pcm_s16le", SAMPLE_RATE, "mono"),
    ".flac": ("flac", SAMPLE_RATE, "mono"),
    ".mp3": ("libmp3lame", 44100, "mono"),
    ".ogg": ("libopus", 48000, "mono"),
    ".opus": ("libopus", 48000, "mono"),
    ".m4a": ("aac", 44100, "mono"),
    ".mp4": ("aac", 44100, "mono"),
    ".mkv": ("aac", 48000, "stereo"),
}
_VIDEO_CODECS = ("mpeg4", "libx264", "libvpx", "mjpeg")


def speech_at(speech: np.ndarray, starts: Sequence[float], total_seconds: float) -> np.ndarray:
    """Silence of `total_seconds` with a copy of `speech` starting at each time in `starts`."""
    audio = np.zeros(round(total_seconds * SAMPLE_RATE), np.float32)
    for start in starts:
        begin = round(start * SAMPLE_RATE)
        audio[begin : begin + len(speech)] = speech[: len(audio) - begin]
    return audio


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """A mono 16-bit WAV written with the standard library (fast for long files)."""
    with wave.open(str(path), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(sample_rate)
        output.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return path


def video_codec() -> str | None:
    """A video encoder this PyAV build has, or None."""
    return next((name for name in _VIDEO_CODECS if name in av.codecs_available), None)


def _add_video_stream(container: av.container.OutputContainer, codec: str) -> av.VideoStream:
    stream = container.add_stream(codec, rate=5)
    stream.width, stream.height = 32, 32
    stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    return stream


def _encode_video(container: av.container.OutputContainer, stream: av.VideoStream, seconds: float) -> None:
    for index in range(max(1, round(seconds * 5))):
        image = np.full((32, 32, 3), (index * 20) % 256, np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=stream.pix_fmt)
        frame.pts = index
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def write_audio(path: Path, samples: np.ndarray, with_video: bool = False) -> Path:
    """Encode 16 kHz mono float32 `samples` into the container named by `path`'s suffix.

    `with_video` adds a tiny video stream (for .mkv, .mp4) before the audio stream.
    """
    codec, rate, layout = _AUDIO_CODECS[path.suffix.lower()]
    with av.open(str(path), "w") as container:
        video = None
        if with_video:
            name = video_codec()
            assert name is not None, "no video encoder in this PyAV build"
            video = _add_video_stream(container, name)
        stream = container.add_stream(codec, rate=rate, layout=layout)
        encoder_format = stream.codec_context.codec.audio_formats[0].name
        frame_size = stream.codec_context.frame_size or 1024
        resampler = av.AudioResampler(format=encoder_format, layout=layout, rate=rate, frame_size=frame_size)
        source = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        source.sample_rate = SAMPLE_RATE
        source.pts = None
        frames = list(resampler.resample(source)) + list(resampler.resample(None))
        for frame in frames:
            frame.pts = None
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if video is not None:
            _encode_video(container, video, len(samples) / SAMPLE_RATE)
    return path


def write_video_only(path: Path, seconds: float = 1.0) -> Path:
    """A video container with one video stream and no audio track."""
    name = video_codec()
    assert name is not None, "no video encoder in this PyAV build"
    with av.open(str(path), "w") as container:
        _encode_video(container, _add_video_stream(container, name), seconds)
    return path
