"""Which models a session loads: the one place the rules live, for the command line and the window alike.

A `ModelRequest` says what the caller was told: model ids or paths per stage, a profile, the
settings file's models, the languages and whether speech is wanted. `choose_models` answers with a
`ModelPlan` (a path per stage and a voice per target language), or, when nothing is installed or
chosen at all, with the `FirstStart` offer; a model it needs that is not installed raises
`ModelsMissingError`, which names the models and the command that installs them. Prompting and
dialogs are the caller's: nothing here asks the user anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from translator.config import ModelPaths
from translator.errors import ModelNotInstalledError, TranslatorError
from translator.languages import Language
from translator.models.catalog import AUTO, STAGES, CatalogModel, UnknownModelError
from translator.models.planning import (
    ChainPlan,
    Hardware,
    NoVoiceError,
    describe_total,
    plan_chain,
    resolve_profile,
)
from translator.models.store import ModelStore, install_hint


@dataclass(frozen=True)
class ModelRequest:
    """What to choose models for.

    targets: the languages translated into (two in a conversation); source: the spoken language, None
        to detect it. speech: whether the targets are spoken, so each needs a voice.
    text_only_without_voice: serve a target no catalog voice speaks as text only (its chain's note
        says so) rather than raise `NoVoiceError`.
    recognition, translation, voice: a model given explicitly, as an installed model's id or a path
        (None: not given). Explicit models win over everything else.
    profile: a profile name (or "auto") whose chain serves the stages not given explicitly; None to
        use `configured`, then the installed models.
    configured: the settings file's models (ignored for stages a profile or an explicit model serves).
    """

    targets: tuple[Language, ...]
    source: Language | None = None
    speech: bool = True
    text_only_without_voice: bool = False
    recognition: str | None = None
    translation: str | None = None
    voice: str | None = None
    profile: str | None = None
    configured: ModelPaths = field(default_factory=ModelPaths)


@dataclass(frozen=True)
class ModelPlan:
    """The answer: the path each stage loads, and for catalog voices, the voice of each target language.

    models.voices is the voice given explicitly or configured (a file, or a folder searched by
    language); `voices` holds the catalog's voice per target when neither was. chains are the
    catalog chains the choice came from (empty when explicit or configured models served every stage).
    """

    models: ModelPaths
    voices: Mapping[Language, Path]
    chains: tuple[ChainPlan, ...]


class ModelsMissingError(ModelNotInstalledError):
    """Catalog models the choice needs are not installed.

    missing: those models; chains: the catalog chains they belong to (for showing the whole choice).
    The message names the command that installs them.
    """

    def __init__(self, missing: Sequence[CatalogModel], chains: Sequence[ChainPlan]) -> None:
        self.missing = tuple(missing)
        self.chains = tuple(chains)
        if self.only_voices:
            names = " and ".join(dict.fromkeys(model.targets[0].name for model in self.missing))
            message = f"no {names} voice is installed: run: translator models download {' '.join(self.model_ids)}"
        else:
            message = install_hint(self.model_ids)
        super().__init__(message)

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(model.id for model in self.missing))

    @property
    def only_voices(self) -> bool:
        """Whether every missing model is a voice (so text without speech would need nothing more)."""
        return all(model.stage == "synthesis" for model in self.missing)


@dataclass(frozen=True)
class FirstStart:
    """What the app offers when it starts with no models.

    needed: nothing is installed. profile: the profile offered (auto's choice on this machine).
    model_ids and size_text: what downloading it takes; download_command installs it.
    online: whether the Hub answered (None when not checked); network_message says why not.
    notes: licence restrictions of the offered models, one line each.
    """

    needed: bool
    profile: str
    target: Language | None
    model_ids: tuple[str, ...]
    size_text: str
    download_command: str
    online: bool | None
    network_message: str
    notes: tuple[str, ...]


def choose_models(store: ModelStore, request: ModelRequest) -> ModelPlan | FirstStart:
    """Turn a request into the paths the stages load.

    Explicit models win, then the profile's chain, then the settings file's models. With neither a
    profile nor a model for some stage, the installed models serve it (the chain of the first
    profile whose models are installed). A catalog model that is not installed raises
    `ModelsMissingError`; speech in a language no catalog voice speaks raises `NoVoiceError`. With
    nothing given, configured or installed at all, the answer is the first-start offer (which asks
    the Hub, once, whether it can be reached).
    """
    given = dict(zip(STAGES, (request.recognition, request.translation, request.voice)))
    paths = {stage: _locate(store, value, stage) if value else None for stage, value in given.items()}
    if request.profile is None:
        configured = request.configured
        for stage, path in zip(STAGES, (configured.whisper, configured.translation, configured.voices)):
            paths[stage] = paths[stage] or path
    want_voice = request.speech and paths["synthesis"] is None
    voices: dict[Language, Path] = {}
    chains: tuple[ChainPlan, ...] = ()
    if request.profile is not None or paths["recognition"] is None or paths["translation"] is None or want_voice:
        nothing_chosen = request.profile is None and not any(given.values()) and request.configured == ModelPaths()
        if nothing_chosen and not store.installed():
            target = request.targets[0] if len(request.targets) == 1 else None
            return first_start_plan(store, target, request.source if target else None)
        chains = _chains(store, request, paths, want_voice)
        _require_installed(store, chains, paths, want_voice, request.text_only_without_voice)
        paths["recognition"] = paths["recognition"] or store.path_of(chains[0].recognition.id)
        paths["translation"] = paths["translation"] or store.path_of(chains[0].translation.id)
        if want_voice:
            voices = {chain.target: store.path_of(chain.voice.id) for chain in chains if chain.voice is not None}
    models = ModelPaths(paths["recognition"], paths["translation"], paths["synthesis"])
    return ModelPlan(models, voices, chains)


def first_start_plan(
    store: ModelStore,
    target: Language | None = None,
    source: Language | None = None,
    profile: str = AUTO,
    hardware: Hardware | None = None,
    check_network: bool = True,
) -> FirstStart:
    """The first-start offer, for the CLI and the GUI alike.

    Reads the disk; contacts the Hub (one HEAD request) only when nothing is installed and
    `check_network` is set. With a `target`, the offer is the whole chain for that language;
    without, the profile's Whisper model and multilingual translation model.
    """
    chosen = resolve_profile(store.catalog, profile, hardware)
    if target is not None:
        plan = plan_chain(store.catalog, source, target, chosen)
        models, notes = plan.models, plan.notes
    else:
        models = (store.catalog.get(chosen.recognition), store.catalog.get(chosen.translation[0]))
        notes = tuple(f"{model.name}: {model.licence}" for model in models if model.non_commercial)
    command = f"translator models download --profile {chosen.name}"
    if target is not None:
        command += f" --to {target.code}" + (f" --from {source.code}" if source is not None else "")
    needed = not store.installed()
    online, message = store.check_hub() if needed and check_network else (None, "")
    return FirstStart(
        needed=needed,
        profile=chosen.name,
        target=target,
        model_ids=tuple(model.id for model in models),
        size_text=describe_total(models),
        download_command=command,
        online=online,
        network_message=message,
        notes=notes,
    )


def _locate(store: ModelStore, value: str, stage: str) -> Path:
    """A model given explicitly: an existing path, something written as a path, or an installed model's id."""
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


def _needed(chain: ChainPlan, paths: dict[str, Path | None], voice: bool) -> list[CatalogModel]:
    """The chain's models for the stages nothing else fills."""
    models = [model for stage, model in (("recognition", chain.recognition), ("translation", chain.translation))
              if paths[stage] is None]  # fmt: skip
    if voice and chain.voice is not None:
        models.append(chain.voice)
    return models


def _chains(
    store: ModelStore, request: ModelRequest, paths: dict[str, Path | None], voice: bool
) -> tuple[ChainPlan, ...]:
    """The chain for each target: the profile's, else the first profile whose needed models are installed."""
    # Two targets (a conversation) share one translation model: planned without a source, which
    # picks a multilingual model that serves both directions.
    source = request.source if len(request.targets) == 1 else None
    catalog = store.catalog
    if request.profile is not None:
        return tuple(plan_chain(catalog, source, target, request.profile) for target in request.targets)
    names = [resolve_profile(catalog, AUTO).name] + [profile.name for profile in catalog.profiles]
    candidates = []
    for name in dict.fromkeys(names):
        chains = tuple(plan_chain(catalog, source, target, name) for target in request.targets)
        if all(store.is_installed(model.id) for chain in chains for model in _needed(chain, paths, voice)):
            return chains
        candidates.append(chains)
    return candidates[0]


def _require_installed(
    store: ModelStore, chains: tuple[ChainPlan, ...], paths: dict[str, Path | None], voice: bool, text_only_ok: bool
) -> None:
    """Raise when no catalog voice speaks a target that is to be spoken, or a needed model is not installed."""
    for chain in chains:
        if voice and chain.voice is None and not text_only_ok:
            raise NoVoiceError(chain.target, f"no voice in the catalog speaks {chain.target.name}")
    missing = [model for chain in chains for model in _needed(chain, paths, voice) if not store.is_installed(model.id)]
    if missing:
        raise ModelsMissingError(missing, chains)
