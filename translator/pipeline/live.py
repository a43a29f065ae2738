"""Live translation: a source's audio in, translated speech out, a moment after each utterance.

Four worker threads, joined by bounded queues:

    capture (echo gate + VAD)  ->  recognition  ->  translation  ->  synthesis  ->  sink (speaker or file)

- Recognition runs three kinds of pass, in priority order: finals (an utterance has ended), speculative
  finals (silence has begun: the utterance so far is recognised while the VAD still waits, and the work
  is thrown away if speech resumes), and interim passes over the growing utterance, scheduled from their
  measured cost and never started while a final waits. Interim words are committed by local agreement.
- Every utterance carries a timeline (`UtteranceTimeline`); stage times, queue waits, speech-to-speech
  latency and rolling p50/p95 are published through one event callback, which the GUI bridges to Qt.

Never falling behind (the policy): when more than `recognition_backlog` ended utterances wait for
recognition, they are merged into one pass; an utterance whose speech ended more than `max_delay_s` ago
is not spoken (its text is still shown); and when fresh speech is ready while stale speech (older than
half that) is still playing, the stale audio is dropped. Each of these is reported as an event.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import AudioSink, PlaybackMark
from translator.audio.sources import AudioSource, EndOfStream
from translator.errors import TranslatorError, UnsupportedLanguageError
from translator.languages import Language
from translator.pipeline.timeline import Percentiles, RollingStats, UtteranceTimeline
from translator.stages.interim import LocalAgreement
from translator.stages.live_segmentation import (
    LiveSegmenter,
    LiveSegmenterSettings,
    SegmentEvent,
    UtteranceEnded,
    UtterancePaused,
    UtteranceResumed,
    UtteranceStarted,
)
from translator.stages.recognition import SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

logger = logging.getLogger(__name__)
_POLL = 0.05  # how often a waiting worker looks at the stop flag
_LEVEL_INTERVAL = 0.1  # input level events per second: 10
_INTERIM_MIN_AUDIO = 0.5  # seconds of speech before the first interim pass is worth its cost
_CONFIDENT_DETECTION = 0.7  # an auto-detected language this sure is kept for the session


@dataclass(frozen=True)
class LiveSettings:
    """What the live session does.

    target: the language to translate into (one-way mode).
    source: the spoken language; None detects it (and keeps it once Whisper is confident).
    conversation: two languages: each utterance's language is detected among them and translated into
        the other, so two people can talk through one machine (target and source are then ignored).
    push_to_talk: utterances are marked with press()/release() instead of the VAD.
    interim_results: publish live captions while the person speaks.
    interim_interval_s: shortest time between interim passes (longer when passes are slow).
    interim_max_cost_s: a pass measured slower than this stops interim captions for the session: on a
        slow machine each would hold the recogniser from a final for that long.
    speculative_final: start the final recognition when silence begins.
    echo_gate: ignore the input while translated speech plays (off for headphones).
    echo_tail_ms: how long after playback the gate stays closed (room echo).
    max_delay_s: speech older than this is not spoken (see the module's policy).
    recognition_backlog: ended utterances allowed to wait for recognition before they are merged.
    """

    target: Language | None = None
    source: Language | None = None
    conversation: tuple[Language, Language] | None = None
    segmenter: LiveSegmenterSettings = field(default_factory=LiveSegmenterSettings)
    push_to_talk: bool = False
    interim_results: bool = True
    interim_interval_s: float = 0.6
    interim_max_cost_s: float = 1.2
    speculative_final: bool = True
    echo_gate: bool = True
    echo_tail_ms: int = 300
    max_delay_s: float = 8.0
    recognition_backlog: int = 2


# Events, published through the one callback.
@dataclass(frozen=True)
class LiveStarted:
    source: str
    sink: str | None


@dataclass(frozen=True)
class InputLevel:
    rms: float
    gated: bool


@dataclass(frozen=True)
class SpeechStarted:
    utterance: int


@dataclass(frozen=True)
class InterimTranscript:
    utterance: int
    committed: str
    tentative: str


@dataclass(frozen=True)
class FinalTranscript:
    utterance: int
    text: str
    language: Language
    merged: tuple[int, ...] = ()


@dataclass(frozen=True)
class TranslationReady:
    utterance: int
    text: str
    source_language: Language
    target_language: Language


@dataclass(frozen=True)
class UtterancesMerged:
    utterances: tuple[int, ...]


@dataclass(frozen=True)
class SynthesisSkipped:
    utterance: int
    reason: str


@dataclass(frozen=True)
class PlaybackDropped:
    seconds: float
    reason: str


@dataclass(frozen=True)
class UtteranceDone:
    """An utterance is through every stage it will go through."""

    utterance: int
    source_text: str
    translation: str
    timeline: UtteranceTimeline
    spoken: bool


@dataclass(frozen=True)
class LiveStats:
    """Rolling p50/p95 per stage, queue depths and what the backpressure policy did."""

    stages: dict[str, Percentiles]
    queue_depths: dict[str, int]
    utterances: int
    merged: int
    skipped: int
    dropped_playback_seconds: float
    speculative_used: int
    speculative_discarded: int
    input_overflows: int
    output_underflows: int
    gated_seconds: float


@dataclass(frozen=True)
class LiveError:
    stage: str
    message: str


@dataclass(frozen=True)
class LiveStopped:
    reason: str


LiveEvent = (
    LiveStarted
    | InputLevel
    | SpeechStarted
    | InterimTranscript
    | FinalTranscript
    | TranslationReady
    | UtterancesMerged
    | SynthesisSkipped
    | PlaybackDropped
    | UtteranceDone
    | LiveStats
    | LiveError
    | LiveStopped
)


@dataclass
class _Utterance:
    """An utterance between the segmenter and recognition; guarded by the engine's lock."""

    ids: tuple[int, ...]
    timeline: UtteranceTimeline
    version: int = 0  # bumped when speech resumes, which invalidates a speculative pass
    audio: np.ndarray | None = None  # frozen audio (paused or ended)
    ended: bool = False
    in_flight: int | None = None  # the version a running pass recognises
    text: str | None = None  # a finished pass over the current version
    language: Language | None = None
    agreement: LocalAgreement = field(default_factory=LocalAgreement)


@dataclass(frozen=True)
class _Spoken:
    """An utterance handed on from recognition: its text and languages."""

    utterance: _Utterance
    text: str
    source: Language
    target: Language
    translation: str = ""


class LiveTranslator:
    """Runs a live session: `start()`, then `press()`/`release()` in push-to-talk mode, `wait()` for a
    finite source, and `stop()`. Events reach `on_event` from worker threads."""

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        translator: TextTranslator,
        voices: Mapping[Language, SpeechSynthesizer],
        source: AudioSource,
        sink: AudioSink | None,
        settings: LiveSettings,
        on_event: Callable[[LiveEvent], None] = lambda event: None,
    ) -> None:
        if settings.conversation is None and settings.target is None:
            raise TranslatorError("live translation needs a target language, or two languages for conversation mode")
        pairs = (
            [(settings.conversation[0], settings.conversation[1]), (settings.conversation[1], settings.conversation[0])]
            if settings.conversation
            else [(settings.source, settings.target)]
        )
        for spoken, target in pairs:
            assert target is not None
            translator.check_pair(spoken, target)
            if sink is not None and target not in voices:
                raise UnsupportedLanguageError(f"no {target.name} voice loaded: add one, or run without speech output")
        self.recognizer = recognizer
        self.translator = translator
        self.voices = dict(voices)
        self.source = source
        self.sink = sink
        self.settings = settings
        self._emit = on_event
        self._segmenter = LiveSegmenter(settings.segmenter, settings.push_to_talk)
        self._language = settings.source if settings.conversation is None else None
        self._lock = threading.Condition()
        self._open: _Utterance | None = None  # the utterance being spoken
        self._open_audio: np.ndarray | None = None  # its audio so far, for interim passes
        self._waiting: deque[_Utterance] = deque()  # ended, in order, until their text is out
        self._next_interim = 0.0
        self._interim_cost = 0.0  # the last interim pass's measured time
        self._translation: queue.Queue[_Spoken] = queue.Queue(maxsize=16)
        self._synthesis: queue.Queue[_Spoken] = queue.Queue(maxsize=16)
        self._commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._release_lock = threading.Lock()
        self._playing: dict[int, tuple[_Spoken, UtteranceTimeline]] = {}
        self._stats = RollingStats()
        self._counters = {"utterances": 0, "merged": 0, "skipped": 0, "speculative_used": 0, "speculative_discarded": 0}
        self._dropped_seconds = 0.0
        self._gated_seconds = 0.0
        self._gate_until = 0.0
        self._in_progress = 0  # utterances started and not yet done
        self._stop = threading.Event()
        self._source_ended = threading.Event()
        self._threads: list[threading.Thread] = []
        self.error: LiveError | None = None

    # Control, from the caller's thread.
    def start(self) -> None:
        """Open the source and sink and start the workers."""
        if self.sink is not None:
            self.sink.start()
        self.source.start()
        work = [("capture", self._capture), ("recognition", self._recognize), ("translation", self._translate)]
        work.append(("synthesis", self._synthesize))
        self._threads = [threading.Thread(target=self._guard, args=w, name=f"live-{w[0]}", daemon=True) for w in work]
        for thread in self._threads:
            thread.start()
        self._emit(LiveStarted(self.source.name, self.sink.name if self.sink else None))

    def press(self) -> None:
        """Push-to-talk: the speaker starts."""
        self._commands.put("press")

    def release(self) -> None:
        """Push-to-talk: the speaker stops; the utterance is translated."""
        self._commands.put("release")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until a finite source has been fully translated and spoken, or the session stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            with self._lock:
                if self._source_ended.is_set() and self._in_progress == 0:
                    return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(_POLL)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker, close the streams, and report `LiveStopped` once; safe to call twice."""
        already = self._stop.is_set() and not self._threads
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self.source.stop()
        if self.sink is not None:
            try:
                self.sink.stop()
            except TranslatorError as error:  # e.g. the output file could not be written
                if self.error is None:
                    self.error = LiveError("playback", f"playback failed: {error}")
                    self._emit(self.error)
        if not already:
            self._emit(LiveStopped(self.error.message if self.error else "stopped"))

    # Workers.
    def _guard(self, stage: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # a failing stage stops the session with an event naming it
            logger.exception("live %s failed", stage)
            message = str(error) if isinstance(error, TranslatorError) else f"{type(error).__name__}: {error}"
            if self.error is None:
                self.error = LiveError(stage, f"{stage} failed: {message}")
                self._emit(self.error)
            self._stop.set()
            with self._lock:
                self._lock.notify_all()

    def _capture(self) -> None:
        last_level = 0.0
        while not self._stop.is_set():
            events: list[SegmentEvent] = []
            while not self._commands.empty():
                command = self._commands.get()
                events += self._segmenter.press() if command == "press" else self._segmenter.release()
            self._handle_segments(events, time.monotonic())
            try:
                block = self.source.read(_POLL)
            except EndOfStream:
                self._handle_segments(self._segmenter.finish(), time.monotonic())
                self._source_ended.set()
                return
            if block is None:
                continue
            now = time.monotonic()
            gated = self._gate_closed(now)
            if gated:
                self._gated_seconds += len(block) / SAMPLE_RATE
                block = np.zeros_like(block)
            if now - last_level >= _LEVEL_INTERVAL:
                last_level = now
                self._emit(InputLevel(float(np.sqrt(np.mean(block**2))) if len(block) else 0.0, gated))
            self._handle_segments(self._segmenter.push(block), now)
            # Copy the growing utterance only when an interim pass is nearly due, and offer none while
            # the speaker is silent: the utterance may be ending, and a pass then would delay its final.
            if self.settings.interim_results and now >= self._next_interim - 2 * _POLL:
                audio = None if self._segmenter.in_silence else self._segmenter.open_audio()
                with self._lock:
                    self._open_audio = audio
                    if audio is not None:
                        self._lock.notify_all()

    def _gate_closed(self, now: float) -> bool:
        if not self.settings.echo_gate or self.sink is None or not self.sink.audible:
            return False
        if self.sink.busy:
            self._gate_until = now + self.settings.echo_tail_ms / 1000
        return now < self._gate_until

    def _handle_segments(self, events: list[SegmentEvent], now: float) -> None:
        position = self._segmenter.position

        def clock(sample: int) -> float:
            return now - (position - sample) / SAMPLE_RATE

        for event in events:
            with self._lock:
                if isinstance(event, UtteranceStarted):
                    self._open = _Utterance((event.utterance,), UtteranceTimeline(event.utterance, clock(event.sample)))
                    self._in_progress += 1
                    self._next_interim = now + _INTERIM_MIN_AUDIO
                elif isinstance(event, UtterancePaused) and self._open is not None:
                    self._open.audio = event.audio
                    self._open.timeline.speech_end = clock(event.speech_end_sample)
                elif isinstance(event, UtteranceResumed) and self._open is not None:
                    if self._open.in_flight == self._open.version or self._open.text is not None:
                        self._counters["speculative_discarded"] += 1
                    self._open.version += 1
                    self._open.audio, self._open.text, self._open.timeline.speech_end = None, None, None
                elif isinstance(event, UtteranceEnded) and self._open is not None:
                    utterance = self._open
                    if utterance.audio is None or len(utterance.audio) != len(event.audio):
                        utterance.version += 1  # not the audio a speculative pass saw
                        utterance.text = None
                    utterance.audio, utterance.ended = event.audio, True
                    utterance.timeline.speech_end = clock(event.speech_end_sample)
                    utterance.timeline.end_confirmed = now if not event.forced else utterance.timeline.speech_end
                    self._waiting.append(utterance)
                    self._open, self._open_audio = None, None
                self._lock.notify_all()
            if isinstance(event, UtteranceStarted):
                self._emit(SpeechStarted(event.utterance))
        self._release_finals()

    def _recognize(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                job = self._next_job()
                if job is None:
                    self._lock.wait(_POLL)
                    continue
                kind, utterance, version, audio = job
                if kind != "interim":
                    utterance.in_flight = version
                    utterance.timeline.recognition_start = time.monotonic()
            started = time.monotonic()
            text, language = self._transcribe(utterance, audio)
            finished = time.monotonic()
            with self._lock:
                if kind == "interim":
                    self._interim_cost = finished - started
                    self._next_interim = finished + max(self.settings.interim_interval_s, 1.5 * self._interim_cost)
                    if utterance is self._open:
                        committed, tentative = utterance.agreement.update(text)
                        interim = InterimTranscript(utterance.ids[0], committed, tentative)
                    else:
                        interim = None
                else:
                    utterance.in_flight = None
                    interim = None
                    if version == utterance.version:
                        utterance.text, utterance.language = text, language
                        utterance.timeline.recognition_end = finished
                self._lock.notify_all()
            if interim is not None:
                self._emit(interim)
            self._release_finals()

    def _next_job(self) -> tuple[str, _Utterance, int, np.ndarray] | None:
        """The most urgent recognition pass (caller holds the lock): finals, speculative, interim."""
        pending = [u for u in self._waiting if u.text is None and u.in_flight != u.version]
        if len(pending) > self.settings.recognition_backlog:
            self._merge(pending)
            pending = [u for u in self._waiting if u.text is None and u.in_flight != u.version]
        if pending:
            utterance = pending[0]
            assert utterance.audio is not None
            return "final", utterance, utterance.version, utterance.audio
        if any(u.text is None for u in self._waiting):
            return None  # a final is in flight: no other pass may delay it
        speaking = self._open
        if speaking is None:
            return None
        if self.settings.speculative_final and speaking.audio is not None:
            if speaking.text is None and speaking.in_flight != speaking.version:
                return "speculative", speaking, speaking.version, speaking.audio
            return None
        audio = self._open_audio
        if (
            self.settings.interim_results
            and self._interim_cost <= self.settings.interim_max_cost_s
            and audio is not None
            and len(audio) >= _INTERIM_MIN_AUDIO * SAMPLE_RATE
            and time.monotonic() >= self._next_interim
        ):
            return "interim", speaking, speaking.version, audio
        return None

    def _merge(self, pending: list[_Utterance]) -> None:
        """Backpressure: recognise the waiting utterances as one (caller holds the lock)."""
        first, rest = pending[0], pending[1:]
        parts = [u.audio for u in pending if u.audio is not None]
        first.audio = np.concatenate(parts)
        first.ids = tuple(i for u in pending for i in u.ids)
        first.version += 1
        first.timeline.speech_end = rest[-1].timeline.speech_end
        first.timeline.end_confirmed = rest[-1].timeline.end_confirmed
        for utterance in rest:
            self._waiting.remove(utterance)
            self._in_progress -= 1
        self._counters["merged"] += len(rest)
        self._emit(UtterancesMerged(first.ids))

    def _transcribe(self, utterance: _Utterance, audio: np.ndarray) -> tuple[str, Language]:
        window = Window((SpeechChunk(0, audio),), audio)
        language = utterance.language or self._language
        if language is None:
            candidates = self.settings.conversation or ()
            guess = self.recognizer.detect_language(window, candidates)
            language = guess.language
            if not candidates and guess.probability >= _CONFIDENT_DETECTION:
                self._language = language
            utterance.language = language
        text = " ".join(segment.text for segment in self.recognizer.transcribe(window, language)).strip()
        return text, language

    def _release_finals(self) -> None:
        """Hand finished utterances on in the order they were spoken (capture and recognition both
        call this; the release lock keeps their hand-overs in order)."""
        with self._release_lock:
            self._release_in_order()

    def _release_in_order(self) -> None:
        released: list[_Spoken] = []
        done: list[_Utterance] = []
        with self._lock:
            while self._waiting and self._waiting[0].text is not None:
                utterance = self._waiting.popleft()
                assert utterance.text is not None and utterance.language is not None
                if utterance.timeline.hidden_wait:  # its final pass began before the end was confirmed
                    self._counters["speculative_used"] += 1
                if not utterance.text:
                    done.append(utterance)
                    continue
                released.append(
                    _Spoken(utterance, utterance.text, utterance.language, self._target_for(utterance.language))
                )
        for spoken in released:
            self._emit(FinalTranscript(spoken.utterance.ids[0], spoken.text, spoken.source, spoken.utterance.ids[1:]))
            self._put(self._translation, spoken)
        for utterance in done:
            self._finish(utterance, "", "", spoken=False)

    def _target_for(self, language: Language) -> Language:
        if self.settings.conversation:
            first, second = self.settings.conversation
            return second if language == first else first
        assert self.settings.target is not None
        return self.settings.target

    def _put(self, target: queue.Queue[_Spoken], item: _Spoken) -> None:
        while not self._stop.is_set():
            try:
                target.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def _get(self, source: queue.Queue[_Spoken]) -> _Spoken | None:
        try:
            return source.get(timeout=_POLL)
        except queue.Empty:
            return None

    def _translate(self) -> None:
        while not self._stop.is_set():
            item = self._get(self._translation)
            if item is None:
                continue
            timeline = item.utterance.timeline
            timeline.translation_start = time.monotonic()
            translation = self.translator.translate([item.text], item.source, item.target)[0]
            timeline.translation_end = time.monotonic()
            self._emit(TranslationReady(item.utterance.ids[0], translation, item.source, item.target))
            self._put(self._synthesis, replace(item, translation=translation))

    def _synthesize(self) -> None:
        while not self._stop.is_set():
            item = self._get(self._synthesis)
            if item is None:
                continue
            timeline = item.utterance.timeline
            if self.sink is None or not item.translation:
                self._finish(item.utterance, item.text, item.translation, spoken=False)
                continue
            age = time.monotonic() - (timeline.speech_end or time.monotonic())
            if age > self.settings.max_delay_s:
                self._counters["skipped"] += 1
                self._emit(SynthesisSkipped(item.utterance.ids[0], f"{age:.1f} s behind: not spoken, to catch up"))
                self._finish(item.utterance, item.text, item.translation, spoken=False)
                continue
            if self.sink.busy and age > self.settings.max_delay_s / 2:
                dropped = self.sink.drop_queued()
                if dropped > 0:
                    self._dropped_seconds += dropped
                    self._emit(PlaybackDropped(dropped, "stale speech cut short so fresh speech plays sooner"))
            utterance_id = item.utterance.ids[0]
            self._playing[utterance_id] = (item, timeline)
            timeline.synthesis_start = time.monotonic()
            for sentence in self.voices[item.target].sentences(item.translation):
                if timeline.first_audio is None:
                    timeline.first_audio = time.monotonic()
                self.sink.play(utterance_id, sentence.samples, sentence.sample_rate)
            timeline.synthesis_end = time.monotonic()
            self.sink.finish_utterance(utterance_id)

    def on_playback(self, mark: PlaybackMark) -> None:
        """The sink's marks: pass this method as the sink's `on_mark`."""
        entry = self._playing.get(mark.utterance_id)
        if entry is None:
            return
        item, timeline = entry
        if mark.kind == "started":
            timeline.first_played = mark.time
            return
        timeline.playback_end = mark.time
        del self._playing[mark.utterance_id]
        self._finish(item.utterance, item.text, item.translation, spoken=timeline.first_played is not None)

    def _finish(self, utterance: _Utterance, text: str, translation: str, spoken: bool) -> None:
        self._stats.add(utterance.timeline)
        with self._lock:
            self._counters["utterances"] += 1
            self._in_progress -= 1
        self._emit(UtteranceDone(utterance.ids[0], text, translation, utterance.timeline, spoken))
        self._emit(self.stats())

    def stats(self) -> LiveStats:
        """The session's figures so far."""
        with self._lock:
            waiting = sum(1 for u in self._waiting if u.text is None)
        return LiveStats(
            stages=self._stats.summary(),
            queue_depths={
                "recognition": waiting,
                "translation": self._translation.qsize(),
                "synthesis": self._synthesis.qsize(),
            },
            utterances=self._counters["utterances"],
            merged=self._counters["merged"],
            skipped=self._counters["skipped"],
            dropped_playback_seconds=self._dropped_seconds,
            speculative_used=self._counters["speculative_used"],
            speculative_discarded=self._counters["speculative_discarded"],
            input_overflows=self.source.overflows,
            output_underflows=self.sink.underflows if self.sink else 0,
            gated_seconds=self._gated_seconds,
        )
