"""Speech-to-text with faster-whisper: one `WhisperModel`, loaded once, transcribing VAD windows.

A window shorter than 30 s is encoded on a shorter window when the settings allow it (`whisper_window`),
and decoded again on faster-whisper's own 30 s path when the guard does not trust the result.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from translator.compute import ComputeSettings, resolve_compute
from translator.errors import ModelError, TranslatorError
from translator.languages import Language, language_for_whisper
from translator.models.folders import DEMO_MARKER, require_files
from translator.stages.segmentation import Window
from translator.stages.whisper_window import (
    FULL_WINDOW_SECONDS,
    DecodeAbandoned,
    EncoderWindowStats,
    WindowSegment,
    decode_short_window,
    model_size,
    window_seconds,
)

# What a CTranslate2 Whisper folder needs; without tokenizer.json faster-whisper would fetch one from the Hub.
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", ("vocabulary.json", "vocabulary.txt"))
# How much earlier text conditions the next window; Whisper's prompt holds 224 tokens at most.
_PROMPT_CHARACTERS = 400
# A language guess at least this likely is taken as it is; a window guessed less surely is detected again stretch by
# stretch (it may hold two languages), and a stretch guessed less surely keeps the language spoken before it.
CONFIDENT_LANGUAGE = 0.8


@dataclass(frozen=True)
class RecognizerSettings:
    """The recognition model and how it decodes.

    model: a CTranslate2 Whisper model folder.
    beam_size: 1 is greedy and fastest; 5 is Whisper's default for best accuracy.
    condition_on_previous_text: give the previous window's text as a prompt, for consistent spelling.
    encoder_window: "auto" encodes a window shorter than 30 s on the speech plus a margin, at least the floor
      measured for the model's size (docs/encoder-window.md; 30 s for a size not measured); "full" always
      encodes 30 s, as faster-whisper does; a number is the floor in seconds (above 0, at most 30).
    """

    model: Path
    beam_size: int = 5
    condition_on_previous_text: bool = True
    encoder_window: str | float = "auto"

    def __post_init__(self) -> None:
        window = self.encoder_window
        if isinstance(window, str):
            valid = window in ("auto", "full")
        else:
            valid = isinstance(window, int | float) and not isinstance(window, bool) and 0 < window <= 30
        if not valid:
            raise TranslatorError(
                f'encoder window must be "auto", "full" or a floor in seconds above 0 and at most 30, not {window!r}'
            )


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


@dataclass(frozen=True)
class LanguagePart:
    """Consecutive speech of a window in one language: the part to transcribe, and its language with the
    probability of Whisper's guess (for a part that kept the previous language, of the unsure guess it overruled;
    None where the language was given, not detected)."""

    window: Window
    language: Language
    probability: float | None


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
        # Seconds; None: every window is encoded at 30 s.
        self.encoder_floor = self._encoder_floor(settings.encoder_window)
        self._tokenizers: dict[str, Tokenizer] = {}
        self._windows: Counter[str] = Counter()  # "full", "short", "fallback"
        self._fallback_reasons: Counter[str] = Counter()
        self._counts_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.settings.model.name

    @property
    def window_stats(self) -> EncoderWindowStats:
        """How the windows transcribed so far were encoded: at 30 s, on a short window, or short then 30 s."""
        with self._counts_lock:
            windows, reasons = self._windows.copy(), tuple(sorted(self._fallback_reasons.items()))
        return EncoderWindowStats(windows["full"], windows["short"], windows["fallback"], reasons)

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

    def language_parts(
        self, window: Window, previous: Language | None = None, fixed: Language | None = None
    ) -> list[LanguagePart]:
        """`window` split where the spoken language changes, each part with its language; with `fixed` (the
        language is known), the whole window in it, nothing detected.

        The window is detected whole; a window of one stretch of speech, or one guessed surely
        (`CONFIDENT_LANGUAGE`), is one part. Otherwise each stretch is detected on its own and consecutive
        stretches of one language make a part; an unsure guess keeps the language before it (`previous`, the
        language of the speech before the window, for the first). Costs one detection a window, and one a stretch
        in the windows that need it."""
        if fixed is not None:
            return [LanguagePart(window, fixed, None)]
        guess = self.detect_language(window)
        if len(window.chunks) == 1 or guess.probability >= CONFIDENT_LANGUAGE:
            return [_settled(window, guess, previous)]
        parts: list[LanguagePart] = []
        for chunk in window.chunks:
            before = parts[-1].language if parts else previous or guess.language
            alone = Window.of([chunk])
            part = _settled(alone, self.detect_language(alone), before)
            if parts and parts[-1].language == part.language:
                earlier = parts.pop()
                part = replace(earlier, window=Window.of([*earlier.window.chunks, chunk]))
            parts.append(part)
        return parts

    def transcribe(
        self,
        window: Window,
        language: Language,
        previous_text: str = "",
        timestamps: bool = True,
        proceed: Callable[[], bool] = lambda: True,
    ) -> Iterator[RecognizedSegment]:
        """Yield the window's segments as Whisper decodes them, with times mapped to the source.

        timestamps: False when only the text is wanted (live speech): Whisper then decodes no timestamp
          tokens, two fewer decoding steps a segment, and the window comes back as one segment.
        proceed: asked between the encoder and the decoder, before a fallback to 30 s and between 30 s
          segments; False raises DecodeAbandoned (live speech stops a caption's pass for a final this way)."""
        if language.whisper is None:
            raise ModelError(f"Whisper cannot recognise {language.name}")
        prompt = previous_text[-_PROMPT_CHARACTERS:] if self.settings.condition_on_previous_text else ""
        for segment in self._decode(window, language.whisper, prompt, timestamps, proceed):
            text = segment.text.strip()
            if not text:
                continue
            start = window.to_source_time(segment.start)
            # Whisper's closing timestamp can run past the audio it was given.
            end = window.to_source_time(min(segment.end, window.duration), is_end=True)
            yield RecognizedSegment(start, max(end, start), text, segment.avg_logprob, segment.no_speech_prob)

    def _decode(
        self, window: Window, code: str, prompt: str, timestamps: bool, proceed: Callable[[], bool]
    ) -> Iterator[WindowSegment]:
        """The window's segments in window time: from a short window the guard trusts, else from 30 s."""
        floor = self.encoder_floor
        if floor is None or window_seconds(window.duration, floor) >= FULL_WINDOW_SECONDS:
            self._count("full")
        else:
            tokenizer = self._tokenizer(code)
            # The prompt as faster-whisper's transcribe() builds it from an initial prompt.
            previous_tokens = tokenizer.encode(" " + prompt.strip()) if prompt else []
            prompt_tokens = self._model.get_prompt(tokenizer, previous_tokens, without_timestamps=not timestamps)
            decoded = decode_short_window(
                self._model, window.audio, tokenizer, prompt_tokens, self.settings.beam_size, floor, proceed
            )
            if decoded.failure is None:
                self._count("short")
                yield from decoded.segments
                return
            self._count("fallback", decoded.failure)
            if not proceed():
                raise DecodeAbandoned
        segments, _ = self._model.transcribe(
            window.audio,
            language=code,
            beam_size=self.settings.beam_size,
            vad_filter=False,  # the window holds speech only: our segmenter already ran Silero
            condition_on_previous_text=self.settings.condition_on_previous_text,
            initial_prompt=prompt or None,
            without_timestamps=not timestamps,
        )
        for segment in segments:
            yield WindowSegment(segment.start, segment.end, segment.text, segment.avg_logprob, segment.no_speech_prob)
            if not proceed():
                raise DecodeAbandoned

    def _encoder_floor(self, setting: str | float) -> float | None:
        if setting == "full":
            return None
        if setting == "auto":
            try:
                size = model_size(self._model)
            except Exception as error:  # as at loading: CTranslate2 raises assorted types
                raise ModelError(f"cannot run the Whisper model in {self.settings.model}: {error}") from error
            return size.auto_floor if size is not None else None
        return float(setting)

    def _tokenizer(self, code: str) -> Tokenizer:
        if code not in self._tokenizers:
            multilingual = self._model.model.is_multilingual
            # An English-only model decodes English whatever it is told, as transcribe() does.
            self._tokenizers[code] = Tokenizer(
                self._model.hf_tokenizer, multilingual, task="transcribe", language=code if multilingual else "en"
            )
        return self._tokenizers[code]

    def _count(self, outcome: str, reason: str | None = None) -> None:
        with self._counts_lock:
            self._windows[outcome] += 1
            if reason is not None:
                self._fallback_reasons[reason] += 1


def _settled(window: Window, guess: LanguageGuess, before: Language | None) -> LanguagePart:
    """The part's language: the guess where it is sure (or nothing was spoken before), else the language before."""
    language = guess.language if before is None or guess.probability >= CONFIDENT_LANGUAGE else before
    return LanguagePart(window, language, guess.probability)
