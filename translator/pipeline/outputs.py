"""Writing a file's results: plain text, SRT and WebVTT (through pysubs2) and JSON, each atomically."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from translator.files import write_text_atomic
from translator.pipeline.results import FileResult

TEXT_FORMATS = ("txt", "srt", "vtt")
FORMATS = (*TEXT_FORMATS, "json", "wav")
DEMO_NOTICE = "Made with the project's demo models: this is placeholder text, not a real transcript or translation."


def output_paths(stem: Path, target: str, formats: Iterable[str]) -> dict[str, Path]:
    """Where each requested output goes: `stem.transcript.EXT` for the source text, `stem.TARGET.EXT`
    for the translation, `stem.TARGET.json` and `stem.TARGET.wav`."""
    paths: dict[str, Path] = {}
    for fmt in formats:
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
    if fmt == "vtt" and result.demo:
        # WebVTT allows NOTE blocks after the header; SRT has no comments, so only VTT carries the notice.
        signature, _, cues = text.partition("\n\n")
        text = f"{signature}\n\nNOTE {DEMO_NOTICE}\n\n{cues}"
    return text


def write_text_outputs(result: FileResult, paths: dict[str, Path]) -> None:
    """Write every requested output of `result` but the speech track, which the pipeline streams."""
    for key, path in paths.items():
        if key != "wav":
            fmt = key.rsplit(".", 1)[-1]
            write_text_atomic(path, render(result, fmt, translated=not key.startswith("transcript.")))
