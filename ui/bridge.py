"""The one place core events become Qt signals, and the helper that runs core work off the GUI thread.

Core callbacks arrive on worker threads; a signal emitted there is queued to the GUI thread, so a slot
always runs where widgets may be touched. Widgets never see core callbacks, queues or threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from translator.errors import Remedy, TranslatorError
from translator.models.hub import DownloadEvent, DownloadStarted, ModelInstalled
from translator.models.hub import FileProgress as DownloadProgress
from translator.models.loading import LoadEvent, ModelLoaded, ModelLoading
from translator.pipeline.batch_events import Event as BatchEvent
from translator.pipeline.batch_events import FileFailed, FileFinished, FileProgress, FileSkipped, FileStarted
from translator.pipeline.live_events import (
    FinalTranscript,
    InputLevel,
    InterimTranscript,
    LiveError,
    LiveEvent,
    LiveStarted,
    LiveStats,
    LiveStopped,
    PlaybackDropped,
    SpeechStarted,
    SynthesisSkipped,
    TranslationReady,
    UtteranceDone,
    UtterancesMerged,
)

logger = logging.getLogger(__name__)

STAGE_NAMES = {"recognition": "speech recognition", "translation": "translation", "synthesis": "voice"}


# The core's remedies in the window's terms; a remedy with no control here (speech written to a file) adds nothing.
_REMEDY_WORDING = {
    Remedy.LIST_DEVICES: ": choose one from the Live tab's device lists (the refresh button finds new ones)",
    Remedy.INPUT_FROM_FILE: ", or play an audio file as the input (File… beside the Live tab's input)",
    Remedy.RUN_ON_CPU: ", or choose CPU in Settings",
    Remedy.REAL_MODELS: ": choose real models in Settings (a profile, then Choose for the Live languages)",
    Remedy.ANOTHER_MODEL_ID: ": rename its folder (or voice file), then import it again",
}


def describe_error(error: BaseException) -> str:
    """One line for the user: a core error's own message, or a short note for a bug (logged in full)."""
    if isinstance(error, TranslatorError):
        return f"{error}{_REMEDY_WORDING.get(error.remedy, '')}" if error.remedy else str(error)
    logger.error("unexpected error", exc_info=error)
    return f"unexpected {type(error).__name__}: {error} (details in the log; please report it)"


class CoreBridge(QObject):
    """Turns core events (live, batch, model loading) into signals, whatever thread they come from."""

    live_started = Signal(str, str)  # source name, sink name ("" without speech)
    input_level = Signal(float, bool)  # rms, echo-gated
    speech_started = Signal(int)
    interim_text = Signal(int, str, str)  # utterance, committed words, tentative words
    final_text = Signal(int, str, str, object)  # utterance, text, language code, merged utterance ids
    translation_ready = Signal(int, str)
    utterance_done = Signal(object)  # UtteranceDone
    live_stats = Signal(object)  # LiveStats
    live_notice = Signal(str)  # the backpressure policy acted: merged, not spoken, playback dropped
    live_error = Signal(str, str)  # stage, message
    live_stopped = Signal(str)

    file_started = Signal(object, int, int, float)  # path, index, total, duration
    file_progress = Signal(object, float, float)  # path, position, duration
    file_finished = Signal(object)  # FileResult
    file_skipped = Signal(object, str)
    file_failed = Signal(object, str)

    download_started = Signal(str, int, object)  # model id, files, total bytes (None: unknown)
    download_progress = Signal(str, str, int, object)  # model id, file name, bytes received, file size
    model_installed = Signal(str, str)  # model id, path

    model_loading = Signal(str, str)  # stage, path
    model_loaded = Signal(str, str, float)  # stage, path, seconds

    def on_live_event(self, event: LiveEvent) -> None:
        """The `on_event` callback of a `LiveTranslator`."""
        if isinstance(event, InputLevel):
            self.input_level.emit(event.rms, event.gated)
        elif isinstance(event, InterimTranscript):
            self.interim_text.emit(event.utterance, event.committed, event.tentative)
        elif isinstance(event, SpeechStarted):
            self.speech_started.emit(event.utterance)
        elif isinstance(event, FinalTranscript):
            self.final_text.emit(event.utterance, event.text, event.language.code, event.merged)
        elif isinstance(event, TranslationReady):
            self.translation_ready.emit(event.utterance, event.text)
        elif isinstance(event, UtteranceDone):
            self.utterance_done.emit(event)
        elif isinstance(event, LiveStats):
            self.live_stats.emit(event)
        elif isinstance(event, UtterancesMerged):
            ids = ", ".join(f"#{utterance}" for utterance in event.utterances)
            self.live_notice.emit(f"falling behind: {ids} recognised together")
        elif isinstance(event, SynthesisSkipped):
            self.live_notice.emit(f"#{event.utterance} not spoken: {event.reason}")
        elif isinstance(event, PlaybackDropped):
            self.live_notice.emit(f"{event.reason} ({event.seconds:.1f} s of speech dropped)")
        elif isinstance(event, LiveStarted):
            self.live_started.emit(event.source, event.sink or "")
        elif isinstance(event, LiveError):
            self.live_error.emit(event.stage, event.message)
        elif isinstance(event, LiveStopped):
            self.live_stopped.emit(event.reason)

    def on_batch_event(self, event: BatchEvent) -> None:
        """The `on_event` callback of a `BatchTranslator`."""
        if isinstance(event, FileProgress):
            self.file_progress.emit(event.path, event.position, event.duration)
        elif isinstance(event, FileStarted):
            self.file_started.emit(event.path, event.index, event.total, event.duration)
        elif isinstance(event, FileFinished):
            self.file_finished.emit(event.result)
        elif isinstance(event, FileSkipped):
            self.file_skipped.emit(event.path, event.reason)
        elif isinstance(event, FileFailed):
            self.file_failed.emit(event.path, event.message)

    def on_download_event(self, event: DownloadEvent) -> None:
        """The `on_event` callback of `ModelStore.download`."""
        if isinstance(event, DownloadProgress):
            self.download_progress.emit(event.model_id, event.name, event.received, event.total)
        elif isinstance(event, DownloadStarted):
            self.download_started.emit(event.model_id, event.files, event.total_bytes)
        elif isinstance(event, ModelInstalled):
            self.model_installed.emit(event.model_id, str(event.path))

    def on_load_event(self, event: LoadEvent) -> None:
        """The `on_event` callback of a `ModelCache`."""
        if isinstance(event, ModelLoading):
            self.model_loading.emit(event.stage, str(event.path))
        elif isinstance(event, ModelLoaded):
            self.model_loaded.emit(event.stage, str(event.path), event.seconds)


class Background(QObject):
    """Runs a function on a worker thread and hands its result, or its error as one line, back to the
    GUI thread. `wait()` joins what is still running (for closing the window)."""

    _finished = Signal(object, object)  # callback, argument

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: set[threading.Thread] = set()
        self._finished.connect(lambda callback, argument: callback(argument))

    def run(
        self,
        name: str,
        work: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None],
    ) -> None:
        def target() -> None:
            try:
                result = work()
            except BaseException as error:  # every failure must reach the window as a message
                self._finished.emit(on_error, describe_error(error))
            else:
                self._finished.emit(on_result, result)
            finally:
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=f"ui-{name}", daemon=True)
        self._threads.add(thread)
        thread.start()

    @property
    def busy(self) -> bool:
        return bool(self._threads)

    def wait(self, timeout: float) -> bool:
        """Join the running work; False if some is still running after `timeout` seconds."""
        for thread in list(self._threads):
            thread.join(timeout)
        return not self._threads
