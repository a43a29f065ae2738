"""The main window: Live, Files and Settings tabs over one bridge, one model cache and two controllers."""

from __future__ import annotations

import threading
from pathlib import Path

import platformdirs
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from translator import __version__
from translator.audio.devices import AudioDevice, list_devices, refresh_devices
from translator.config import AppConfig, ModelPaths, load_config
from translator.errors import TranslatorError
from translator.models.catalog import ChainPlan, describe_size, describe_total, plan_chain
from translator.models.folders import DEMO_MARKER
from translator.models.loading import ModelCache
from translator.models.store import FirstStart, ModelStore, first_start_plan
from translator.pipeline.batch import BatchReport
from translator.pipeline.live import LiveSettings
from translator.stages.live_segmentation import LiveSegmenterSettings
from ui.bridge import Background, CoreBridge
from ui.files_view import FilesView
from ui.live_view import LiveView
from ui.sessions import BatchController, LiveController, LiveRequest, State
from ui.settings import SettingsStore
from ui.settings_view import SettingsView
from ui.widgets import MessageBanner

_SHUTDOWN_SECONDS = 5.0
NO_MODELS_MESSAGE = (
    "No models chosen yet: choose a model folder for each stage in Settings, "
    "or press Settings → Use demo models to try the app (placeholder output)."
)


def demo_models_folder() -> Path:
    return Path(platformdirs.user_data_dir("translator")) / "demo-models"


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: SettingsStore,
        seed: AppConfig | None = None,
        demo_folder: Path | None = None,
        store: ModelStore | None = None,
    ) -> None:
        super().__init__()
        self.demo_folder = demo_folder or demo_models_folder()
        self.store = store or ModelStore()
        self._plan: ChainPlan | None = None
        self._cancel_download = threading.Event()
        self.setWindowTitle("Offline Speech Translator")
        self.settings = settings
        self.bridge = CoreBridge(self)
        self.background = Background(self)
        self.cache = ModelCache(self.bridge.on_load_event)
        self.live = LiveController(self.bridge, self.cache, self.background)
        self.batch = BatchController(self.bridge, self.cache, self.background)

        self.banner = MessageBanner()
        self.live_view = LiveView(settings)
        self.files_view = FilesView(settings)
        self.settings_view = SettingsView(settings, seed)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        self.tabs.addTab(self.live_view, "Live")
        self.tabs.addTab(self.files_view, "Files")
        settings_scroll = QScrollArea()  # a short screen scrolls the settings rather than growing the window
        settings_scroll.setWidget(self.settings_view)
        settings_scroll.setWidgetResizable(True)
        self.tabs.addTab(settings_scroll, "Settings")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.demo_label = QLabel()
        self.demo_label.setAccessibleName("Demo models notice")
        self.statusBar().addPermanentWidget(self.demo_label)
        self._menus()
        self._connect()
        self._restore()
        self.refresh_devices(rescan=False)
        self._update_demo_notice()
        if not self.settings_view.has_models():
            self.banner.show_info(NO_MODELS_MESSAGE)
            self._offer_first_models()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        log_action = QAction("Open the log folder", self)
        log_action.triggered.connect(self._open_log_folder)
        help_menu.addAction(log_action)
        about = QAction("&About", self)
        about.triggered.connect(
            lambda: QMessageBox.about(
                self,
                "About",
                f"Offline Speech Translator {__version__}\nSpeech in, translated speech out, on this computer only.",
            )
        )
        help_menu.addAction(about)

    def _connect(self) -> None:
        bridge, live, transcript = self.bridge, self.live_view, self.live_view.transcript
        bridge.input_level.connect(live.level.show_level)
        bridge.interim_text.connect(transcript.set_interim)
        bridge.final_text.connect(transcript.set_final)
        bridge.translation_ready.connect(transcript.set_translation)
        bridge.utterance_done.connect(live.show_done)
        bridge.live_stats.connect(live.show_stats)
        bridge.live_notice.connect(transcript.add_notice)
        bridge.live_notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        bridge.live_started.connect(live.show_running)
        bridge.live_error.connect(lambda stage, message: self.banner.show_error(message))
        self.live.state_changed.connect(live.show_state)
        self.live.failed.connect(self.banner.show_error)
        live.start_requested.connect(self.start_live)
        live.stop_requested.connect(self.live.stop)
        live.talk_pressed.connect(self.live.press)
        live.talk_released.connect(self.live.release)
        live.refresh_devices_requested.connect(lambda: self.refresh_devices(rescan=True))
        live.save_failed.connect(self.banner.show_error)

        files = self.files_view
        bridge.file_started.connect(files.file_started)
        bridge.file_progress.connect(files.file_progress)
        bridge.file_finished.connect(files.file_finished)
        bridge.file_failed.connect(files.file_failed)
        bridge.file_skipped.connect(files.file_skipped)
        self.batch.state_changed.connect(files.show_state)
        self.batch.failed.connect(self.banner.show_error)
        self.batch.finished.connect(self._batch_finished)
        files.start_requested.connect(self.start_batch)
        files.cancel_requested.connect(self.batch.cancel)
        files.open_requested.connect(lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))

        models = self.settings_view
        bridge.model_loading.connect(models.show_loading)
        bridge.model_loading.connect(lambda stage, path: self.statusBar().showMessage(f"Loading {Path(path).name}…"))
        bridge.model_loaded.connect(models.show_loaded)
        bridge.model_loaded.connect(
            lambda stage, path, seconds: self.statusBar().showMessage(
                f"Loaded {Path(path).name} in {seconds:.1f} s", 5000
            )
        )
        bridge.download_started.connect(lambda model_id, files, total: models.show_downloading(True))
        bridge.download_progress.connect(models.show_download_progress)
        models.plan_requested.connect(self.plan_models)
        models.download_requested.connect(self.download_plan)
        models.cancel_download_requested.connect(self._cancel_download.set)
        models.demo_models_requested.connect(self.use_demo_models)
        models.load_requested.connect(self.load_models_now)
        for field in (models.whisper, models.translation):
            field.edit.editingFinished.connect(self._update_demo_notice)

    def _restore(self) -> None:
        geometry = self.settings.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 720)
        self.tabs.setCurrentIndex(self.settings.get("window/tab", 0))

    def save_settings(self) -> None:
        self.settings.set_bytes("window/geometry", self.saveGeometry())
        self.settings.set("window/tab", self.tabs.currentIndex())
        self.live_view.save_settings()
        self.files_view.save_settings()
        self.settings_view.save_settings()
        self.settings.sync()

    # Live.
    def start_live(self) -> None:
        choices = self.live_view.choices()
        if not self.settings_view.has_models():
            self.banner.show_error(NO_MODELS_MESSAGE)
            return
        if choices.conversation and (choices.source is None or choices.source == choices.target):
            self.banner.show_error("Conversation mode needs two different languages: choose the spoken one too.")
            return
        options = self.settings_view
        pair = (choices.source, choices.target)
        settings = LiveSettings(
            target=choices.target,
            source=choices.source,
            conversation=pair if choices.conversation and pair[0] and pair[1] else None,  # type: ignore[arg-type]
            segmenter=LiveSegmenterSettings(min_silence_ms=options.silence_ms.value()),
            push_to_talk=choices.push_to_talk,
            interim_results=options.interims.isChecked(),
            echo_gate=options.echo_gate.isChecked(),
            max_delay_s=options.max_delay.value(),
        )
        self.banner.hide()
        self.save_settings()
        request = LiveRequest(
            options.app_config(),
            settings,
            input_device=choices.input_device,
            loopback=choices.loopback,
            output_device=choices.output_device,
            speech=choices.speech,
        )
        self.live.start(request)

    def refresh_devices(self, rescan: bool) -> None:
        """List sound devices off the GUI thread (PortAudio can take a moment); `rescan` finds new ones."""

        def work() -> list[AudioDevice]:
            if rescan:
                refresh_devices()
            return list_devices()

        def failed(message: str) -> None:
            self.banner.show_info(f"Live translation needs sound devices: {message}")

        if self.live.state is State.IDLE:  # rescanning closes PortAudio under a running stream
            self.background.run("devices", work, self.live_view.set_devices, failed)

    # Files.
    def start_batch(self) -> None:
        files = self.files_view
        inputs = files.pending()
        if not inputs:
            self.banner.show_error("Nothing to translate: add files or folders first (or drop them on the list).")
            return
        if not self.settings_view.has_models():
            self.banner.show_error(NO_MODELS_MESSAGE)
            return
        if not files.chosen_formats():
            self.banner.show_error("Choose at least one output format.")
            return
        self.banner.hide()
        self.save_settings()
        files.mark_queued(inputs)
        self.batch.start(inputs, self.settings_view.app_config(), files.settings_for(files.target.language()))

    def _batch_finished(self, report: BatchReport) -> None:
        self.files_view.batch_finished(len(report.finished), len(report.skipped), len(report.failed))
        if report.failed:
            self.banner.show_error(
                f"{len(report.failed)} of {len(report.failed) + len(report.finished)} files failed; "
                "the error is in each file's row, the other files were translated."
            )

    # Models.
    def use_demo_models(self) -> None:
        from translator.models.demo import build_demo_models

        folder = self.demo_folder

        def built(config_path: Path) -> None:
            config = load_config(config_path)
            self.settings_view.set_models(config.models)
            self.settings_view.show_load_finished(f"Demo models ready in {folder}")
            self._update_demo_notice()
            self.banner.show_info("Demo models in use: they run the real pipeline but their words are placeholders.")

        self.settings_view.show_load_finished("Building the demo models…")
        self.background.run("demo-models", lambda: build_demo_models(folder), built, self.banner.show_error)

    def _offer_first_models(self) -> None:
        """With no models chosen: offer the catalog's chain for the Live languages (its size, one click),
        or, with no network, say so and offer the demo models. The Hub check runs off the GUI thread."""
        choices = self.live_view.choices()
        profile = self.settings_view.profile.currentText()

        def offer(first: FirstStart) -> None:
            if self.settings_view.has_models():  # chosen meanwhile
                return
            languages = f"{choices.source.name if choices.source else 'any language'} → {choices.target.name}"
            demo = ("Use demo models", self.use_demo_models)
            if not first.needed:
                self.plan_models()
                self.banner.show_info(
                    "Models are installed: choose them in Settings.", [("Settings", self._settings_tab)]
                )
            elif first.online is False:
                self.banner.show_info(
                    f"No models yet, and {first.network_message}. Try the app with the demo models "
                    "(placeholder output), or import models copied from another computer (translator models import).",
                    [demo],
                )
            else:
                self.banner.show_info(
                    f"No models yet: download the {first.profile} models for {languages} ({first.size_text}) once, "
                    "then everything works offline.",
                    [(f"Download ({first.size_text})", self.download_plan), demo],
                )
                self.plan_models()

        if choices.target is not None:
            self.background.run(
                "first-start",
                lambda: first_start_plan(self.store, choices.target, choices.source, profile),
                offer,
                lambda message: None,  # the offer is a convenience: the banner already says what to do
            )

    def _settings_tab(self) -> None:
        self.tabs.setCurrentIndex(self.tabs.count() - 1)

    def plan_models(self) -> None:
        """Choose the catalog's chain for the Live tab's languages and show it, with what is installed."""
        choices = self.live_view.choices()
        if choices.target is None:
            return
        try:
            plan = plan_chain(
                self.store.catalog, choices.source, choices.target, self.settings_view.profile.currentText()
            )
        except TranslatorError as error:
            self.settings_view.show_plan(str(error), downloadable=False)
            return
        self._plan = plan
        installed = {model.id for model in self.store.installed()}
        missing = [model for model in plan.models if model.id not in installed]
        lines = [f"{model.stage}: {model.name} ({model.id}, {describe_size(model.size)})"
                 + ("" if model.id in installed else " — not installed") for model in plan.models]  # fmt: skip
        lines += list(plan.notes)
        lines.append(f"to download: {describe_total(missing)}" if missing else "all installed: in use")
        self.settings_view.show_plan("\n".join(lines), downloadable=bool(missing))
        if not missing:
            self._use_plan(plan)

    def download_plan(self) -> None:
        """Download what the chosen chain lacks, with progress; then use it."""
        if self._plan is None:
            self.plan_models()
        plan = self._plan
        if plan is None:
            return
        self._cancel_download.clear()
        self.settings_view.show_downloading(True)
        installed = {model.id for model in self.store.installed()}

        def work() -> ChainPlan:
            for model in plan.models:
                if model.id not in installed:
                    self.store.download(model.id, self.bridge.on_download_event, self._cancel_download)
            return plan

        def failed(message: str) -> None:
            self.settings_view.show_downloading(False)
            self.banner.show_error(message)

        self.background.run("download", work, self._downloaded, failed)

    def _downloaded(self, plan: ChainPlan) -> None:
        self.settings_view.show_downloading(False)
        self.plan_models()
        self.banner.show_info(f"Models installed in {self.store.root}: they work offline from now on.")

    def _use_plan(self, plan: ChainPlan) -> None:
        # The voices field names the whole store, so each language (conversation mode: two) finds its voice.
        self.settings_view.set_models(
            ModelPaths(
                self.store.path_of(plan.recognition.id),
                self.store.path_of(plan.translation.id),
                self.store.root if plan.voice is not None else None,
            )
        )
        self._update_demo_notice()

    def load_models_now(self) -> None:
        choices = self.live_view.choices()
        targets = [language for language in (choices.target,) if language is not None]
        config = self.settings_view.app_config()

        def work() -> None:
            self.cache.load(config, targets, choices.speech, 1, "turn off Speak translation on the Live tab")

        self.background.run(
            "load",
            work,
            lambda _: self.settings_view.show_load_finished("Models loaded and ready."),
            lambda message: (self.settings_view.show_load_finished(""), self.banner.show_error(message)),
        )

    def _update_demo_notice(self) -> None:
        models = self.settings_view.app_config().models
        demo = any(path is not None and (path / DEMO_MARKER).exists() for path in (models.whisper, models.translation))
        self.demo_label.setText("Demo models: placeholder output" if demo else "")

    def _open_log_folder(self) -> None:
        from translator.cli import log_path

        folder = log_path().parent
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def show_unexpected_error(self, message: str) -> None:
        self.banner.show_error(message)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save every choice, then stop a running session or batch before the window goes."""
        self.save_settings()
        self.batch.cancel()
        self.live.shutdown(_SHUTDOWN_SECONDS)
        self.batch.shutdown(_SHUTDOWN_SECONDS)
        event.accept()
