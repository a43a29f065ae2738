"""Loading the three stages' models once and keeping them for the next session.

The command line loads once per run; the GUI keeps a `ModelCache` for the life of the window, so a
second live session or a batch after it starts without loading again. Each load is announced as an
event, because a large model takes seconds and the user should see which one is loading.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.languages import Language
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

NO_MODELS_HINT = "run 'translator demo-models DIR' to build demo models, then pass --config DIR/demo.toml"


@dataclass(frozen=True)
class LoadedModels:
    recognizer: SpeechRecognizer
    translator: TextTranslator
    voices: dict[Language, SpeechSynthesizer]

    @property
    def demo(self) -> bool:
        """Whether any of the models is one of the project's demo models (placeholder output)."""
        return self.recognizer.is_demo or self.translator.is_demo or any(v.is_demo for v in self.voices.values())


@dataclass(frozen=True)
class ModelLoading:
    """A model starts loading (`stage` is recognition, translation or synthesis)."""

    stage: str
    path: Path


@dataclass(frozen=True)
class ModelLoaded:
    stage: str
    path: Path
    seconds: float


LoadEvent = ModelLoading | ModelLoaded


class ModelCache:
    """Loads models on demand and keeps the ones the current configuration uses.

    Safe to call from several threads: loads are serialised, so two sessions never load one model twice.
    A model whose folder or compute settings are no longer wanted is released on the next load.
    """

    def __init__(self, on_event: Callable[[LoadEvent], None] = lambda event: None) -> None:
        self._emit = on_event
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, Any], Any] = {}

    def load(
        self,
        config: AppConfig,
        targets: Sequence[Language],
        speech: bool,
        beam_size: int,
        no_voice_hint: str,
        voice_paths: Mapping[Language, Path] | None = None,
    ) -> LoadedModels:
        """The recognizer, the translator and, when `speech`, a voice for each target language: the
        configured voice (a file, or a folder searched by language), else that language's in `voice_paths`."""
        models = config.models
        if models.whisper is None:
            raise TranslatorError(
                f"no Whisper model configured: pass --whisper DIR or --config FILE ({NO_MODELS_HINT})"
            )
        if models.translation is None:
            raise TranslatorError(
                f"no translation model configured: pass --translation DIR or --config FILE ({NO_MODELS_HINT})"
            )
        voice_paths = voice_paths or {}
        if speech:
            for target in targets:
                if models.voices is None and target not in voice_paths:
                    raise TranslatorError(f"no voice speaks {target.name}: pass --voice PATH, or {no_voice_hint}")
        compute = config.compute
        recognition = RecognizerSettings(models.whisper, beam_size=beam_size)
        translation = TranslatorSettings(models.translation)
        voices_wanted = {
            target: SynthesizerSettings(models.voices or voice_paths[target], use_cuda=compute.device == "cuda")
            for target in (targets if speech else ())
        }
        voice_keys = {("synthesis", (voice, target)) for target, voice in voices_wanted.items()}
        with self._lock:
            # Release what this configuration no longer uses before loading, so memory holds one set.
            # Recognizers differing only in beam size stay: live and batch decode differently.
            for key in list(self._loaded):
                stage, (settings, detail) = key
                kept = (
                    (stage == "recognition" and settings.model == models.whisper and detail == compute)
                    or (stage == "translation" and key == ("translation", (translation, compute)))
                    or key in voice_keys
                )
                if not kept:
                    del self._loaded[key]
            recognizer = self._get(
                "recognition", (recognition, compute), models.whisper, lambda: SpeechRecognizer(recognition, compute)
            )
            translator = self._get(
                "translation", (translation, compute), models.translation, lambda: TextTranslator(translation, compute)
            )
            voices = {
                target: self._get(
                    "synthesis", (voice, target), voice.voice, lambda v=voice, t=target: SpeechSynthesizer(v, t)
                )
                for target, voice in voices_wanted.items()
            }
        return LoadedModels(recognizer, translator, voices)

    def _get(self, stage: str, settings: Any, path: Path, load: Callable[[], Any]) -> Any:
        key = (stage, settings)
        if key not in self._loaded:
            self._emit(ModelLoading(stage, path))
            started = time.perf_counter()
            self._loaded[key] = load()
            self._emit(ModelLoaded(stage, path, time.perf_counter() - started))
        return self._loaded[key]

    def clear(self) -> None:
        """Release every model."""
        with self._lock:
            self._loaded.clear()
