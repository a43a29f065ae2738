"""The catalog in the window: the chain the core chooses for the Live languages, shown, downloaded, used.

The rules are the core's (`translator.models.choice`); this controller runs the choice and the
downloads off the GUI thread (both read or write the model folder) and tells the window through
signals what to show.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from translator.config import ModelPaths
from translator.models.choice import ModelPlan, ModelRequest, ModelsMissingError, choose_models
from translator.models.planning import describe_size, describe_total
from translator.models.store import ModelStore
from ui.bridge import Background, CoreBridge

Choice = ModelPlan | ModelsMissingError


class CatalogController(QObject):
    """Plans and downloads the catalog's chain for one request at a time.

    plan_ready(text, downloadable): the chain, what is installed and what is left to download.
    models_chosen(ModelPaths): every model of the chain is installed; these are the paths to use.
    downloaded(): a download installed the chain; download_failed(message): it stopped, and why.
    imported(InstalledModel): a model the user had is installed; import_failed(message): it was not, and why.
    """

    plan_ready = Signal(str, bool)
    models_chosen = Signal(object)
    downloaded = Signal()
    download_failed = Signal(str)
    imported = Signal(object)  # InstalledModel
    import_failed = Signal(str)

    def __init__(self, store: ModelStore, bridge: CoreBridge, background: Background) -> None:
        super().__init__()
        self._store, self._bridge, self._background = store, bridge, background
        self._cancel = threading.Event()

    def plan(self, request: ModelRequest) -> None:
        """Choose the chain for `request` and show it; use it when everything is installed."""
        self._background.run(
            "plan", lambda: self._choose(request), self._show, lambda message: self.plan_ready.emit(message, False)
        )

    def download(self, request: ModelRequest) -> None:
        """Download what the chain for `request` lacks, with progress through the bridge; then use it."""
        self._cancel.clear()

        def work() -> Choice:
            choice = self._choose(request)
            if isinstance(choice, ModelsMissingError):
                for model_id in choice.model_ids:
                    self._store.download(model_id, self._bridge.on_download_event, self._cancel)
                choice = self._choose(request)
            return choice

        def done(choice: Choice) -> None:
            self.downloaded.emit()
            self._show(choice)

        self._background.run("download", work, done, self.download_failed.emit)

    def import_model(self, path: Path) -> None:
        """Install a model folder or a Piper voice the user has (checked file by file, off the GUI thread)."""
        self._background.run(
            "import", lambda: self._store.import_folder(path), self.imported.emit, self.import_failed.emit
        )

    def cancel(self) -> None:
        """Stop a running download; the files finished so far are kept for the next one."""
        self._cancel.set()

    def _choose(self, request: ModelRequest) -> Choice:
        """The core's choice, with the models still to download as an answer to offer rather than an error."""
        try:
            choice = choose_models(self._store, request)
        except ModelsMissingError as missing:
            return missing
        assert isinstance(choice, ModelPlan), "with a profile the answer is never the first-start offer"
        return choice

    def _show(self, choice: Choice) -> None:
        chain = choice.chains[0]  # the window plans for one target language
        missing = choice.missing if isinstance(choice, ModelsMissingError) else ()
        lines = [f"{model.stage}: {model.name} ({model.id}, {describe_size(model.size)})"
                 + (" — not installed" if model in missing else "") for model in chain.models]  # fmt: skip
        lines += list(chain.notes)
        lines.append(f"to download: {describe_total(missing)}" if missing else "all installed: in use")
        self.plan_ready.emit("\n".join(lines), bool(missing))
        if isinstance(choice, ModelPlan):
            # The voices field names the whole store, so each language (conversation mode: two) finds its voice.
            voices = self._store.root if choice.voices else None
            self.models_chosen.emit(ModelPaths(choice.models.whisper, choice.models.translation, voices))
