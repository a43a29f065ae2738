"""Starting and stopping live sessions and batches for the window, off the GUI thread.

Each controller owns at most one running job, tells the window its state through a signal, and turns
every failure into a one-line message. Models come from one shared `ModelCache`, so a second session
starts without loading again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from translator.audio.playback import AudioSink, PlaybackMark, SpeakerSink
from translator.audio.sources import MicrophoneSource
from translator.config import AppConfig
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.live import LiveSettings, LiveTranslator
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
    speech: speak the translation; False shows text only.
    """

    config: AppConfig
    settings: LiveSettings
    input_device: str | None = None
    loopback: bool = False
    output_device: str | None = None
    speech: bool = True

    @property
    def targets(self) -> list[Language]:
        if self.settings.conversation:
            return list(self.settings.conversation)
        assert self.settings.target is not None
        return [self.settings.target]


class LiveController(QObject):
    """One live session at a time: `start(request)`, `press()`/`release()`, `stop()`."""

    state_changed = Signal(str)
    failed = Signal(str)

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
        models = self._cache.load(request.config, request.targets, request.speech, 1, NO_VOICE_HINT)
        engines: list[LiveTranslator] = []

        def on_mark(mark: PlaybackMark) -> None:
            if engines:
                engines[0].on_playback(mark)

        source = MicrophoneSource(request.input_device, loopback=request.loopback)
        sink: AudioSink | None = SpeakerSink(request.output_device, on_mark=on_mark) if request.speech else None
        engine = LiveTranslator(
            models.recognizer,
            models.translator,
            models.voices,
            source,
            sink,
            request.settings,
            self._bridge.on_live_event,
        )
        engines.append(engine)
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


class BatchController(QObject):
    """One batch at a time: `start()` translates the files, `cancel()` stops after writing nothing partial."""

    state_changed = Signal(str)
    failed = Signal(str)
    finished = Signal(object)  # BatchReport

    def __init__(self, bridge: CoreBridge, cache: ModelCache, background: Background) -> None:
        super().__init__()
        self._bridge, self._cache, self._background = bridge, cache, background
        self.state = State.IDLE
        self._translator: BatchTranslator | None = None
        self._cancelled = False

    def start(self, paths: list[Path], config: AppConfig, settings: BatchSettings) -> None:
        if self.state is not State.IDLE:
            return
        self._cancelled = False
        self._set_state(State.LOADING)
        self._background.run("batch", lambda: self._run(paths, config, settings), self._on_done, self._on_failed)

    def _run(self, paths: list[Path], config: AppConfig, settings: BatchSettings) -> BatchReport:
        speech = "wav" in settings.formats
        models = self._cache.load(config, [settings.target], speech, 5, "leave wav out of the formats")
        pipeline = Pipeline(models.recognizer, models.translator, models.voices.get(settings.target))
        translator = BatchTranslator(pipeline, settings, self._bridge.on_batch_event)
        self._translator = translator
        if self._cancelled:
            translator.cancel()
        else:
            self.state = State.RUNNING
            self.state_changed.emit(State.RUNNING.value)  # queued to the GUI thread like every signal
        return translator.run(paths)

    def cancel(self) -> None:
        self._cancelled = True
        if self._translator is not None:
            self._translator.cancel()
            self._set_state(State.STOPPING)

    def _on_done(self, report: BatchReport) -> None:
        self._translator = None
        self._set_state(State.IDLE)
        self.finished.emit(report)

    def _on_failed(self, message: str) -> None:
        self._translator = None
        self._set_state(State.IDLE)
        self.failed.emit(message)

    def shutdown(self, timeout: float) -> None:
        """Cancel and wait (the window is closing)."""
        self.cancel()
        self._background.wait(timeout)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state.value)
