"""The chain run ahead of the confirmed end of speech.

When a speculative final is ready while the VAD still waits, the live session's translation and synthesis
threads translate it and synthesise its first piece of speech at once, into a `Speculation` that holds the
audio instead of playing it. The final, when the end is confirmed, adopts that work if it is for the same
audio, and its held audio plays at once; otherwise the work is thrown away and counted. The items pass
through the same queues as finals, so what is made ahead never overtakes an earlier utterance.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from translator.audio.playback import AudioSink
from translator.languages import Language
from translator.pipeline.live_schedule import RecognitionSchedule, SessionCounts, Speculation, Utterance
from translator.stages.synthesis import SpeechAudio, SpeechSynthesizer
from translator.stages.translation import TextTranslator


@dataclass(frozen=True)
class Spoken:
    """An utterance handed on from recognition: its text and languages.

    ahead: set while the item runs ahead of the confirmed end (its results go into the speculation, and
        nothing is shown or played); made_ahead: the speculation a final item uses.
    """

    utterance: Utterance
    text: str
    source: Language
    target: Language
    translation: str = ""
    ahead: Speculation | None = None
    made_ahead: Speculation | None = None


class ChainAhead:
    """Makes, holds and hands over the work done ahead of the confirmed end; called from the translation
    and synthesis threads, taking the engine's `lock` around what the capture thread may discard."""

    def __init__(
        self,
        lock: threading.Condition,
        schedule: RecognitionSchedule,
        counts: SessionCounts,
        translator: TextTranslator,
        voices: Mapping[Language, SpeechSynthesizer],
        sink: AudioSink | None,
    ) -> None:
        self._lock = lock
        self._schedule = schedule
        self._counts = counts
        self._translator = translator
        self._voices = voices
        self._sink = sink

    @staticmethod
    def item(utterance: Utterance, speculation: Speculation) -> Spoken:
        """The item that carries a new speculation through the translation and synthesis queues."""
        return Spoken(utterance, speculation.text, speculation.source, speculation.target, ahead=speculation)

    def translate(self, item: Spoken, speculation: Speculation) -> Spoken | None:
        """Translate a speculative final; the item for synthesis to go on with, or None once discarded."""
        if speculation.discarded:
            return None
        started = time.monotonic()
        translation = self._translator.translate([item.text], item.source, item.target)[0]
        finished = time.monotonic()
        with self._lock:
            if speculation.discarded:
                return None
            speculation.translation = translation
            speculation.translation_start, speculation.translation_end = started, finished
        return replace(item, translation=translation)

    def synthesize(self, item: Spoken, speculation: Speculation) -> None:
        """Synthesise a speculative translation's first piece and hold it, with the rest still to make."""
        if self._sink is None or not item.translation or speculation.discarded:
            return
        started = time.monotonic()
        pieces = self._voices[item.target].pieces(item.translation)
        first = next(pieces, None)
        made = time.monotonic()
        with self._lock:
            if speculation.discarded or first is None:
                return
            speculation.synthesis_start, speculation.first_audio = started, made
            speculation.first_piece, speculation.rest = first, pieces

    def adopt(self, item: Spoken) -> Spoken | None:
        """The final item with the translation made ahead for exactly its audio (its times now the
        utterance's), or None; work made for other audio (a later pause, a merge) is discarded. The queues'
        order means a speculation is translated by the time its final reaches the translation thread."""
        utterance = item.utterance
        with self._lock:
            speculation = utterance.speculation
            if speculation is None:
                return None
            if (
                speculation.version != utterance.version
                or speculation.text != item.text
                or speculation.translation is None
            ):
                self._schedule.discard_speculation(utterance)
                return None
            utterance.speculation = None
            self._counts.speculative_translations_used += 1
        utterance.timeline.translation_start = speculation.translation_start
        utterance.timeline.translation_end = speculation.translation_end
        return replace(item, translation=speculation.translation, made_ahead=speculation)

    @staticmethod
    def held_pieces(item: Spoken) -> Iterator[SpeechAudio] | None:
        """A final's speech made ahead, its held first piece then the rest, with its synthesis times now the
        utterance's; None when nothing was made ahead for it."""
        held = item.made_ahead
        if held is None or held.first_piece is None:
            return None
        timeline = item.utterance.timeline
        timeline.synthesis_start, timeline.first_audio = held.synthesis_start, held.first_audio
        pieces = itertools.chain([held.first_piece], held.rest or ())
        held.first_piece = held.rest = None  # the session keeps nothing it has played
        return pieces
