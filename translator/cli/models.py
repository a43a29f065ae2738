"""`translator models ...`: list, download, remove, import, verify, plan, convert and coverage.

The actions drive `translator.models.store`; downloads show a progress bar per file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from translator.cli.exit_codes import EXIT_VERIFY_FAILED
from translator.cli.options import add_store_option, language_argument
from translator.errors import TranslatorError
from translator.models.catalog import AUTO, STAGES
from translator.models.hub import DownloadEvent, FileProgress, FileStarted, FileVerified, ModelInstalled
from translator.models.planning import (
    PROFILE_CHOICES,
    ChainPlan,
    coverage,
    describe_size,
    describe_total,
    languages_text,
    plan_chain,
    resolve_profile,
)
from translator.models.store import ModelStore


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `models` command and its actions."""
    models = commands.add_parser(
        "models",
        help="list, download, import, remove and verify models",
        description="The model catalog and the models installed on this machine.",
    )
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the catalog's models, and which are installed")
    listing.add_argument("--stage", choices=STAGES, help="only this stage's models")
    listing.add_argument("--language", type=language_argument, metavar="LANG", help="only models for this language")
    listing.add_argument("--installed", action="store_true", help="only installed models")
    add_store_option(listing)

    download = actions.add_parser(
        "download", help="download models by id, or a profile's chain", description="Download and install models."
    )
    download.add_argument("ids", nargs="*", metavar="ID", help="catalog model ids (see 'translator models list')")
    download.add_argument("--profile", choices=PROFILE_CHOICES, help="download a profile's whole chain")
    download.add_argument(
        "--to", dest="target", type=language_argument, metavar="LANG", help="the chain's target language"
    )
    download.add_argument(
        "--from", dest="source", type=language_argument, metavar="LANG", help="the chain's spoken language"
    )
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
    plan.add_argument("--to", dest="target", type=language_argument, required=True, metavar="LANG")
    plan.add_argument("--from", dest="source", type=language_argument, metavar="LANG")
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
    models.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
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
        state = "installed" if model.id in installed else "not installed"
        if model.id in installed and installed[model.id].missing:
            state = "damaged"
        languages = languages_text(model.languages, limit=4)
        rows.append(
            (model.id, model.stage, model.tier, describe_size(model.size), languages, model.short_licence, state)
        )
    for imported in installed.values():  # imported models the catalog does not know
        if imported.id not in store.catalog and (not arguments.stage or imported.stage == arguments.stage):
            rows.append((imported.id, imported.stage, "-", describe_size(imported.size), "-", "imported", "installed"))
    header = ("id", "stage", "tier", "size", "languages", "licence", "state")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows] if rows else []:  # no header over an empty table
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"{len(installed)} installed in {store.root} (licences in full: translator models plan --to LANG)")


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
        self._bar: tqdm[Any] | None = None

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
