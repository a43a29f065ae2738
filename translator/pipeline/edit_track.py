"""The speech track of an edited file: new speech only where a segment needs it, every other segment's speech
cut from the track as it was and placed again.

The track is made again in order with the batch's own `DubTrack`, so placement follows the batch's rules:
speech at its segment's start, or after the speech before it, sped up within a bound to fit before the next
segment. A segment keeps its old speech unless its translation changed or the batch would now speak it at
another pace: speech at its natural pace that no longer fits its slot, or sped-up speech whose slot changed.
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from translator.audio.dubbing import DubTrack
from translator.audio.files import WavTrackWriter
from translator.errors import TranslatorError
from translator.pipeline.results import Segment
from translator.stages.synthesis import SpeechAudio, SpeechSynthesizer


@dataclass(frozen=True)
class TrackSegment:
    """A segment as corrected (its times and translation), beside the `original` the batch placed."""

    segment: Segment
    original: Segment


@dataclass(frozen=True)
class _OldSpeech:
    """A segment's speech as it lies in the old track, and the slot it was fitted into."""

    speech: SpeechAudio
    speed: float
    slot: float


class PlacedTrack:
    """The new track, complete under a temporary name until `commit` (or `abort`) is called."""

    def __init__(self, track: DubTrack, duration: float, segments: Sequence[Segment], spoken: int, demo: bool) -> None:
        self._track = track
        self._duration = duration
        self.segments = tuple(segments)
        self.spoken = spoken
        self.reused = len(segments) - spoken
        self.demo = demo

    def commit(self) -> None:
        """Finish the new track (as long as the recording) and move it into place."""
        self._track.finish(self._duration)


def render_track(
    items: Sequence[TrackSegment],
    originals: Sequence[Segment],
    path: Path | None,
    new_path: Path,
    duration: float,
    synthesizer: Callable[[], SpeechSynthesizer],
    max_speedup: float,
) -> PlacedTrack:
    """Make the track at `path` again, at `new_path`, for `items` (the kept segments, in order); `originals`
    are all of the file's segments as the batch placed them. The voice is loaded only if some segment is
    spoken again; without an old track (a dubbed recording whose speech track was not kept) all are."""
    voice = synthesizer() if path is None else None
    with _OldTrack(path, voice) as old:
        slots = _old_slots(originals, duration)
        track = DubTrack(WavTrackWriter(new_path, old.rate), max_speedup)
        placed: list[Segment] = []
        spoken = 0
        try:
            for number, item in enumerate(items):
                segment = item.segment
                slot_end = items[number + 1].segment.start if number + 1 < len(items) else duration
                old_speech = None
                if segment.text == item.original.text and item.original.dub_start is not None:
                    old_speech = old.speech(item.original, originals, slots[item.original.index])
                if old_speech is not None and _keeps_pace(old_speech, segment, track.position, slot_end, max_speedup):
                    placement = track.put(segment.start, old_speech.speech, old_speech.speed)
                else:
                    voice = voice or _voice_for(synthesizer, old.rate, path)
                    placement = track.place(segment.start, slot_end, partial(voice.speak, segment.text))
                    spoken += 1
                placed.append(
                    replace(segment, dub_start=placement.start, dub_speed=placement.speed, dub_end=placement.end)
                )
        except BaseException:
            track.abort()
            raise
    return PlacedTrack(track, duration, placed, spoken, voice is not None and voice.is_demo)


class _OldTrack:
    """The speech track as batch (or the last edit) left it, read a segment at a time; with no `path`, a track
    that holds no speech, at the rate of `voice`."""

    def __init__(self, path: Path | None, voice: SpeechSynthesizer | None) -> None:
        self._wave: wave.Wave_read | None = None
        if path is None:
            assert voice is not None
            self.rate = voice.sample_rate
            return
        try:
            self._wave = wave.open(str(path), "rb")  # noqa: SIM115 - closed on leaving the with block
        except (OSError, EOFError, wave.Error) as error:
            raise TranslatorError(f"cannot read the speech track {path}: {error}; translate the file again") from None
        if self._wave.getnchannels() != 1 or self._wave.getsampwidth() != 2:
            self._wave.close()
            raise TranslatorError(f"{path} is not the speech track batch wrote (mono 16-bit): translate the file again")
        self.rate = self._wave.getframerate()

    def __enter__(self) -> _OldTrack:
        return self

    def __exit__(self, *exception: object) -> None:
        if self._wave is not None:
            self._wave.close()

    def speech(self, original: Segment, originals: Sequence[Segment], slot: float) -> _OldSpeech | None:
        """The original's speech cut from the track, or None where it is not there (pushed past the end)."""
        if self._wave is None or original.dub_start is None:
            return None
        frames = self._wave.getnframes()
        begin = round(original.dub_start * self.rate)
        if original.dub_end is not None:
            end = round(original.dub_end * self.rate)
        else:  # a track from before dub_end was recorded: up to the next segment's speech, trailing silence cut
            later = [s.dub_start for s in originals if s.dub_start is not None and s.dub_start > original.dub_start]
            end = round(min(later) * self.rate) if later else frames
        end = min(end, frames)
        if end <= begin:
            return None
        self._wave.setpos(begin)
        samples = np.frombuffer(self._wave.readframes(end - begin), "<i2")
        if original.dub_end is None:
            samples = np.trim_zeros(samples, "b")
        # Exact: to_int16 turns k / 32767 back into k for every sample the writer can have written.
        speech = SpeechAudio(samples.astype(np.float32) / np.float32(32767.0), self.rate)
        return _OldSpeech(speech, original.dub_speed or 1.0, slot)


def _voice_for(synthesizer: Callable[[], SpeechSynthesizer], rate: int, path: Path | None) -> SpeechSynthesizer:
    voice = synthesizer()
    if voice.sample_rate != rate:
        name = path.name if path is not None else "track"
        raise TranslatorError(
            f"the voice {voice.name} speaks at {voice.sample_rate} Hz but the speech track {name} is at "
            f"{rate} Hz: use the voice the file was made with"
        )
    return voice


def _old_slots(originals: Sequence[Segment], duration: float) -> dict[int, float]:
    """The time each original segment's speech had, from where it was placed to the next segment's start."""
    slots = {}
    for number, segment in enumerate(originals):
        slot_end = originals[number + 1].start if number + 1 < len(originals) else duration
        slots[segment.index] = slot_end - (segment.dub_start or segment.start)
    return slots


def _keeps_pace(old: _OldSpeech, segment: Segment, position: float, slot_end: float, max_speedup: float) -> bool:
    """Whether the batch would speak this segment at the pace its old speech has, in its new slot."""
    slot = slot_end - max(segment.start, position)
    tolerance = 1.0 / old.speech.sample_rate
    if old.speed > 1.0:  # sped up to fit its slot: any other slot asks for another pace
        return abs(slot - old.slot) <= tolerance
    return old.speech.duration <= slot + tolerance or max_speedup <= 1.0
