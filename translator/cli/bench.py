"""`translator bench`: latency and throughput of the real model architectures (random weights); with
`--soak MINUTES`, the live pipeline soaked in speech for MINUTES, its memory and delay per window.

The benchmark lives in the `bench` package beside the core, installed with its extra; the packaged
app leaves it out, and then this command says where it runs.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import platformdirs

from translator.cli.options import number_between, whole_number
from translator.compute import DEVICES, ComputeSettings
from translator.errors import TranslatorError

NOT_INSTALLED = (
    "the benchmark is not part of this installation: run it from a source checkout with ./scripts/run.sh bench"
)


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `bench` command and its options."""
    bench = commands.add_parser(
        "bench",
        help="measure latency and throughput on the real model architectures (random weights, pinned lengths)",
    )
    bench.add_argument(
        "--cache",
        type=Path,
        default=Path(platformdirs.user_cache_dir("translator")) / "bench",
        metavar="DIR",
        help="where the built models are kept between runs (default: the user cache folder)",
    )
    bench.add_argument("--out", type=Path, default=Path("docs"), metavar="DIR", help="report folder (default: docs)")
    bench.add_argument("--size", choices=("real", "tiny"), default="real", help="tiny: a quick smoke run")
    bench.add_argument(
        "--profile", action="append", choices=("fast", "balanced"), help="profiles to measure (default: both)"
    )
    bench.add_argument(
        "--repeats",
        type=whole_number(1, 100),
        default=7,
        metavar="N",
        help="timed runs of each stage (default: 7; recognition on the 30 s window at most 3)",
    )
    bench.add_argument(
        "--warmup", type=whole_number(0, 20), default=1, metavar="N", help="untimed runs first (default: 1)"
    )
    bench.add_argument(
        "--live-utterances", type=whole_number(1, 200), default=8, metavar="N", help="in the live run (default: 8)"
    )
    bench.add_argument(
        "--batch-minutes",
        type=number_between(0.05, 600.0),
        default=10.0,
        metavar="M",
        help="speech in the batch run (default: 10)",
    )
    bench.add_argument(
        "--encoder-window",
        type=_encoder_window,
        default="auto",
        metavar="auto|SECONDS",
        help="Whisper's encoder window measured against the full 30 s one: auto, or a floor in seconds (default: auto)",
    )
    bench.add_argument("--no-peers", action="store_true", help="skip the PyTorch comparison")
    bench.add_argument(
        "--no-accuracy", action="store_true", help="skip the real Whisper tiny.en's accuracy on real speech"
    )
    bench.add_argument("--device", choices=DEVICES, default="cpu", help="CTranslate2 device (default: cpu)")
    bench.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default: int8)")
    bench.add_argument(
        "--soak",
        type=_positive("minutes"),
        metavar="MINUTES",
        help="instead of the benchmark, play speech into the live pipeline through a virtual sound card for "
        "MINUTES and report resident memory and speech-to-speech delay per window (to OUT/soak.md)",
    )
    bench.add_argument(
        "--soak-window",
        type=_positive("seconds"),
        default=300.0,
        metavar="SECONDS",
        help="the soak report's window length (default: 300)",
    )


def _positive(unit: str) -> Callable[[str], float]:
    """An argument type: a finite number above zero, in `unit`."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise argparse.ArgumentTypeError(f"use a number of {unit} above 0, not {value!r}")
        return number

    return parse


def _encoder_window(value: str) -> str | float:
    """The setting as `RecognizerSettings.encoder_window` takes it: "auto" or a floor in seconds (0 to 30]."""
    if value == "auto":
        return value
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 30:
        raise argparse.ArgumentTypeError(f"use auto or a floor in seconds above 0 and at most 30, not {value!r}")
    return seconds


def run(arguments: argparse.Namespace, command_line: Sequence[str]) -> int:
    """Run the benchmark (or the soak run) and write its report; `command_line` is recorded in the report."""
    try:
        from bench import BenchSettings, run_bench
        from bench.report import write_report
    except ImportError as error:
        if error.name is not None and (error.name == "bench" or error.name.startswith("bench.")):
            raise TranslatorError(NOT_INSTALLED) from None
        raise

    started = time.monotonic()

    def progress(line: str) -> None:
        elapsed = int(time.monotonic() - started)
        print(f"bench [{elapsed // 60}:{elapsed % 60:02d}] {line}", file=sys.stderr, flush=True)

    if arguments.soak is not None:
        return _soak(arguments, " ".join(command_line), progress)
    settings = BenchSettings(
        cache=arguments.cache,
        size=arguments.size,
        profiles=tuple(arguments.profile or ("fast", "balanced")),
        repeats=arguments.repeats,
        warmup=arguments.warmup,
        live_utterances=arguments.live_utterances,
        batch_minutes=arguments.batch_minutes,
        peers=not arguments.no_peers,
        accuracy=not arguments.no_accuracy,
        encoder_window=arguments.encoder_window,
        compute=ComputeSettings(arguments.device, arguments.compute_type),
    )
    report_run = run_bench(settings, progress)
    progress("done")
    report, chart = write_report(report_run, arguments.out, " ".join(command_line))
    print(f"report written to {report}" + (f", chart to {chart}" if chart else " (no chart: matplotlib is missing)"))
    return 0


def _soak(arguments: argparse.Namespace, command_line: str, progress: Callable[[str], None]) -> int:
    """The soak run: write its report, print its tables; exit 0 whether or not the targets were met."""
    from bench.soak import SoakSettings, run_soak
    from bench.soak_report import judge, verdict_table, window_table, write_soak_report

    soak = run_soak(SoakSettings(minutes=arguments.soak, window_seconds=arguments.soak_window), progress)
    progress("done")
    report = write_soak_report(soak, arguments.out, command_line)
    print(window_table(soak.windows))
    print()
    print(verdict_table(judge(soak.windows)))
    print(f"report written to {report}")
    return 0
