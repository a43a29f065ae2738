"""Starting and stopping live sessions and batches for the window, off the GUI thread.

Each controller owns at most one running job, tells the window its state through a signal, and turns
every failure into a one-line message. Models come from one shared `ModelCache`, so a second session
starts without loading again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from translator.audio.playback import AudioSink, SpeakerSink
from translator.audio.sources import AudioSource, FileSource, MicrophoneSource
from translator.cluster.address import ClusterAddress
from translator.cluster.driver import ClusterBatch, ClusterSettings
from translator.cluster.events import ClusterStarted, WorkerLost
from translator.cluster.worker import WorkerModels
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.batch_events import (
    FileFailed,
    FileFinished,
    FileProgress,
    FileSkipped,
    FileStarted,
    SegmentReady,
)
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import LiveSettings
from ui.bridge import Background, CoreBridge

NO_VOICE_HINT = "choose a voice in Settings, or turn off spoken output"
_STATS_INTERVAL_MS = 1000  # overflows and drops show up even while nobody speaks


class State(str, Enum):
    IDLE = "idle"
    LOADING = "loading"
    RUNNING = "running"
    STOPPING = "stopping"


@dataclass(frozen=True)
class LiveRequest:
    """Everything a live session needs: models, what it does, and which sound devices it uses.

    input_device / output_device: a device name, or None for the system default.
    loopback: record what the computer plays instead of a microphone.
    input_file: an audio file played in real time as the input instead of a device (the session ends with it).
    speech: speak the translation; False shows text only.
    """

    config: AppConfig
    settings: LiveSettings
    input_device: str | None = None
    loopback: bool = False
    input_file: Path | None = None
    output_device: str | None = None
    speech: bool = True

    @property
    def targets(self) -> list[Language]:
        if self.settings.conversation:
            return list(self.settings.conversation)
        assert self.settings.target is not None
        return [self.settings.target]


class LiveController(QObject):
    """One live session at a time: `start(request)`, `press()`/`release()`, `stop()`.

    notice(text): something the user should know about the session that started (a language no voice speaks).
    """

    state_changed = Signal(str)
    failed = Signal(str)
    notice = Signal(str)

    def __init__(self, bridge: CoreBridge, cache: ModelCache, background: Background) -> None:
        super().__init__()
        self._bridge, self._cache, self._background = bridge, cache, background
        self.state = State.IDLE
        self._engine: LiveTranslator | None = None
        self._cancelled = False
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(_STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._publish_stats)
        bridge.live_stopped.connect(self._on_engine_stopped)

    def start(self, request: LiveRequest) -> None:
        if self.state is not State.IDLE:
            return
        self._cancelled = False
        self._set_state(State.LOADING)
        self._background.run("live-start", lambda: self._open(request), self._on_opened, self._on_start_failed)

    def _open(self, request: LiveRequest) -> LiveTranslator | None:
        models = self._cache.load(
            request.config, request.targets, request.speech, 1, NO_VOICE_HINT, text_only_without_voice=True
        )
        if models.unspoken:  # emitted from this worker thread: queued to the window
            self.notice.emit(f"{_unspoken_text(models.unspoken)}: the translation is shown, not spoken.")
        source: AudioSource = (
            FileSource(request.input_file)
            if request.input_file is not None
            else MicrophoneSource(request.input_device, loopback=request.loopback)
        )
        speech = request.speech and not models.unspoken
        sink: AudioSink | None = SpeakerSink(request.output_device) if speech else None
        engine = LiveTranslator(
            models.recognizer,
            models.translator,
            models.voices,
            source,
            sink,
            request.settings,
            self._bridge.on_live_event,
        )
        try:
            engine.start()
        except BaseException:
            engine.stop(timeout=2.0)
            raise
        if self._cancelled:  # stopped, or the window closed, while the models loaded
            engine.stop()
            return None
        return engine

    def _on_opened(self, engine: LiveTranslator | None) -> None:
        if engine is None:
            self._set_state(State.IDLE)
            return
        self._engine = engine
        self._set_state(State.RUNNING)
        self._stats_timer.start()

    def _on_start_failed(self, message: str) -> None:
        self._set_state(State.IDLE)
        self.failed.emit(message)

    @property
    def engine(self) -> LiveTranslator | None:
        """The running session's engine (None unless running), whose output typed text may share."""
        return self._engine if self.state is State.RUNNING else None

    def press(self) -> None:
        if self._engine is not None and self.state is State.RUNNING:
            self._engine.press()

    def release(self) -> None:
        if self._engine is not None and self.state is State.RUNNING:
            self._engine.release()

    def stop(self) -> None:
        """Stop the session; while models load, the session is not started at all."""
        if self.state is State.LOADING:
            self._cancelled = True
            return
        engine = self._engine
        if engine is None or self.state is State.STOPPING:
            return
        self._set_state(State.STOPPING)
        self._stats_timer.stop()
        self._background.run("live-stop", engine.stop, lambda _: self._on_stopped(), self._on_start_failed)

    def _on_engine_stopped(self, reason: str) -> None:
        # A session can end by itself (a microphone unplugged, a stage failed): release its streams too.
        if self.state is State.RUNNING:
            self.stop()

    def _on_stopped(self) -> None:
        self._engine = None
        self._set_state(State.IDLE)

    def _publish_stats(self) -> None:
        if self._engine is not None:
            self._bridge.live_stats.emit(self._engine.stats())
            if self.state is State.RUNNING and self._engine.wait(0):  # a file input, translated to its end
                self.stop()

    def shutdown(self, timeout: float) -> None:
        """Stop now and wait (the window is closing)."""
        self._cancelled = True
        self._stats_timer.stop()
        self._background.wait(timeout)
        if self._engine is not None:
            self._engine.stop(timeout)
            self._engine = None
        self.state = State.IDLE

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state.value)


class _BatchCancel:
    """A cancel request that reaches the batch whichever comes first: the request (GUI thread) or the
    translator, made once the models have loaded (worker thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requested = False
        self._translator: BatchTranslator | ClusterBatch | None = None

    @property
    def requested(self) -> bool:
        with self._lock:
            return self._requested

    def attach(self, translator: BatchTranslator | ClusterBatch) -> None:
        with self._lock:
            self._translator = translator
            requested = self._requested
        if requested:
            translator.cancel()

    def request(self) -> None:
        with self._lock:
            self._requested = True
            translator = self._translator
        if translator is not None:
            translator.cancel()


class BatchController(QObject):
    """One batch at a time: `start()` translates the files, `cancel()` stops after writing nothing partial.

    notice(text): something the user should know about the batch (no speech track for a language no voice speaks).
    """

    state_changed = Signal(str)
    failed = Signal(str)
    notice = Signal(str)
    finished = Signal(object)  # BatchReport
    _models_loaded = Signal()  # from the worker; queued, so the state changes on the GUI thread

    def __init__(self, bridge: CoreBridge, cache: ModelCache, background: Background) -> None:
        super().__init__()
        self._bridge, self._cache, self._background = bridge, cache, background
        self.state = State.IDLE
        self._cancel: _BatchCancel | None = None  # the running batch's
        self._models_loaded.connect(self._on_models_loaded)

    def start(self, paths: list[Path], config: AppConfig, settings: BatchSettings, cluster: str | None = None) -> None:
        """Translate `paths` here, or on the Ray cluster at address `cluster`."""
        if self.state is not State.IDLE:
            return
        cancel = self._cancel = _BatchCancel()
        self._set_state(State.LOADING)

        def work() -> BatchReport:
            if cluster is not None:
                return self._run_on_cluster(paths, config, settings, cancel, cluster)
            return self._run(paths, config, settings, cancel)

        self._background.run("batch", work, self._on_done, self._on_failed)

    def _run_on_cluster(
        self, paths: list[Path], config: AppConfig, settings: BatchSettings, cancel: _BatchCancel, address: str
    ) -> BatchReport:
        """The worker thread's part on a cluster: its workers load the models, each once."""
        models = WorkerModels(config, text_only_without_voice=True, no_voice_hint="leave wav out of the formats")

        def on_event(event: object) -> None:
            if isinstance(event, ClusterStarted):
                self._models_loaded.emit()
                if event.unspoken:
                    self.notice.emit(f"No voice speaks {settings.target.name}: text and subtitles only, no speech.")
            elif isinstance(event, WorkerLost):
                again = "it is being translated again" if event.retried else "it failed"
                self.notice.emit(f"A cluster worker was lost on {event.path.name}; {again}.")
            elif isinstance(event, (FileStarted, FileProgress, SegmentReady, FileFinished, FileSkipped, FileFailed)):
                self._bridge.on_batch_event(event)

        batch = ClusterBatch(models, settings, ClusterSettings(ClusterAddress.parse(address)), on_event)
        cancel.attach(batch)
        return batch.run(paths).batch

    def _run(self, paths: list[Path], config: AppConfig, settings: BatchSettings, cancel: _BatchCancel) -> BatchReport:
        """The worker thread's part: it touches no attribute the GUI thread reads."""
        spoken_formats = {"wav", "video"}  # both need the voice: the video's main track is the dub
        speech = bool(spoken_formats & settings.formats)
        models = self._cache.load(
            config, [settings.target], speech, 5, "leave wav and video out of the formats", text_only_without_voice=True
        )
        if models.unspoken:
            if not settings.formats - spoken_formats:
                raise TranslatorError(f"{_unspoken_text(models.unspoken)}: choose a text or subtitle format too")
            settings = replace(settings, formats=settings.formats - spoken_formats)
            self.notice.emit(f"{_unspoken_text(models.unspoken)}: text and subtitles only, no speech track or video.")
        pipeline = Pipeline(models.recognizer, models.translator, models.voices.get(settings.target))
        translator = BatchTranslator(pipeline, settings, self._bridge.on_batch_event)
        cancel.attach(translator)
        self._models_loaded.emit()
        return translator.run(paths)

    def _on_models_loaded(self) -> None:
        if self.state is State.LOADING and self._cancel is not None and not self._cancel.requested:
            self._set_state(State.RUNNING)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.request()
        if self.state is State.RUNNING:
            self._set_state(State.STOPPING)

    def _on_done(self, report: BatchReport) -> None:
        self._cancel = None
        self._set_state(State.IDLE)
        self.finished.emit(report)

    def _on_failed(self, message: str) -> None:
        self._cancel = None
        self._set_state(State.IDLE)
        self.failed.emit(message)

    def shutdown(self, timeout: float) -> None:
        """Cancel and wait (the window is closing)."""
        self.cancel()
        self._background.wait(timeout)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state.value)


def _unspoken_text(languages: tuple[Language, ...]) -> str:
    return f"No voice speaks {' or '.join(language.name for language in languages)}"
