"""What a live session is told and what it tells: its settings, and the events it publishes through its
one callback (from worker threads; the GUI bridges them into Qt signals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from translator.errors import TranslatorError
from translator.languages import Language
from translator.pipeline.timeline import Percentiles, UtteranceTimeline
from translator.stages.live_segmentation import LiveSegmenterSettings


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
    speculative_translation: when that speculative final is ready before the end is confirmed, translate
        it and synthesise its first piece at once too, holding the audio until the end is confirmed.
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
    speculative_translation: bool = True
    echo_gate: bool = True
    echo_tail_ms: int = 300
    max_delay_s: float = 8.0
    recognition_backlog: int = 2

    def translation_pairs(self) -> list[tuple[Language | None, Language]]:
        """(spoken, target) for each way the session translates: both ways in conversation mode; the source
        is None where it is detected."""
        if self.conversation is not None:
            first, second = self.conversation
            return [(first, second), (second, first)]
        if self.target is None:
            raise TranslatorError("live translation needs a target language, or two languages for conversation mode")
        return [(self.source, self.target)]


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
    speculative_translations_used: int
    speculative_translations_discarded: int
    input_overflows: int
    output_underflows: int
    gated_seconds: float
    passes_abandoned: int  # recognition passes stopped before decoding: an interim pass, for a final


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
