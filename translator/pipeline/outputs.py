"""Writing a file's results: plain text, SRT and WebVTT (through pysubs2) and JSON, into its `OutputSet`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from translator.files import write_text_atomic
from translator.languages import find_language
from translator.pipeline.output_set import OutputSet
from translator.pipeline.results import FileResult

TEXT_FORMATS = ("txt", "srt", "vtt")
# "video" (the dubbed recording) is asked for by name: it holds a copy of the input's picture, as large as
# the input, so it is not among the defaults.
DEFAULT_FORMATS = (*TEXT_FORMATS, "json", "wav")
FORMATS = (*DEFAULT_FORMATS, "video")
DEMO_NOTICE = "Made with the project's demo models: this is placeholder text, not a real transcript or translation."


def output_paths(stem: Path, target: str, formats: Iterable[str]) -> dict[str, Path]:
    """Where each requested output goes: `stem.transcript.EXT` for the source text, `stem.TARGET.EXT`
    for the translation, `stem.TARGET.json` and `stem.TARGET.wav`. The dubbed recording ("video") is left
    out: its names depend on the input's streams (`translator.audio.video.plan_media`)."""
    paths: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "video":
            continue
        if fmt in TEXT_FORMATS:
            paths[f"transcript.{fmt}"] = stem.with_name(f"{stem.name}.transcript.{fmt}")
        paths[fmt] = stem.with_name(f"{stem.name}.{target}.{fmt}")
    return paths


@dataclass(frozen=True)
class Caption:
    """A line of text shown from `start` to `end` seconds; it may hold several lines."""

    start: float
    end: float
    text: str


def render_captions(captions: Sequence[Caption], fmt: str) -> str:
    """Captions as plain text (one per line), SRT or WebVTT."""
    if fmt == "txt":
        return "".join(f"{caption.text}\n" for caption in captions)
    subtitles = pysubs2.SSAFile()
    for caption in captions:
        subtitles.append(
            pysubs2.SSAEvent(
                start=round(caption.start * 1000), end=round(caption.end * 1000), text=caption.text.replace("\n", r"\N")
            )
        )
    return str(subtitles.to_string(fmt))


def render(result: FileResult, fmt: str, translated: bool) -> str:
    """One text output as a string: `fmt` is txt, srt, vtt or json."""
    if fmt == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "txt":
        lines = [segment.text if translated else segment.source_text for segment in result.segments]
        header = [f"# {DEMO_NOTICE}"] if result.demo else []
        return "\n".join(header + lines) + "\n"
    text = render_captions(
        [Caption(s.start, s.end, s.text if translated else s.source_text) for s in result.segments], fmt
    )
    notes = _vtt_notes(result) if fmt == "vtt" else []
    if notes:
        # WebVTT allows NOTE blocks after the header; SRT has no comments, so only VTT carries them.
        signature, _, cues = text.partition("\n\n")
        text = "\n\n".join([signature, *(f"NOTE {note}" for note in notes), cues])
    return text


def _vtt_notes(result: FileResult) -> list[str]:
    """The demo notice, and where a file changes language, which language was spoken from when (the JSON has
    each segment's; a cue's text is always in one language, the translation's or, in the transcript, the
    speaker's, so no cue carries a tag)."""
    notes = [DEMO_NOTICE] if result.demo else []
    changes: list[tuple[float, str]] = []
    for segment in result.segments:
        if segment.language is not None and (not changes or changes[-1][1] != segment.language):
            changes.append((segment.start, segment.language))
    if len(changes) > 1:
        spoken = ", ".join(f"{find_language(code).name} ({code}) from {_vtt_time(start)}" for start, code in changes)
        notes.append(f"The language spoken changes: {spoken}.")
    return notes


def _vtt_time(seconds: float) -> str:
    """A time as WebVTT writes it: 00:01:02.500."""
    hours, rest = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"


def write_text_outputs(result: FileResult, outputs: OutputSet) -> None:
    """Write the text outputs of `result` (transcripts, translations, subtitles, JSON) to their temporaries in
    `outputs`; the speech track, and any output made from others, have writers of their own."""
    for key in outputs.paths:
        fmt = key.rsplit(".", 1)[-1]
        if fmt in (*TEXT_FORMATS, "json"):
            text = render(result, fmt, translated=not key.startswith("transcript."))
            write_text_atomic(outputs.temporary(key), text)
