"""Installed models: a per-user folder of catalog models, downloaded, imported, verified and removed.

Each installed model is one folder, `ROOT/ID/`, holding its files flat and an `installed.json`
manifest (every file's size and SHA-256). A model is installed when its folder and manifest exist;
the folder appears in one rename, after every file passed its check, so a download cut halfway
never looks installed.

Downloads go through huggingface_hub (`hf_hub_download`, revision pinned by the catalog, endpoint
from `HF_ENDPOINT` or the `endpoint` argument) into `ROOT/.partial/ID/`. huggingface_hub resumes a
connection that breaks mid-file with HTTP Range requests; files finished and checked by an earlier,
interrupted run stay there and are not fetched again. Each file is checked against the catalog's
SHA-256 or MD5 (else against the SHA-256 or git hash the Hub sends as its ETag) before it counts.

Nothing here touches the network unless asked to download or to check the Hub: loading an
installed model is a path lookup.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs
from tqdm import tqdm

from translator.errors import (
    DiskFullError,
    IntegrityError,
    ModelError,
    ModelNotInstalledError,
    NetworkError,
    TranslatorError,
)
from translator.files import write_text_atomic
from translator.languages import Language
from translator.models.catalog import (
    AUTO,
    Catalog,
    CatalogFile,
    CatalogModel,
    Hardware,
    UnknownModelError,
    describe_size,
    describe_total,
    load_catalog,
    plan_chain,
    resolve_profile,
)
from translator.models.folders import require_files

MODELS_DIR_ENVIRONMENT = "TRANSLATOR_MODELS_DIR"
DEFAULT_ENDPOINT = "https://huggingface.co"
MANIFEST = "installed.json"
DEMO_COMMAND = "translator demo-models DIR"
_PARTIAL = ".partial"
_VERIFIED = "verified.json"
_CHUNK = 1 << 20
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GIT_SHA1 = re.compile(r"[0-9a-f]{40}")
OFFLINE_HINT = "the installed models and `translator demo-models` still work"


def default_models_dir() -> Path:
    """Where models live: $TRANSLATOR_MODELS_DIR, else `models` in the platform's per-user data folder."""
    if os.environ.get(MODELS_DIR_ENVIRONMENT):
        return Path(os.environ[MODELS_DIR_ENVIRONMENT]).expanduser()
    return Path(platformdirs.user_data_dir("translator")) / "models"


def hub_endpoint(explicit: str | None = None) -> str:
    """The Hub to download from: `explicit`, else $HF_ENDPOINT, else huggingface.co."""
    return (explicit or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline_mode() -> bool:
    """Whether the user switched the Hub off with HF_HUB_OFFLINE (read now, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


# --- what the store holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalledFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class InstalledModel:
    """One installed model.

    entry: what the loader is given, relative to `folder` ("" for the folder itself, else a voice's .onnx).
    origin: "download" or "import". repo and revision are None for a model imported from outside the catalog.
    missing: files of the manifest that are absent or have changed size (a damaged install).
    """

    id: str
    stage: str
    family: str
    folder: Path
    entry: str
    files: tuple[InstalledFile, ...]
    origin: str
    repo: str | None = None
    revision: str | None = None
    missing: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        """The path to hand to the stage's loader."""
        return self.folder / self.entry if self.entry else self.folder

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


@dataclass(frozen=True)
class VerifyResult:
    model_id: str
    ok: bool
    message: str


# --- download events (the GUI turns them into signals; the CLI into progress bars) -----------------


@dataclass(frozen=True)
class DownloadStarted:
    model_id: str
    files: int
    total_bytes: int | None


@dataclass(frozen=True)
class FileStarted:
    """A file begins; `done` is True when an earlier, interrupted run already finished and checked it."""

    model_id: str
    name: str
    size: int | None
    done: bool


@dataclass(frozen=True)
class FileProgress:
    model_id: str
    name: str
    received: int
    total: int | None


@dataclass(frozen=True)
class FileVerified:
    """A file passed its check; `check` says which: "sha256", "md5", "git-sha1" or "size"."""

    model_id: str
    name: str
    check: str


@dataclass(frozen=True)
class ModelInstalled:
    model_id: str
    path: Path


DownloadEvent = DownloadStarted | FileStarted | FileProgress | FileVerified | ModelInstalled
EventCallback = Callable[[DownloadEvent], None]


class DownloadCancelled(TranslatorError):
    """The caller set the cancel event; finished files are kept for the next run."""


# --- digests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Digests:
    size: int
    sha256: str
    md5: str
    git_sha1: str


def _digests(path: Path) -> _Digests:
    """Size, SHA-256, MD5 and git blob hash of a file in one pass."""
    size = path.stat().st_size
    sha256, md5, git = hashlib.sha256(), hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
    git.update(f"blob {size}\0".encode())
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            for digest in (sha256, md5, git):
                digest.update(chunk)
    return _Digests(size, sha256.hexdigest(), md5.hexdigest(), git.hexdigest())


def _check(path: Path, expected: CatalogFile, etag: str | None, what: str) -> tuple[str, _Digests]:
    """Check a file against its catalog entry, else the Hub's ETag; returns the check used and the digests."""
    found = _digests(path)
    name = expected.name
    if expected.size is not None and found.size != expected.size:
        raise IntegrityError(
            f"{name} of {what} has {found.size} bytes, not the {expected.size} expected: it is truncated or corrupt"
        )
    for kind, want, got in (("SHA-256", expected.sha256, found.sha256), ("MD5", expected.md5, found.md5)):
        if want is not None and got != want:
            raise IntegrityError(
                f"{name} of {what} is corrupt: its {kind} is {got[:12]}…, the catalog says {want[:12]}…"
            )
    if expected.sha256 is not None:
        return "sha256", found
    if expected.md5 is not None:
        return "md5", found
    if etag and _SHA256.fullmatch(etag):
        if found.sha256 != etag:
            raise IntegrityError(f"{name} of {what} is corrupt: its SHA-256 differs from the one the Hub publishes")
        return "sha256", found
    if etag and _GIT_SHA1.fullmatch(etag):
        if found.git_sha1 != etag:
            raise IntegrityError(f"{name} of {what} is corrupt: its git hash differs from the one the Hub publishes")
        return "git-sha1", found
    return "size", found


# --- the store -----------------------------------------------------------------------------------------


@dataclass
class _Verified:
    """The files of a partial download already finished and checked (kept across runs)."""

    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> _Verified:
        path = folder / _VERIFIED
        try:
            files = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            files = {}
        return cls(path, files if isinstance(files, dict) else {})

    def has(self, file: CatalogFile, local: Path) -> bool:
        record = self.files.get(file.path)
        return bool(record) and local.is_file() and local.stat().st_size == record.get("size")

    def add(self, file: CatalogFile, digests: _Digests, check: str) -> None:
        self.files[file.path] = {"size": digests.size, "sha256": digests.sha256, "check": check}
        write_text_atomic(self.path, json.dumps(self.files, indent=1))


class ModelStore:
    """The models installed under one folder (default: `default_models_dir()`), and the catalog they come from."""

    def __init__(self, root: Path | None = None, catalog: Catalog | None = None, endpoint: str | None = None) -> None:
        self.root = (root or default_models_dir()).expanduser().absolute()
        self.catalog = catalog if catalog is not None else load_catalog()
        self._endpoint = endpoint
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return hub_endpoint(self._endpoint)

    # --- looking up -------------------------------------------------------------------------------

    def installed(self) -> tuple[InstalledModel, ...]:
        """Every installed model, by id. Only reads the disk."""
        if not self.root.is_dir():
            return ()
        found = []
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
                continue
            model = self._read_manifest(folder)
            if model is not None:
                found.append(model)
        return tuple(found)

    def is_installed(self, model_id: str) -> bool:
        return (self.root / model_id / MANIFEST).is_file()

    def get(self, model_id: str) -> InstalledModel:
        """An installed model; `ModelNotInstalledError` naming the command that installs it otherwise."""
        folder = self.root / model_id
        model = self._read_manifest(folder) if (folder / MANIFEST).is_file() else None
        if model is None:
            if model_id in self.catalog:
                raise ModelNotInstalledError(install_hint([model_id]))
            raise UnknownModelError(
                f"unknown model '{model_id}': run 'translator models list' for the catalog, "
                "or 'translator models import PATH' for a model you have"
            )
        if model.missing:
            again = (
                f"translator models download {model_id}"
                if model.origin == "download"
                else "translator models import PATH"
            )
            raise ModelError(f"model '{model_id}' is damaged ({model.missing[0]} is missing or changed): run: {again}")
        return model

    def path_of(self, model_id: str) -> Path:
        """The path to load model `model_id` from (a folder, or a voice's .onnx)."""
        return self.get(model_id).path

    def _read_manifest(self, folder: Path) -> InstalledModel | None:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            files = tuple(InstalledFile(f["name"], int(f["size"]), f["sha256"]) for f in data["files"])
            model = InstalledModel(
                id=folder.name,
                stage=data["stage"],
                family=data.get("family", ""),
                folder=folder,
                entry=data.get("entry", ""),
                files=files,
                origin=data.get("origin", "download"),
                repo=data.get("repo"),
                revision=data.get("revision"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not a manifest this app wrote: the folder is not an installed model
        missing = tuple(
            file.name
            for file in files
            if not (folder / file.name).is_file() or (folder / file.name).stat().st_size != file.size
        )
        return replace(model, missing=missing)

    # --- downloading ------------------------------------------------------------------------------

    def download(
        self, model_id: str, on_event: EventCallback | None = None, cancel: threading.Event | None = None
    ) -> InstalledModel:
        """Download catalog model `model_id` (resuming an interrupted download), check it, install it.

        `on_event` receives `DownloadEvent`s from this thread; setting `cancel` stops the download
        (finished files are kept for the next run). Raises `NetworkError`, `IntegrityError`,
        `DiskFullError`, `UnknownModelError` or `ModelError`, each with a one-line message.
        """
        emit = on_event or (lambda event: None)
        model = self.catalog.get(model_id)
        existing = self._read_manifest(self.root / model_id) if self.is_installed(model_id) else None
        if existing is not None and not existing.missing:
            emit(ModelInstalled(model_id, existing.path))
            return existing
        if offline_mode():
            raise NetworkError(f"offline mode is on (HF_HUB_OFFLINE): cannot download {model_id}; {OFFLINE_HINT}")
        staging = self.root / _PARTIAL / model_id
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._os_error(error, model_id) from error
        verified = _Verified.read(staging)
        todo = [file for file in model.files if not verified.has(file, staging / file.path)]
        etags = {}
        sizes = {file.path: file.size for file in model.files}
        for file in todo:
            size, etag = self._metadata(model, file)
            if file.size is not None and size is not None and size != file.size:
                raise IntegrityError(
                    f"{model.repo} serves {file.path} with {size} bytes, the catalog says {file.size}: "
                    f"the catalog entry '{model_id}' is out of date"
                )
            sizes[file.path], etags[file.path] = file.size or size, etag
        self._check_room(model_id, [sizes[file.path] for file in todo])
        known = [sizes[file.path] for file in model.files]
        emit(DownloadStarted(model_id, len(model.files), None if None in known else sum(s or 0 for s in known)))
        for file in model.files:
            local = staging / file.path
            if file not in todo:
                emit(FileStarted(model_id, file.name, sizes[file.path], done=True))
                emit(FileVerified(model_id, file.name, verified.files[file.path].get("check", "sha256")))
                continue
            emit(FileStarted(model_id, file.name, sizes[file.path], done=False))
            self._fetch(model, file, staging, _progress_bar(emit, model_id, file.name, cancel))
            try:
                check, digests = _check(
                    local, CatalogFile(file.path, sizes[file.path], file.sha256, file.md5), etags[file.path], model_id
                )
            except IntegrityError as error:
                local.unlink(missing_ok=True)
                raise IntegrityError(f"{error}; it was deleted: run the command again to download it anew") from None
            verified.add(file, digests, check)
            emit(FileVerified(model_id, file.name, check))
        files = {file.name: (staging / file.path, verified.files[file.path]["sha256"]) for file in model.files}
        installed = self._install(model_id, _manifest_of(model), files, move=True)
        shutil.rmtree(staging, ignore_errors=True)
        emit(ModelInstalled(model_id, installed.path))
        return installed

    def _metadata(self, model: CatalogModel, file: CatalogFile) -> tuple[int | None, str | None]:
        """The file's size and ETag as the Hub reports them (one HEAD request, no retries)."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        url = hf_hub_url(model.repo, file.path, revision=model.revision, endpoint=self.endpoint)
        try:
            metadata = get_hf_file_metadata(url, endpoint=self.endpoint)
        except Exception as error:  # huggingface_hub and httpx2 raise a range of types; mapped below
            raise self._hub_error(error, model, file) from error
        return metadata.size, metadata.etag

    def _fetch(self, model: CatalogModel, file: CatalogFile, staging: Path, bar: type[tqdm]) -> None:
        from huggingface_hub import hf_hub_download

        try:
            hf_hub_download(
                model.repo,
                file.path,
                revision=model.revision,
                local_dir=staging,
                endpoint=self.endpoint,
                tqdm_class=bar,
            )
        except DownloadCancelled:
            raise
        except Exception as error:  # mapped to a one-line error, or re-raised as the bug it is
            raise self._hub_error(error, model, file) from error

    def _hub_error(self, error: Exception, model: CatalogModel, file: CatalogFile) -> Exception:
        """Turn what huggingface_hub raised into a one-line error; an unexpected error is returned unchanged."""
        import httpx2
        from huggingface_hub.errors import (
            HfHubHTTPError,
            LocalEntryNotFoundError,
            OfflineModeIsEnabled,
            RemoteEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        where = f"{model.repo}@{model.revision[:12]}"
        if isinstance(error, TranslatorError):
            return error
        if isinstance(error, OfflineModeIsEnabled):
            return NetworkError(f"offline mode is on (HF_HUB_OFFLINE): cannot download {model.id}; {OFFLINE_HINT}")
        if isinstance(error, (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError)):
            return ModelError(
                f"{self.endpoint} has no {file.path} in {where}: the catalog entry '{model.id}' points nowhere"
            )
        if isinstance(error, HfHubHTTPError):
            status = error.response.status_code if error.response is not None else "an error"
            return NetworkError(
                f"{self.endpoint} answered HTTP {status} for {file.path} of {model.id}: "
                "try again later; finished files are kept"
            )
        if isinstance(error, (LocalEntryNotFoundError, httpx2.ConnectError, httpx2.ConnectTimeout)):
            return NetworkError(f"no network: cannot reach {self.endpoint} to download {model.id}; {OFFLINE_HINT}")
        if isinstance(error, (httpx2.TransportError, ConnectionError, TimeoutError)):
            return NetworkError(
                f"the connection to {self.endpoint} broke off while downloading {file.path} of {model.id}: "
                "run the command again to resume"
            )
        if isinstance(error, OSError) and error.errno in _DISK_FULL:
            return self._os_error(error, model.id)
        if isinstance(error, OSError) and "Consistency check failed" in str(error):
            return NetworkError(
                f"the download of {file.path} of {model.id} arrived incomplete: run the command again to resume"
            )
        return error

    def _os_error(self, error: OSError, model_id: str) -> TranslatorError:
        if error.errno in _DISK_FULL:
            return DiskFullError(
                f"the disk is full: cannot write {model_id} under {self.root} ({error.strerror}); "
                "free some space and run the command again (finished files are kept)"
            )
        return TranslatorError(f"cannot write {model_id} under {self.root}: {error.strerror or error}")

    def _check_room(self, model_id: str, sizes: Iterable[int | None]) -> None:
        need = sum(size or 0 for size in sizes)
        free = shutil.disk_usage(self.root).free
        if need > free:
            raise DiskFullError(
                f"not enough disk space for {model_id}: it needs {describe_size(need)}, "
                f"{describe_size(free)} are free under {self.root}"
            )

    # --- installing, importing, removing --------------------------------------------------------------

    def _install(
        self, model_id: str, manifest: dict[str, Any], files: dict[str, tuple[Path, str]], move: bool
    ) -> InstalledModel:
        """Put `files` (name -> (source, sha256)) into ROOT/model_id in one rename, manifest included."""
        work = self.root / _PARTIAL / f"{model_id}.install-{uuid.uuid4().hex[:8]}"
        try:
            work.mkdir(parents=True)
            for name, (source, _) in files.items():
                if move:
                    os.replace(source, work / name)
                else:
                    shutil.copyfile(source, work / name)
            manifest = {
                **manifest,
                "files": [
                    {"name": name, "size": (work / name).stat().st_size, "sha256": sha}
                    for name, (_, sha) in files.items()
                ],
            }
            write_text_atomic(work / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
            with self._lock:
                target = self.root / model_id
                old = self.root / _PARTIAL / f"{model_id}.old-{uuid.uuid4().hex[:8]}"
                if target.exists():
                    os.replace(target, old)  # a damaged or half-removed install: replaced as a whole
                os.replace(work, target)
        except OSError as error:
            shutil.rmtree(work, ignore_errors=True)
            raise self._os_error(error, model_id) from error
        shutil.rmtree(old, ignore_errors=True)
        return self.get(model_id)

    def remove(self, model_id: str) -> None:
        """Remove an installed model (and any unfinished download of it)."""
        target = self.root / model_id
        staging = self.root / _PARTIAL / model_id
        if not target.exists() and not staging.exists():
            if model_id not in self.catalog:
                self.get(model_id)  # raises the unknown-model error
            raise ModelNotInstalledError(f"model '{model_id}' is not installed: nothing to remove")
        if target.exists():
            trash = self.root / _PARTIAL / f"{model_id}.removed-{uuid.uuid4().hex[:8]}"
            os.replace(target, trash)  # gone from the store at once, even if deleting takes a while
            shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)

    def import_folder(self, path: Path, model_id: str | None = None) -> InstalledModel:
        """Install a model the user already has: a model folder, or a Piper .onnx with its .onnx.json.

        A catalog model (recognised by `model_id`, its voice name or its files' names and sizes) is
        checked file by file against the catalog; any other model is checked for the files its
        loader needs and installed under `model_id` (default: the folder's or voice's name).
        """
        path = path.expanduser().absolute()
        if not path.exists():
            raise ModelError(f"{path} does not exist: pass a model folder or a Piper .onnx voice")
        folder, names = _import_files(path)
        model = self._recognise(path, folder, names, model_id)
        if model is not None:
            missing = [file.name for file in model.files if not (folder / file.name).is_file()]
            if missing:
                raise ModelError(f"{path} is incomplete for {model.id}: {', '.join(missing)} missing")
            files = {}
            for file in model.files:
                _, digests = _check(folder / file.name, file, None, f"{model.id} in {path}")
                files[file.name] = (folder / file.name, digests.sha256)
            return self._install(
                model.id, {**_manifest_of(model), "origin": "import", "imported_from": str(path)}, files, move=False
            )
        stage, family, entry = _detect(path, folder, names)
        model_id = model_id or _custom_id(Path(entry).stem if entry else folder.name)
        if model_id in self.catalog:
            raise ModelError(
                f"{path} is not the catalog's {model_id} (its files differ): import it under another name, --id NAME"
            )
        files = {name: (folder / name, _digests(folder / name).sha256) for name in names}
        manifest = {"stage": stage, "family": family, "entry": entry, "origin": "import", "imported_from": str(path)}
        return self._install(model_id, manifest, files, move=False)

    def _recognise(self, path: Path, folder: Path, names: list[str], model_id: str | None) -> CatalogModel | None:
        if model_id is not None:
            return self.catalog.get(model_id) if model_id in self.catalog else None
        onnx = [name for name in names if name.endswith(".onnx")]
        if onnx and Path(onnx[0]).stem in self.catalog:
            return self.catalog.get(Path(onnx[0]).stem)
        if folder.name in self.catalog and self.catalog.get(folder.name).stage != "synthesis":
            return self.catalog.get(folder.name)
        present = {name: (folder / name).stat().st_size for name in names if (folder / name).is_file()}
        for model in self.catalog.models:
            if model.stage != "synthesis" and all(
                file.name in present and (file.size is None or file.size == present[file.name]) for file in model.files
            ):
                return model
        return None

    # --- verifying --------------------------------------------------------------------------------

    def verify(self, model_ids: Iterable[str] | None = None, load: bool = True) -> list[VerifyResult]:
        """Check every installed model (or those named): files against the manifest, then a real load."""
        models = [self.get_any(model_id) for model_id in model_ids] if model_ids else list(self.installed())
        return [self._verify_one(model, load) for model in models]

    def get_any(self, model_id: str) -> InstalledModel:
        """An installed model even if damaged (for verify, which reports the damage)."""
        folder = self.root / model_id
        model = self._read_manifest(folder) if (folder / MANIFEST).is_file() else None
        if model is None:
            self.get(model_id)  # raises the not-installed or unknown-model error
            raise AssertionError("unreachable")
        return model

    def _verify_one(self, model: InstalledModel, load: bool) -> VerifyResult:
        again = (
            f"run: translator models download {model.id}"
            if model.origin == "download" or model.id in self.catalog
            else "import it again"
        )
        if model.missing:
            return VerifyResult(model.id, False, f"{model.missing[0]} is missing or changed size: {again}")
        for file in model.files:
            if _digests(model.folder / file.name).sha256 != file.sha256:
                return VerifyResult(model.id, False, f"{file.name} is corrupt (its SHA-256 changed): {again}")
        if load:
            try:
                _load(model)
            except TranslatorError as error:
                return VerifyResult(model.id, False, f"{error}: {again}")
            except Exception as error:  # a loader failing in an unforeseen way is still this model's failure
                return VerifyResult(model.id, False, f"cannot load it ({type(error).__name__}: {error}): {again}")
        return VerifyResult(model.id, True, f"{model.stage}, {len(model.files)} files, {describe_size(model.size)}")

    # --- the Hub ----------------------------------------------------------------------------------

    def check_hub(self, timeout: float = 5.0) -> tuple[bool, str]:
        """Whether the Hub answers (one HEAD request for a small catalog file), and if not, why, in one line."""
        if offline_mode():
            return False, "offline mode is on (HF_HUB_OFFLINE)"
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        model = self.catalog.stage("recognition")[0]
        file = min(model.files, key=lambda file: file.size or 0)
        url = hf_hub_url(model.repo, file.path, revision=model.revision, endpoint=self.endpoint)
        try:
            get_hf_file_metadata(url, timeout=timeout, endpoint=self.endpoint)
        except Exception as error:  # any failure means "not reachable now"; the reason is shown
            mapped = self._hub_error(error, model, file)
            if isinstance(mapped, NetworkError) and str(mapped).startswith("no network"):
                return False, f"no network: cannot reach {self.endpoint}"
            return False, str(mapped) if isinstance(mapped, TranslatorError) else f"{type(error).__name__}: {error}"
        return True, ""


def install_hint(model_ids: Iterable[str]) -> str:
    """The one line for catalog models that are not installed: it names the command that installs them."""
    ids = list(dict.fromkeys(model_ids))
    quoted = ", ".join(f"'{model_id}'" for model_id in ids)
    subject = f"model {quoted} is" if len(ids) == 1 else f"models {quoted} are"
    return f"{subject} not installed: run: translator models download {' '.join(ids)}"


def _manifest_of(model: CatalogModel) -> dict[str, Any]:
    return {
        "stage": model.stage,
        "family": model.family,
        "entry": model.entry,
        "origin": "download",
        "repo": model.repo,
        "revision": model.revision,
    }


def _progress_bar(emit: EventCallback, model_id: str, name: str, cancel: threading.Event | None) -> type[tqdm]:
    """A silent tqdm class for huggingface_hub that reports bytes as `FileProgress` events."""

    class _Progress(tqdm):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.received = int(kwargs.get("initial") or 0)
            self.expected = kwargs.get("total")

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"the download of {model_id} was cancelled; finished files are kept")
            self.received += int(n or 0)
            emit(FileProgress(model_id, name, self.received, self.expected))
            return super().update(n)

    return _Progress


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


# --- first start -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstStart:
    """What the app offers when it starts with no models.

    needed: nothing is installed. profile: the profile offered (auto's choice on this machine).
    model_ids and size_text: what downloading it takes; download_command installs it.
    online: whether the Hub answered (None when not checked); network_message says why not.
    demo_command: the fallback that works offline (labelled demo output).
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
    demo_command: str = DEMO_COMMAND


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
