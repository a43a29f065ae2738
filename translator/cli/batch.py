"""`translator batch`: translate audio and video files, with progress bars and a table of stage times."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP
from translator.cli.exit_codes import EXIT_FAILED_FILES, EXIT_INTERRUPTED
from translator.cli.model_choice import load_models
from translator.cli.options import add_language_options, add_model_options, app_config
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.batch_events import Event, FileFailed, FileFinished, FileProgress, FileSkipped, FileStarted
from translator.pipeline.outputs import DEMO_NOTICE, FORMATS


def _formats(text: str) -> frozenset[str]:
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = chosen - set(FORMATS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format '{sorted(unknown)[0] if unknown else text}': use some of {','.join(FORMATS)}"
        )
    return chosen


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `batch` command and its options."""
    batch = commands.add_parser(
        "batch", help="translate audio and video files", description="Translate audio and video files."
    )
    batch.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file, or a folder searched recursively")
    add_language_options(batch, target_required=True)
    batch.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: beside each input)")
    batch.add_argument(
        "--formats",
        type=_formats,
        metavar="LIST",
        help=f"comma-separated, from {','.join(FORMATS)} (default: all; a language no voice speaks gets no wav)",
    )
    batch.add_argument(
        "--skip-existing", action="store_true", help="skip files whose outputs all exist (resume a batch)"
    )
    batch.add_argument(
        "--max-speedup",
        type=float,
        default=DEFAULT_MAX_SPEEDUP,
        metavar="X",
        help=f"how much speech may be sped up to fit its slot (default: {DEFAULT_MAX_SPEEDUP})",
    )
    add_model_options(batch, beam_size=5)
    batch.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Run `translator batch`; returns the exit status."""
    config = app_config(arguments)
    # All formats by default; a speech track asked for by name must have a voice, the default one need not.
    formats: frozenset[str] = arguments.formats or frozenset(FORMATS)
    speech = "wav" in formats
    models = load_models(
        arguments, config, [arguments.target], speech, "leave wav out of --formats", arguments.formats is None
    )
    if models.unspoken:
        formats -= {"wav"}
        note = f"no voice speaks {arguments.target.name}: text and subtitles only, no speech track (wav)"
        print(f"note: {note}", file=sys.stderr)
    pipeline = Pipeline(models.recognizer, models.translator, models.voices.get(arguments.target))
    settings = BatchSettings(
        target=arguments.target,
        source=arguments.source,
        output_folder=arguments.out,
        formats=formats,
        skip_existing=arguments.skip_existing,
        max_speedup=arguments.max_speedup,
    )
    bars = _ProgressBars(len(arguments.inputs), arguments.quiet)
    translator = BatchTranslator(pipeline, settings, bars)
    try:
        report = translator.run(arguments.inputs)
    except KeyboardInterrupt:
        translator.cancel()
        bars.close()
        print(
            "translator: interrupted; finished files are complete: rerun with --skip-existing to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    bars.close()
    print(_summary(report, pipeline.demo))
    return EXIT_FAILED_FILES if report.failed else 0


class _ProgressBars:
    """One bar for the batch (files) and one for the file in progress (seconds of audio)."""

    def __init__(self, total_paths: int, quiet: bool) -> None:
        self._disable = True if quiet else None  # None: tqdm shows bars only on a terminal
        self._overall = tqdm(total=total_paths, unit="file", desc="batch", position=0, disable=self._disable)
        self._file: tqdm[Any] | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, FileStarted):
            self._overall.total = event.total
            self._close_file()
            self._file = tqdm(
                total=round(event.duration, 1) or None,
                unit="s",
                desc=event.path.name[:40],
                position=1,
                leave=False,
                disable=self._disable,
            )
        elif isinstance(event, FileProgress) and self._file is not None:
            self._file.n = round(min(event.position, self._file.total or event.position), 1)
            self._file.refresh()
        elif isinstance(event, (FileFinished, FileFailed, FileSkipped)):
            self._close_file()
            self._overall.update(1)
            if isinstance(event, FileFailed):
                tqdm.write(f"translator: failed: {event.message}", file=sys.stderr)
            elif isinstance(event, FileSkipped):
                tqdm.write(f"translator: skipped {event.path}: {event.reason}", file=sys.stderr)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        self._close_file()
        self._overall.close()


def _summary(report: BatchReport, demo: bool) -> str:
    """A table of each file's stage times and real-time factor, then a total line (only the line when no
    file was translated, and the demo note only when some output was written)."""
    counts = f"{len(report.finished)} translated, {len(report.skipped)} skipped, {len(report.failed)} failed"
    if not report.finished:
        return counts
    header = ("file", "audio", "lang", "segs", "decode", "recognize", "translate", "speak", "wall", "RTF")
    rows = []
    for result in report.finished:
        t = result.times
        probability = f" {result.language_probability:.2f}" if result.language_probability is not None else ""
        rows.append(
            (
                result.source.name[:32],
                f"{result.duration:.1f}s",
                result.source_language + probability,
                str(len(result.segments)),
            )
            + tuple(f"{v:.2f}s" for v in (t.decoding, t.recognition, t.translation, t.synthesis, t.wall))
            + (f"{t.real_time_factor(result.duration):.3f}",)
        )
    if len(report.finished) > 1:
        total = sum(r.duration for r in report.finished)
        sums = [
            sum(getattr(r.times, name) for r in report.finished)
            for name in ("decoding", "recognition", "translation", "synthesis", "wall")
        ]
        rows.append(
            ("total", f"{total:.1f}s", "", str(sum(len(r.segments) for r in report.finished)))
            + tuple(f"{v:.2f}s" for v in sums)
            + (f"{sums[-1] / total if total else 0:.3f}",)
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.append(counts)
    if demo:
        lines.append(f"note: {DEMO_NOTICE}")
    return "\n".join(lines)
