"""Correcting a translated file: its segments' times, source text and translation, then every output again.

`load_edit` reads NAME.LANG.json as batch wrote it, with the outputs beside it. `plan_edit` checks a
corrected version (each problem is one line and nothing is written) and works out what changed: a changed
source text is translated again, a changed translation is spoken again, changed times re-place the speech.
`apply_edit` does only that work, reusing every other segment's speech from the existing track
(`edit_track`), and rewrites every output the file has from the corrected segments.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP
from translator.audio.mixing import MixSettings
from translator.audio.video import MATROSKA_KEY, MP4_KEY, plan_media, write_dubbed_media
from translator.errors import TranslatorError
from translator.languages import Language, UnknownLanguageError, find_language
from translator.pipeline.edit_track import PlacedTrack, TrackSegment, render_track
from translator.pipeline.output_set import OutputSet
from translator.pipeline.outputs import FORMATS, output_paths, write_text_outputs
from translator.pipeline.results import FileResult, Segment, StageTimes
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

_TIME = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$")


class EditError(TranslatorError):
    """A file that cannot be edited, or a correction that cannot be applied; the message says what to fix."""


def format_time(seconds: float) -> str:
    """`seconds` as M:SS.mmm (H:MM:SS.mmm from an hour on), the way the segments are shown for correction."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{minutes}:{rest / 1000:06.3f}"
    return f"{hours}:{minutes:02d}:{rest / 1000:06.3f}" if hours else text


def parse_time(text: str) -> float:
    """Seconds from `format_time`'s form, or from plain seconds ("75.5"); ValueError when it is neither."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text.strip()}' is not a time: write it as M:SS.mmm or in seconds")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


@dataclass(frozen=True)
class SegmentCorrection:
    """One segment as the user left it: `index` names the segment of the file it corrects."""

    index: int
    start: float
    end: float
    source_text: str
    text: str


@dataclass(frozen=True)
class EditableFile:
    """A translated file's results as batch wrote them, and its outputs that exist (keyed like
    `outputs.output_paths`: "txt", "transcript.srt", "json", "wav", and "video", "video.mp4" for the dubbed
    recording), all named after `stem`."""

    json_path: Path
    result: FileResult
    stem: Path
    outputs: dict[str, Path]

    @property
    def source_language(self) -> Language:
        return find_language(self.result.source_language)

    @property
    def target_language(self) -> Language:
        return find_language(self.result.target_language)


def _known_fields(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of `data` that are fields of the dataclass `kind` (the JSON also holds derived figures)."""
    names = {field.name for field in fields(kind)}
    return {key: value for key, value in data.items() if key in names}


def load_edit(json_path: Path) -> EditableFile:
    """Read NAME.LANG.json and find the outputs beside it; a file batch did not write is one line."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EditError(f"{json_path} does not exist: give the NAME.LANG.json that translator batch wrote") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EditError(f"cannot read {json_path}: {error}") from None
    except json.JSONDecodeError as error:
        raise EditError(
            f"{json_path} is not valid JSON ({error.msg} at line {error.lineno}): translate it again"
        ) from None
    try:
        result = FileResult(
            **{
                **_known_fields(FileResult, data),
                "source": Path(data["source"]),
                "duration": float(data["duration"]),
                "segments": tuple(Segment(**_known_fields(Segment, item)) for item in data["segments"]),
                "times": StageTimes(**_known_fields(StageTimes, data.get("times", {}))),
                "outputs": tuple(Path(path) for path in data.get("outputs", ())),
                "warnings": tuple(data.get("warnings", ())),
            }
        )
        find_language(result.source_language), find_language(result.target_language)  # languages the app knows
    except (KeyError, TypeError, ValueError, AttributeError, UnknownLanguageError) as error:
        raise EditError(
            f"{json_path} is not a translation that translator batch wrote ({type(error).__name__}: {error})"
        ) from None
    target = result.target_language
    suffix = f".{target}.json"
    if not json_path.name.endswith(suffix):
        raise EditError(f"{json_path}: a translation into {result.target_language} is named NAME{suffix}")
    stem = json_path.with_name(json_path.name[: -len(suffix)])
    wanted = output_paths(stem, result.target_language, FORMATS) | plan_media(result.source, stem, target).paths
    outputs = {key: path for key, path in wanted.items() if path.exists()}
    return EditableFile(json_path, result, stem, outputs)


def read_corrections(text: str, origin: str) -> list[SegmentCorrection]:
    """The segments of a corrected JSON: a whole NAME.LANG.json, or only its list of segments. Each needs
    its index, start, end, source_text and text; anything else in it is ignored."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise EditError(
            f"{origin} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}): "
            "fix it; nothing was changed"
        ) from None
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise EditError(f"{origin} holds no list of segments: give a corrected NAME.LANG.json; nothing was changed")
    return [_correction(item, number, origin) for number, item in enumerate(items, 1)]


def _correction(item: object, number: int, origin: str) -> SegmentCorrection:
    where = f"{origin}: segment {number} of the list"
    if not isinstance(item, dict):
        raise EditError(f"{where} is not an object with index, start, end, source_text and text")
    missing = [key for key in ("index", "start", "end", "source_text", "text") if key not in item]
    if missing:
        raise EditError(f"{where} has no {', '.join(missing)}: keep every segment's fields; nothing was changed")
    index, start, end = item["index"], item["start"], item["end"]
    if not isinstance(index, int) or isinstance(index, bool):
        raise EditError(f"{where}: its index must be a whole number, not {index!r}")
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise EditError(f"{where}: its {name} must be a number of seconds, not {value!r}")
    for name in ("source_text", "text"):
        if not isinstance(item[name], str):
            raise EditError(f"{where}: its {name} must be a string, not {item[name]!r}")
    return SegmentCorrection(index, float(start), float(end), item["source_text"], item["text"])


@dataclass(frozen=True)
class PlannedSegment:
    """A segment after correction (`segment`: the corrected times and texts, the rest as it was) beside the
    `original`. retranslate: its source text changed and its translation did not, so it is translated again."""

    segment: Segment
    original: Segment
    retranslate: bool

    @property
    def moved(self) -> bool:
        return (self.segment.start, self.segment.end) != (self.original.start, self.original.end)

    @property
    def changed(self) -> bool:
        return self.retranslate or self.moved or self.segment.text != self.original.text


@dataclass(frozen=True)
class EditPlan:
    """What applying a correction takes: every kept segment in order, and the segments removed."""

    file: EditableFile
    segments: tuple[PlannedSegment, ...]
    removed: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return bool(self.removed) or any(
            planned.changed or planned.segment.source_text != planned.original.source_text for planned in self.segments
        )


def plan_edit(file: EditableFile, corrections: Sequence[SegmentCorrection]) -> EditPlan:
    """Check `corrections` against `file` and work out what changed. Segments may be corrected or removed,
    not added; their times must lie inside the recording, in order, without overlapping. Only what the
    correction touched is checked, so a file batch wrote is always accepted as it is."""
    originals = {segment.index: segment for segment in file.result.segments}
    seen: set[int] = set()
    planned: list[PlannedSegment] = []
    for correction in corrections:
        original = originals.get(correction.index)
        if original is None:
            raise EditError(
                f"segment {correction.index}: the file has no segment with that index; segments can be "
                "corrected or removed, not added"
            )
        if correction.index in seen:
            raise EditError(f"segment {correction.index} appears twice: keep one of them")
        seen.add(correction.index)
        if not correction.source_text.strip() or not correction.text.strip():
            raise EditError(f"segment {correction.index} has no text: remove the whole segment instead")
        source_changed = correction.source_text != original.source_text
        segment = replace(
            original,
            start=correction.start,
            end=correction.end,
            source_text=correction.source_text,
            text=correction.text,
        )
        planned.append(PlannedSegment(segment, original, source_changed and correction.text == original.text))
    _check_times(planned, file.result.duration)
    removed = tuple(segment for segment in file.result.segments if segment.index not in seen)
    return EditPlan(file, tuple(planned), removed)


def _check_times(planned: Sequence[PlannedSegment], duration: float) -> None:
    for item in planned:
        segment = item.segment
        if not item.moved:
            continue
        label = f"segment {segment.index}"
        if segment.start < 0 or segment.end > duration:
            raise EditError(
                f"{label} ({format_time(segment.start)} to {format_time(segment.end)}) lies outside the recording, "
                f"which lasts {format_time(duration)}: correct its times"
            )
        if segment.end <= segment.start:
            raise EditError(
                f"{label} ends ({format_time(segment.end)}) before it starts ({format_time(segment.start)})"
            )
    for before, after in zip(planned, planned[1:]):
        if not (before.moved or after.moved):
            continue
        first, second = before.segment, after.segment
        if second.start < first.start:
            raise EditError(
                f"segment {second.index} ({format_time(second.start)}) comes before segment {first.index} "
                f"({format_time(first.start)}) but is listed after it: keep the segments in time order"
            )
        if second.start < first.end:
            raise EditError(
                f"segment {second.index} starts at {format_time(second.start)}, before segment {first.index} ends "
                f"({format_time(first.end)}): segments must not overlap"
            )


@dataclass(frozen=True)
class EditStages:
    """The stages an edit may need, each loaded only when it is needed (and then once)."""

    translator: Callable[[], TextTranslator]
    synthesizer: Callable[[], SpeechSynthesizer]


@dataclass(frozen=True)
class EditReport:
    """What applying a correction did: segments translated again, spoken again (new speech), reused
    (their speech cut from the old track) and removed; the outputs rewritten; the corrected result."""

    translated: int
    spoken: int
    reused: int
    removed: int
    rewritten: tuple[Path, ...]
    result: FileResult


def apply_edit(
    plan: EditPlan, stages: EditStages, max_speedup: float = DEFAULT_MAX_SPEEDUP, mix: MixSettings | None = None
) -> EditReport:
    """Translate and speak what the correction changed, then rewrite every output of the file from the
    corrected segments, the dubbed recording too (its main track made as `mix` says). Everything is made
    before anything is replaced, so a failure leaves the outputs as they were. A plan that changes nothing
    rewrites nothing."""
    file = plan.file
    if not plan.changed:
        return EditReport(0, 0, len(plan.segments), 0, (), file.result)
    segments = [planned.segment for planned in plan.segments]
    retranslate = [number for number, planned in enumerate(plan.segments) if planned.retranslate]
    demo = file.result.demo
    if retranslate:
        translator = stages.translator()
        demo = demo or translator.is_demo
        # A recording that changes language: each segment is translated from the language it was spoken in.
        by_language: dict[str, list[int]] = {}
        for number in retranslate:
            by_language.setdefault(segments[number].language or file.source_language.code, []).append(number)
        for code, numbers in by_language.items():
            texts = translator.translate(
                [segments[number].source_text for number in numbers], find_language(code), file.target_language
            )
            for number, text in zip(numbers, texts):
                segments[number] = replace(segments[number], text=text)
    track: PlacedTrack | None = None
    media = {key: file.outputs[key] for key in (MATROSKA_KEY, MP4_KEY) if key in file.outputs}
    with OutputSet(file.outputs, file.stem) as outputs:
        # The dubbed recording needs the track even where the wav is not an output (batch then kept it aside).
        new_track = outputs.temporary("wav") if "wav" in file.outputs else outputs.scratch("dub.wav")
        if "wav" in file.outputs or media:
            items = [TrackSegment(segment, planned.original) for segment, planned in zip(segments, plan.segments)]
            track = render_track(
                items,
                file.result.segments,
                file.outputs.get("wav"),
                new_track,
                file.result.duration,
                stages.synthesizer,
                max_speedup,
            )
            track.commit()  # into its temporary: the set moves every output into place together
            segments = list(track.segments)
            demo = demo or track.demo
        result = replace(file.result, segments=tuple(segments), demo=demo)
        if media:
            write_dubbed_media(result, new_track, {key: outputs.temporary(key) for key in media}, mix)
        write_text_outputs(result, outputs)
        outputs.commit()
    return EditReport(
        translated=len(retranslate),
        spoken=track.spoken if track is not None else 0,
        reused=track.reused if track is not None else 0,
        removed=len(plan.removed),
        rewritten=tuple(file.outputs.values()),
        result=result,
    )
