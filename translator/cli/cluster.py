"""`translator batch --cluster ADDRESS`: the same batch on a Ray cluster, with one progress bar for the whole
archive and, at the end, the stage table summed over the workers and a line per worker."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from translator.audio.mixing import MixSettings
from translator.cli.exit_codes import EXIT_FAILED_FILES
from translator.cli.model_choice import choose
from translator.cli.signals import exit_status, stopped_by
from translator.cli.terminal import one_line
from translator.cluster.address import ADDRESS_FORMS, ClusterAddress, import_ray
from translator.cluster.driver import ClusterBatch, ClusterSettings
from translator.cluster.events import ClusterReport, ClusterStarted, FileAssigned, WorkerLost
from translator.cluster.worker import WorkerModels
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.pipeline.batch import BatchReport, BatchSettings
from translator.pipeline.batch_events import FileFailed, FileFinished, FileSkipped, FileStarted

DEFAULT_RETRIES = 2
NO_VOICE_HINT = "leave wav and video out of --formats"


def _address(text: str) -> ClusterAddress:
    try:
        return ClusterAddress.parse(text)
    except TranslatorError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _retries(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"use a whole number, 0 or more, not {text!r}")
    return int(text)


def add_options(batch: argparse.ArgumentParser) -> None:
    """`batch`'s cluster options."""
    group = batch.add_argument_group("on a Ray cluster (needs the cluster extra: pip install -e '.[cluster]')")
    group.add_argument(
        "--cluster",
        type=_address,
        metavar="ADDRESS",
        help=f"translate on Ray workers: {ADDRESS_FORMS} (auto: the cluster Ray finds; local:N: N workers on this "
        "computer). Each worker loads the models once and takes --threads CPU threads (one GPU with --device cuda)",
    )
    group.add_argument(
        "--shared-storage",
        action="store_true",
        help="with --cluster: every node sees the inputs and --out at the same paths, so workers read and write "
        "in place instead of receiving and sending the files",
    )
    group.add_argument(
        "--retries",
        type=_retries,
        metavar="N",
        help=f"with --cluster: try a file whose worker was lost again, on another worker, up to N times "
        f"(default: {DEFAULT_RETRIES})",
    )


def requested(arguments: argparse.Namespace) -> bool:
    """Whether the command line asks for anything of the cluster."""
    return arguments.cluster is not None or arguments.shared_storage or arguments.retries is not None


def run(
    arguments: argparse.Namespace,
    config: AppConfig,
    formats: frozenset[str],
    mix: MixSettings,
    summary: Callable[[BatchReport, bool], str],
) -> int:
    """Run `translator batch` on the cluster; `summary` is the local batch's table of stage times."""
    if arguments.cluster is None:
        raise TranslatorError("--shared-storage and --retries go with --cluster ADDRESS")
    import_ray()  # a missing extra is one line before anything else happens
    text_only = arguments.formats is None
    speech = bool({"wav", "video"} & formats)
    plan = choose(arguments, config, [arguments.target], speech, NO_VOICE_HINT, text_only)
    models = WorkerModels(
        replace(config, models=plan.models), dict(plan.voices), arguments.beam_size, text_only, NO_VOICE_HINT
    )
    settings = BatchSettings(
        target=arguments.target,
        source=arguments.source,
        output_folder=arguments.out,
        formats=formats,
        skip_existing=arguments.skip_existing,
        max_speedup=arguments.max_speedup,
        mix=mix,
    )
    retries = DEFAULT_RETRIES if arguments.retries is None else arguments.retries
    progress = _ClusterProgress(arguments.target.name, arguments.quiet)
    batch = ClusterBatch(
        models, settings, ClusterSettings(arguments.cluster, arguments.shared_storage, retries), progress
    )
    try:
        report = batch.run(arguments.inputs)
    except KeyboardInterrupt as interrupt:  # Ctrl+C, SIGTERM or SIGHUP: the workers are stopped by now
        progress.close()
        print(
            f"translator: {stopped_by(interrupt)}; finished files are complete: rerun with --skip-existing to resume",
            file=sys.stderr,
        )
        return exit_status(interrupt)
    progress.close()
    if report.batch.stale_removed.count:
        print(f"translator: {report.batch.stale_removed.describe()}", file=sys.stderr)
    print(summary(report.batch, any(result.demo for result in report.batch.finished)))
    if report.runs:
        print(worker_table(report))
    return EXIT_FAILED_FILES if report.batch.failed else 0


class _ClusterProgress:
    """One bar for the whole batch, over seconds of audio: files and hours done, speed against real time, ETA."""

    def __init__(self, target_name: str, quiet: bool) -> None:
        self._target_name = target_name
        self._quiet = quiet
        self._disable = True if quiet else None  # None: tqdm shows the bar only on a terminal
        self._bar: tqdm[Any] | None = None
        self._durations: dict[Path, float] = {}
        self._files = self._done = 0
        self._audio = self._audio_done = 0.0
        self._started = time.monotonic()

    def __call__(self, event: object) -> None:
        if isinstance(event, ClusterStarted):
            self._start(event)
        elif isinstance(event, FileStarted):
            self._durations[event.path] = event.duration
        elif isinstance(event, FileFinished):
            self._advance(event.result.source, done=True)
            for warning in event.result.warnings:
                self._write(f"translator: warning: {one_line(warning)}")
        elif isinstance(event, FileFailed):
            self._advance(event.path, done=False)
            self._write(f"translator: failed: {one_line(event.message)}")
        elif isinstance(event, FileSkipped):
            self._write(f"translator: skipped {one_line(str(event.path))}: {event.reason}")
        elif isinstance(event, WorkerLost):
            then = "trying it again on another worker" if event.retried else "giving it up"
            self._write(f"translator: {event.worker.label} was lost on {one_line(str(event.path))}; {then}")
        elif isinstance(event, FileAssigned) and event.attempt > 1 and not self._quiet:
            self._write(f"translator: {one_line(str(event.path))}: attempt {event.attempt}, on {event.worker.label}")

    def _start(self, event: ClusterStarted) -> None:
        if event.unspoken:
            self._write(f"note: no voice speaks {self._target_name}: text and subtitles only, no speech track (wav)")
        names = ", ".join(worker.label for worker in event.workers)
        if not self._quiet:
            self._write(f"translator: {len(event.workers)} workers ready in {event.startup_seconds:.1f} s: {names}")
        self._files, self._audio, self._started = event.files, event.audio_seconds, time.monotonic()
        self._bar = tqdm(
            total=round(event.audio_seconds, 1),
            desc="batch",
            bar_format="{desc} {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]",
            disable=self._disable,
        )
        self._show()

    def _advance(self, path: Path, done: bool) -> None:
        duration = self._durations.pop(path, 0.0)
        if done:
            self._done += 1
            self._audio_done += duration
        else:  # a failed file's audio will not be translated: the remaining time no longer counts it
            self._audio -= duration
        if self._bar is not None:
            self._bar.total = round(self._audio, 1)
            self._bar.n = round(self._audio_done, 1)
        self._show()

    def _show(self) -> None:
        if self._bar is None:
            return
        elapsed = max(time.monotonic() - self._started, 1e-9)
        self._bar.set_postfix_str(
            f"{self._done}/{self._files} files, {self._audio_done / 3600:.2f}/{self._audio / 3600:.2f} h of audio, "
            f"{self._audio_done / elapsed:.1f}x real time"
        )

    def _write(self, line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def worker_table(report: ClusterReport) -> str:
    """A line per worker (files, audio, busy time, the pipeline's part and the transfers'), then the cluster's
    start-up, wall time and overhead."""
    durations = {result.source: result.duration for result in report.batch.finished}
    header = ("worker", "files", "audio", "busy", "pipeline", "transfer", "overhead")
    rows = []
    for worker in sorted({run.worker for run in report.runs}):
        runs = [run for run in report.runs if run.worker == worker]
        busy = sum(run.seconds for run in runs)
        overhead = sum(run.overhead_seconds for run in runs)
        rows.append(
            (
                worker,
                str(len(runs)),
                f"{sum(durations.get(run.path, 0.0) for run in runs):.1f}s",
                f"{busy:.2f}s",
                f"{sum(run.pipeline_seconds for run in runs):.2f}s",
                f"{sum(run.transfer_seconds for run in runs):.2f}s",
                f"{overhead / busy if busy else 0:.1%}",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    retried = sum(1 for run in report.runs if run.attempts > 1)
    lines.append(
        f"cluster: {len(report.workers)} workers, start-up {report.startup_seconds:.1f}s, "
        f"wall {report.wall_seconds:.1f}s, "
        f"overhead {report.overhead_share:.1%} of the workers' busy time; {report.workers_lost} workers lost, "
        f"{retried} files translated on a later attempt"
    )
    return "\n".join(lines)
