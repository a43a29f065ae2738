"""The `translator` command: batch translation of files, demo models, and the language list.

Every failure the user can act on is printed as one line; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import platformdirs
from tqdm import tqdm

from translator import __version__
from translator.audio.devices import list_devices
from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP
from translator.cli.models import PROFILE_CHOICES, add_models_parser, add_store_option, resolve_models, run_models
from translator.compute import DEVICES
from translator.config import AppConfig, load_config
from translator.errors import TranslatorError
from translator.languages import LANGUAGES, Language, UnknownLanguageError, find_language
from translator.models.loading import LoadedModels, ModelCache
from translator.pipeline.batch import (
    BatchReport,
    BatchSettings,
    BatchTranslator,
    Event,
    FileFailed,
    FileFinished,
    FileProgress,
    FileSkipped,
    FileStarted,
    Pipeline,
)
from translator.pipeline.outputs import DEMO_NOTICE, FORMATS

CONFIG_ENVIRONMENT = "TRANSLATOR_CONFIG"
EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 128 + 13  # as if SIGPIPE ended it, like other command-line tools


def default_config_path() -> Path:
    """The user's settings file: $TRANSLATOR_CONFIG, else settings.toml in the platform's config folder."""
    if os.environ.get(CONFIG_ENVIRONMENT):
        return Path(os.environ[CONFIG_ENVIRONMENT])
    return Path(platformdirs.user_config_dir("translator")) / "settings.toml"


def _language(text: str) -> Language:
    try:
        return find_language(text)
    except UnknownLanguageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _source_language(text: str) -> Language | None:
    return None if text.strip().lower() == "auto" else _language(text)


def _formats(text: str) -> frozenset[str]:
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = chosen - set(FORMATS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format '{sorted(unknown)[0] if unknown else text}': use some of {','.join(FORMATS)}"
        )
    return chosen


def _add_model_options(command: argparse.ArgumentParser, beam_size: int) -> None:
    """The options batch and live share: models, where they run, and quiet output."""
    command.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"settings file (default: ${CONFIG_ENVIRONMENT} or {default_config_path()})",
    )
    command.add_argument(
        "--profile",
        choices=PROFILE_CHOICES,
        help="use the installed models of a profile's chain: fast, balanced, accurate, or auto (by hardware)",
    )
    command.add_argument("--whisper", metavar="ID|DIR", help="Whisper model: an installed model id, or a folder")
    command.add_argument(
        "--translation",
        metavar="ID|DIR",
        help="translation model (NLLB-200, M2M-100 or OPUS-MT): an installed model id, or a folder",
    )
    command.add_argument(
        "--voice", metavar="ID|PATH", help="Piper voice: an installed model id, a .onnx, or a folder of voices"
    )
    add_store_option(command)
    command.add_argument("--device", choices=DEVICES, help="where the models run (default: auto)")
    command.add_argument(
        "--compute-type", metavar="TYPE", help="auto, int8, float16, int8_float16, ... (default: auto)"
    )
    command.add_argument(
        "--threads", type=int, metavar="N", help="CPU threads per model (default: CTranslate2's choice)"
    )
    command.add_argument(
        "--beam-size", type=int, default=beam_size, metavar="N", help=f"recognition beam size (default: {beam_size})"
    )
    command.add_argument("--quiet", action="store_true", help="no progress or interim output")


def _add_language_options(command: argparse.ArgumentParser, target_required: bool) -> None:
    command.add_argument(
        "--to", dest="target", required=target_required, type=_language, metavar="LANG", help="target language"
    )
    command.add_argument(
        "--from",
        dest="source",
        type=_source_language,
        default=None,
        metavar="LANG",
        help="spoken language, or auto (default) to detect it",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="translator", description="Offline speech-to-speech translation.")
    parser.add_argument("--version", action="version", version=f"translator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    batch = commands.add_parser(
        "batch", help="translate audio and video files", description="Translate audio and video files."
    )
    batch.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file, or a folder searched recursively")
    _add_language_options(batch, target_required=True)
    batch.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: beside each input)")
    batch.add_argument(
        "--formats",
        type=_formats,
        default=frozenset(FORMATS),
        metavar="LIST",
        help=f"comma-separated, from {','.join(FORMATS)} (default: all)",
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
    _add_model_options(batch, beam_size=5)

    live = commands.add_parser(
        "live",
        help="translate speech live, from a microphone, the computer's own sound, or a file",
        description="Translate speech live until Ctrl+C (or the end of --input-file).",
    )
    _add_language_options(live, target_required=False)
    live.add_argument(
        "--conversation",
        nargs=2,
        type=_language,
        metavar=("LANG_A", "LANG_B"),
        help="two people: each utterance is translated into the other language",
    )
    sources = live.add_mutually_exclusive_group()
    sources.add_argument(
        "--input-device", metavar="DEVICE", help="microphone by number or name (see 'translator devices')"
    )
    sources.add_argument("--loopback", action="store_true", help="translate what the computer plays (a call, a video)")
    sources.add_argument(
        "--input-file", type=Path, metavar="FILE", help="an audio file played in real time as the input"
    )
    sinks = live.add_mutually_exclusive_group()
    sinks.add_argument("--output-device", metavar="DEVICE", help="speaker by number or name")
    sinks.add_argument("--output-file", type=Path, metavar="FILE", help="write the translated speech to a WAV instead")
    sinks.add_argument("--no-speech", action="store_true", help="text only: no translated speech")
    live.add_argument("--push-to-talk", action="store_true", help="press Enter to start and again to stop speaking")
    live.add_argument(
        "--silence-ms", type=int, default=400, metavar="MS", help="silence that ends an utterance (default: 400)"
    )
    live.add_argument("--no-echo-gate", action="store_true", help="keep listening while speech plays (headphones)")
    live.add_argument("--no-interims", action="store_true", help="no live captions while speaking (saves CPU)")
    live.add_argument(
        "--max-delay", type=float, default=8.0, metavar="S", help="speech older than this is not spoken (default: 8)"
    )
    _add_model_options(live, beam_size=1)

    demo = commands.add_parser("demo-models", help="build the project's tiny demo models into a folder")
    demo.add_argument("folder", type=Path, metavar="DIR")

    add_models_parser(commands, _language)
    _add_bench_parser(commands)
    commands.add_parser("languages", help="list the languages and their codes in each model family")
    commands.add_parser("devices", help="list sound input and output devices")
    gui = commands.add_parser("gui", help="open the desktop window")
    gui.add_argument("--version", action="version", version=f"translator {__version__}")
    gui.add_argument("--check", action="store_true", help="open the window and close it at once (tests an install)")
    gui.add_argument(
        "--config", type=Path, metavar="FILE", help="a settings file whose models fill in choices the window lacks"
    )
    gui.add_argument(
        "--settings", type=Path, metavar="FILE", help="the window's own settings file (default: in the config folder)"
    )
    return parser


def _add_bench_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
    bench.add_argument("--repeats", type=int, default=7, metavar="N", help="timed runs of each stage (default: 7)")
    bench.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs first (default: 1)")
    bench.add_argument("--live-utterances", type=int, default=8, metavar="N", help="in the live run (default: 8)")
    bench.add_argument(
        "--batch-minutes", type=float, default=10.0, metavar="M", help="speech in the batch run (default: 10)"
    )
    bench.add_argument("--no-peers", action="store_true", help="skip the PyTorch comparison")
    bench.add_argument("--device", choices=DEVICES, default="cpu", help="CTranslate2 device (default: cpu)")
    bench.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default: int8)")


def _bench(arguments: argparse.Namespace, argv: list[str]) -> int:
    from bench import BenchSettings, run_bench
    from bench.report import write_report
    from translator.compute import ComputeSettings

    settings = BenchSettings(
        cache=arguments.cache,
        size=arguments.size,
        profiles=tuple(arguments.profile or ("fast", "balanced")),
        repeats=max(arguments.repeats, 1),
        warmup=max(arguments.warmup, 0),
        live_utterances=max(arguments.live_utterances, 1),
        batch_minutes=arguments.batch_minutes,
        peers=not arguments.no_peers,
        compute=ComputeSettings(arguments.device, arguments.compute_type),
    )
    started = time.monotonic()

    def progress(line: str) -> None:
        elapsed = int(time.monotonic() - started)
        print(f"bench [{elapsed // 60}:{elapsed % 60:02d}] {line}", file=sys.stderr, flush=True)

    run = run_bench(settings, progress)
    progress("done")
    command = " ".join(["translator", *argv])
    report, chart = write_report(run, arguments.out, command)
    print(f"report written to {report}" + (f", chart to {chart}" if chart else " (no chart: matplotlib is missing)"))
    return 0


def log_path() -> Path:
    """Where errors are logged in full (created only when something is logged)."""
    return Path(platformdirs.user_log_dir("translator")) / "translator.log"


def configure_logging() -> None:
    """Log warnings and errors to the log file, so a one-line message can point to the details."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def main(argv: Sequence[str] | None = None, open_window: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run the command line; returns the exit status.

    `open_window` runs `translator gui`: the window lives in ui/, which the core never imports, so the
    `translator` command (ui.app.command_line) passes it in."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    configure_logging()
    try:
        if arguments.command == "batch":
            return _batch(arguments)
        if arguments.command == "live":
            from translator.cli.live import run_live

            return run_live(arguments, _config(arguments))
        if arguments.command == "demo-models":
            from translator.models.demo import build_demo_models

            settings = build_demo_models(arguments.folder)
            print(f"demo models written to {arguments.folder}; use them with --config {settings}")
            return 0
        if arguments.command == "gui":
            if open_window is None:
                raise TranslatorError("this entry point has no window: run `translator gui` or `translator-gui`")
            return open_window(arguments)
        if arguments.command == "models":
            return run_models(arguments)
        if arguments.command == "bench":
            return _bench(arguments, sys.argv[1:] if argv is None else list(argv))
        if arguments.command == "devices":
            _print_devices()
            return 0
        _print_languages()
        return 0
    except TranslatorError as error:
        print(f"translator: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("translator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`translator models list | head`): stop quietly, and keep Python's exit-time
        # flush from failing on the closed pipe too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:  # a bug: one line here, the traceback in the log
        logging.getLogger(__name__).exception("unexpected error")
        print(f"translator: internal error: {type(error).__name__}: {error} (details in {log_path()})", file=sys.stderr)
        return EXIT_INTERNAL


def _config(arguments: argparse.Namespace) -> AppConfig:
    """The settings file with the command line's compute options applied (models are resolved in load_models)."""
    path = arguments.config or default_config_path()
    config = load_config(path) if arguments.config or path.is_file() else AppConfig()
    overrides = {"device": arguments.device, "compute_type": arguments.compute_type, "cpu_threads": arguments.threads}
    compute = replace(config.compute, **{k: v for k, v in overrides.items() if v is not None})
    return AppConfig(config.models, compute)


def load_models(
    arguments: argparse.Namespace, config: AppConfig, targets: Sequence[Language], speech: bool, no_voice_hint: str
) -> LoadedModels:
    """Load the recognizer, the translator and, when `speech`, a voice for each target language.

    The models come from --whisper/--translation/--voice (ids or paths), --profile, the settings
    file, or the installed models, in that order (see `translator.cli.models.resolve_models`).
    """
    resolved = resolve_models(arguments, config, targets, speech, no_voice_hint)
    return ModelCache().load(resolved.config, targets, speech, arguments.beam_size, no_voice_hint, resolved.voices)


class _ProgressBars:
    """One bar for the batch (files) and one for the file in progress (seconds of audio)."""

    def __init__(self, total_paths: int, quiet: bool) -> None:
        self._disable = True if quiet else None  # None: tqdm shows bars only on a terminal
        self._overall = tqdm(total=total_paths, unit="file", desc="batch", position=0, disable=self._disable)
        self._file: tqdm | None = None

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


def _batch(arguments: argparse.Namespace) -> int:
    config = _config(arguments)
    models = load_models(
        arguments, config, [arguments.target], "wav" in arguments.formats, "leave wav out of --formats"
    )
    pipeline = Pipeline(models.recognizer, models.translator, models.voices.get(arguments.target))
    settings = BatchSettings(
        target=arguments.target,
        source=arguments.source,
        output_folder=arguments.out,
        formats=arguments.formats,
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


def _summary(report: BatchReport, demo: bool) -> str:
    """A table of each file's stage times and real-time factor, then a total line."""
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
    lines.append(f"{len(report.finished)} translated, {len(report.skipped)} skipped, {len(report.failed)} failed")
    if demo:
        lines.append(f"note: {DEMO_NOTICE}")
    return "\n".join(lines)


def _print_devices() -> None:
    devices = list_devices()
    if not devices:
        print("no sound devices found")
    for device in devices:
        roles = [role for role, present in (("in", device.input_channels), ("out", device.output_channels)) if present]
        marks = [mark for mark, flag in (("default in", device.default_input), ("default out", device.default_output),
                                         ("loopback", device.is_loopback)) if flag]  # fmt: skip
        print(
            f"{device.index:3} {device.name}  [{'/'.join(roles)}, {device.host_api}, "
            f"{device.default_sample_rate:.0f} Hz{''.join(f', {mark}' for mark in marks)}]"
        )


def _print_languages() -> None:
    print(f"{'code':6} {'name':24} {'whisper':8} {'nllb':10} {'m2m100':7} piper")
    for language in LANGUAGES:
        print(
            f"{language.code:6} {language.name[:24]:24} {language.whisper or '-':8} {language.flores or '-':10} "
            f"{language.m2m or '-':7} {' '.join(language.piper_locales) or '-'}"
        )


if __name__ == "__main__":
    sys.exit(main())
