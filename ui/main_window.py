"""The main window: Live, Files and Settings tabs over one bridge, one model cache and two controllers."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from translator import __version__
from translator.audio.devices import AudioDevice, list_devices, refresh_devices
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.models.folders import DEMO_SPEECH_NOTE
from translator.models.loading import ModelCache
from translator.models.store import ModelStore
from translator.paths import log_path
from translator.pipeline.batch import BatchReport
from translator.pipeline.edit import load_edit
from translator.pipeline.live_events import LiveSettings
from translator.stages.live_segmentation import LiveSegmenterSettings
from ui.bridge import Background, CoreBridge
from ui.companions import LiveCompanions
from ui.files_view import FilesView
from ui.live_view import LiveView
from ui.model_catalog import CatalogController
from ui.models_guide import MODELS_CAUSE, NO_MODELS_MESSAGE, ModelsGuide
from ui.player import ResultPlayer
from ui.segments_editor import SegmentsEditor, window_stages
from ui.sessions import BatchController, LiveController, LiveRequest, State
from ui.settings import SettingsStore
from ui.settings_view import SettingsView
from ui.speak_box import TypedText
from ui.typed_speech import SpeakController
from ui.widgets import MessageBanner

_SHUTDOWN_SECONDS = 5.0
# What a banner was shown for, so it goes once that is fixed.
_LANGUAGES, _FILES, _FORMATS, _DEVICES = "languages", "files", "formats", "devices"
# The transcript's line about the demo voice (its tooltip, the status bar and the README say it in full).
DEMO_QUEUE_NOTICE = "Demo voice: the same 4 s sentence every time, so quick utterances queue behind it"


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
        self.setWindowTitle("Offline Speech Translator")
        self.settings = settings
        self.bridge = CoreBridge(self)
        self.background = Background(self)
        self.cache = ModelCache(self.bridge.on_load_event)
        self.live = LiveController(self.bridge, self.cache, self.background)
        self.typed_speech = SpeakController(self.bridge, self.cache, self.background, self.live)
        self.batch = BatchController(self.bridge, self.cache, self.background)
        self.catalog = CatalogController(self.store, self.bridge, self.background)

        self.banner = MessageBanner()
        # The views' background work (a transcript save, a folder search) shares the window's helper, so
        # closing the window waits for it too.
        self.live_view = LiveView(settings, background=self.background)
        self.files_view = FilesView(settings, background=self.background)
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
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.banner.float_over(central, self.tabs.tabBar())  # over the pages: a message never moves a control
        self.player = ResultPlayer(self.background, self)
        self.open_url = QDesktopServices.openUrl  # replaced in tests, where no desktop opens anything
        self.demo_label = QLabel()
        self.demo_label.setAccessibleName("Demo models notice")
        self.statusBar().addPermanentWidget(self.demo_label)
        self.models = ModelsGuide(
            store=self.store,
            catalog=self.catalog,
            cache=self.cache,
            background=self.background,
            bridge=self.bridge,
            banner=self.banner,
            settings=self.settings_view,
            live=self.live_view,
            demo_folder=self.demo_folder,
            demo_label=self.demo_label,
            show_settings=self._settings_tab,
            status=self.statusBar().showMessage,
        )
        # The captions window, the tray icon and push-to-talk from other applications.
        self.companions = LiveCompanions(
            self, settings, self.bridge, self.live, self.live_view, self.settings_view, self.start_live,
            self.models.demo_in_use,
        )  # fmt: skip
        self._menus()
        self._connect()
        self._restore()
        self.refresh_devices(rescan=False)
        self.models.update_demo_notice()
        if not self.settings_view.has_models():
            self.banner.show_info(NO_MODELS_MESSAGE, cause=MODELS_CAUSE)
            self.models.offer_first_models()
        elif self.models.demo_in_use():
            self.models.show_demo_banner()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        captions_action = QAction("&Captions window", self)
        captions_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        captions_action.triggered.connect(self.companions.show_captions)
        view_menu.addAction(captions_action)
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
        bridge.live_started.connect(self._live_started)
        bridge.live_error.connect(lambda stage, message: self.banner.show_error(message))
        self.live.state_changed.connect(live.show_state)
        self.live.failed.connect(self.banner.show_error)
        self.live.notice.connect(self.banner.show_info)
        self.live.notice.connect(transcript.add_notice)
        live.real_models_requested.connect(self.models.show_real_models)
        for picker in (live.source, live.target):
            picker.currentIndexChanged.connect(lambda _: self.banner.resolve(_LANGUAGES))
        live.conversation.toggled.connect(lambda _: self.banner.resolve(_LANGUAGES))
        live.start_requested.connect(self.start_live)
        live.stop_requested.connect(self.live.stop)
        live.talk_pressed.connect(self.live.press)
        live.talk_released.connect(self.live.release)
        live.refresh_devices_requested.connect(lambda: self.refresh_devices(rescan=True))
        live.save_failed.connect(self.banner.show_error)
        live.speak_requested.connect(self.speak_typed)
        self.typed_speech.failed.connect(self.banner.show_error)
        self.typed_speech.notice.connect(transcript.add_notice)
        live.transcript_saved.connect(lambda path: self.statusBar().showMessage(f"Transcript saved to {path}", 5000))

        files = self.files_view
        bridge.file_started.connect(files.file_started)
        bridge.file_progress.connect(files.file_progress)
        bridge.file_finished.connect(files.file_finished)
        bridge.file_failed.connect(files.file_failed)
        bridge.file_skipped.connect(files.file_skipped)
        self.batch.state_changed.connect(files.show_state)
        self.batch.failed.connect(self.banner.show_error)
        self.batch.notice.connect(self.banner.show_info)
        self.batch.finished.connect(self._batch_finished)
        files.start_requested.connect(self.start_batch)
        files.cancel_requested.connect(self.batch.cancel)
        files.open_requested.connect(self.open_path)
        files.edit_requested.connect(self.edit_segments)
        files.play_requested.connect(self.play_result)
        files.stop_playing_requested.connect(self.player.stop)
        files.files.rowsInserted.connect(lambda *_: self.banner.resolve(_FILES))
        for box in files.formats.values():
            box.toggled.connect(lambda _: self.banner.resolve(_FORMATS))
        self.player.playing.connect(files.show_playing)
        self.player.failed.connect(self.banner.show_error)

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
        self.companions.save_settings()
        self.settings.sync()

    # Live.
    def speak_typed(self, typed: TypedText) -> None:
        """Speak the Live tab's typed text (through the running session's output, if one runs)."""
        if self.models.require_models():
            self.typed_speech.speak(self.settings_view.app_config(), typed)

    def start_live(self) -> None:
        choices = self.live_view.choices()
        if not self.models.require_models():
            return
        if choices.conversation and (choices.source is None or choices.source == choices.target):
            self.banner.show_error(
                "Conversation mode needs two different languages: choose the spoken one too.", cause=_LANGUAGES
            )
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
            input_file=choices.input_file,
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

        def found(devices: list[AudioDevice]) -> None:
            self.live_view.set_devices(devices)
            self.banner.resolve(_DEVICES)

        def failed(message: str) -> None:
            self.banner.show_info(
                f"Live translation needs sound devices: {message}; a recording still works (File… beside Input).",
                cause=_DEVICES,
            )

        if self.live.state is State.IDLE:  # rescanning closes PortAudio under a running stream
            self.background.run("devices", work, found, failed)

    # Files.
    def start_batch(self) -> None:
        files = self.files_view
        inputs = files.pending()
        if not inputs:
            self.banner.show_error(
                "Nothing to translate: add files or folders first (or drop them on the list).", cause=_FILES
            )
            return
        if not self.models.require_models():
            return
        if not files.chosen_formats():
            self.banner.show_error("Choose at least one output format.", cause=_FORMATS)
            return
        self.banner.hide()
        self.save_settings()
        files.mark_queued(inputs)
        settings = files.settings_for(files.target.language())
        self.batch.start(inputs, self.settings_view.app_config(), settings, files.cluster.address())

    def _batch_finished(self, report: BatchReport) -> None:
        self.files_view.batch_finished(len(report.finished), len(report.skipped), len(report.failed))
        if report.failed:
            total = len(report.failed) + len(report.finished)
            others = "the other files were translated" if report.finished else "no file was translated"
            self.banner.show_error(
                f"{len(report.failed)} of {total} {'file' if total == 1 else 'files'} failed; "
                f"the error is in each file's row, {others}."
            )

    def _settings_tab(self) -> None:
        self.tabs.setCurrentIndex(self.tabs.count() - 1)

    def _live_started(self, source: str, sink: str) -> None:
        if sink and self.models.demo_in_use():  # why playback queues, before anyone judges the delay by it
            self.live_view.transcript.add_notice(DEMO_QUEUE_NOTICE)
            self.statusBar().showMessage(f"Demo models: {DEMO_SPEECH_NOTE}", 20_000)

    def open_path(self, path: Path) -> None:
        """Open a file or folder with the desktop's application for it; where none does, say so, and offer to
        play a speech track here."""
        if self.open_url(QUrl.fromLocalFile(str(path))):
            return
        if not path.exists():
            self.banner.show_error(f"{path} does not exist (moved or deleted?)")
        elif path.is_dir():
            self.banner.show_info(f"Nothing on this computer is set up to open folders: the folder is {path}")
        else:
            play = [("Play it here", lambda: self.play_result(path))] if path.suffix == ".wav" else []
            self.banner.show_info(
                f"Nothing on this computer is set up to open {path.suffix} files: {path.name} is in {path.parent}",
                play,
            )

    def edit_segments(self, json_path: Path) -> SegmentsEditor | None:
        """Open a finished file's segments for correction (a file that cannot be edited is a message)."""
        try:
            file = load_edit(json_path)
        except TranslatorError as error:
            self.banner.show_error(str(error))
            return None
        stages = window_stages(self.cache, self.settings_view.app_config(), file.target_language)
        device = self.live_view.choices().output_device
        editor = SegmentsEditor(
            file, stages, self.background, lambda path, start, end: self.player.play(path, device, (start, end)), self
        )
        editor.show()
        return editor

    def _open_log_folder(self) -> None:
        folder = log_path().parent
        folder.mkdir(parents=True, exist_ok=True)  # before anything was logged
        self.open_path(folder)

    def play_result(self, path: Path) -> None:
        """Play a translated speech track on the Live tab's output device."""
        self.player.play(path, self.live_view.choices().output_device)
        self.statusBar().showMessage(f"Playing {path.name}…", 5000)

    def show_unexpected_error(self, message: str) -> None:
        self.banner.show_error(message)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save every choice, then stop a running session or batch before the window goes."""
        self.companions.shutdown()
        self.save_settings()
        self.player.stop()
        self.batch.cancel()
        self.typed_speech.shutdown()
        self.live.shutdown(_SHUTDOWN_SECONDS)
        self.batch.shutdown(_SHUTDOWN_SECONDS)
        event.accept()
