"""The Settings tab: the model behind each stage, where and how the models run, and live tuning."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from translator.compute import DEVICES, ComputeSettings
from translator.config import AppConfig, ModelPaths
from translator.models.planning import PROFILE_CHOICES, describe_size
from ui.bridge import STAGE_NAMES
from ui.global_shortcut import DEFAULT_GLOBAL_TALK
from ui.settings import SettingsStore

COMPUTE_TYPES = ("auto", "int8", "int8_float16", "float16", "int8_float32", "float32")


class PathField(QWidget):
    """A path typed in or chosen with a dialog (a folder, or for voices a file too)."""

    def __init__(self, accessible_name: str, files_too: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(accessible_name)
        self.edit.setPlaceholderText("not chosen")
        self._name = accessible_name
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        folder = QToolButton()
        folder.setText("Folder…")
        folder.setAccessibleName(f"Choose {accessible_name} folder")
        folder.clicked.connect(self._choose_folder)
        layout.addWidget(folder)
        if files_too:
            file = QToolButton()
            file.setText("File…")
            file.setAccessibleName(f"Choose {accessible_name} file")
            file.clicked.connect(self._choose_file)
            layout.addWidget(file)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path | None) -> None:
        self.edit.setText("" if path is None else str(path))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self._name, self.edit.text())
        if folder:
            self.edit.setText(folder)

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self._name, self.edit.text(), "Piper voice (*.onnx)")
        if name:
            self.edit.setText(name)


class SettingsView(QWidget):
    demo_models_requested = Signal()
    import_requested = Signal(object)  # the Path of a model folder or a Piper voice to install
    load_requested = Signal()
    plan_requested = Signal()
    download_requested = Signal()
    cancel_download_requested = Signal()

    def __init__(self, settings: SettingsStore, seed: AppConfig | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.whisper = PathField("Speech recognition model")
        self.translation = PathField("Translation model")
        self.voices = PathField("Voices", files_too=True)
        demo = QPushButton("Use demo models")
        demo.setToolTip("Build the project's tiny demo models (placeholder output) to try the app without downloads")
        demo.clicked.connect(self.demo_models_requested)
        load = QPushButton("Load models now")
        load.clicked.connect(self.load_requested)
        self.import_model = QToolButton()
        self.import_model.setText("Import a model or voice…")
        self.import_model.setAccessibleName("Import a model folder or a Piper voice")
        self.import_model.setToolTip("Install a model you already have (a converted model folder, or a Piper voice)")
        self.import_model.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        import_menu = QMenu(self.import_model)
        import_menu.addAction("A model folder…", self._import_folder)
        import_menu.addAction("A Piper voice (.onnx)…", self._import_voice)
        self.import_model.setMenu(import_menu)
        self.loading = QProgressBar()
        self.loading.setAccessibleName("Model loading")
        self.loading.setRange(0, 0)  # busy: a model load reports no progress of its own
        self.loading.hide()
        self.load_status = QLabel("")
        self.load_status.setAccessibleName("Model status")
        self.load_status.setWordWrap(True)
        models = QGroupBox("Models")
        models_form = QFormLayout(models)
        models_form.addRow("Speech recognition (CTranslate2 Whisper)", self.whisper)
        models_form.addRow("Translation (NLLB-200, M2M-100 or OPUS-MT)", self.translation)
        models_form.addRow("Voices (Piper .onnx or a folder of them)", self.voices)
        buttons = QHBoxLayout()
        for widget in (self.import_model, demo, load, self.loading):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        models_form.addRow(buttons)
        models_form.addRow(self.load_status)

        self.device = QComboBox()
        self.device.setAccessibleName("Compute device")
        self.device.addItems(list(DEVICES))
        self.compute_type = QComboBox()
        self.compute_type.setAccessibleName("Compute type")
        self.compute_type.addItems(list(COMPUTE_TYPES))
        self.threads = QSpinBox()
        self.threads.setAccessibleName("CPU threads per model")
        self.threads.setRange(0, 64)
        self.threads.setSpecialValueText("automatic")
        compute = QGroupBox("Where the models run")
        compute_form = QFormLayout(compute)
        compute_form.addRow("Device (auto uses a CUDA GPU when there is one)", self.device)
        compute_form.addRow("Compute type (auto: int8 on CPU, int8_float16 on GPU)", self.compute_type)
        compute_form.addRow("CPU threads per model", self.threads)

        self.silence_ms = QSpinBox()
        self.silence_ms.setAccessibleName("Silence that ends an utterance")
        self.silence_ms.setRange(100, 3000)
        self.silence_ms.setSingleStep(50)
        self.silence_ms.setSuffix(" ms")
        self.echo_gate = QCheckBox("Echo gate: don't listen while translated speech plays (off for headphones)")
        self.interims = QCheckBox("Live captions while speaking (uses more CPU)")
        self.max_delay = QDoubleSpinBox()
        self.max_delay.setAccessibleName("Longest delay before speech is skipped")
        self.max_delay.setRange(2.0, 60.0)
        self.max_delay.setSuffix(" s")
        live = QGroupBox("Live translation")
        live_form = QFormLayout(live)
        live_form.addRow("Silence that ends an utterance (VAD)", self.silence_ms)
        live_form.addRow(self.echo_gate)
        live_form.addRow(self.interims)
        live_form.addRow("Speech older than this is shown but not spoken", self.max_delay)
        self.global_talk = QKeySequenceEdit()
        self.global_talk.setAccessibleName("Push-to-talk shortcut in any application")
        self.global_talk.setToolTip("Hold it while you speak, whichever application has focus (empty: off)")
        self.global_talk.setMaximumSequenceLength(1)
        self.global_talk.setClearButtonEnabled(True)
        for inner, name in ((QLineEdit, "Push-to-talk shortcut keys"), (QToolButton, "Clear: no shortcut")):
            for part in self.global_talk.findChildren(inner):  # Qt's own parts, for screen readers too
                part.setAccessibleName(name)
        self.global_talk_note = QLabel("")  # whether this desktop lets it work
        self.global_talk_note.setAccessibleName("Push-to-talk shortcut availability")
        self.global_talk_note.setWordWrap(True)
        live_form.addRow("Push to talk from any application (hold)", self.global_talk)
        live_form.addRow(self.global_talk_note)

        self.profile = QComboBox()
        self.profile.setAccessibleName("Model profile")
        self.profile.addItems(list(PROFILE_CHOICES))
        self.profile.setToolTip(
            "fast: lowest delay; balanced; accurate: best quality, needs a GPU; auto: by this machine"
        )
        self.plan = QPushButton("Choose for the Live languages")
        self.plan.setToolTip("Pick the catalog's models for the languages on the Live tab")
        self.plan.clicked.connect(self.plan_requested)
        self.download = QPushButton("Download")
        self.download.setAccessibleName("Download the chosen models")
        self.download.clicked.connect(self.download_requested)
        self.download.setEnabled(False)
        self.cancel_download = QPushButton("Cancel download")
        self.cancel_download.clicked.connect(self.cancel_download_requested)
        self.cancel_download.setEnabled(False)
        self._downloadable = False
        self.plan_text = QLabel("")
        self.plan_text.setAccessibleName("Chosen catalog models")
        self.plan_text.setWordWrap(True)
        self.download_progress = QProgressBar()
        self.download_progress.setAccessibleName("Download progress")
        self.download_progress.hide()
        catalog = QGroupBox("Model catalog (downloaded once, then used offline)")
        catalog_form = QFormLayout(catalog)
        catalog_row = QHBoxLayout()
        for control in (self.profile, self.plan, self.download, self.cancel_download):
            catalog_row.addWidget(control)
        catalog_row.addStretch(1)
        catalog_form.addRow("Profile", catalog_row)
        catalog_form.addRow(self.plan_text)
        catalog_form.addRow(self.download_progress)

        layout = QVBoxLayout(self)
        for group in (catalog, models, compute, live):
            layout.addWidget(group)
        layout.addStretch(1)
        self._restore(seed)

    def _restore(self, seed: AppConfig | None) -> None:
        """Stored choices win; the settings file (`--config`) fills in what was never chosen here."""
        get = self._settings.get
        keys = ("whisper", "translation", "voices")
        stored = ModelPaths(*(Path(text) if (text := get(f"models/{key}", "")) else None for key in keys))
        empty = not any((stored.whisper, stored.translation, stored.voices))
        self.set_models(seed.models if empty and seed is not None else stored)
        compute = seed.compute if seed is not None else ComputeSettings()
        self.device.setCurrentText(get("compute/device", compute.device))
        self.compute_type.setCurrentText(get("compute/compute_type", compute.compute_type))
        self.threads.setValue(get("compute/cpu_threads", compute.cpu_threads))
        self.silence_ms.setValue(get("live/silence_ms", 400))
        self.echo_gate.setChecked(get("live/echo_gate", True))
        self.interims.setChecked(get("live/interims", True))
        self.max_delay.setValue(get("live/max_delay", 8.0))
        self.global_talk.setKeySequence(QKeySequence(get("live/global_talk", DEFAULT_GLOBAL_TALK)))
        self.profile.setCurrentText(get("models/profile", "auto"))

    def set_models(self, models: ModelPaths) -> None:
        self.whisper.set_path(models.whisper)
        self.translation.set_path(models.translation)
        self.voices.set_path(models.voices)

    def save_settings(self) -> None:
        for key, field in (("whisper", self.whisper), ("translation", self.translation), ("voices", self.voices)):
            self._settings.set(f"models/{key}", str(field.path() or ""))
        self._settings.set("compute/device", self.device.currentText())
        self._settings.set("compute/compute_type", self.compute_type.currentText())
        self._settings.set("compute/cpu_threads", self.threads.value())
        self._settings.set("live/silence_ms", self.silence_ms.value())
        self._settings.set("live/echo_gate", self.echo_gate.isChecked())
        self._settings.set("live/interims", self.interims.isChecked())
        self._settings.set("live/max_delay", self.max_delay.value())
        self._settings.set("live/global_talk", self.global_talk_sequence())
        self._settings.set("models/profile", self.profile.currentText())

    def global_talk_sequence(self) -> str:
        """The push-to-talk shortcut for every application, in Qt's portable notation; empty when off."""
        return self.global_talk.keySequence().toString(QKeySequence.SequenceFormat.PortableText)

    def app_config(self) -> AppConfig:
        return AppConfig(
            ModelPaths(self.whisper.path(), self.translation.path(), self.voices.path()),
            ComputeSettings(self.device.currentText(), self.compute_type.currentText(), self.threads.value()),
        )

    def has_models(self) -> bool:
        config = self.app_config().models
        return config.whisper is not None and config.translation is not None

    def show_loading(self, stage: str, path: str) -> None:
        self.loading.show()
        self.load_status.setText(f"Loading the {STAGE_NAMES.get(stage, stage)} model from {path}…")

    def show_loaded(self, stage: str, path: str, seconds: float) -> None:
        self.loading.hide()
        self.load_status.setText(f"Loaded the {STAGE_NAMES.get(stage, stage)} model from {path} in {seconds:.1f} s")

    def show_plan(self, text: str, downloadable: bool) -> None:
        self.plan_text.setText(text)
        self._downloadable = downloadable
        self.download.setEnabled(downloadable and not self.cancel_download.isEnabled())

    def show_downloading(self, active: bool) -> None:
        """While a download runs only Cancel works; afterwards Download works again while the chain still lacks
        models (a retry after a failure)."""
        focused = self.download.hasFocus() or self.cancel_download.hasFocus()
        # The button that takes over is enabled (and focused) before the other is disabled: a disabled button
        # with focus would pass it on to the next field, selecting its text.
        if active:
            self.cancel_download.setEnabled(True)
            if focused:
                self.cancel_download.setFocus()
            self.download.setEnabled(False)
        else:
            self.download.setEnabled(self._downloadable)
            if focused:
                (self.download if self._downloadable else self.plan).setFocus()
            self.cancel_download.setEnabled(False)
        self.download_progress.setVisible(active)

    def _import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a model folder")
        if folder:
            self.import_requested.emit(Path(folder))

    def _import_voice(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a Piper voice", "", "Piper voice (*.onnx)")
        if name:
            self.import_requested.emit(Path(name))

    def use_imported(self, stage: str, path: Path) -> None:
        """Choose an imported model for its stage."""
        field = {"recognition": self.whisper, "translation": self.translation, "synthesis": self.voices}[stage]
        field.set_path(path)

    def show_download_progress(self, model_id: str, name: str, received: int, total: int | None) -> None:
        self.download_progress.setRange(0, 100 if total else 0)
        if total:
            self.download_progress.setValue(round(100 * received / total))
        size = f" of {describe_size(total)}" if total else ""
        self.download_progress.setFormat(f"{model_id}: {name}, {describe_size(received)}{size}")

    def show_load_finished(self, message: str) -> None:
        self.loading.hide()
        self.load_status.setText(message)
