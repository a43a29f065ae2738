"""An installed model on disk: its folder and manifest, the file checks, and the one-rename install.

Each installed model is one folder, `ROOT/ID/`, holding its files flat and an `installed.json`
manifest (every file's size and SHA-256). A model is installed when its folder and manifest exist;
the folder appears in one rename, after every file passed its check, so a download or import cut
halfway never looks installed. Work in progress lives under `ROOT/.partial/`.
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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from translator.errors import DiskFullError, IntegrityError, TranslatorError
from translator.files import write_text_atomic
from translator.models.catalog import CatalogFile, CatalogModel

MANIFEST = "installed.json"
PARTIAL = ".partial"
_CHUNK = 1 << 20
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GIT_SHA1 = re.compile(r"[0-9a-f]{40}")


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


def manifest_of(model: CatalogModel) -> dict[str, Any]:
    """The manifest of a catalog model, before its files are listed."""
    return {
        "stage": model.stage,
        "family": model.family,
        "entry": model.entry,
        "origin": "download",
        "repo": model.repo,
        "revision": model.revision,
    }


# --- digests -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str
    md5: str
    git_sha1: str


def file_digests(path: Path) -> Digests:
    """Size, SHA-256, MD5 and git blob hash of a file in one pass."""
    size = path.stat().st_size
    sha256, md5, git = hashlib.sha256(), hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
    git.update(f"blob {size}\0".encode())
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            for digest in (sha256, md5, git):
                digest.update(chunk)
    return Digests(size, sha256.hexdigest(), md5.hexdigest(), git.hexdigest())


def check_file(path: Path, expected: CatalogFile, etag: str | None, what: str) -> tuple[str, Digests]:
    """Check a file against its catalog entry, else the Hub's ETag; returns the check used and the digests."""
    found = file_digests(path)
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


def is_disk_full(error: OSError) -> bool:
    """Whether a write failed for want of room (no space, over quota, or a file-size limit)."""
    return error.errno in _DISK_FULL


# --- the folder ----------------------------------------------------------------------------------------


class StoreFolder:
    """The folder the models are installed in: reading manifests, installing in one rename, work space."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def has(self, model_id: str) -> bool:
        """Whether `model_id` has a manifest (installed, perhaps damaged)."""
        return (self.root / model_id / MANIFEST).is_file()

    def read(self, model_id: str) -> InstalledModel | None:
        """The installed model, damaged or not; None when there is no manifest this app wrote."""
        folder = self.root / model_id
        if not (folder / MANIFEST).is_file():
            return None
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

    def work_folder(self, name: str) -> Path:
        """A folder under ROOT/.partial/ (a download in progress, or a model on its way in or out)."""
        return self.root / PARTIAL / name

    def install(
        self, model_id: str, manifest: dict[str, Any], files: dict[str, tuple[Path, str]], move: bool
    ) -> InstalledModel:
        """Put `files` (name -> (source, sha256)) into ROOT/model_id in one rename, manifest included."""
        work = self.work_folder(f"{model_id}.install-{uuid.uuid4().hex[:8]}")
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
                old = self.work_folder(f"{model_id}.old-{uuid.uuid4().hex[:8]}")
                if target.exists():
                    os.replace(target, old)  # a damaged or half-removed install: replaced as a whole
                os.replace(work, target)
        except OSError as error:
            shutil.rmtree(work, ignore_errors=True)
            raise self.write_error(error, model_id) from error
        shutil.rmtree(old, ignore_errors=True)
        installed = self.read(model_id)
        if installed is None:  # the manifest just written cannot be read back: the disk is failing
            raise TranslatorError(f"cannot read back {model_id} under {self.root}")
        return installed

    def write_error(self, error: OSError, model_id: str) -> TranslatorError:
        """The one-line error for a failed write of `model_id` (a full disk says so)."""
        if is_disk_full(error):
            return DiskFullError(
                f"the disk is full: cannot write {model_id} under {self.root} ({error.strerror}); "
                "free some space and run the command again (finished files are kept)"
            )
        return TranslatorError(f"cannot write {model_id} under {self.root}: {error.strerror or error}")
