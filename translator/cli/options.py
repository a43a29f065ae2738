"""The options several commands share: languages, the models and where they run, the model folder."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from translator.compute import DEVICES
from translator.config import AppConfig, load_config
from translator.errors import TranslatorError
from translator.languages import Language, UnknownLanguageError, find_language
from translator.models.folders import DEMO_SETTINGS_FILE
from translator.models.planning import PROFILE_CHOICES
from translator.paths import CONFIG_ENVIRONMENT, default_config_path


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
        type=Path,
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
        "--threads", type=int, metavar="N", help="CPU threads per model (default: CTranslate2's choice)"
    )
    command.add_argument(
        "--beam-size", type=int, default=beam_size, metavar="N", help=f"recognition beam size (default: {beam_size})"
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
