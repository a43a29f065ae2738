"""The options several commands share: languages, the models and where they run, the model folder, and the
argument types that hold every number to its bounds before any work starts."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from translator.compute import DEVICES
from translator.config import AppConfig, cpu_threads_problem, load_config
from translator.errors import TranslatorError
from translator.languages import Language, UnknownLanguageError, find_language
from translator.models.folders import DEMO_SETTINGS_FILE, models_folder_problem
from translator.models.planning import PROFILE_CHOICES
from translator.paths import CONFIG_ENVIRONMENT, default_config_path

# Whisper and faster-whisper use a beam of 5; the cost grows with the beam (10000 ran for minutes on an 11 s
# file, and 0 or less failed inside the model, once per file), so 20 leaves room to experiment and no more.
MAX_BEAM_SIZE = 20


def whole_number(low: int, high: int, meaning: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`; `meaning` says what they mean ("1 is greedy")."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"use a whole number from {low} to {high}{f' ({meaning})' if meaning else ''}, not {text!r}"
            )
        return number

    return parse


def number_between(low: float, high: float, meaning: str = "") -> Callable[[str], float]:
    """An argparse type: a finite number from `low` to `high` (NaN and infinities are refused, never clamped)."""

    def parse(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and low <= number <= high):
            raise argparse.ArgumentTypeError(
                f"use a number from {low:g} to {high:g}{f' ({meaning})' if meaning else ''}, not {text!r}"
            )
        return number

    return parse


def thread_count_argument(text: str) -> int:
    """An argparse type: CPU threads per model, 0 (CTranslate2 chooses) up to the bound for this computer."""
    threads: int | str
    try:
        threads = int(text)
    except ValueError:
        threads = text
    problem = cpu_threads_problem(threads)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    assert isinstance(threads, int)
    return threads


def models_folder_argument(text: str) -> Path:
    """An argparse type: the models folder, which may not exist yet but must not be a file."""
    path = Path(text).expanduser()
    problem = models_folder_problem(path)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return path


def language_argument(text: str) -> Language:
    """An argparse type: a language by code or name."""
    try:
        return find_language(text)
    except UnknownLanguageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def source_language_argument(text: str) -> Language | None:
    """An argparse type: a spoken language, or None for "auto" (detect it)."""
    return None if text.strip().lower() == "auto" else language_argument(text)


def add_store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--models-dir",
        type=models_folder_argument,
        metavar="DIR",
        help="where models are installed (default: $TRANSLATOR_MODELS_DIR or the per-user data folder)",
    )


def add_language_options(command: argparse.ArgumentParser, target_required: bool) -> None:
    command.add_argument(
        "--to",
        dest="target",
        required=target_required,
        type=language_argument,
        metavar="LANG",
        help="target language",
    )
    command.add_argument(
        "--from",
        dest="source",
        type=source_language_argument,
        default=None,
        metavar="LANG",
        help="spoken language, or auto (default) to detect it",
    )


def add_model_options(command: argparse.ArgumentParser, beam_size: int) -> None:
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
        "--threads",
        type=thread_count_argument,
        metavar="N",
        help=(
            "CPU threads per model (Whisper, the translator and the voice), at most 4 per CPU core "
            "(default, or 0: each library's choice)"
        ),
    )
    command.add_argument(
        "--beam-size",
        type=whole_number(1, MAX_BEAM_SIZE, "1 is greedy and fastest, 5 Whisper's usual"),
        default=beam_size,
        metavar="N",
        help=f"recognition beam size, 1 to {MAX_BEAM_SIZE} (default: {beam_size})",
    )
    command.add_argument("--quiet", action="store_true", help="no progress or interim output")


def app_config(arguments: argparse.Namespace) -> AppConfig:
    """The settings file with the command line's compute options applied (models are chosen in load_models)."""
    if arguments.config is not None and not arguments.config.exists():
        raise TranslatorError(missing_settings_message(arguments.config))
    path = arguments.config or default_config_path()
    config = load_config(path) if arguments.config or path.is_file() else AppConfig()
    overrides = {"device": arguments.device, "compute_type": arguments.compute_type, "cpu_threads": arguments.threads}
    compute = replace(config.compute, **{k: v for k, v in overrides.items() if v is not None})
    return AppConfig(config.models, compute)


def missing_settings_message(path: Path) -> str:
    """A --config that names no file: where it was looked for, and for the demo models' file how to make it."""
    where = f"settings file {path}" + ("" if path.is_absolute() else f" (looked for in {Path.cwd()})")
    if path.name != DEMO_SETTINGS_FILE:
        return f"{where} does not exist"
    return (
        f"{where} does not exist: build the demo models with: translator demo-models DIR, which writes "
        f"DIR/{DEMO_SETTINGS_FILE} (give its whole path when you run from another folder)"
    )
