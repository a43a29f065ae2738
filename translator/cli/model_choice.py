"""The command line's side of the model choice: a request from the options, the first-start prompt,
and the command line's own words for what to pass.

The rules are `translator.models.choice`'s; here the options become a `ModelRequest`, a first start
asks on a terminal whether to download, and the core's typed errors gain the option that fixes them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from translator.cli.models import download_models
from translator.config import AppConfig
from translator.errors import ModelNotInstalledError, NetworkError, Remedy, TranslatorError
from translator.languages import Language
from translator.models.choice import (
    FirstStart,
    ModelPlan,
    ModelRequest,
    ModelsMissingError,
    choose_models,
)
from translator.models.loading import DemoLanguageError, LoadedModels, ModelCache
from translator.models.planning import NoVoiceError, UnsupportedPairError
from translator.models.store import ModelStore

DEMO_COMMAND = "translator demo-models DIR"
_OPTION_OF_STAGE = {"recognition": "whisper", "translation": "translation", "synthesis": "voice"}
_REMEDY_WORDING = {
    Remedy.LIST_DEVICES: ": run 'translator devices' to list them",
    Remedy.INPUT_FROM_FILE: ", or use --input-file FILE",
    Remedy.OUTPUT_TO_FILE: ", or use --output-file FILE",
    Remedy.RUN_ON_CPU: ", or use --device cpu",
    Remedy.REAL_MODELS: ": real models serve it (see translator models list)",
    Remedy.ANOTHER_MODEL_ID: " (translator models import PATH --id NAME)",
}


def load_models(
    arguments: argparse.Namespace,
    config: AppConfig,
    targets: Sequence[Language],
    speech: bool,
    speech_hint: str,
    text_only_without_voice: bool = False,
) -> LoadedModels:
    """Load the recognizer, the translator and, when `speech`, a voice for each target language.

    The models come from --whisper/--translation/--voice (ids or paths), --profile, the settings
    file, or the installed models, in that order (see `translator.models.choice.choose_models`).
    `speech_hint` says how this command goes on without speech ("pass --no-speech for text only").
    With `text_only_without_voice`, a target no Piper voice speaks is served as text only (listed in
    the answer's `unspoken`) instead of being an error.
    """
    plan = choose(arguments, config, targets, speech, speech_hint, text_only_without_voice)
    models = replace(config, models=plan.models)
    return ModelCache().load(
        models, targets, speech, arguments.beam_size, speech_hint, plan.voices, text_only_without_voice
    )


def choose(
    arguments: argparse.Namespace,
    config: AppConfig,
    targets: Sequence[Language],
    speech: bool,
    speech_hint: str,
    text_only_without_voice: bool = False,
) -> ModelPlan:
    """The core's model choice for these options; on a first start, the download offer is made first."""
    store = ModelStore(arguments.models_dir)
    request = ModelRequest(
        targets=tuple(targets),
        source=arguments.source,
        speech=speech,
        text_only_without_voice=text_only_without_voice,
        recognition=arguments.whisper,
        translation=arguments.translation,
        voice=arguments.voice,
        profile=arguments.profile,
        configured=config.models,
    )
    try:
        while isinstance(choice := choose_models(store, request), FirstStart):
            _offer_first_start(store, choice)  # downloads, or raises the offer as one line
    except NoVoiceError as error:
        raise NoVoiceError(error.language, f"{error}: {speech_hint}") from None
    except ModelsMissingError as error:
        if error.only_voices:
            raise ModelNotInstalledError(f"{error}, or {speech_hint}") from None
        raise
    return choice


def command_line_message(error: TranslatorError) -> str:
    """The error's one line, with the option or command that fixes it: the core names a model that would
    serve, or a remedy, and the command line words it."""
    if isinstance(error, UnsupportedPairError) and error.alternative is not None:
        return f"{error}: pass --{_OPTION_OF_STAGE[error.stage]} {error.alternative}"
    if isinstance(error, NetworkError):
        return f"{error} ({DEMO_COMMAND} builds the demo models)"
    if isinstance(error, DemoLanguageError):
        return f"{error}: for real models, run: translator models download --profile auto --to {error.language.code}"
    return f"{error}{_REMEDY_WORDING[error.remedy]}" if error.remedy else str(error)


def _offer_first_start(store: ModelStore, offer: FirstStart) -> None:
    """Nothing installed or configured: offer the first download (interactively on a terminal), else explain."""
    if offer.online and sys.stdin.isatty() and sys.stderr.isatty():
        what = f"the {offer.profile} profile" + (f" for {offer.target.name}" if offer.target else "")
        print(f"translator: no models are installed yet. Download {what}: {', '.join(offer.model_ids)} "
              f"({offer.size_text})?", file=sys.stderr)  # fmt: skip
        for note in offer.notes:
            print(f"note: {note}", file=sys.stderr)
        if input("Download now? [y/N] ").strip().lower() in ("y", "yes"):
            download_models(store, offer.model_ids, out=sys.stderr)
            return
    raise TranslatorError(_first_start_message(offer))


def _first_start_message(offer: FirstStart) -> str:
    if offer.online is False:
        return (
            f"no models are installed and the model hub cannot be reached ({offer.network_message}): "
            f"try the demo models (their output is labelled as demo output): {DEMO_COMMAND}, "
            "then pass --config DIR/demo.toml"
        )
    what = f"the {offer.profile} profile" + (f" for {offer.target.name}" if offer.target else "")
    restriction = f"; {offer.notes[0]}" if offer.notes else ""
    return (
        f"no models are installed yet: download {what} ({offer.size_text}{restriction}): {offer.download_command}; "
        f"or try the demo models: {DEMO_COMMAND}"
    )
