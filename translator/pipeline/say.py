"""Type to speak: text in one language, heard in another, sentence by sentence as each is ready.

Two worker threads (`workers.Workers`), joined by bounded queues, after the sentences are split:

    sentences (sentencex)  ->  translation  ->  synthesis  ->  sink (speaker or file)

A pasted paragraph becomes several sentences; while the first one plays, the next is translated and
synthesised, so the first sound comes after one sentence's work, not the paragraph's. Synthesis runs at most
`SENTENCES_AHEAD` sentences ahead of what has been heard, so a long paste neither fills memory nor plays on
long after a stop.

Each sentence carries an `UtteranceTimeline` whose end of speech is the moment the text was handed in (no
end-of-speech wait: nothing was spoken), so live mode's figures apply unchanged: translation, synthesis to
the first audio, playback wait, and `speech_to_speech`, which here is text to speech. The events are live
mode's own (`FinalTranscript`, `TranslationReady`, `UtteranceDone`), so the window shows typed sentences in
its transcript and latency panel like spoken ones, and one sink can carry both while a live session runs.
"""

from __future__ import annotations

import itertools
import locale
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sentencex

from translator.audio.devices import AudioDeviceError
from translator.audio.files import WavTrackWriter
from translator.audio.playback import AudioSink
from translator.audio.schedule import MarkForwarder, PlaybackMark
from translator.audio.sources import resample
from translator.errors import TranslatorError
from translator.files import ensure_writable_folder
from translator.languages import Language, UnknownLanguageError, find_language
from translator.pipeline.live_events import FinalTranscript, LiveEvent, TranslationReady, UtteranceDone
from translator.pipeline.timeline import UtteranceTimeline
from translator.pipeline.workers import END, StageQueue, Workers
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

SENTENCES_AHEAD = 2  # sentences synthesised and queued to the sink but not yet heard, at most
_STOP_SECONDS = 5.0


def split_sentences(text: str, language: Language) -> list[str]:
    """The sentences of `text`, each stripped, by the conventions of `language` (sentencex, from Wikimedia:
    "Dr." or "z.B." end no sentence); whitespace and blank lines between them are dropped."""
    return [sentence.strip() for sentence in sentencex.segment(language.code, text) if sentence.strip()]


def desktop_language() -> Language | None:
    """The language this desktop is set to, the likeliest for a person to type in: the locale's (`LANGUAGE`,
    `LC_ALL`, `LC_MESSAGES`, `LANG`; on Windows the system's); None for the C/POSIX locale or a language the
    table does not know."""
    names = [os.environ.get(name, "") for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    if sys.platform == "win32":  # Python reads C.UTF-8 as en_US elsewhere, so only Windows asks the system
        names.append(locale.getlocale()[0] or "")
    for name in names:
        code = name.split(":")[0].split(".")[0].split("@")[0]
        if code and code not in ("C", "POSIX"):
            try:
                return find_language(code)
            except UnknownLanguageError:
                continue
    return None


@dataclass
class _Sentence:
    utterance: int
    text: str
    timeline: UtteranceTimeline
    translation: str = ""


class TypedSpeech:
    """Translates typed text and speaks it through `sink`: `say(text, source, target)` returns once every
    sentence has been heard (or `stop()` was called). One instance serves many `say` calls on one sink, one
    at a time; events reach `on_event` from worker threads.

    voices: a voice per language it may speak; a target without one, or no sink, is translated, not spoken.
    ids: the utterance ids the sentences take (1, 2, 3, ... by default); a caller sharing the sink with a
        live session passes ids of its own (negative ones) so that neither takes the other's marks.
    """

    def __init__(
        self,
        translator: TextTranslator,
        voices: Mapping[Language, SpeechSynthesizer],
        sink: AudioSink | None,
        on_event: Callable[[LiveEvent], None] = lambda event: None,
        ids: Iterator[int] | None = None,
    ) -> None:
        self.translator = translator
        self.voices = dict(voices)
        self.sink = sink
        self._emit = on_event
        self._ids = ids or itertools.count(1)
        self._lock = threading.Condition()
        self._unheard: dict[int, _Sentence] = {}  # queued to the sink, its last sample not yet heard
        self._done: list[UtteranceDone] = []
        self._workers: Workers | None = None
        self._stopped = False
        if sink is not None:
            sink.add_mark_listener(self._on_playback)

    def speaks(self, target: Language) -> bool:
        """Whether text translated into `target` is spoken (a sink, and a voice for it), not only shown."""
        return self.sink is not None and target in self.voices

    def say(self, text: str, source: Language, target: Language) -> list[UtteranceDone]:
        """Translate `text` from `source` into `target` and speak it sentence by sentence; returns each
        sentence's result, in order, once the last has been heard. Raises `TranslatorError` for a pair the
        model cannot translate or nothing to say, and the failing stage's `StageError`."""
        handed_in = time.monotonic()
        self.translator.check_pair(source, target)
        sentences = [
            _Sentence(utterance, part, UtteranceTimeline(utterance, speech_end=handed_in))
            for part, utterance in zip(split_sentences(text, source), self._ids)
        ]
        if not sentences:
            raise TranslatorError("nothing to say: type a sentence first")
        workers = Workers("say", subject="typed text")
        workers.wake_on_stop(self._lock)
        with self._lock:
            if self._stopped:
                return []
            self._workers, self._done = workers, []
        to_translate: StageQueue[_Sentence] = workers.queue(len(sentences) + 1)
        to_speak: StageQueue[_Sentence] = workers.queue(len(sentences) + 1)
        for sentence in sentences:
            to_translate.put(sentence)
        to_translate.put(END)

        def translate() -> None:
            while (sentence := to_translate.get()) is not END:
                sentence.timeline.translation_start = time.monotonic()
                sentence.translation = self.translator.translate([sentence.text], source, target)[0]
                sentence.timeline.translation_end = time.monotonic()
                self._emit(FinalTranscript(sentence.utterance, sentence.text, source))
                self._emit(TranslationReady(sentence.utterance, sentence.translation, source, target))
                to_speak.put(sentence)
            to_speak.put(END)

        def synthesize() -> None:
            while (sentence := to_speak.get()) is not END:
                if not self.speaks(target) or not sentence.translation:
                    self._finish(sentence, spoken=False)
                else:
                    self._speak(sentence, self.voices[target], workers)

        workers.start([("translation", translate), ("synthesis", synthesize)])
        try:
            with self._lock:
                self._lock.wait_for(lambda: len(self._done) == len(sentences) or workers.stopping)
                done = list(self._done)
        finally:
            workers.stop(_STOP_SECONDS)
        if workers.error is not None:
            raise workers.error
        return done

    def _speak(self, sentence: _Sentence, voice: SpeechSynthesizer, workers: Workers) -> None:
        """Synthesise one sentence into the sink, once fewer than `SENTENCES_AHEAD` wait to be heard."""
        assert self.sink is not None
        timeline = sentence.timeline
        with self._lock:
            self._lock.wait_for(lambda: len(self._unheard) < SENTENCES_AHEAD or workers.stopping)
            if workers.stopping:
                return
            self._unheard[sentence.utterance] = sentence
        timeline.synthesis_start = time.monotonic()
        for piece in voice.pieces(sentence.translation):
            handed = time.monotonic()  # noted before play(): the sink may time the first sample inside it
            timeline.first_audio = timeline.first_audio or handed
            timeline.first_queued = timeline.first_queued or handed
            self.sink.play(sentence.utterance, piece.samples, piece.sample_rate)
        timeline.synthesis_end = time.monotonic()
        self.sink.finish_utterance(sentence.utterance)

    def _on_playback(self, mark: PlaybackMark) -> None:
        """The sink's marks, from its forwarder thread; marks of other utterances (a live session's) are not ours."""
        with self._lock:
            sentence = self._unheard.get(mark.utterance_id)
            if sentence is None:
                return
            if mark.kind == "started":
                sentence.timeline.first_played = mark.time
                return
            sentence.timeline.playback_end = mark.time
            del self._unheard[mark.utterance_id]
            self._lock.notify_all()
        self._finish(sentence, spoken=sentence.timeline.first_played is not None)

    def _finish(self, sentence: _Sentence, spoken: bool) -> None:
        done = UtteranceDone(sentence.utterance, sentence.text, sentence.translation, sentence.timeline, spoken)
        self._emit(done)
        with self._lock:
            self._done.append(done)
            self._lock.notify_all()

    def stop(self) -> None:
        """Stop speaking for good: a `say` in progress returns what was heard so far; safe from any thread."""
        with self._lock:
            self._stopped = True
            workers = self._workers
        if workers is not None:
            workers.stop(_STOP_SECONDS)


class SpeechFileSink:
    """Speech written to a WAV file as fast as it is made, one utterance after another (an `AudioSink`).

    For a file nobody hears while it is written, so nothing waits for real time, unlike the live mode's
    `WavFileSink`. An utterance's marks are the moments its first sample and its end were written. The
    file appears, complete, on `stop()`.
    """

    def __init__(self, path: Path, sample_rate: int) -> None:
        ensure_writable_folder(path.parent)
        self.path = path
        self.sample_rate = sample_rate
        self._marks = MarkForwarder()
        self._lock = threading.Lock()
        self._writer: WavTrackWriter | None = None
        self._started: set[int] = set()

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def audible(self) -> bool:
        return False

    @property
    def busy(self) -> bool:
        return False

    @property
    def underflows(self) -> int:
        return 0

    def add_mark_listener(self, listener: Callable[[PlaybackMark], None]) -> None:
        self._marks.add_listener(listener)

    def start(self) -> None:
        """Open the file (under a temporary name until `stop()`)."""
        with self._lock:
            if self._writer is None:
                try:
                    self._writer = WavTrackWriter(self.path, self.sample_rate)
                except OSError as error:
                    raise self._failure(error) from error
                self._marks.start()

    def play(self, utterance_id: int, samples: np.ndarray, sample_rate: int) -> None:
        """Write speech for `utterance_id` now; AudioDeviceError if the file cannot be written."""
        audio = resample(np.asarray(samples, np.float32), sample_rate, self.sample_rate)
        with self._lock:
            writer = self._writer
            if writer is None or not len(audio):
                return
            if utterance_id not in self._started:
                self._started.add(utterance_id)
                self._marks.facts.put((utterance_id, "started", time.monotonic()))
            try:
                writer.write(audio)
            except OSError as error:
                self._writer = None
                writer.abort()
                raise self._failure(error) from error

    def finish_utterance(self, utterance_id: int) -> None:
        self._started.discard(utterance_id)
        self._marks.facts.put((utterance_id, "finished", time.monotonic()))

    def drop_queued(self) -> float:
        return 0.0  # nothing waits: all is written at once

    def stop(self) -> None:
        """Move the file into place; safe to call twice. AudioDeviceError if it could not be written."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is None:
            return
        self._marks.close()
        try:
            writer.commit()
        except OSError as error:  # commit removes the partial file itself
            raise self._failure(error) from error

    def _failure(self, error: OSError) -> AudioDeviceError:
        return AudioDeviceError(f"cannot write {self.path}: {error.strerror or error}; check the free disk space")
