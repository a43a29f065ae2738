"""Which recognition pass a live session runs next, over the utterances between the segmenter and recognition.

Passes come in priority order: finals (an utterance has ended), speculative finals (silence has begun: the
utterance so far is recognised while the VAD still waits, and the work is thrown away if speech resumes),
and interim passes over the growing utterance, scheduled from their measured cost and never started while
a final waits. When more than `recognition_backlog` ended utterances wait, they are merged into one pass.
A speculative final's text goes on at once, as a `Speculation`, to translation and synthesis, whose audio
is held until the end is confirmed; it is thrown away (and counted) if speech resumes or the ended audio
is not what the pass heard. `RecognitionSchedule` keeps that state; it has no lock of its own, so the
engine calls it holding its lock.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from translator.audio.files import SAMPLE_RATE
from translator.languages import Language
from translator.pipeline.live_events import InterimTranscript, LiveSettings
from translator.pipeline.timeline import UtteranceTimeline
from translator.stages.interim import LocalAgreement
from translator.stages.live_segmentation import (
    SegmentEvent,
    UtteranceEnded,
    UtterancePaused,
    UtteranceResumed,
    UtteranceStarted,
)
from translator.stages.synthesis import SpeechAudio

INTERIM_MIN_AUDIO = 0.5  # seconds of speech before the first interim pass is worth its cost


@dataclass(eq=False)
class Speculation:
    """Translation and first audio made from a speculative final while the VAD still waits; filled in by
    the translation and synthesis threads, used once the end is confirmed if the utterance is still at
    `version`. Its times go into the utterance's timeline only when it is used."""

    version: int
    text: str
    source: Language
    target: Language
    discarded: bool = False
    translation: str | None = None
    translation_start: float | None = None
    translation_end: float | None = None
    synthesis_start: float | None = None
    first_audio: float | None = None
    first_piece: SpeechAudio | None = None
    rest: Iterator[SpeechAudio] | None = None  # the pieces after the first, made once the end is confirmed


@dataclass
class Utterance:
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
    speculation: Speculation | None = None  # the chain run ahead from a speculative final, if any


class PassKind(enum.Enum):
    FINAL = "final"  # the utterance has ended
    SPECULATIVE = "speculative"  # silence has begun; thrown away if speech resumes
    INTERIM = "interim"  # the growing utterance, for live captions


@dataclass(frozen=True, eq=False)
class RecognitionPass:
    """One recognition pass: its kind, and the utterance's audio as of one version."""

    kind: PassKind
    utterance: Utterance
    version: int
    audio: np.ndarray


@dataclass
class SessionCounts:
    """What a live session has done so far, for `LiveStats`."""

    utterances: int = 0
    merged: int = 0
    skipped: int = 0
    speculative_used: int = 0
    speculative_discarded: int = 0
    speculative_translations_used: int = 0
    speculative_translations_discarded: int = 0
    passes_abandoned: int = 0


class RecognitionSchedule:
    """The utterance being spoken, the ended ones waiting for their text, and which pass runs next.

    on_merged: called (holding the engine's lock) with the ids of utterances merged into one pass.
    """

    def __init__(
        self, settings: LiveSettings, counts: SessionCounts, on_merged: Callable[[tuple[int, ...]], None]
    ) -> None:
        self.settings = settings
        self.counts = counts
        self._on_merged = on_merged
        self.open: Utterance | None = None  # the utterance being spoken
        self.open_audio: np.ndarray | None = None  # its audio so far, for interim passes
        self.waiting: deque[Utterance] = deque()  # ended, in order, until their text is out
        self.next_interim = 0.0
        self.interim_cost = 0.0  # the last interim pass's measured time
        self.in_progress = 0  # utterances started and not yet done

    def apply(self, event: SegmentEvent, clock: Callable[[int], float], now: float) -> None:
        """Follow one segmenter event; `clock` turns a sample position into a moment."""
        if isinstance(event, UtteranceStarted):
            self.open = Utterance((event.utterance,), UtteranceTimeline(event.utterance, clock(event.sample)))
            self.in_progress += 1
            self.next_interim = now + INTERIM_MIN_AUDIO
        elif isinstance(event, UtterancePaused) and self.open is not None:
            self.open.audio = event.audio
            self.open.timeline.speech_end = clock(event.speech_end_sample)
        elif isinstance(event, UtteranceResumed) and self.open is not None:
            if self.open.in_flight == self.open.version or self.open.text is not None:
                self.counts.speculative_discarded += 1
            self.discard_speculation(self.open)
            self.open.version += 1
            self.open.audio, self.open.text, self.open.timeline.speech_end = None, None, None
        elif isinstance(event, UtteranceEnded) and self.open is not None:
            utterance = self.open
            if utterance.audio is None or len(utterance.audio) != len(event.audio):
                utterance.version += 1  # not the audio a speculative pass saw
                utterance.text = None
                self.discard_speculation(utterance)
            utterance.audio, utterance.ended = event.audio, True
            utterance.timeline.speech_end = clock(event.speech_end_sample)
            utterance.timeline.end_confirmed = now if not event.forced else utterance.timeline.speech_end
            self.waiting.append(utterance)
            self.open, self.open_audio = None, None

    def speculate(self, target_for: Callable[[Language], Language]) -> tuple[Utterance, Speculation] | None:
        """The utterance being spoken and a new speculation for it, when its speculative final has text that
        nothing has been made from yet; `target_for` gives the language to translate into."""
        speaking = self.open
        if not self.settings.speculative_translation or speaking is None or not speaking.text:
            return None
        if speaking.speculation is not None and speaking.speculation.version == speaking.version:
            return None
        assert speaking.language is not None
        speculation = Speculation(speaking.version, speaking.text, speaking.language, target_for(speaking.language))
        speaking.speculation = speculation
        return speaking, speculation

    def discard_speculation(self, utterance: Utterance) -> None:
        """Throw away the utterance's speculation (its threads skip or drop what they make), counted once."""
        speculation, utterance.speculation = utterance.speculation, None
        if speculation is not None and not speculation.discarded:
            speculation.discarded = True
            speculation.first_piece = speculation.rest = None
            self.counts.speculative_translations_discarded += 1

    def next_pass(self) -> RecognitionPass | None:
        """The most urgent recognition pass: finals, speculative, interim."""
        pending = [u for u in self.waiting if u.text is None and u.in_flight != u.version]
        if len(pending) > self.settings.recognition_backlog:
            self._merge(pending)
            pending = [u for u in self.waiting if u.text is None and u.in_flight != u.version]
        if pending:
            utterance = pending[0]
            assert utterance.audio is not None
            return RecognitionPass(PassKind.FINAL, utterance, utterance.version, utterance.audio)
        if any(u.text is None for u in self.waiting):
            return None  # a final is in flight: no other pass may delay it
        speaking = self.open
        if speaking is None:
            return None
        if self.settings.speculative_final and speaking.audio is not None:
            if speaking.text is None and speaking.in_flight != speaking.version:
                return RecognitionPass(PassKind.SPECULATIVE, speaking, speaking.version, speaking.audio)
            return None
        audio = self.open_audio
        if (
            self.settings.interim_results
            and self.interim_cost <= self.settings.interim_max_cost_s
            and audio is not None
            and len(audio) >= INTERIM_MIN_AUDIO * SAMPLE_RATE
            and time.monotonic() >= self.next_interim
        ):
            return RecognitionPass(PassKind.INTERIM, speaking, speaking.version, audio)
        return None

    def _merge(self, pending: list[Utterance]) -> None:
        """Backpressure: recognise the waiting utterances as one."""
        first, rest = pending[0], pending[1:]
        parts = [u.audio for u in pending if u.audio is not None]
        first.audio = np.concatenate(parts)
        first.ids = tuple(i for u in pending for i in u.ids)
        first.version += 1
        first.timeline.speech_end = rest[-1].timeline.speech_end
        first.timeline.end_confirmed = rest[-1].timeline.end_confirmed
        for utterance in rest:
            self.waiting.remove(utterance)
            self.in_progress -= 1
        self.counts.merged += len(rest)
        self._on_merged(first.ids)

    def pass_started(self, job: RecognitionPass) -> None:
        """A final or speculative pass holds its utterance's version until it is done."""
        if job.kind is not PassKind.INTERIM:
            job.utterance.in_flight = job.version
            job.utterance.timeline.recognition_start = time.monotonic()

    def still_wanted(self, job: RecognitionPass) -> bool:
        """Whether a running pass is still worth finishing: its utterance has not changed since, and an
        interim pass only while its utterance is spoken and no final or speculative pass waits for it."""
        if job.version != job.utterance.version:
            return False
        if job.kind is not PassKind.INTERIM:
            return True
        return job.utterance is self.open and self.open.audio is None and not self.unrecognised

    def pass_abandoned(self, job: RecognitionPass) -> None:
        """A pass stopped before it finished (`still_wanted` said no): its utterance may be passed again."""
        self.counts.passes_abandoned += 1
        if job.kind is not PassKind.INTERIM:
            job.utterance.in_flight = None

    def pass_finished(
        self, job: RecognitionPass, text: str, language: Language, started: float, finished: float
    ) -> InterimTranscript | None:
        """Record a pass's text; an interim pass over the utterance still being spoken gives a caption."""
        utterance = job.utterance
        if job.kind is PassKind.INTERIM:
            self.interim_cost = finished - started
            self.next_interim = finished + max(self.settings.interim_interval_s, 1.5 * self.interim_cost)
            if utterance is self.open:
                committed, tentative = utterance.agreement.update(text)
                return InterimTranscript(utterance.ids[0], committed, tentative)
            return None
        utterance.in_flight = None
        if job.version == utterance.version:
            utterance.text, utterance.language = text, language
            utterance.timeline.recognition_end = finished
        return None

    def take_recognised(self) -> list[Utterance]:
        """The ended utterances at the front whose text is known, in the order they were spoken."""
        recognised = []
        while self.waiting and self.waiting[0].text is not None:
            utterance = self.waiting.popleft()
            if utterance.timeline.hidden_wait:  # its final pass began before the end was confirmed
                self.counts.speculative_used += 1
            recognised.append(utterance)
        return recognised

    @property
    def unrecognised(self) -> int:
        """Ended utterances still waiting for their text."""
        return sum(1 for u in self.waiting if u.text is None)
