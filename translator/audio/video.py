"""The dubbed recording: one file with the input's picture, the translated speech, the original sound and both
subtitle tracks, each track tagged with its language.

The video stream and the original audio are copied packet for packet, never re-encoded; the translated speech
(the dub track, or a voice-over of it: `mixing`) is encoded to AAC, which both containers take; subtitles are
written as text packets (SubRip in Matroska, 3GPP timed text in MP4). Every source is read in time order and
the packets are merged by time, so the muxer never holds more than a moment of any track and memory stays
bounded whatever the recording's length. PyAV does all of it; no ffmpeg binary is needed.

Containers: a video input gets NAME.LANG.mkv, and NAME.LANG.mp4 when its video and audio codecs fit MP4
without re-encoding. An audio-only input gets NAME.LANG.mka, because Matroska holds any original codec and
subtitle tracks, and NAME.LANG.m4a when the original fits MP4, because that is what phones and Apple players
open. Each file is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import io
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pysubs2

from translator.audio.mixing import DEFAULT_DUCK_DB, MixSettings, decoded_blocks, main_track_blocks
from translator.audio.track_languages import track_language
from translator.errors import AudioError, TranslatorError
from translator.files import atomic_path
from translator.languages import UnknownLanguageError, find_language
from translator.pipeline.results import FileResult

MATROSKA_KEY = "video"
MP4_KEY = "video.mp4"
_MAIN_RATE = 48000
_MAIN_BIT_RATES = {"mono": 96_000, "stereo": 160_000}
_SUBTITLE_TIME_BASE = Fraction(1, 1000)
_MIX_TAG, _DUCK_TAG = "MIX", "DUCK_DB"
_DEFAULT, _DUB, _ORIGINAL = av.stream.Disposition.default, av.stream.Disposition.dub, av.stream.Disposition.original


@dataclass(frozen=True)
class MediaPlan:
    """Where a dubbed recording goes: paths by key ("video": Matroska, "video.mp4": MP4 when the codecs allow)
    and, when there is no MP4, a note saying why."""

    paths: dict[str, Path]
    note: str | None = None


@dataclass(frozen=True)
class _Probe:
    video_codec: str | None  # None: an audio-only input
    audio_codec: str
    audio_channels: int
    audio_start: float


def _picture_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The recording's moving picture: its first video stream that is not an attached cover picture."""
    return next((s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic), None)


def _probe(source: Path) -> _Probe:
    try:
        with av.open(str(source), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(f"{source}: the file has no audio track, so there is no speech to dub")
            audio = container.streams.audio[0]
            video = _picture_stream(container)
            start = float(audio.start_time * audio.time_base) if audio.start_time and audio.time_base else 0.0
            video_codec = video.codec.canonical_name if video else None
            return _Probe(video_codec, audio.codec.canonical_name, audio.channels, max(start, 0.0))
    except av.FFmpegError as error:
        raise AudioError(f"{source}: cannot read it ({error}); is it an audio or video file?") from error


def _fits(container_format: str, codec: str) -> bool:
    """Whether a stream of `codec` (FFmpeg's canonical name: "h264", "amr_nb") can be copied into the container."""
    return codec in _container_codecs(container_format)


@functools.cache
def _container_codecs(container_format: str) -> frozenset[str]:
    with av.open(io.BytesIO(), "w", format=container_format) as probe:
        implementations = probe.supported_codecs  # encoders' and decoders' names ("mp3float", "libdav1d")
    names = set()
    for implementation in implementations:
        with contextlib.suppress(ValueError):
            names.add(av.Codec(implementation, "r").canonical_name)
        with contextlib.suppress(ValueError):
            names.add(av.Codec(implementation, "w").canonical_name)
    return frozenset(names)


def plan_media(source: Path, stem: Path, target: str) -> MediaPlan:
    """Where the dubbed recording of `source` goes, for outputs named after `stem` in language `target`.

    An input that cannot be read gets the Matroska name alone: translating it fails later with its own message.
    """
    try:
        probe = _probe(source)
    except AudioError:
        return MediaPlan({MATROSKA_KEY: stem.with_name(f"{stem.name}.{target}.mkv")})
    video = probe.video_codec is not None
    matroska, mp4 = (".mkv", ".mp4") if video else (".mka", ".m4a")
    paths = {MATROSKA_KEY: stem.with_name(f"{stem.name}.{target}{matroska}")}
    codecs = (("video", probe.video_codec), ("audio", probe.audio_codec))
    refused = [(kind, codec) for kind, codec in codecs if codec is not None and not _fits("mp4", codec)]
    if not refused:
        paths[MP4_KEY] = stem.with_name(f"{stem.name}.{target}{mp4}")
        return MediaPlan(paths)
    kind, codec = refused[0]
    note = f"{source}: no {mp4} written: its {kind} ({codec}) cannot go into MP4 without re-encoding; the {matroska}"
    return MediaPlan(paths, f"{note} has every track")


def write_dubbed_media(
    result: FileResult,
    dub_track: Path,
    paths: dict[str, Path],
    mix: MixSettings | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Write the dubbed recording of `result.source` to each path of `paths` (keys as `plan_media` gives them).

    `dub_track` is the finished translated speech track (a WAV as long as the input); `result` gives the
    languages and the segments whose source text and translation become the subtitle tracks. The input is
    read, and the speech encoded, once for all the files; they are renamed into place together once all are
    complete, so an existing file is replaced only by a complete successor. `mix` says how the main track is
    made (default: the translated speech alone); setting `stop` abandons the files (TranslatorError).
    """
    mix = mix or MixSettings()
    if not paths:
        return
    probe = _probe(result.source)
    if not dub_track.is_file():
        raise TranslatorError(f"{dub_track}: the dub track is missing; translate {result.source} again")
    formats = {key: "mp4" if key == MP4_KEY else "matroska" for key in paths}
    for key, container_format in formats.items():
        if probe.video_codec is not None and not _fits(container_format, probe.video_codec):
            raise TranslatorError(
                f"{result.source}: its video ({probe.video_codec}) cannot be copied into {paths[key].suffix} "
                "without re-encoding; convert the video to H.264 first"
            )
    # The original sound is copied where every container takes its codec; otherwise it is encoded like the speech.
    copied = all(_fits(container_format, probe.audio_codec) for container_format in formats.values())
    original_layout = None if copied else "mono" if probe.audio_channels == 1 else "stereo"
    layout = "stereo" if mix.voice_over and probe.audio_channels > 1 else "mono"
    with contextlib.ExitStack() as stack:
        media = stack.enter_context(av.open(str(result.source), metadata_errors="ignore"))
        # Every file is closed (complete) before the first is renamed: the stack unwinds in reverse.
        temporaries = {key: stack.enter_context(atomic_path(path)) for key, path in paths.items()}
        targets: list[_Target] = []
        for key, temporary in temporaries.items():
            # An MP4's index goes at its start, so it plays while it downloads (FFmpeg moves it at the end).
            options = {"movflags": "+faststart"} if formats[key] == "mp4" else {}
            output = stack.enter_context(av.open(str(temporary), "w", format=formats[key], options=options))
            # The first file encodes; the others take its packets and its encoders' parameters.
            encoders = targets[0].streams if targets else None
            targets.append(_Target(output, formats[key], result, media, original_layout, layout, mix, encoders))
        first = targets[0].streams
        offset = round(probe.audio_start * _MAIN_RATE)
        sources = [
            _demuxed(media, [role for role in first if isinstance(role, int)]),
            _encoded(
                "main", first["main"], main_track_blocks(result.source, dub_track, mix, _MAIN_RATE, layout), offset
            ),
            _cues("translation", [(s.start, s.end, s.text) for s in result.segments]),
            _cues("transcript", [(s.start, s.end, s.source_text) for s in result.segments]),
        ]
        if original_layout is not None:
            blocks = decoded_blocks(result.source, _MAIN_RATE, original_layout)
            sources.append(_encoded("original", first["original"], blocks, offset))
        for _, role, payload in heapq.merge(*sources, key=lambda item: item[0]):
            if stop is not None and stop.is_set():
                raise TranslatorError(f"{result.source}: cancelled")
            _mux(role, payload, targets)


def read_mix(path: Path) -> MixSettings | None:
    """How the main track of a dubbed Matroska file written here was mixed; None for any other file."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            main = next((s for s in container.streams.audio if s.disposition & _DUB), None)
            tags = {key.upper(): value for key, value in (main.metadata if main else {}).items()}
    except (av.FFmpegError, OSError):
        return None
    if tags.get(_MIX_TAG) not in ("dubbed", "voice-over"):
        return None
    return MixSettings(tags[_MIX_TAG] == "voice-over", float(tags.get(_DUCK_TAG, DEFAULT_DUCK_DB)))


_Role = str | int  # a track made here ("main", "original", "translation", "transcript"), or an input stream's index


class _Target:
    """One output container and its streams by role, tagged, its header written."""

    def __init__(
        self,
        output: av.container.OutputContainer,
        container_format: str,
        result: FileResult,
        media: av.container.InputContainer,
        original_layout: str | None,
        layout: str,
        mix: MixSettings,
        encoders: dict[_Role, av.stream.Stream] | None,
    ) -> None:
        self.output = output
        self.container_format = container_format
        # A recording that changes language is tagged "mul" (ISO 639-2: multiple languages) and names them all.
        spoken = list(dict.fromkeys(s.language or result.source_language for s in result.segments))
        spoken = spoken or [result.source_language]
        source_language = track_language(spoken[0], container_format) if len(spoken) == 1 else "mul"
        target_language = track_language(result.target_language, container_format)
        source_name, target_name = " and ".join(map(_name, spoken)), _name(result.target_language)
        demo = " (demo models: placeholder text)" if result.demo else ""

        def encoded(role: str, stream_layout: str) -> av.stream.Stream:
            return output.add_stream_from_template(encoders[role]) if encoders else _aac_stream(output, stream_layout)

        self.streams: dict[_Role, av.stream.Stream] = {}
        picture = _picture_stream(media)
        if picture is not None:
            copied = output.add_stream_from_template(picture)
            self.streams[picture.index] = _tagged(copied, source_language, "", _DEFAULT)
        mixed = "voice-over" if mix.voice_over else "dubbed"
        self.streams["main"] = _tagged(
            encoded("main", layout), target_language, f"{target_name} ({mixed})", _DEFAULT | _DUB
        )
        # Matroska keeps any tag: how the track was mixed, so a re-render can mix it again the same way.
        self.streams["main"].metadata.update({_MIX_TAG: mixed, _DUCK_TAG: f"{mix.duck_db:g}"})
        original = media.streams.audio[0]
        stream: av.stream.Stream
        if original_layout is None:
            role: _Role = original.index
            stream = output.add_stream_from_template(original)
        else:
            role, stream = "original", encoded("original", original_layout)
        self.streams[role] = _tagged(stream, source_language, f"{source_name} (original)", _ORIGINAL)
        for role, language, title in (
            ("translation", target_language, f"{target_name}{demo}"),
            ("transcript", source_language, f"{source_name} (transcript){demo}"),
        ):
            self.streams[role] = _tagged(_subtitle_stream(output, container_format), language, title, 0)
        output.start_encoding()


def _mux(role: _Role, payload: av.Packet[Any] | tuple[float, float, str], targets: Sequence[_Target]) -> None:
    """Write one packet, or one subtitle cue, into every container; each container gets its own copy."""
    for number, target in enumerate(targets):
        if isinstance(payload, tuple):
            packet = _subtitle_packet(*payload, target.container_format)
        else:  # muxing takes the packet's data: every container but the last gets a copy
            packet = payload if number == len(targets) - 1 else _copy(payload)
        packet.stream = target.streams[role]
        target.output.mux(packet)


def _copy(packet: av.Packet[Any]) -> av.Packet[Any]:
    copy = av.Packet(bytes(packet))
    copy.pts, copy.dts, copy.duration, copy.time_base = packet.pts, packet.dts, packet.duration, packet.time_base
    copy.is_keyframe = packet.is_keyframe
    for side_data in packet.iter_sidedata():
        copy.set_sidedata(side_data)
    return copy


def _name(code: str) -> str:
    with contextlib.suppress(UnknownLanguageError):
        return find_language(code).name
    return code


def _tagged(stream: av.stream.Stream, language: str, title: str, disposition: int) -> av.stream.Stream:
    stream.metadata["language"] = language
    if title:
        stream.metadata["title"] = title
    stream.disposition = av.stream.Disposition(disposition)
    return stream


def _aac_stream(output: av.container.OutputContainer, layout: str) -> av.AudioStream:
    stream = output.add_stream("aac", rate=_MAIN_RATE, layout=layout)
    stream.bit_rate = _MAIN_BIT_RATES[layout]
    return stream


def _subtitle_stream(output: av.container.OutputContainer, container_format: str) -> av.stream.Stream:
    if container_format == "matroska":
        return output.add_mux_stream("subrip")
    # The 3GPP timed-text encoder is opened only for the sample description it builds from an ASS header;
    # the packets are made here (`_subtitle_packet`).
    stream = output.add_stream("mov_text")
    stream.codec_context.subtitle_header = pysubs2.SSAFile().to_string("ass").encode()
    return stream


def _subtitle_packet(start: float, end: float, text: str, container_format: str) -> av.Packet[Any]:
    """A cue as a SubRip packet (its UTF-8 text) or a 3GPP timed-text sample (a 16-bit length, then the text)."""
    data = text.encode("utf-8")
    packet = av.Packet(struct.pack(">H", len(data)) + data if container_format == "mp4" else data)
    packet.time_base = _SUBTITLE_TIME_BASE
    packet.pts = packet.dts = round(start / _SUBTITLE_TIME_BASE)
    packet.duration = max(1, round((end - start) / _SUBTITLE_TIME_BASE))
    return packet


_Item = tuple[float, _Role, "av.Packet[Any] | tuple[float, float, str]"]


def _demuxed(media: av.container.InputContainer, indexes: Sequence[int]) -> Iterator[_Item]:
    """The input's packets of the streams at `indexes`, as they are, with their times."""
    if not indexes:  # demux() of no streams would read them all
        return
    time = 0.0
    for packet in media.demux([media.streams[index] for index in indexes]):
        stamp = packet.dts if packet.dts is not None else packet.pts
        if stamp is None:  # the demuxer's end-of-stream markers
            continue
        time = max(time, float(stamp * packet.time_base))
        yield time, packet.stream.index, packet


def _encoded(role: str, stream: av.stream.Stream, blocks: Iterable[np.ndarray], offset: int) -> Iterator[_Item]:
    """`blocks` of float32 audio at the stream's rate, encoded by its codec, starting `offset` samples in."""
    assert isinstance(stream, av.AudioStream)
    context = stream.codec_context
    layout = context.layout.name
    frame_size = context.frame_size or None
    resampler = av.AudioResampler(
        format=context.format.name, layout=layout, rate=context.sample_rate, frame_size=frame_size
    )
    position = offset

    def encode(frame: av.AudioFrame | None) -> Iterator[_Item]:
        nonlocal position
        if frame is not None:
            frame.pts, frame.time_base = position, Fraction(1, context.sample_rate)
            position += frame.samples
        for packet in stream.encode(frame):
            yield float((packet.dts or 0) * packet.time_base), role, packet

    for block in blocks:
        samples = np.ascontiguousarray(block, np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout=layout)
        frame.sample_rate = context.sample_rate
        for chunk in resampler.resample(frame):
            yield from encode(chunk)
    for chunk in resampler.resample(None):
        yield from encode(chunk)
    yield from encode(None)


def _cues(role: str, cues: Sequence[tuple[float, float, str]]) -> Iterator[_Item]:
    for start, end, text in sorted(cues):
        if text.strip():
            yield start, role, (start, end, text.strip())
