"""Live translation: a source's audio in, translated speech out, a moment after each utterance.

Four worker threads (`workers.Workers`), joined by bounded queues:

    capture (echo gate + VAD)  ->  recognition  ->  translation  ->  synthesis  ->  sink (speaker or file)

- Recognition runs three kinds of pass, in priority order: finals (an utterance has ended), speculative
  finals (silence has begun: the utterance so far is recognised while the VAD still waits, and the work
  is thrown away if speech resumes), and interim passes over the growing utterance, scheduled from their
  measured cost, never started while a final waits and stopped before decoding when one arrives
  (`live_schedule` chooses). Interim words are committed by local agreement.
- A speculative final ready before the end is confirmed is translated and its first piece of speech made
  and held, to play the moment the end is confirmed (`live_ahead`); speech then goes out piece by piece.
- Every utterance carries a timeline (`UtteranceTimeline`); stage times, queue waits, speech-to-speech
  latency and rolling p50/p95 are published through one event callback (`live_events`), which the GUI
  bridges to Qt. The sink's playback marks reach the engine through the listener it adds to the sink.

Never falling behind (the policy): when more than `recognition_backlog` ended utterances wait for
recognition, they are merged into one pass; an utterance whose speech ended more than `max_delay_s` ago
is not spoken (its text is still shown); and when fresh speech is ready while stale speech (older than
half that) is still playing, the stale audio is dropped. Each of these is reported as an event.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace

import numpy as np

from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import AudioSink
from translator.audio.schedule import PlaybackMark
from translator.audio.sources import AudioSource, EndOfStream
from translator.errors import StageError, TranslatorError, UnsupportedLanguageError
from translator.languages import Language
from translator.pipeline.live_ahead import ChainAhead, Spoken
from translator.pipeline.live_events import (
    FinalTranscript,
    InputLevel,
    LiveError,
    LiveEvent,
    LiveSettings,
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
from translator.pipeline.live_schedule import RecognitionPass, RecognitionSchedule, SessionCounts, Utterance
from translator.pipeline.timeline import RollingStats, UtteranceTimeline
from translator.pipeline.workers import END, StageQueue, Workers
from translator.stages.live_segmentation import LiveSegmenter, SegmentEvent, UtteranceStarted
from translator.stages.recognition import SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator
from translator.stages.whisper_window import DecodeAbandoned

_POLL = 0.05  # how long capture waits for audio, and recognition for an interim pass to come due, between looks
_LEVEL_INTERVAL = 0.1  # input level events per second: 10
_CONFIDENT_DETECTION = 0.7  # an auto-detected language this sure is kept for the session


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
        for spoken, target in settings.translation_pairs():
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
        self._lock = threading.Condition()  # guards the schedule and the session's progress
        self._counts = SessionCounts()
        self._schedule = RecognitionSchedule(settings, self._counts, lambda ids: self._emit(UtterancesMerged(ids)))
        self._workers = Workers("live", on_failure=self._stage_failed)
        self._workers.wake_on_stop(self._lock)
        self._translation: StageQueue[Spoken] = self._workers.queue(16)
        self._synthesis: StageQueue[Spoken] = self._workers.queue(16)
        self._ahead = ChainAhead(self._lock, self._schedule, self._counts, translator, self.voices, sink)
        self._commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._release_lock = threading.Lock()
        self._playing: dict[int, tuple[Spoken, UtteranceTimeline]] = {}
        self._stats = RollingStats()
        self._dropped_seconds = 0.0
        self._gated_seconds = 0.0
        self._gate_until = 0.0
        self._source_ended = False
        self._stop_called = False
        self.error: LiveError | None = None
        if sink is not None:
            sink.add_mark_listener(self._on_playback)

    # Control, from the caller's thread.
    def start(self) -> None:
        """Open the source and sink and start the workers."""
        if self.sink is not None:
            self.sink.start()
        self.source.start()
        self._workers.start(
            [
                ("capture", self._capture),
                ("recognition", self._recognize),
                ("translation", self._translate),
                ("synthesis", self._synthesize),
            ]
        )
        self._emit(LiveStarted(self.source.name, self.sink.name if self.sink else None))

    def press(self) -> None:
        """Push-to-talk: the speaker starts."""
        self._commands.put("press")

    def release(self) -> None:
        """Push-to-talk: the speaker stops; the utterance is translated."""
        self._commands.put("release")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until a finite source has been fully translated and spoken, or the session stopped;
        False if `timeout` seconds passed first."""
        with self._lock:
            return self._lock.wait_for(self._all_done, timeout)

    def _all_done(self) -> bool:
        return self._workers.stopping or (self._source_ended and self._schedule.in_progress == 0)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker (joined within `timeout`), close the streams, and report `LiveStopped` once;
        safe to call twice."""
        with self._lock:
            already, self._stop_called = self._stop_called, True
        self._workers.stop(timeout)
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
    def _stage_failed(self, failure: StageError) -> None:
        """The first stage to fail (its traceback already logged) stops the session with an event naming it."""
        if self.error is None:
            self.error = LiveError(failure.stage, str(failure))
            self._emit(self.error)

    def _capture(self) -> None:
        last_level = 0.0
        while not self._workers.stopping:
            events: list[SegmentEvent] = []
            while not self._commands.empty():
                command = self._commands.get()
                events += self._segmenter.press() if command == "press" else self._segmenter.release()
            self._handle_segments(events, time.monotonic())
            try:
                block = self.source.read(_POLL)
            except EndOfStream:
                self._handle_segments(self._segmenter.finish(), time.monotonic())
                with self._lock:
                    self._source_ended = True
                    self._lock.notify_all()
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
            if self.settings.interim_results and now >= self._schedule.next_interim - 2 * _POLL:
                audio = None if self._segmenter.in_silence else self._segmenter.open_audio()
                with self._lock:
                    self._schedule.open_audio = audio
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
                self._schedule.apply(event, clock, now)
                self._lock.notify_all()
            if isinstance(event, UtteranceStarted):
                self._emit(SpeechStarted(event.utterance))
        self._release_finals()

    def _recognize(self) -> None:
        while not self._workers.stopping:
            with self._lock:
                job = self._schedule.next_pass()
                if job is None:
                    self._lock.wait(_POLL)
                    continue
                self._schedule.pass_started(job)
            started = time.monotonic()
            try:
                text, language = self._transcribe(job)
            except DecodeAbandoned:
                with self._lock:
                    self._schedule.pass_abandoned(job)
                continue
            finished = time.monotonic()
            with self._lock:
                interim = self._schedule.pass_finished(job, text, language, started, finished)
                self._lock.notify_all()
            if interim is not None:
                self._emit(interim)
            self._release_finals()

    def _transcribe(self, job: RecognitionPass) -> tuple[str, Language]:
        utterance, window = job.utterance, Window((SpeechChunk(0, job.audio),), job.audio)

        def proceed() -> bool:
            with self._lock:
                return self._schedule.still_wanted(job)

        language = utterance.language or self._language
        if language is None:
            candidates = self.settings.conversation or ()
            guess = self.recognizer.detect_language(window, candidates)
            language = guess.language
            if not candidates and guess.probability >= _CONFIDENT_DETECTION:
                self._language = language
            utterance.language = language
        # The text is all live speech needs, and a pass no longer wanted stops before decoding.
        segments = self.recognizer.transcribe(window, language, timestamps=False, proceed=proceed)
        text = " ".join(segment.text for segment in segments).strip()
        return text, language

    def _release_finals(self) -> None:
        """Hand finished utterances on in the order they were spoken (capture and recognition both
        call this; the release lock keeps their hand-overs in order)."""
        with self._release_lock:
            self._release_in_order()

    def _release_in_order(self) -> None:
        released: list[Spoken] = []
        done: list[Utterance] = []
        with self._lock:
            for utterance in self._schedule.take_recognised():
                assert utterance.text is not None and utterance.language is not None
                if not utterance.text:
                    done.append(utterance)
                    continue
                released.append(
                    Spoken(utterance, utterance.text, utterance.language, self._target_for(utterance.language))
                )
            ahead = self._schedule.speculate(self._target_for)
        for spoken in released:
            self._emit(FinalTranscript(spoken.utterance.ids[0], spoken.text, spoken.source, spoken.utterance.ids[1:]))
            self._translation.put(spoken)
        if ahead is not None:  # after the finals: the queues keep the spoken order
            self._translation.put(ChainAhead.item(*ahead))
        for utterance in done:
            self._finish(utterance, "", "", spoken=False)

    def _target_for(self, language: Language) -> Language:
        if self.settings.conversation:
            first, second = self.settings.conversation
            return second if language == first else first
        assert self.settings.target is not None
        return self.settings.target

    def _translate(self) -> None:
        while (item := self._translation.get()) is not END:
            if item.ahead is not None:
                ahead = self._ahead.translate(item, item.ahead)
                if ahead is not None:
                    self._synthesis.put(ahead)
                continue
            translated = self._ahead.adopt(item)  # translated ahead, or now
            if translated is None:
                item.utterance.timeline.translation_start = time.monotonic()
                translation = self.translator.translate([item.text], item.source, item.target)[0]
                item.utterance.timeline.translation_end = time.monotonic()
                translated = replace(item, translation=translation)
            self._emit(TranslationReady(item.utterance.ids[0], translated.translation, item.source, item.target))
            self._synthesis.put(translated)

    def _synthesize(self) -> None:
        while (item := self._synthesis.get()) is not END:
            if item.ahead is not None:
                self._ahead.synthesize(item, item.ahead)
                continue
            timeline = item.utterance.timeline
            if self.sink is None or not item.translation:
                self._finish(item.utterance, item.text, item.translation, spoken=False)
                continue
            age = time.monotonic() - (timeline.speech_end or time.monotonic())
            if age > self.settings.max_delay_s:
                self._counts.skipped += 1
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
            pieces = self._ahead.held_pieces(item)  # made ahead: the held piece plays now, the rest follows
            if pieces is None:
                timeline.synthesis_start = time.monotonic()
                pieces = self.voices[item.target].pieces(item.translation)
            for piece in pieces:
                handed = time.monotonic()  # noted before play(): the sink may time the first sample inside it
                timeline.first_audio = timeline.first_audio or handed
                timeline.first_queued = timeline.first_queued or handed
                self.sink.play(utterance_id, piece.samples, piece.sample_rate)
            timeline.synthesis_end = time.monotonic()
            self.sink.finish_utterance(utterance_id)

    def _on_playback(self, mark: PlaybackMark) -> None:
        """The sink's marks, from its forwarder thread (the engine listens from the start)."""
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

    def _finish(self, utterance: Utterance, text: str, translation: str, spoken: bool) -> None:
        self._stats.add(utterance.timeline)
        with self._lock:
            self._counts.utterances += 1
            self._schedule.in_progress -= 1
            self._lock.notify_all()  # wait() may be waiting for the last utterance
        self._emit(UtteranceDone(utterance.ids[0], text, translation, utterance.timeline, spoken))
        self._emit(self.stats())

    def stats(self) -> LiveStats:
        """The session's figures so far."""
        with self._lock:
            waiting = self._schedule.unrecognised
        return LiveStats(
            stages=self._stats.summary(),
            queue_depths={
                "recognition": waiting,
                "translation": self._translation.qsize(),
                "synthesis": self._synthesis.qsize(),
            },
            dropped_playback_seconds=self._dropped_seconds,
            input_overflows=self.source.overflows,
            output_underflows=self.sink.underflows if self.sink else 0,
            gated_seconds=self._gated_seconds,
            **asdict(self._counts),
        )
