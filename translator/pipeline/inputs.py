"""Which files a batch translates: folders expanded into their audio and video files, each given the
stem its outputs are named after, so that no two inputs write the same outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from translator.audio.files import AUDIO_EXTENSIONS
from translator.pipeline.batch_events import FileFailed


@dataclass(frozen=True)
class InputFile:
    """A file to translate and the stem its outputs are named after."""

    path: Path
    output_stem: Path


def find_inputs(paths: Sequence[Path], output_folder: Path | None) -> tuple[list[InputFile], list[FileFailed]]:
    """Expand folders (recursively, by audio and video extensions) into input files.

    A path that does not exist, or a folder with no audio in it, is returned as a failure so the
    rest of the batch still runs.
    """
    inputs: list[InputFile] = []
    problems: list[FileFailed] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                problems.append(FileFailed(path, f"{path}: no audio or video files in this folder"))
            for file in found:
                base = output_folder / path.name / file.relative_to(path).parent if output_folder else file.parent
                inputs.append(InputFile(file, base / file.stem))
        elif path.exists():
            inputs.append(InputFile(path, (output_folder or path.parent) / path.stem))
        else:
            problems.append(FileFailed(path, f"{path}: no such file or folder"))
    return _disambiguate(inputs), problems


def _disambiguate(inputs: list[InputFile]) -> list[InputFile]:
    """Give inputs that would write the same outputs distinct stems: first their full file name
    (talk.mp3, talk.wav), then a number (a/talk.wav and b/talk.wav sent to one folder)."""
    counts: dict[Path, int] = {}
    for item in inputs:
        counts[item.output_stem] = counts.get(item.output_stem, 0) + 1
    taken: set[Path] = set()
    unique = []
    for item in inputs:
        stem = item.output_stem
        if counts[stem] > 1:
            stem = stem.with_name(item.path.name)
            number = 2
            while stem in taken:
                stem = item.output_stem.with_name(f"{item.path.name}-{number}")
                number += 1
        taken.add(stem)
        unique.append(InputFile(item.path, stem))
    return unique
