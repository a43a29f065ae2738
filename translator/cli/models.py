"""`translator models ...` and the model choice of `batch` and `live`: ids, profiles, first start.

`models list | download | remove | import | verify | plan | coverage` drive `translator.models.store`;
downloads show a progress bar per file. `resolve_models` turns `--profile` and model ids (or
folders) into the paths the stages load, and says in one line what to install when a model is
missing, or, with nothing installed at all, offers the first download (or the demo models when the
Hub cannot be reached).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from translator.config import AppConfig, ModelPaths
from translator.errors import ModelNotInstalledError, TranslatorError
from translator.languages import Language
from translator.models.catalog import (
    AUTO,
    STAGES,
    CatalogModel,
    ChainPlan,
    UnknownModelError,
    coverage,
    describe_size,
    describe_total,
    languages_text,
    plan_chain,
    resolve_profile,
)
from translator.models.store import (
    DEMO_COMMAND,
    DownloadEvent,
    FileProgress,
    FileStarted,
    FileVerified,
    FirstStart,
    ModelInstalled,
    ModelStore,
    first_start_plan,
    install_hint,
)

PROFILE_CHOICES = ("fast", "balanced", "accurate", AUTO)
EXIT_VERIFY_FAILED = 1
_OPTION_OF_STAGE = {"recognition": "whisper", "translation": "translation", "synthesis": "voice"}


def add_store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--models-dir",
        type=Path,
        metavar="DIR",
        help="where models are installed (default: $TRANSLATOR_MODELS_DIR or the per-user data folder)",
    )


def add_models_parser(commands: argparse._SubParsersAction, language: Callable[[str], Language]) -> None:
    """The `models` command and its actions."""
    models = commands.add_parser(
        "models",
        help="list, download, import, remove and verify models",
        description="The model catalog and the models installed on this machine.",
    )
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the catalog's models, and which are installed")
    listing.add_argument("--stage", choices=STAGES, help="only this stage's models")
    listing.add_argument("--language", type=language, metavar="LANG", help="only models for this language")
    listing.add_argument("--installed", action="store_true", help="only installed models")
    add_store_option(listing)

    download = actions.add_parser(
        "download", help="download models by id, or a profile's chain", description="Download and install models."
    )
    download.add_argument("ids", nargs="*", metavar="ID", help="catalog model ids (see 'translator models list')")
    download.add_argument("--profile", choices=PROFILE_CHOICES, help="download a profile's whole chain")
    download.add_argument("--to", dest="target", type=language, metavar="LANG", help="the chain's target language")
    download.add_argument("--from", dest="source", type=language, metavar="LANG", help="the chain's spoken language")
    download.add_argument("--quiet", action="store_true", help="no progress bars")
    add_store_option(download)

    remove = actions.add_parser("remove", help="remove installed models")
    remove.add_argument("ids", nargs="+", metavar="ID")
    add_store_option(remove)

    imported = actions.add_parser(
        "import", help="install a model you already have: a model folder or a Piper .onnx voice"
    )
    imported.add_argument("path", type=Path, metavar="PATH")
    imported.add_argument("--id", dest="model_id", metavar="ID", help="the id to install it as (default: its name)")
    add_store_option(imported)

    verify = actions.add_parser("verify", help="check installed models' files and load each one")
    verify.add_argument("ids", nargs="*", metavar="ID", help="only these models (default: all installed)")
    add_store_option(verify)

    plan = actions.add_parser("plan", help="show the models a profile uses for a language pair")
    plan.add_argument("--to", dest="target", type=language, required=True, metavar="LANG")
    plan.add_argument("--from", dest="source", type=language, metavar="LANG")
    plan.add_argument("--profile", choices=PROFILE_CHOICES, default=AUTO)
    add_store_option(plan)

    convert = actions.add_parser(
        "convert",
        help="convert a Transformers OPUS-MT, NLLB-200 or M2M-100 checkpoint to CTranslate2 int8 and install it",
        description="Needs the 'convert' extra (transformers and torch).",
    )
    convert.add_argument(
        "source", metavar="SOURCE", help="a checkpoint folder, or a Hub id such as Helsinki-NLP/opus-mt-en-de"
    )
    convert.add_argument("--id", dest="model_id", metavar="ID", help="the id to install it as (default: its name)")
    convert.add_argument("--revision", help="the Hub revision to convert (default: main)")
    add_store_option(convert)

    cover = actions.add_parser("coverage", help="how many languages, pairs and voices the catalog covers")
    add_store_option(cover)


def run_models(arguments: argparse.Namespace) -> int:
    """Run one `translator models` action; returns the exit status."""
    store = ModelStore(arguments.models_dir)
    action = arguments.models_command
    if action == "list":
        _list(store, arguments)
    elif action == "download":
        _download(store, arguments)
    elif action == "remove":
        for model_id in arguments.ids:
            store.remove(model_id)
            print(f"removed {model_id}")
    elif action == "import":
        installed = store.import_folder(arguments.path, arguments.model_id)
        print(f"imported {installed.id} ({installed.stage}, {describe_size(installed.size)}) into {installed.folder}")
    elif action == "verify":
        return _verify(store, arguments.ids)
    elif action == "convert":
        from translator.models.convert import convert_checkpoint

        installed = convert_checkpoint(store, arguments.source, arguments.model_id, arguments.revision)
        print(
            f"converted {arguments.source} into {installed.id} ({describe_size(installed.size)}) in {installed.folder}"
        )
    elif action == "plan":
        _print_plan(plan_chain(store.catalog, arguments.source, arguments.target, arguments.profile), store)
    else:
        for name, value in coverage(store.catalog).items():
            print(f"{name.replace('_', ' '):24} {value}")
    return 0


def _list(store: ModelStore, arguments: argparse.Namespace) -> None:
    installed = {model.id: model for model in store.installed()}
    rows = []
    for model in store.catalog.models:
        if arguments.stage and model.stage != arguments.stage:
            continue
        if arguments.language and arguments.language not in model.languages:
            continue
        if arguments.installed and model.id not in installed:
            continue
        state = "installed" if model.id in installed else ""
        if model.id in installed and installed[model.id].missing:
            state = "damaged"
        languages = languages_text(model.languages, limit=4)
        licence = model.licence[:28]
        rows.append((model.id, model.stage, model.tier, describe_size(model.size), languages, licence, state))
    for model in installed.values():  # imported models the catalog does not know
        if model.id not in store.catalog and (not arguments.stage or model.stage == arguments.stage):
            rows.append((model.id, model.stage, "-", describe_size(model.size), "-", "imported", "installed"))
    header = ("id", "stage", "tier", "size", "languages", "licence", "state")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"{len(installed)} installed in {store.root}")


def _download(store: ModelStore, arguments: argparse.Namespace) -> None:
    if arguments.ids and arguments.profile:
        raise TranslatorError("pass model ids or --profile, not both")
    if arguments.ids:
        models = [store.catalog.get(model_id) for model_id in arguments.ids]  # every id checked before any download
        notes = [f"{model.name}: {model.licence}" for model in models if model.non_commercial]
    elif arguments.profile or arguments.target:
        profile = resolve_profile(store.catalog, arguments.profile or AUTO)
        if arguments.target is None:
            models = [store.catalog.get(profile.recognition), store.catalog.get(profile.translation[0])]
            notes = [f"{model.name}: {model.licence}" for model in models if model.non_commercial]
        else:
            plan = plan_chain(store.catalog, arguments.source, arguments.target, profile)
            models, notes = list(plan.models), list(plan.notes)
        print(f"profile {profile.name}: {', '.join(model.id for model in models)} ({describe_total(models)})")
    else:
        raise TranslatorError("name the models to download (see 'translator models list'), or pass --profile")
    download_models(store, [model.id for model in models], quiet=arguments.quiet)
    for note in notes:
        print(f"note: {note}")


def download_models(
    store: ModelStore, model_ids: Sequence[str], quiet: bool = False, out: TextIO | None = None
) -> None:
    """Download each model with a progress bar per file (on a terminal) and a line when it is installed."""
    for model_id in model_ids:
        bars = DownloadBars(quiet)
        try:
            installed = store.download(model_id, bars)
        finally:
            bars.close()
        print(f"installed {model_id} ({describe_size(installed.size)}) in {installed.folder}", file=out or sys.stdout)


class DownloadBars:
    """Renders download events: one tqdm bar per file, shown only on a terminal."""

    def __init__(self, quiet: bool) -> None:
        self._disable = True if quiet else None  # None: tqdm decides (bars only on a terminal)
        self._bar: tqdm | None = None

    def __call__(self, event: DownloadEvent) -> None:
        if isinstance(event, FileStarted) and not event.done:
            self._close_bar()
            desc = f"{event.model_id}: {event.name}"[:48]
            self._bar = tqdm(total=event.size, unit="B", unit_scale=True, desc=desc, disable=self._disable)
        elif isinstance(event, FileProgress) and self._bar is not None:
            self._bar.update(event.received - self._bar.n)
        elif isinstance(event, (FileVerified, ModelInstalled)):
            self._close_bar()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        self._close_bar()


def _verify(store: ModelStore, model_ids: Sequence[str]) -> int:
    results = store.verify(model_ids or None)
    for result in results:
        print(f"{'ok' if result.ok else 'FAILED':6} {result.model_id}: {result.message}")
    if not results:
        print(f"no models installed in {store.root}")
    failed = sum(not result.ok for result in results)
    if failed:
        print(f"{failed} of {len(results)} models failed", file=sys.stderr)
    return EXIT_VERIFY_FAILED if failed else 0


def _print_plan(plan: ChainPlan, store: ModelStore) -> None:
    source = plan.source.name if plan.source else "any (detected)"
    print(f"profile {plan.profile}: {source} -> {plan.target.name}")
    for stage, model in (("recognition", plan.recognition), ("translation", plan.translation), ("voice", plan.voice)):
        if model is None:
            print(f"  {stage:12} none")
            continue
        state = "installed" if store.is_installed(model.id) else "not installed"
        print(f"  {stage:12} {model.id:32} {describe_size(model.size):>12}  {model.licence}  [{state}]")
    print(f"  total {describe_total(plan.models)}")
    for note in plan.notes:
        print(f"note: {note}")


# --- batch and live: which models to load -----------------------------------------------------------


@dataclass(frozen=True)
class ResolvedModels:
    """The settings with every model as a path, and the voice for each target language."""

    config: AppConfig
    voices: dict[Language, Path]


def resolve_models(
    arguments: argparse.Namespace,
    config: AppConfig,
    targets: Sequence[Language],
    speech: bool,
    no_voice_hint: str,
) -> ResolvedModels:
    """Turn --whisper/--translation/--voice (ids or paths), --profile and the settings file into paths.

    Explicit options win, then the profile's chain, then the settings file. With neither a profile
    nor paths for some stage, the installed models are used (the first profile whose chain is
    installed). A catalog model that is not installed is one line naming the download command;
    with no model installed or configured at all, the first-start offer.
    """
    store = ModelStore(arguments.models_dir)
    options = {stage: getattr(arguments, _OPTION_OF_STAGE[stage]) for stage in STAGES}
    paths = {stage: _locate(store, value, stage) if value else None for stage, value in options.items()}
    if not arguments.profile:
        paths["recognition"] = paths["recognition"] or config.models.whisper
        paths["translation"] = paths["translation"] or config.models.translation
        paths["synthesis"] = paths["synthesis"] or config.models.voices
    want_voice = speech and paths["synthesis"] is None
    voices: dict[Language, Path] = {}
    if arguments.profile or paths["recognition"] is None or paths["translation"] is None or want_voice:
        nothing_chosen = not arguments.profile and not any(options.values()) and config.models == ModelPaths()
        if nothing_chosen and not store.installed():
            _first_start(store, targets, arguments.source)
        plans = _plans(store, arguments, targets, paths, want_voice)
        _require_installed(store, plans, paths, want_voice, no_voice_hint)
        paths["recognition"] = paths["recognition"] or store.path_of(plans[0].recognition.id)
        paths["translation"] = paths["translation"] or store.path_of(plans[0].translation.id)
        if want_voice:
            voices = {plan.target: store.path_of(plan.voice.id) for plan in plans if plan.voice is not None}
    models = ModelPaths(paths["recognition"], paths["translation"], paths["synthesis"])
    return ResolvedModels(replace(config, models=models), voices)


def _locate(store: ModelStore, value: str, stage: str) -> Path:
    """A model option's value: an existing path, something written as a path, or an installed model's id."""
    path = Path(value).expanduser()
    if path.exists() or "/" in value or "\\" in value or value.startswith((".", "~")):
        return path
    try:
        installed = store.get(value)
    except UnknownModelError:
        raise TranslatorError(
            f"'{value}' is neither a folder nor a model id: run 'translator models list' for the ids"
        ) from None
    if installed.stage != stage:
        raise TranslatorError(f"'{value}' is a {installed.stage} model, not a {stage} model")
    return installed.path


def _needed(plan: ChainPlan, paths: dict[str, Path | None], voice: bool) -> list[CatalogModel]:
    """The plan's models for the stages nothing else fills."""
    models = [model for stage, model in (("recognition", plan.recognition), ("translation", plan.translation))
              if paths[stage] is None]  # fmt: skip
    if voice and plan.voice is not None:
        models.append(plan.voice)
    return models


def _plans(
    store: ModelStore,
    arguments: argparse.Namespace,
    targets: Sequence[Language],
    paths: dict[str, Path | None],
    voice: bool,
) -> list[ChainPlan]:
    """The chain for each target: the --profile's, else the first profile whose needed models are installed."""
    # Two targets (a conversation) share one translation model: planned without a source, which
    # picks a multilingual model that serves both directions.
    source = arguments.source if len(targets) == 1 else None
    if arguments.profile:
        return [plan_chain(store.catalog, source, target, arguments.profile) for target in targets]
    names = [resolve_profile(store.catalog, AUTO).name] + [profile.name for profile in store.catalog.profiles]
    candidates = []
    for name in dict.fromkeys(names):
        plans = [plan_chain(store.catalog, source, target, name) for target in targets]
        if all(store.is_installed(model.id) for plan in plans for model in _needed(plan, paths, voice)):
            return plans
        candidates.append(plans)
    return candidates[0]


def _require_installed(
    store: ModelStore, plans: list[ChainPlan], paths: dict[str, Path | None], voice: bool, no_voice_hint: str
) -> None:
    """One line naming the download command when a planned model is missing, or no voice speaks a target."""
    for plan in plans:
        if voice and plan.voice is None:
            raise TranslatorError(f"no voice in the catalog speaks {plan.target.name}: {no_voice_hint}")
    missing = [model for plan in plans for model in _needed(plan, paths, voice) if not store.is_installed(model.id)]
    if not missing:
        return
    ids = [model.id for model in missing]
    if all(model.stage == "synthesis" for model in missing):
        names = " and ".join(dict.fromkeys(model.targets[0].name for model in missing))
        raise ModelNotInstalledError(
            f"no {names} voice is installed: run: translator models download {' '.join(dict.fromkeys(ids))}, "
            f"or {no_voice_hint}"
        )
    raise ModelNotInstalledError(install_hint(ids))


def _first_start(store: ModelStore, targets: Sequence[Language], source: Language | None) -> None:
    """Nothing installed or configured: offer the first download (interactively on a terminal), else explain."""
    target = targets[0] if len(targets) == 1 else None
    offer = first_start_plan(store, target, source if target else None)
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
