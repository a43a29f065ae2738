"""The Live tab: languages, sound devices, Start/Stop and push-to-talk, the transcript and the latency panel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from translator.audio.devices import AudioDevice
from translator.audio.files import AUDIO_EXTENSIONS
from translator.errors import TranslatorError
from translator.files import write_text_atomic
from translator.languages import Language, find_language
from translator.models.folders import DEMO_SPEECH_NOTE, demo_languages
from translator.pipeline.live_events import LiveStats, UtteranceDone
from translator.pipeline.outputs import TEXT_FORMATS, render_captions
from ui.bridge import Background
from ui.conversation_view import ConversationView
from ui.latency import LatencyPanel
from ui.sessions import State
from ui.settings import SettingsStore
from ui.speak_box import SpeakBox, TypedText
from ui.transcript import TranscriptModel
from ui.widgets import AUTO, LOOPBACK, DevicePicker, HintedTable, LanguagePicker, LevelMeter

_STATUS = {"idle": "Stopped", "loading": "Loading models…", "running": "Listening", "stopping": "Stopping…"}
SAVE_FILTERS = "Text (*.txt);;SubRip subtitles (*.srt);;WebVTT subtitles (*.vtt)"
REAL_MODELS_LINK = "get real models"


@dataclass(frozen=True)
class LiveChoices:
    """What the user chose on the Live tab."""

    source: Language | None
    target: Language | None
    conversation: bool
    input_device: str | None
    loopback: bool
    input_file: Path | None
    output_device: str | None
    speech: bool
    push_to_talk: bool


class LiveView(QWidget):
    start_requested = Signal()
    stop_requested = Signal()
    talk_pressed = Signal()
    talk_released = Signal()
    refresh_devices_requested = Signal()
    real_models_requested = Signal()
    captions_requested = Signal()
    save_failed = Signal(str)
    transcript_saved = Signal(object)  # the Path written
    speak_requested = Signal(object)  # TypedText

    def __init__(
        self, settings: SettingsStore, parent: QWidget | None = None, background: Background | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._background = background or Background(self)
        self._speaking = True  # whether the running session speaks (no sink: text only)
        self.source = LanguagePicker("Spoken language", allow_auto=True)
        self.target = LanguagePicker("Translate into", allow_auto=False)
        self.swap = QToolButton()
        self.swap.setText("⇄")
        self.swap.setToolTip("Swap languages")
        self.swap.setAccessibleName("Swap languages")
        self.swap.clicked.connect(self._swap)
        self.conversation = QCheckBox("Conversation")
        self.conversation.setToolTip("Two people: each one's speech is translated into the other language")
        self.input_device = DevicePicker("Input device", "input")
        self.output_device = DevicePicker("Output device", "output")
        self.refresh = QToolButton()
        self.refresh.setText("↻")
        self.refresh.setToolTip("Look for sound devices again")
        self.refresh.setAccessibleName("Refresh sound devices")
        self.refresh.clicked.connect(self.refresh_devices_requested)
        self.input_file = QToolButton()
        self.input_file.setText("File…")
        self.input_file.setAccessibleName("Play an audio file as the input")
        self.input_file.setToolTip("Translate a recording as if it were spoken now, in real time")
        self.input_file.clicked.connect(self._choose_input_file)
        self.speech = QCheckBox("Speak translation")
        self.start = QPushButton("Start")
        self.start.setAccessibleName("Start or stop live translation")
        self.start.setToolTip("Start or stop (Ctrl+Enter)")
        self.start.clicked.connect(self._start_or_stop)
        self.push_to_talk = QCheckBox("Push to talk")
        self.push_to_talk.setToolTip("Speak only while Talk is on, instead of detecting speech automatically")
        self.talk = QPushButton("Talk (F2)")
        self.talk.setCheckable(True)
        self.talk.setAccessibleName("Talk")
        self.talk.setToolTip("Press (or F2) while you speak; press again when you finish")
        self.talk.toggled.connect(self._talk_toggled)
        # Window-wide shortcuts (a button's own shortcut would need the button to be in focus).
        QShortcut(QKeySequence("Ctrl+Return"), self, self._shortcut(self.start))
        QShortcut(QKeySequence("F2"), self, self._shortcut(self.talk))
        self.level = LevelMeter()
        self.status = QLabel("Stopped")
        self.status.setAccessibleName("Live status")
        self.demo_notice = QLabel(f"<b>Demo models</b> · <a href='real'>{REAL_MODELS_LINK}</a>")
        self.demo_notice.setAccessibleName("Demo models in use")
        self.demo_notice.setToolTip(
            f"The demo models answer every utterance with one placeholder sentence, in {demo_languages()} only; "
            f"{DEMO_SPEECH_NOTE}."
        )
        self.demo_notice.linkActivated.connect(lambda _: self.real_models_requested.emit())
        self.demo_notice.hide()

        self.transcript = TranscriptModel()
        self.table = HintedTable()
        self.table.setAccessibleName("Transcript")
        self.table.setModel(self.transcript)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.transcript.rowsInserted.connect(lambda *_: self.table.scrollToBottom())
        copy, clear, save = QPushButton("Copy"), QPushButton("Clear"), QPushButton("Save…")
        copy.setAccessibleName("Copy transcript")
        clear.setAccessibleName("Clear transcript")
        save.setAccessibleName("Save transcript")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.transcript.plain_text()))
        clear.clicked.connect(self.clear)
        save.clicked.connect(self._save_dialog)
        self.latency = LatencyPanel()
        self.speak_box = SpeakBox()
        self.speak_box.speak_requested.connect(self._speak)
        self.conversation_view = ConversationView(self.transcript)
        self.transcript_pages = QStackedWidget()  # the table, or in conversation mode the two columns
        self.transcript_pages.addWidget(self.table)
        self.transcript_pages.addWidget(self.conversation_view)
        for picker in (self.source, self.target):
            picker.currentIndexChanged.connect(lambda _: self._languages_changed())
        self.conversation.toggled.connect(lambda _: self._languages_changed())

        widget: QWidget  # each row's loop holds different kinds
        languages = QHBoxLayout()
        for widget in (QLabel("From"), self.source, self.swap, QLabel("to"), self.target, self.conversation):
            languages.addWidget(widget)
        languages.addStretch(1)
        devices = QHBoxLayout()
        for widget in (QLabel("Input"), self.input_device, self.input_file, QLabel("Output"), self.output_device):
            devices.addWidget(widget)
        devices.addWidget(self.refresh)
        devices.addWidget(self.speech)
        devices.addStretch(1)
        controls = QHBoxLayout()
        for widget in (self.start, self.push_to_talk, self.talk, self.level, self.status):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.demo_notice)
        self.captions_button = QPushButton("Captions window")
        self.captions_button.setToolTip("Large captions in a window of their own, always on top (a second screen, OBS)")
        self.captions_button.clicked.connect(self.captions_requested)
        transcript_buttons = QHBoxLayout()
        transcript_buttons.addWidget(self.captions_button)
        transcript_buttons.addStretch(1)
        for button in (copy, clear, save):
            transcript_buttons.addWidget(button)
        transcript_side = QWidget()
        transcript_layout = QVBoxLayout(transcript_side)
        transcript_layout.setContentsMargins(0, 0, 0, 0)
        transcript_layout.addWidget(self.transcript_pages, 1)
        transcript_layout.addWidget(self.speak_box)
        transcript_layout.addLayout(transcript_buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(transcript_side)
        latency_scroll = QScrollArea()  # the panel stays whole on a short screen: it scrolls instead
        latency_scroll.setWidget(self.latency)
        latency_scroll.setWidgetResizable(True)
        latency_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.splitter.addWidget(latency_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(languages)
        layout.addLayout(devices)
        layout.addLayout(controls)
        layout.addWidget(self.splitter, 1)
        self._restore()
        self._languages_changed()
        self.show_state(State.IDLE.value)

    def _restore(self) -> None:
        self.source.set_code(self._settings.get("live/source", AUTO))
        self.target.set_code(self._settings.get("live/target", "de"))
        self.conversation.setChecked(self._settings.get("live/conversation", False))
        self.input_device.set_choice(self._settings.get("live/input_device", ""))
        self.output_device.set_choice(self._settings.get("live/output_device", ""))
        self.speech.setChecked(self._settings.get("live/speech", True))
        self.push_to_talk.setChecked(self._settings.get("live/push_to_talk", False))
        state = self._settings.get_bytes("live/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def save_settings(self) -> None:
        self._settings.set("live/source", self.source.code())
        self._settings.set("live/target", self.target.code())
        self._settings.set("live/conversation", self.conversation.isChecked())
        self._settings.set("live/input_device", self.input_device.choice())
        self._settings.set("live/output_device", self.output_device.choice())
        self._settings.set("live/speech", self.speech.isChecked())
        self._settings.set("live/push_to_talk", self.push_to_talk.isChecked())
        self._settings.set_bytes("live/splitter", self.splitter.saveState())

    def choices(self) -> LiveChoices:
        device = self.input_device.choice()
        output = self.output_device.choice()
        file = self.input_device.chosen_file()
        return LiveChoices(
            source=self.source.language(),
            target=self.target.language(),
            conversation=self.conversation.isChecked(),
            input_device=None if device in ("", LOOPBACK) or file is not None else device,
            loopback=device == LOOPBACK,
            input_file=file,
            output_device=output or None,
            speech=self.speech.isChecked(),
            push_to_talk=self.push_to_talk.isChecked(),
        )

    def set_devices(self, devices: list[AudioDevice]) -> None:
        self.input_device.set_devices(devices)
        self.output_device.set_devices(devices)

    @staticmethod
    def _shortcut(button: QPushButton) -> Callable[[], None]:
        return lambda: button.click() if button.isEnabled() else None

    def _swap(self) -> None:
        source, target = self.source.code(), self.target.code()
        if source != AUTO:
            self.source.set_code(target)
            self.target.set_code(source)

    def _languages_changed(self) -> None:
        conversation = self.conversation.isChecked()
        self.speak_box.set_languages(self.source.code(), self.target.code(), conversation)
        self.conversation_view.set_languages(self.source.language(), self.target.language())
        self.transcript_pages.setCurrentWidget(self.conversation_view if conversation else self.table)

    def _speak(self, text: str, reverse: bool) -> None:
        """Typed text, to be spoken: from the spoken language (else the one last recognised) into the target,
        or the other way in conversation mode when the direction is reversed."""
        choices = self.choices()
        recognised = [row.language for row in self.transcript.final_rows() if row.language]
        source = choices.source or (find_language(recognised[-1]) if recognised else None)
        target = choices.target
        both = tuple(language for language in (source, target) if language is not None)
        if reverse:
            source, target = target, source
        targets = both if choices.conversation else tuple(language for language in (target,) if language)
        self.speak_requested.emit(TypedText(text, source, target, targets, choices.output_device))

    def _start_or_stop(self) -> None:
        (self.start_requested if self.start.text() == "Start" else self.stop_requested).emit()

    def _talk_toggled(self, talking: bool) -> None:
        self.talk.setText("Talking… (F2 to finish)" if talking else "Talk (F2)")
        (self.talk_pressed if talking else self.talk_released).emit()

    def show_state(self, state: str) -> None:
        """Enable what makes sense in this state: choices only while stopped, Talk only while running."""
        idle = state == State.IDLE.value
        self.start.setText("Start" if idle else "Stop")
        self.start.setEnabled(state != State.STOPPING.value)
        for widget in (self.source, self.target, self.swap, self.conversation, self.input_device, self.input_file):
            widget.setEnabled(idle)
        for widget in (self.output_device, self.refresh, self.speech, self.push_to_talk):
            widget.setEnabled(idle)
        self.talk.setEnabled(state == State.RUNNING.value and self.push_to_talk.isChecked())
        if not self.talk.isEnabled() and self.talk.isChecked():
            self.talk.blockSignals(True)
            self.talk.setChecked(False)
            self.talk.setText("Talk (F2)")
            self.talk.blockSignals(False)
        if not (state == State.RUNNING.value and self.status.text().startswith("Listening to")):  # keep the devices
            self.status.setText(_STATUS[state])
        if idle:
            self.level.reset_level()

    def show_guidance(self, has_models: bool, demo: bool) -> None:
        """Say what to do next: the empty transcript's hint, and whether the demo models are in use."""
        if not has_models:
            hint = "Choose models in Settings (or try the demo models), then press Start and speak."
        else:
            hint = "Press Start (Ctrl+Enter) and speak: each utterance appears here, then its translation."
            if demo:
                hint += f"\n\nDemo models: one placeholder sentence in {demo_languages()}, whatever you say."
        self.table.set_hint(hint)
        self.demo_notice.setVisible(demo)
        self.transcript.set_demo(demo)

    def _choose_input_file(self) -> None:
        patterns = " ".join(f"*{extension}" for extension in sorted(AUDIO_EXTENSIONS))
        name, _ = QFileDialog.getOpenFileName(
            self, "Play an audio file as the input", "", f"Audio and video ({patterns});;All files (*)"
        )
        if name:
            self.input_device.set_file(Path(name))

    def show_running(self, source: str, sink: str) -> None:
        self._speaking = bool(sink)
        self.status.setText(f"Listening to {source}" + (f", speaking on {sink}" if sink else ""))

    def show_done(self, done: UtteranceDone) -> None:
        self.transcript.set_done(done, self._speaking)
        self.latency.show_utterance(done, self._speaking)

    def show_stats(self, stats: LiveStats) -> None:
        self.latency.show_stats(stats)

    def clear(self) -> None:
        self.transcript.clear()
        self.latency.clear()

    def _save_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Save transcript", "transcript.txt", SAVE_FILTERS)
        if path:
            suffix = {"SubRip": ".srt", "WebVTT": ".vtt"}.get(chosen.split(" ")[0], ".txt")
            self.save_transcript(Path(path) if Path(path).suffix else Path(path + suffix))

    def save_transcript(self, path: Path) -> None:
        """Write the final lines as text (said line, then its translation) or bilingual SRT/WebVTT. The text is
        taken now; the file is written off the GUI thread, then `transcript_saved` or `save_failed` follows."""
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in TEXT_FORMATS:
            self.save_failed.emit(f"cannot save as .{fmt}: name the file .txt, .srt or .vtt")
            return
        text = self.transcript.plain_text() + "\n" if fmt == "txt" else render_captions(self.transcript.captions(), fmt)
        self._background.run(
            "save-transcript", lambda: _write_transcript(path, text), self.transcript_saved.emit, self.save_failed.emit
        )


def _write_transcript(path: Path, text: str) -> Path:
    try:
        write_text_atomic(path, text)  # fsync'd: slow on some disks, so never on the GUI thread
    except OSError as error:  # a full disk or a read-only folder is the user's to fix, not a bug to log
        raise TranslatorError(f"cannot save the transcript to {path}: {error}") from error
    return path
