"""Speaking typed text for the window, off the GUI thread, one text at a time in the order typed.

While a live session speaks, typed text goes through its models and its output, so the session's echo gate
treats it as its own speech and the two never talk over each other's marks. Otherwise the models come from
the window's `ModelCache` (loaded as a session with the same choices would load them) and the speech goes to
the chosen output device. Sentences show in the transcript and the latency panel through the bridge, like
spoken ones.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque

from PySide6.QtCore import QObject, Signal

from translator.audio.playback import SpeakerSink
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.live import LiveTranslator
from translator.pipeline.say import TypedSpeech, desktop_language
from ui.bridge import Background, CoreBridge
from ui.sessions import NO_VOICE_HINT, LiveController, State
from ui.speak_box import TypedText


class SpeakController(QObject):
    """`speak(config, typed)` queues a text; each is translated and spoken after the one before.

    failed(text): why a text could not be spoken. notice(text): what the user should know (no voice speaks
    the language, so the translation is only shown).
    """

    failed = Signal(str)
    notice = Signal(str)

    def __init__(self, bridge: CoreBridge, cache: ModelCache, background: Background, live: LiveController) -> None:
        super().__init__()
        self._bridge, self._cache, self._background, self._live = bridge, cache, background, live
        self._ids = itertools.count(-1, -1)  # never an id a live session gives its utterances
        self._waiting: deque[tuple[AppConfig, TypedText]] = deque()
        self._busy = False
        self._lock = threading.Lock()  # guards what the worker and the GUI thread both touch, below
        self._closing = False
        self._current: TypedSpeech | None = None
        self._session: tuple[LiveTranslator, TypedSpeech] | None = None
        live.state_changed.connect(self._live_state_changed)

    def speak(self, config: AppConfig, typed: TypedText) -> None:
        self._waiting.append((config, typed))
        self._next()

    def _next(self) -> None:
        if self._busy or not self._waiting or self._closing:
            return
        config, typed = self._waiting.popleft()
        # Bound to the session here, on the GUI thread, where the session's end is noticed: no race with it.
        session = self._session_speech()
        self._busy = True
        self._background.run("speak", lambda: self._say(config, typed, session), self._spoken, self._failed)

    def _session_speech(self) -> TypedSpeech | None:
        engine = self._live.engine
        if engine is None or engine.sink is None:
            return None
        with self._lock:
            if self._session is None or self._session[0] is not engine:
                speech = TypedSpeech(
                    engine.translator, engine.voices, engine.sink, self._bridge.on_live_event, self._ids
                )
                self._session = (engine, speech)
            return self._session[1]

    def _say(self, config: AppConfig, typed: TypedText, session: TypedSpeech | None) -> None:
        """The worker thread's part: through the session's output, or the cached models and a speaker of its own."""
        source, target = _languages(typed)
        if session is not None:
            self._run(session, typed.text, source, target)
            return
        models = self._cache.load(config, typed.targets, True, 1, NO_VOICE_HINT, text_only_without_voice=True)
        sink = SpeakerSink(typed.output_device) if target in models.voices else None
        speech = TypedSpeech(models.translator, models.voices, sink, self._bridge.on_live_event, self._ids)
        try:
            if sink is not None:
                sink.start()
            self._run(speech, typed.text, source, target)
        finally:
            if sink is not None:
                sink.stop()

    def _run(self, speech: TypedSpeech, text: str, source: Language, target: Language) -> None:
        with self._lock:
            if self._closing:
                return
            self._current = speech
        if not speech.speaks(target):  # emitted from the worker: queued to the window
            self.notice.emit(f"No voice speaks {target.name} here: the translation is shown, not spoken.")
        try:
            speech.say(text, source, target)
        finally:
            with self._lock:
                self._current = None

    def _spoken(self, _: None) -> None:
        self._busy = False
        self._next()

    def _failed(self, message: str) -> None:
        self._busy = False
        self.failed.emit(message)
        self._next()

    def _live_state_changed(self, state: str) -> None:
        if state in (State.STOPPING.value, State.IDLE.value):  # the session's output is going: stop using it
            with self._lock:
                session, self._session = self._session, None
            if session is not None:
                session[1].stop()

    def shutdown(self) -> None:
        """Stop speaking and forget what waits (the window is closing); the worker then ends promptly."""
        self._waiting.clear()
        with self._lock:
            self._closing = True
            speaking = [self._current] + ([self._session[1]] if self._session else [])
        for speech in speaking:
            if speech is not None:
                speech.stop()


def _languages(typed: TypedText) -> tuple[Language, Language]:
    """The typed text's languages: the one chosen, else the desktop's, for the text; the target must be chosen."""
    if typed.target is None:
        raise TranslatorError("Choose the language to translate into, then speak again.")
    source = typed.source or desktop_language()
    if source is None:
        raise TranslatorError("Choose the spoken language: typed text is read as that language.")
    return source, typed.target
