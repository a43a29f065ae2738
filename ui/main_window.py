"""The main window: Live, Files and Settings tabs over one bridge, one model cache and two controllers."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from translator import __version__
from translator.batch import BatchReport
from translator.config import AppConfig, load_config
from translator.devices import AudioDevice, list_devices, refresh_devices
from translator.live import LiveSettings
from translator.loading import ModelCache
from translator.models import DEMO_MARKER
from translator.segmentation import LiveSegmenterSettings
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
    def __init__(self, settings: SettingsStore, seed: AppConfig | None = None, demo_folder: Path | None = None) -> None:
        super().__init__()
        self.demo_folder = demo_folder or demo_models_folder()
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
        self.tabs.addTab(self.settings_view, "Settings")
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
        from translator.demo import build_demo_models

        folder = self.demo_folder

        def built(config_path: Path) -> None:
            config = load_config(config_path)
            self.settings_view.set_models(config.models)
            self.settings_view.show_load_finished(f"Demo models ready in {folder}")
            self._update_demo_notice()
            self.banner.show_info("Demo models in use: they run the real pipeline but their words are placeholders.")

        self.settings_view.show_load_finished("Building the demo models…")
        self.background.run("demo-models", lambda: build_demo_models(folder), built, self.banner.show_error)

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
