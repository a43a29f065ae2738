"""Installed models: a per-user folder of catalog models, downloaded, imported, verified and removed.

`ModelStore` is the one object the CLI and the window hold: it looks models up by id and hands
the work to `translator.models.hub` (downloads), `translator.models.importing` (imports and
checks) and `translator.models.installed` (the folder, its manifests and the one-rename install).

Nothing here touches the network unless asked to download or to check the Hub: loading an
installed model is a path lookup.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from translator.errors import ModelError, ModelNotInstalledError
from translator.models.catalog import Catalog, UnknownModelError, load_catalog
from translator.models.folders import models_folder_problem
from translator.models.hub import EventCallback, Hub, hub_endpoint
from translator.models.importing import VerifyResult, import_model, verify_models
from translator.models.installed import InstalledModel, StoreFolder

MODELS_DIR_ENVIRONMENT = "TRANSLATOR_MODELS_DIR"


def default_models_dir() -> Path:
    """Where models live: $TRANSLATOR_MODELS_DIR, else `models` in the platform's per-user data folder. A
    `ModelError` says so when the variable names something that cannot be that folder."""
    if os.environ.get(MODELS_DIR_ENVIRONMENT):
        path = Path(os.environ[MODELS_DIR_ENVIRONMENT]).expanduser()
        problem = models_folder_problem(path)
        if problem is not None:
            raise ModelError(f"{MODELS_DIR_ENVIRONMENT}: {problem}, or unset it")
        return path
    return Path(platformdirs.user_data_dir("translator")) / "models"


class ModelStore:
    """The models installed under one folder (default: `default_models_dir()`), and the catalog they come from."""

    def __init__(self, root: Path | None = None, catalog: Catalog | None = None, endpoint: str | None = None) -> None:
        self.root = (root or default_models_dir()).expanduser().absolute()
        self.catalog = catalog if catalog is not None else load_catalog()
        self._endpoint = endpoint
        self._folder = StoreFolder(self.root)

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
            if folder.name.startswith("."):
                continue
            model = self._folder.read(folder.name)
            if model is not None:
                found.append(model)
        return tuple(found)

    def is_installed(self, model_id: str) -> bool:
        return self._folder.has(model_id)

    def get(self, model_id: str) -> InstalledModel:
        """An installed model; `ModelNotInstalledError` naming the command that installs it otherwise."""
        model = self._folder.read(model_id)
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

    def get_any(self, model_id: str) -> InstalledModel:
        """An installed model even if damaged (for verify, which reports the damage)."""
        model = self._folder.read(model_id)
        if model is None:
            self.get(model_id)  # raises the not-installed or unknown-model error
            raise AssertionError("unreachable")
        return model

    def path_of(self, model_id: str) -> Path:
        """The path to load model `model_id` from (a folder, or a voice's .onnx)."""
        return self.get(model_id).path

    # --- changing what is installed -----------------------------------------------------------------

    def download(
        self, model_id: str, on_event: EventCallback | None = None, cancel: threading.Event | None = None
    ) -> InstalledModel:
        """Download catalog model `model_id` (resuming an interrupted download), check it, install it.

        `on_event` receives `DownloadEvent`s from this thread; setting `cancel` stops the download
        (finished files are kept for the next run). Raises `NetworkError`, `IntegrityError`,
        `DiskFullError`, `UnknownModelError` or `ModelError`, each with a one-line message.
        """
        return Hub(self._folder, self.endpoint).download(self.catalog.get(model_id), on_event, cancel)

    def import_folder(self, path: Path, model_id: str | None = None) -> InstalledModel:
        """Install a model the user already has: a model folder, or a Piper .onnx with its .onnx.json.

        A catalog model (recognised by `model_id`, its voice name or its files' names and sizes) is
        checked file by file against the catalog; any other model is checked for the files its
        loader needs and installed under `model_id` (default: the folder's or voice's name).
        """
        return import_model(self._folder, self.catalog, path, model_id)

    def remove(self, model_id: str) -> None:
        """Remove an installed model (and any unfinished download of it)."""
        target = self.root / model_id
        staging = self._folder.work_folder(model_id)
        if not target.exists() and not staging.exists():
            if model_id not in self.catalog:
                self.get(model_id)  # raises the unknown-model error
            raise ModelNotInstalledError(f"model '{model_id}' is not installed: nothing to remove")
        if target.exists():
            trash = self._folder.work_folder(f"{model_id}.removed-{uuid.uuid4().hex[:8]}")
            os.replace(target, trash)  # gone from the store at once, even if deleting takes a while
            shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)

    # --- checking ---------------------------------------------------------------------------------

    def verify(self, model_ids: Iterable[str] | None = None, load: bool = True) -> list[VerifyResult]:
        """Check every installed model (or those named): files against the manifest, then a real load."""
        models = [self.get_any(model_id) for model_id in model_ids] if model_ids else list(self.installed())
        return verify_models(self.catalog, models, load)

    def check_hub(self, timeout: float = 5.0) -> tuple[bool, str]:
        """Whether the Hub answers (one HEAD request for a small catalog file), and if not, why, in one line."""
        return Hub(self._folder, self.endpoint).check(self.catalog, timeout)


def install_hint(model_ids: Iterable[str]) -> str:
    """The one line for catalog models that are not installed: it names the command that installs them."""
    ids = list(dict.fromkeys(model_ids))
    quoted = ", ".join(f"'{model_id}'" for model_id in ids)
    subject = f"model {quoted} is" if len(ids) == 1 else f"models {quoted} are"
    return f"{subject} not installed: run: translator models download {' '.join(ids)}"
