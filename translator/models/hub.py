"""Downloads from the Hugging Face Hub into the model folder, with progress events, resume and checks.

Downloads go through huggingface_hub (`hf_hub_download`, revision pinned by the catalog, endpoint
from `HF_ENDPOINT` or the store's own) into `ROOT/.partial/ID/`. huggingface_hub resumes a
connection that breaks mid-file with HTTP Range requests; files finished and checked by an earlier,
interrupted run stay there and are not fetched again. Each file is checked against the catalog's
SHA-256 or MD5 (else against the SHA-256 or git hash the Hub sends as its ETag) before it counts.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from translator.errors import DiskFullError, IntegrityError, ModelError, NetworkError, TranslatorError
from translator.files import write_text_atomic
from translator.models.catalog import Catalog, CatalogFile, CatalogModel
from translator.models.installed import Digests, InstalledModel, StoreFolder, check_file, is_disk_full, manifest_of
from translator.models.planning import describe_size

DEFAULT_ENDPOINT = "https://huggingface.co"
OFFLINE_HINT = "the installed models and the demo models still work"
_VERIFIED = "verified.json"


def hub_endpoint(explicit: str | None = None) -> str:
    """The Hub to download from: `explicit`, else $HF_ENDPOINT, else huggingface.co."""
    return (explicit or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline_mode() -> bool:
    """Whether the user switched the Hub off with HF_HUB_OFFLINE (read now, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


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
        return record is not None and local.is_file() and local.stat().st_size == record.get("size")

    def add(self, file: CatalogFile, digests: Digests, check: str) -> None:
        self.files[file.path] = {"size": digests.size, "sha256": digests.sha256, "check": check}
        write_text_atomic(self.path, json.dumps(self.files, indent=1))


class Hub:
    """One Hub endpoint, downloading catalog models into one store folder; it also says whether it answers."""

    def __init__(self, folder: StoreFolder, endpoint: str) -> None:
        self.folder = folder
        self.endpoint = endpoint

    def download(
        self,
        model: CatalogModel,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> InstalledModel:
        """Download `model` (resuming an interrupted download), check it, install it; see `ModelStore.download`."""
        emit = on_event or (lambda event: None)
        folder, model_id = self.folder, model.id
        existing = folder.read(model_id)
        if existing is not None and not existing.missing:
            emit(ModelInstalled(model_id, existing.path))
            return existing
        if offline_mode():
            raise NetworkError(f"offline mode is on (HF_HUB_OFFLINE): cannot download {model_id}; {OFFLINE_HINT}")
        staging = folder.work_folder(model_id)
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise folder.write_error(error, model_id) from error
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
        _check_room(folder, model_id, [sizes[file.path] for file in todo])
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
                check, digests = check_file(
                    local, CatalogFile(file.path, sizes[file.path], file.sha256, file.md5), etags[file.path], model_id
                )
            except IntegrityError as error:
                local.unlink(missing_ok=True)
                raise IntegrityError(f"{error}; it was deleted: run the command again to download it anew") from None
            verified.add(file, digests, check)
            emit(FileVerified(model_id, file.name, check))
        files = {file.name: (staging / file.path, verified.files[file.path]["sha256"]) for file in model.files}
        installed = folder.install(model_id, manifest_of(model), files, move=True)
        shutil.rmtree(staging, ignore_errors=True)
        emit(ModelInstalled(model_id, installed.path))
        return installed

    def check(self, catalog: Catalog, timeout: float = 5.0) -> tuple[bool, str]:
        """Whether the Hub answers (one HEAD request for a small catalog file), and if not, why, in one line."""
        if offline_mode():
            return False, "offline mode is on (HF_HUB_OFFLINE)"
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        model = catalog.stage("recognition")[0]
        file = min(model.files, key=lambda file: file.size or 0)
        url = hf_hub_url(model.repo, file.path, revision=model.revision, endpoint=self.endpoint)
        try:
            get_hf_file_metadata(url, timeout=timeout, endpoint=self.endpoint)
        except Exception as error:  # any failure means "not reachable now"; the reason is shown
            mapped = self._error(error, model, file)
            if isinstance(mapped, NetworkError) and str(mapped).startswith("no network"):
                return False, f"no network: cannot reach {self.endpoint}"
            return False, str(mapped) if isinstance(mapped, TranslatorError) else f"{type(error).__name__}: {error}"
        return True, ""

    def _metadata(self, model: CatalogModel, file: CatalogFile) -> tuple[int | None, str | None]:
        """The file's size and ETag as the Hub reports them (one HEAD request, no retries)."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        url = hf_hub_url(model.repo, file.path, revision=model.revision, endpoint=self.endpoint)
        try:
            metadata = get_hf_file_metadata(url, endpoint=self.endpoint)
        except Exception as error:  # huggingface_hub and httpx2 raise a range of types; mapped below
            raise self._error(error, model, file) from error
        return metadata.size, metadata.etag

    def _fetch(self, model: CatalogModel, file: CatalogFile, staging: Path, bar: type[tqdm[Any]]) -> None:
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
            raise self._error(error, model, file) from error

    def _error(self, error: Exception, model: CatalogModel, file: CatalogFile) -> Exception:
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
        if isinstance(error, OSError) and is_disk_full(error):
            return self.folder.write_error(error, model.id)
        if isinstance(error, OSError) and "Consistency check failed" in str(error):
            return NetworkError(
                f"the download of {file.path} of {model.id} arrived incomplete: run the command again to resume"
            )
        return error


def _check_room(folder: StoreFolder, model_id: str, sizes: Iterable[int | None]) -> None:
    need = sum(size or 0 for size in sizes)
    free = shutil.disk_usage(folder.root).free
    if need > free:
        raise DiskFullError(
            f"not enough disk space for {model_id}: it needs {describe_size(need)}, "
            f"{describe_size(free)} are free under {folder.root}"
        )


def _progress_bar(emit: EventCallback, model_id: str, name: str, cancel: threading.Event | None) -> type[tqdm[Any]]:
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
