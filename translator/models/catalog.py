"""The model catalog: the real models the app can download and the profiles that chain them.

The catalog is a data file the app ships, `models/catalog.json` (or the file `$TRANSLATOR_CATALOG`
names). Each entry is one downloadable model of one stage (recognition, translation or synthesis):
its Hugging Face repository pinned to a commit, every file with its size and digests where known,
its languages (every code mapped through `translator.languages`), licence and speed/quality tier.
Choosing models from it for a language pair is `translator.models.planning`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from translator.errors import TranslatorError
from translator.languages import Language, UnknownLanguageError, find_language, language_for_piper_locale

CATALOG_ENVIRONMENT = "TRANSLATOR_CATALOG"
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "models" / "catalog.json"

STAGES = ("recognition", "translation", "synthesis")
TIERS = ("fast", "balanced", "accurate")
VOICE_QUALITIES = ("x_low", "low", "medium", "high")
FAMILIES = {"recognition": ("whisper",), "translation": ("nllb", "m2m100", "opus-mt"), "synthesis": ("piper",)}
AUTO = "auto"

_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MD5 = re.compile(r"[0-9a-f]{32}")
_ID = re.compile(r"[A-Za-z0-9][\w.\-]*", re.UNICODE)


class CatalogError(TranslatorError):
    """The catalog file is missing or one of its entries is incomplete or inconsistent."""


class UnknownModelError(TranslatorError):
    """A model id that is neither in the catalog nor installed."""


@dataclass(frozen=True)
class CatalogFile:
    """One file of a model: its path in the repository, size in bytes (None: unknown) and digests."""

    path: str
    size: int | None
    sha256: str | None = None
    md5: str | None = None

    @property
    def name(self) -> str:
        """The file's name in the installed model folder (models are stored flat)."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogModel:
    """One downloadable model.

    stage: "recognition", "translation" or "synthesis"; family: whisper, nllb, m2m100, opus-mt, piper.
    repo, revision: the Hugging Face repository and the commit its files are pinned to.
    sources, targets: the languages a translation model reads and writes; a recognition model hears
        `sources`; a voice speaks its single target.
    tier: "fast", "balanced" or "accurate".
    quality, speakers, locale, preferred: for voices only (Piper's quality name, speaker count,
        locale, and whether it is the voice to pick first for its language and quality).
    """

    id: str
    stage: str
    family: str
    name: str
    description: str
    repo: str
    revision: str
    files: tuple[CatalogFile, ...]
    sources: tuple[Language, ...]
    targets: tuple[Language, ...]
    tier: str
    licence: str
    licence_url: str
    quality: str | None = None
    speakers: int | None = None
    locale: str | None = None
    preferred: bool = False

    @property
    def size(self) -> int | None:
        """Bytes on disk, None when the size of some file is not known."""
        sizes = [file.size for file in self.files]
        return None if None in sizes else sum(size for size in sizes if size is not None)

    @property
    def languages(self) -> tuple[Language, ...]:
        """Every language the model handles, sources first."""
        return tuple(dict.fromkeys((*self.sources, *self.targets)))

    @property
    def non_commercial(self) -> bool:
        return "non-commercial" in self.licence.lower()

    @property
    def short_licence(self) -> str:
        """The licence's name without its explanation, for a table: "CC-BY-NC-4.0 (non-commercial)", "MIT"."""
        name = self.licence.split(":")[0].split(", ")[0].strip()
        return f"{name} (non-commercial)" if self.non_commercial and "non-commercial" not in name.lower() else name

    @property
    def entry(self) -> str:
        """What the loader is given, relative to the installed folder: the folder itself, or a voice's .onnx."""
        if self.stage == "synthesis":
            return next(file.name for file in self.files if file.name.endswith(".onnx"))
        return ""

    def translates(self, source: Language | None, target: Language) -> bool:
        """Whether this translation model writes `target` and reads `source` (None: whatever is spoken)."""
        return target in self.targets and (source is None or source == target or source in self.sources)


@dataclass(frozen=True)
class Profile:
    """A whole chain chosen for speed or quality.

    recognition: the Whisper model's id; translation: multilingual model ids in order of preference
    (a direct OPUS-MT model for the pair is preferred to all of them); voice_quality: Piper qualities
    in order of preference.
    """

    name: str
    description: str
    recognition: str
    translation: tuple[str, ...]
    voice_quality: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """Every catalog model and profile, and the translation targets no voice speaks."""

    models: tuple[CatalogModel, ...]
    profiles: tuple[Profile, ...]
    no_voice: frozenset[Language]

    def get(self, model_id: str) -> CatalogModel:
        """The model with this id; `UnknownModelError` naming how to list them otherwise."""
        for model in self.models:
            if model.id == model_id:
                return model
        raise UnknownModelError(f"unknown model '{model_id}': run 'translator models list' for the catalog")

    def __contains__(self, model_id: object) -> bool:
        return any(model.id == model_id for model in self.models)

    def stage(self, stage: str) -> tuple[CatalogModel, ...]:
        """The models of one stage, in catalog order."""
        return tuple(model for model in self.models if model.stage == stage)

    def profile(self, name: str) -> Profile:
        """A profile by name ("auto" is resolved by `auto_profile`, not here)."""
        for profile in self.profiles:
            if profile.name == name:
                return profile
        names = ", ".join([profile.name for profile in self.profiles] + [AUTO])
        raise CatalogError(f"unknown profile '{name}': use one of {names}")

    def voices_for(self, language: Language) -> tuple[CatalogModel, ...]:
        return tuple(model for model in self.stage("synthesis") if language in model.targets)


# --- loading and validation -------------------------------------------------------------------------


def catalog_path() -> Path:
    """The catalog file: $TRANSLATOR_CATALOG, else the one the app ships in models/."""
    return Path(os.environ[CATALOG_ENVIRONMENT]) if os.environ.get(CATALOG_ENVIRONMENT) else DEFAULT_CATALOG


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file (default: `catalog_path()`); errors name the entry at fault."""
    path = path or catalog_path()
    return _load(path.resolve(), path.stat().st_mtime_ns if path.is_file() else 0)


@cache
def _load(path: Path, _modified: int) -> Catalog:
    """Parse once per file version: the catalog is read by several commands in one process."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(
            f"the model catalog {path} does not exist: reinstall the app or set ${CATALOG_ENVIRONMENT}"
        ) from None
    except (OSError, ValueError) as error:
        raise CatalogError(f"cannot read the model catalog {path}: {error}") from error
    if not isinstance(data, dict) or data.get("format") != 1:
        raise CatalogError(f"the model catalog {path} is not a format-1 catalog")
    models = tuple(_model(entry, path) for entry in _list(data, "models", path))
    profiles = tuple(_profile(entry, path) for entry in _list(data, "profiles", path))
    no_voice = frozenset(_languages(data.get("no_voice", []), f"{path}: no_voice"))
    catalog = Catalog(models, profiles, no_voice)
    _check(catalog, path)
    return catalog


def _list(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise CatalogError(f"the model catalog {path} has no '{key}' list")
    return value


def _require(entry: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool) or value in ("", []):
        raise CatalogError(f"{where}: '{key}' is missing or not a {kind.__name__}")
    return value


def _languages(codes: Iterable[Any], where: str) -> tuple[Language, ...]:
    languages = []
    for code in codes:
        try:
            language = find_language(str(code))
        except UnknownLanguageError:
            raise CatalogError(f"{where}: language '{code}' is not in the language table") from None
        if language.code != code:
            raise CatalogError(f"{where}: write language '{code}' as its table code '{language.code}'")
        languages.append(language)
    return tuple(languages)


def _file(entry: Any, where: str) -> CatalogFile:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: a file entry is not an object")
    path = _require(entry, "path", str, where)
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        raise CatalogError(f"{where}: {path} has a bad size {size!r}")
    sha256, md5 = entry.get("sha256"), entry.get("md5")
    if sha256 is not None and not _SHA256.fullmatch(str(sha256)):
        raise CatalogError(f"{where}: {path} has a malformed sha256")
    if md5 is not None and not _MD5.fullmatch(str(md5)):
        raise CatalogError(f"{where}: {path} has a malformed md5")
    if size is None and sha256 is None:
        raise CatalogError(f"{where}: {path} has neither a size nor a sha256 to check it by")
    return CatalogFile(path, size, sha256, md5)


def _model(entry: Any, path: Path) -> CatalogModel:
    if not isinstance(entry, dict):
        raise CatalogError(f"{path}: a model entry is not an object")
    model_id = _require(entry, "id", str, f"{path}: a model")
    where = f"{path}: model '{model_id}'"
    if not _ID.fullmatch(model_id):
        raise CatalogError(f"{where}: ids are letters, digits, '.', '_' and '-'")
    stage = _require(entry, "stage", str, where)
    family = _require(entry, "family", str, where)
    if stage not in STAGES or family not in FAMILIES[stage]:
        raise CatalogError(f"{where}: stage '{stage}' and family '{family}' do not go together")
    revision = _require(entry, "revision", str, where)
    if not _COMMIT.fullmatch(revision):
        raise CatalogError(f"{where}: revision must be a 40-character commit hash, not '{revision}'")
    files = tuple(_file(file, where) for file in _require(entry, "files", list, where))
    names = [file.name for file in files]
    if len(set(names)) != len(names):
        raise CatalogError(f"{where}: two files share a name, which the flat installed folder cannot hold")
    tier = _require(entry, "tier", str, where)
    if tier not in TIERS:
        raise CatalogError(f"{where}: tier '{tier}' is not one of {', '.join(TIERS)}")
    common = {
        "id": model_id,
        "stage": stage,
        "family": family,
        "name": _require(entry, "name", str, where),
        "description": str(entry.get("description", "")),
        "repo": _require(entry, "repo", str, where),
        "revision": revision,
        "files": files,
        "tier": tier,
        "licence": _require(entry, "licence", str, where),
        "licence_url": _require(entry, "licence_url", str, where),
    }
    if stage == "recognition":
        languages = _languages(_require(entry, "languages", list, where), where)
        return CatalogModel(sources=languages, targets=(), **common)
    if stage == "translation":
        sources = _languages(_require(entry, "sources", list, where), where)
        targets = _languages(_require(entry, "targets", list, where), where)
        return CatalogModel(sources=sources, targets=targets, **common)
    locale = _require(entry, "locale", str, where)
    try:
        language = language_for_piper_locale(locale)
    except UnknownLanguageError:
        raise CatalogError(f"{where}: locale '{locale}' is not in the language table") from None
    quality = _require(entry, "quality", str, where)
    if quality not in VOICE_QUALITIES:
        raise CatalogError(f"{where}: quality '{quality}' is not one of {', '.join(VOICE_QUALITIES)}")
    if sum(name.endswith(".onnx") for name in names) != 1 or not any(name.endswith(".onnx.json") for name in names):
        raise CatalogError(f"{where}: a voice needs one .onnx file and its .onnx.json")
    return CatalogModel(
        sources=(),
        targets=(language,),
        quality=quality,
        speakers=_require(entry, "speakers", int, where),
        locale=locale,
        preferred=bool(entry.get("preferred", False)),
        **common,
    )


def _profile(entry: Any, path: Path) -> Profile:
    if not isinstance(entry, dict):
        raise CatalogError(f"{path}: a profile entry is not an object")
    name = _require(entry, "name", str, f"{path}: a profile")
    where = f"{path}: profile '{name}'"
    qualities = tuple(_require(entry, "voice_quality", list, where))
    if not set(qualities) <= set(VOICE_QUALITIES):
        raise CatalogError(f"{where}: voice_quality holds a quality Piper does not have")
    return Profile(
        name,
        str(entry.get("description", "")),
        _require(entry, "recognition", str, where),
        tuple(_require(entry, "translation", list, where)),
        qualities,
    )


def _check(catalog: Catalog, path: Path) -> None:
    """Cross-entry rules: unique ids, profiles naming real models of their stage, a voice or a no-voice mark."""
    ids = [model.id for model in catalog.models]
    duplicates = sorted({model_id for model_id in ids if ids.count(model_id) > 1})
    if duplicates:
        raise CatalogError(f"{path}: model id '{duplicates[0]}' is used twice")
    for profile in catalog.profiles:
        if profile.name == AUTO:
            raise CatalogError(f"{path}: 'auto' is chosen by hardware, not a profile of its own")
        for model_id, stage in [(profile.recognition, "recognition")] + [
            (m, "translation") for m in profile.translation
        ]:
            if model_id not in catalog or catalog.get(model_id).stage != stage:
                raise CatalogError(f"{path}: profile '{profile.name}' names '{model_id}', not a {stage} model")
    spoken = {language for voice in catalog.stage("synthesis") for language in voice.targets}
    targets = {language for model in catalog.stage("translation") for language in model.targets}
    for language in sorted(targets, key=lambda language: language.code):
        if (language in spoken) == (language in catalog.no_voice):
            state = "has a voice but is marked no_voice" if language in spoken else "has no voice and no no_voice mark"
            raise CatalogError(f"{path}: translation target {language.code} ({language.name}) {state}")
