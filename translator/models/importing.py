"""Models the user already has, and checks of what is installed.

`import_model` installs a model folder or a Piper voice from elsewhere (a catalog model is checked
file by file against the catalog; any other model for the files its loader needs). `verify_models`
checks installed files against their manifests, then loads each model through the pipeline's own
loaders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from translator.errors import ModelError, Remedy, TranslatorError
from translator.models.catalog import Catalog, CatalogModel
from translator.models.folders import require_files
from translator.models.installed import InstalledModel, StoreFolder, check_file, file_digests, manifest_of
from translator.models.planning import describe_size


@dataclass(frozen=True)
class VerifyResult:
    model_id: str
    ok: bool
    message: str


def import_model(folder: StoreFolder, catalog: Catalog, path: Path, model_id: str | None = None) -> InstalledModel:
    """Install a model the user already has; see `ModelStore.import_folder`."""
    path = path.expanduser().absolute()
    if not path.exists():
        raise ModelError(f"{path} does not exist: pass a model folder or a Piper .onnx voice")
    source, names = _import_files(path)
    model = _recognise(catalog, source, names, model_id)
    if model is not None:
        missing = [file.name for file in model.files if not (source / file.name).is_file()]
        if missing:
            raise ModelError(f"{path} is incomplete for {model.id}: {', '.join(missing)} missing")
        files = {}
        for file in model.files:
            _, digests = check_file(source / file.name, file, None, f"{model.id} in {path}")
            files[file.name] = (source / file.name, digests.sha256)
        manifest = {**manifest_of(model), "origin": "import", "imported_from": str(path)}
        return folder.install(model.id, manifest, files, move=False)
    stage, family, entry = _detect(path, source, names)
    model_id = model_id or _custom_id(Path(entry).stem if entry else source.name)
    if model_id in catalog:
        raise ModelError(
            f"{path} is not the catalog's {model_id} (its files differ): import it under another id",
            remedy=Remedy.ANOTHER_MODEL_ID,
        )
    files = {name: (source / name, file_digests(source / name).sha256) for name in names}
    manifest = {"stage": stage, "family": family, "entry": entry, "origin": "import", "imported_from": str(path)}
    return folder.install(model_id, manifest, files, move=False)


def verify_models(catalog: Catalog, models: Sequence[InstalledModel], load: bool = True) -> list[VerifyResult]:
    """Check each installed model: its files against the manifest, then (with `load`) a real load."""
    return [_verify_one(catalog, model, load) for model in models]


def _recognise(catalog: Catalog, folder: Path, names: list[str], model_id: str | None) -> CatalogModel | None:
    """The catalog model these files are: by `model_id`, its voice name, its folder name, or its files."""
    if model_id is not None:
        return catalog.get(model_id) if model_id in catalog else None
    onnx = [name for name in names if name.endswith(".onnx")]
    if onnx and Path(onnx[0]).stem in catalog:
        return catalog.get(Path(onnx[0]).stem)
    if folder.name in catalog and catalog.get(folder.name).stage != "synthesis":
        return catalog.get(folder.name)
    present = {name: (folder / name).stat().st_size for name in names if (folder / name).is_file()}
    for model in catalog.models:
        if model.stage != "synthesis" and all(
            file.name in present and (file.size is None or file.size == present[file.name]) for file in model.files
        ):
            return model
    return None


def _import_files(path: Path) -> tuple[Path, list[str]]:
    """The folder and file names an import takes: a voice pair, or a folder's regular files."""
    if path.is_file():
        if not path.name.endswith(".onnx"):
            raise ModelError(f"{path} is not a model: pass a model folder or a Piper .onnx voice")
        return path.parent, [path.name, f"{path.name}.json"]
    names = sorted(child.name for child in path.iterdir() if child.is_file() and not child.name.startswith("."))
    voices = [name for name in names if name.endswith(".onnx")]
    if len(voices) == 1 and "model.bin" not in names:
        return path, [voices[0], f"{voices[0]}.json"]
    return path, names


def _detect(path: Path, folder: Path, names: list[str]) -> tuple[str, str, str]:
    """(stage, family, entry) of a model outside the catalog, after checking its loader's files are there."""
    from translator.stages.recognition import REQUIRED_FILES
    from translator.stages.translation import SENTENCEPIECE_NAMES

    voices = [name for name in names if name.endswith(".onnx")]
    if voices:
        if not (folder / f"{voices[0]}.json").is_file():
            raise ModelError(f"voice {folder / voices[0]} is incomplete: {voices[0]}.json is missing beside it")
        return "synthesis", "piper", voices[0]
    if not (folder / "model.bin").is_file():
        raise ModelError(f"{path} holds no model: no model.bin, no Piper .onnx")
    require_files(folder, "model folder", ("config.json",))
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read {folder / 'config.json'}: {error}") from error
    if isinstance(config, dict) and "lang_ids" in config:  # what CTranslate2 writes for Whisper models only
        require_files(folder, "Whisper model", REQUIRED_FILES)
        return "recognition", "whisper", ""
    vocabularies = tuple(f"{side}_vocabulary.{ext}" for side in ("shared", "source") for ext in ("json", "txt"))
    require_files(folder, "translation model", ("model.bin", "config.json", vocabularies))
    if (folder / "source.spm").is_file():
        require_files(folder, "OPUS-MT model", ("target.spm",))
        return "translation", "opus-mt", ""
    require_files(folder, "translation model", (SENTENCEPIECE_NAMES,))
    return "translation", "", ""


def _custom_id(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "-", name).strip("-.")
    return cleaned or "imported-model"


def _verify_one(catalog: Catalog, model: InstalledModel, load: bool) -> VerifyResult:
    again = (
        f"run: translator models download {model.id}"
        if model.origin == "download" or model.id in catalog
        else "import it again"
    )
    if model.missing:
        return VerifyResult(model.id, False, f"{model.missing[0]} is missing or changed size: {again}")
    for file in model.files:
        if file_digests(model.folder / file.name).sha256 != file.sha256:
            return VerifyResult(model.id, False, f"{file.name} is corrupt (its SHA-256 changed): {again}")
    if load:
        try:
            _load(model)
        except TranslatorError as error:
            return VerifyResult(model.id, False, f"{error}: {again}")
        except Exception as error:  # a loader failing in an unforeseen way is still this model's failure
            return VerifyResult(model.id, False, f"cannot load it ({type(error).__name__}: {error}): {again}")
    return VerifyResult(model.id, True, f"{model.stage}, {len(model.files)} files, {describe_size(model.size)}")


def _load(model: InstalledModel) -> None:
    """Load a model through the same loader the pipeline uses, on the CPU, then let it go."""
    from translator.compute import ComputeSettings

    compute = ComputeSettings(device="cpu")
    if model.stage == "recognition":
        from translator.stages.recognition import RecognizerSettings, SpeechRecognizer

        SpeechRecognizer(RecognizerSettings(model.path), compute)
    elif model.stage == "translation":
        from translator.stages.translation import TextTranslator, TranslatorSettings

        TextTranslator(TranslatorSettings(model.path), compute)
    else:
        from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings, voice_language

        try:
            language = voice_language(model.path)
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot read the voice's config {model.path}.json: {error}") from error
        SpeechSynthesizer(SynthesizerSettings(model.path), language)
