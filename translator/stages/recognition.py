"""Speech-to-text with faster-whisper: one `WhisperModel`, loaded once, transcribing VAD windows."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel

from translator.compute import ComputeSettings, resolve_compute
from translator.errors import ModelError
from translator.languages import Language, language_for_whisper
from translator.models.folders import DEMO_MARKER, require_files
from translator.stages.segmentation import Window

# What a CTranslate2 Whisper folder needs; without tokenizer.json faster-whisper would fetch one from the Hub.
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", ("vocabulary.json", "vocabulary.txt"))
# How much earlier text conditions the next window; Whisper's prompt holds 224 tokens at most.
_PROMPT_CHARACTERS = 400


@dataclass(frozen=True)
class RecognizerSettings:
    """The recognition model and how it decodes.

    model: a CTranslate2 Whisper model folder.
    beam_size: 1 is greedy and fastest; 5 is Whisper's default for best accuracy.
    condition_on_previous_text: give the previous window's text as a prompt, for consistent spelling.
    """

    model: Path
    beam_size: int = 5
    condition_on_previous_text: bool = True


@dataclass(frozen=True)
class RecognizedSegment:
    """One segment of source speech with its times in the source and Whisper's confidence figures."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class LanguageGuess:
    language: Language
    probability: float


class SpeechRecognizer:
    """Transcribes windows of speech; detects the language when none is given."""

    def __init__(self, settings: RecognizerSettings, compute: ComputeSettings = ComputeSettings()) -> None:
        require_files(settings.model, "Whisper model", REQUIRED_FILES)
        resolved = resolve_compute(compute)
        self.settings = settings
        self.compute = resolved
        self.is_demo = (settings.model / DEMO_MARKER).exists()
        try:
            self._model = WhisperModel(
                str(settings.model),
                device=resolved.device,
                compute_type=resolved.compute_type,
                cpu_threads=resolved.cpu_threads,
                local_files_only=True,
            )
        except Exception as error:  # CTranslate2 reports a corrupt model.bin with assorted exception types
            raise ModelError(f"cannot load the Whisper model in {settings.model}: {error}") from error

    @property
    def name(self) -> str:
        return self.settings.model.name

    def detect_language(self, window: Window, candidates: Collection[Language] = ()) -> LanguageGuess:
        """Whisper's language guess for the speech in `window`, with its probability; with
        `candidates`, the likeliest of those (the probability renormalised among them)."""
        code, probability, ranked = self._model.detect_language(window.audio, language_detection_segments=1)
        if not candidates:
            return LanguageGuess(language_for_whisper(code), probability)
        wanted = {language.whisper: language for language in candidates if language.whisper}
        scores = {wanted[c]: p for c, p in ranked if c in wanted}
        if not scores:
            raise ModelError(f"the Whisper model {self.name} knows none of {', '.join(c.name for c in candidates)}")
        best = max(scores, key=lambda language: scores[language])
        return LanguageGuess(best, scores[best] / (sum(scores.values()) or 1.0))

    def transcribe(self, window: Window, language: Language, previous_text: str = "") -> Iterator[RecognizedSegment]:
        """Yield the window's segments as Whisper decodes them, with times mapped to the source."""
        if language.whisper is None:
            raise ModelError(f"Whisper cannot recognise {language.name}")
        prompt = previous_text[-_PROMPT_CHARACTERS:] if self.settings.condition_on_previous_text else ""
        segments, _ = self._model.transcribe(
            window.audio,
            language=language.whisper,
            beam_size=self.settings.beam_size,
            vad_filter=False,  # the window holds speech only: our segmenter already ran Silero
            condition_on_previous_text=self.settings.condition_on_previous_text,
            initial_prompt=prompt or None,
        )
        for segment in segments:
            text = segment.text.strip()
            if not text:
                continue
            start = window.to_source_time(segment.start)
            # Whisper's closing timestamp can run past the audio it was given.
            end = window.to_source_time(min(segment.end, window.duration), is_end=True)
            yield RecognizedSegment(start, max(end, start), text, segment.avg_logprob, segment.no_speech_prob)
