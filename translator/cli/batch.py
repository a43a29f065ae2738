"""`translator batch`: translate audio and video files, with progress bars and a table of stage times."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP
from translator.audio.mixing import DEFAULT_DUCK_DB, MAX_DUCK_DB, MixSettings
from translator.cli import cluster
from translator.cli.exit_codes import EXIT_FAILED_FILES
from translator.cli.model_choice import load_models
from translator.cli.options import add_language_options, add_model_options, app_config, number_between
from translator.cli.signals import exit_status, stopped_by
from translator.cli.terminal import one_line
from translator.errors import TranslatorError
from translator.files import check_output_folder
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.batch_events import Event, FileFailed, FileFinished, FileProgress, FileSkipped, FileStarted
from translator.pipeline.outputs import DEFAULT_FORMATS, DEMO_NOTICE, FORMATS

# Speech sped up more than three times its pace is hard to follow; 1 never speeds it up.
MOST_SPEEDUP = 3.0


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
        help=f"comma-separated, from {','.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)}; a language no "
        "voice speaks gets no wav; video, the dubbed recording NAME.LANG.mkv and .mp4, only when asked for)",
    )
    batch.add_argument(
        "--mix",
        choices=("dub", "voice-over"),
        default="dub",
        help="the dubbed video's main audio: the translated speech alone (dub, the default), or over the original "
        "sound, which is lowered while the translation speaks (voice-over)",
    )
    batch.add_argument(
        "--duck-db",
        type=number_between(0.0, MAX_DUCK_DB, "0 keeps the original at full level"),
        metavar="DB",
        help=f"with --mix voice-over: how many dB the original is lowered under the speech "
        f"(default: {DEFAULT_DUCK_DB:g})",
    )
    batch.add_argument(
        "--skip-existing", action="store_true", help="skip files whose outputs all exist (resume a batch)"
    )
    batch.add_argument(
        "--max-speedup",
        type=number_between(1.0, MOST_SPEEDUP, "1 never speeds speech up"),
        default=DEFAULT_MAX_SPEEDUP,
        metavar="X",
        help=f"how much speech may be sped up to fit its slot, 1 to {MOST_SPEEDUP:g} (default: {DEFAULT_MAX_SPEEDUP})",
    )
    add_model_options(batch, beam_size=5)
    cluster.add_options(batch)
    batch.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Run `translator batch`; returns the exit status."""
    config = app_config(arguments)
    if arguments.out is not None:  # before the models load: a file or an unwritable place named by --out
        check_output_folder(arguments.out)
    # All formats by default; a speech track asked for by name must have a voice, the default one need not.
    formats: frozenset[str] = arguments.formats or frozenset(DEFAULT_FORMATS)
    mix = _mix(arguments, formats)
    if cluster.requested(arguments):  # the models load on the cluster's workers, not here
        return cluster.run(arguments, config, formats, mix, _summary)
    speech = bool({"wav", "video"} & formats)
    models = load_models(
        arguments, config, [arguments.target], speech, "leave wav and video out of --formats", arguments.formats is None
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
        mix=mix,
    )
    bars = _ProgressBars(len(arguments.inputs), arguments.quiet)
    translator = BatchTranslator(pipeline, settings, bars)
    try:
        report = translator.run(arguments.inputs)
    except KeyboardInterrupt as interrupt:  # Ctrl+C, SIGTERM or SIGHUP
        translator.cancel()
        bars.close()
        print(
            f"translator: {stopped_by(interrupt)}; finished files are complete: rerun with --skip-existing to resume",
            file=sys.stderr,
        )
        return exit_status(interrupt)
    bars.close()
    if report.stale_removed.count:
        print(f"translator: {report.stale_removed.describe()}", file=sys.stderr)
    print(_summary(report, pipeline.demo))
    return EXIT_FAILED_FILES if report.failed else 0


def _mix(arguments: argparse.Namespace, formats: frozenset[str]) -> MixSettings:
    """The dubbed video's main track from --mix and --duck-db, which mean nothing without the video."""
    voice_over = arguments.mix == "voice-over"
    if (voice_over or arguments.duck_db is not None) and "video" not in formats:
        raise TranslatorError("--mix and --duck-db shape the dubbed video: add video to --formats")
    if arguments.duck_db is not None and not voice_over:
        raise TranslatorError("--duck-db sets how far the original is lowered under the speech: add --mix voice-over")
    return MixSettings(voice_over, DEFAULT_DUCK_DB if arguments.duck_db is None else arguments.duck_db)


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
                desc=one_line(event.path.name)[:40],
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
                tqdm.write(f"translator: failed: {one_line(event.message)}", file=sys.stderr)
            elif isinstance(event, FileSkipped):
                tqdm.write(f"translator: skipped {one_line(str(event.path))}: {event.reason}", file=sys.stderr)
            else:
                for warning in event.result.warnings:
                    tqdm.write(f"translator: warning: {one_line(warning)}", file=sys.stderr)

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
                one_line(result.source.name)[:32],
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
