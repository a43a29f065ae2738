"""The window's side of choosing models: the first-start offer, the demo models and what they are, the
catalog's chain for the Live languages (shown, downloaded, imported) and loading ahead of time.

The rules are the core's (`translator.models.choice`); this class decides what the banner and the
Settings tab say about them, and runs the work through the window's `Background` helper.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from translator.config import ModelPaths, load_config
from translator.models.choice import FirstStart, ModelRequest, first_start_plan
from translator.models.folders import DEMO_MARKER, demo_languages
from translator.models.installed import InstalledModel
from translator.models.loading import ModelCache
from translator.models.store import ModelStore
from ui.bridge import STAGE_NAMES, Background, CoreBridge
from ui.live_view import LiveView
from ui.model_catalog import CatalogController
from ui.settings_view import SettingsView
from ui.widgets import MessageBanner

NO_MODELS_MESSAGE = (
    "No models chosen yet: choose a model folder for each stage in Settings, "
    "or press Settings → Use demo models to try the app (placeholder output)."
)
MODELS_CAUSE = "models"  # a banner shown because no models are chosen; it goes once some are


class ModelsGuide(QObject):
    """Connects the Settings tab's model controls to the catalog and the model cache, and says in the banner
    what the user can do next."""

    def __init__(
        self,
        *,
        store: ModelStore,
        catalog: CatalogController,
        cache: ModelCache,
        background: Background,
        bridge: CoreBridge,
        banner: MessageBanner,
        settings: SettingsView,
        live: LiveView,
        demo_folder: Path,
        demo_label: QLabel,
        show_settings: Callable[[], None],
        status: Callable[..., None],
    ) -> None:
        super().__init__(settings)
        self._store, self._catalog, self._cache, self._background, self._bridge = (
            store,
            catalog,
            cache,
            background,
            bridge,
        )
        self._banner, self._settings, self._live = banner, settings, live
        self._demo_folder, self._demo_label = demo_folder, demo_label
        self._show_settings, self._status = show_settings, status
        self._connect()

    def _connect(self) -> None:
        bridge, models = self._bridge, self._settings
        bridge.model_loading.connect(models.show_loading)
        bridge.model_loading.connect(lambda stage, path: self._status(f"Loading {Path(path).name}…"))
        bridge.model_loaded.connect(models.show_loaded)
        bridge.model_loaded.connect(
            lambda stage, path, seconds: self._status(f"Loaded {Path(path).name} in {seconds:.1f} s", 5000)
        )
        bridge.download_started.connect(lambda model_id, files, total: models.show_downloading(True))
        bridge.download_progress.connect(models.show_download_progress)
        models.plan_requested.connect(self.plan_models)
        models.download_requested.connect(self.download_plan)
        models.cancel_download_requested.connect(self._catalog.cancel)
        self._catalog.plan_ready.connect(models.show_plan)
        self._catalog.models_chosen.connect(self._use_models)
        self._catalog.downloaded.connect(self._downloaded)
        self._catalog.download_failed.connect(self._download_failed)
        models.demo_models_requested.connect(self.use_demo_models)
        models.load_requested.connect(self.load_models_now)
        models.import_requested.connect(self._catalog.import_model)
        self._catalog.imported.connect(self._imported)
        self._catalog.import_failed.connect(self._banner.show_error)
        for field in (models.whisper, models.translation):
            field.edit.textChanged.connect(self.update_demo_notice)

    def use_demo_models(self) -> None:
        from translator.models.demo import build_demo_models

        folder = self._demo_folder

        def built(config_path: Path) -> None:
            config = load_config(config_path)
            self._settings.set_models(config.models)
            self._settings.show_load_finished(f"Demo models ready in {folder}")
            self.update_demo_notice()
            self.show_demo_banner()

        self._settings.show_load_finished("Building the demo models…")
        self._background.run("demo-models", lambda: build_demo_models(folder), built, self._banner.show_error)

    def offer_first_models(self) -> None:
        """With no models chosen: offer the catalog's chain for the Live languages (its size, one click),
        or, with no network, say so and offer the demo models. The Hub check runs off the GUI thread."""
        choices = self._live.choices()
        profile = self._settings.profile.currentText()
        target, source = choices.target, choices.source
        if target is None:
            return

        def offer(first: FirstStart) -> None:
            if self._settings.has_models():  # chosen meanwhile
                return
            languages = f"{source.name if source else 'any language'} → {target.name}"
            demo = ("Use demo models", self.use_demo_models)
            if not first.needed:
                self.plan_models()
                self._banner.show_info(
                    "Models are installed: choose them in Settings.", [("Settings", self._show_settings)]
                )
            elif first.online is False:
                self._banner.show_info(
                    f"No models yet, and {first.network_message}. Try the app with the demo models (placeholder "
                    "output), or copy models from another computer and add them in Settings (Import a model or "
                    "voice…).",
                    [demo],
                )
            else:
                self._banner.show_info(
                    f"No models yet: download the {first.profile} models for {languages} ({first.size_text}) once, "
                    "then everything works offline.",
                    [(f"Download ({first.size_text})", self.download_plan), demo],
                )
                self.plan_models()

        self._background.run(
            "first-start",
            lambda: first_start_plan(self._store, target, source, profile),
            offer,
            lambda message: None,  # the offer is a convenience: the banner already says what to do
        )

    def _model_request(self) -> ModelRequest | None:
        """The window's request: the catalog's chain for the Live tab's languages under the chosen profile."""
        choices = self._live.choices()
        if choices.target is None:
            return None
        profile = self._settings.profile.currentText()
        return ModelRequest((choices.target,), choices.source, text_only_without_voice=True, profile=profile)

    def plan_models(self) -> None:
        """Choose the catalog's chain for the Live tab's languages and show it, with what is installed."""
        request = self._model_request()
        if request is not None:
            self._catalog.plan(request)

    def download_plan(self) -> None:
        """Download what the chosen chain lacks, with progress; then use it."""
        request = self._model_request()
        if request is not None:
            self._settings.show_downloading(True)
            self._catalog.download(request)

    def _downloaded(self) -> None:
        self._settings.show_downloading(False)
        self._banner.show_info(f"Models installed in {self._store.root}: they work offline from now on.")

    def _download_failed(self, message: str) -> None:
        self._settings.show_downloading(False)
        self._banner.show_error(message)

    def _use_models(self, models: ModelPaths) -> None:
        self._settings.set_models(models)
        self.update_demo_notice()

    def load_models_now(self) -> None:
        if not self.require_models():
            return
        choices = self._live.choices()
        targets = [language for language in (choices.target,) if language is not None]
        config = self._settings.app_config()

        def work() -> None:
            hint = "turn off Speak translation on the Live tab"
            self._cache.load(config, targets, choices.speech, 1, hint, text_only_without_voice=True)

        def failed(message: str) -> None:
            self._settings.show_load_finished("")
            self._banner.show_error(message)

        self._background.run(
            "load", work, lambda _: self._settings.show_load_finished("Models loaded and ready."), failed
        )

    def demo_in_use(self) -> bool:
        models = self._settings.app_config().models
        return any(path is not None and (path / DEMO_MARKER).exists() for path in (models.whisper, models.translation))

    def update_demo_notice(self) -> None:
        demo = self.demo_in_use()
        self._demo_label.setText("Demo models: placeholder output" if demo else "")
        self._live.show_guidance(self._settings.has_models(), demo)
        if self._settings.has_models():
            self._banner.resolve(MODELS_CAUSE)

    def show_demo_banner(self) -> None:
        """What the demo models are, what to do with them, and the one click to real ones."""
        self._banner.show_info(
            f"Demo models in use: the real pipeline, but one placeholder sentence for whatever you say, in "
            f"{demo_languages()} only. Press Start and speak to try the app.",
            [("Get real models", self.show_real_models)],
        )

    def show_real_models(self) -> None:
        """Show the catalog's chain for the Live languages in Settings, with its size and Download."""
        self._show_settings()
        self.plan_models()

    def _imported(self, model: InstalledModel) -> None:
        path = self._store.root if model.stage == "synthesis" else model.path  # voices: the store finds each one
        self._settings.use_imported(model.stage, path)
        self.update_demo_notice()
        self._banner.show_info(f"Imported {model.id} into {model.folder}: it is chosen for {STAGE_NAMES[model.stage]}.")

    def require_models(self) -> bool:
        """Whether models are chosen; if not, the banner says how to choose them."""
        if not self._settings.has_models():
            self._banner.show_error(NO_MODELS_MESSAGE, cause=MODELS_CAUSE)
        return self._settings.has_models()
