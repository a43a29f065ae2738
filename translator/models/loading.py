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
from functools import partial
from pathlib import Path
from typing import Any

from translator.config import AppConfig
from translator.errors import ModelError, Remedy, UnsupportedLanguageError
from translator.languages import Language
from translator.models.folders import join_names
from translator.models.planning import NoVoiceError
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings, find_voice, voice_language
from translator.stages.translation import TextTranslator, TranslatorSettings

NO_MODELS_HINT = "or try the demo models, which 'translator demo-models DIR' builds"
_STAGE_MODELS = {"recognition": "Whisper model", "translation": "translation model"}


class ModelNotChosenError(ModelError):
    """No model is chosen for `stage` ("recognition" or "translation"); the caller says where to choose one."""

    def __init__(self, stage: str) -> None:
        super().__init__(f"no {_STAGE_MODELS[stage]} is chosen: choose one ({NO_MODELS_HINT})")
        self.stage = stage


class DemoLanguageError(UnsupportedLanguageError):
    """The demo models cannot serve `language`: they translate into a handful of languages only."""

    def __init__(self, language: Language, known: Sequence[Language]) -> None:
        names = join_names(sorted(other.name for other in known))
        super().__init__(
            f"the demo models translate only into {names} (placeholder text), not into {language.name}",
            remedy=Remedy.REAL_MODELS,
        )
        self.language = language


@dataclass(frozen=True)
class LoadedModels:
    """The loaded stages. voices: one per target that is spoken; unspoken: the targets no Piper voice speaks,
    served as text only (see `ModelCache.load`)."""

    recognizer: SpeechRecognizer
    translator: TextTranslator
    voices: dict[Language, SpeechSynthesizer]
    unspoken: tuple[Language, ...] = ()

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
        text_only_without_voice: bool = False,
    ) -> LoadedModels:
        """The recognizer, the translator and, when `speech`, a voice for each target language: the
        configured voice (a file, or a folder searched by language), else that language's in `voice_paths`.

        The translator is checked against the targets before any voice loads, so a language it cannot write
        is the error, not a voice that would speak it. With `text_only_without_voice`, a target no Piper
        voice speaks at all is served as text only and listed in `unspoken`, for the caller to say so.
        `no_voice_hint` is the caller's own words for going on without speech; a missing model raises
        `ModelNotChosenError` or `NoVoiceError`, which name the stage or language."""
        models = config.models
        if models.whisper is None:
            raise ModelNotChosenError("recognition")
        if models.translation is None:
            raise ModelNotChosenError("translation")
        voice_paths = voice_paths or {}
        compute = config.compute
        recognition = RecognizerSettings(models.whisper, beam_size=beam_size)
        translation = TranslatorSettings(models.translation)
        locations = {target: models.voices or voice_paths.get(target) for target in (targets if speech else ())}
        # A language Piper has no voice for can still have one of the user's own; without one, it is text only.
        voiceless = {target for target, location in locations.items() if not _has_voice(location, target)}
        unspoken = tuple(target for target in voiceless if text_only_without_voice)
        spoken = [target for target in locations if target not in unspoken]
        voices_wanted = {
            target: SynthesizerSettings(location, use_cuda=compute.device == "cuda", cpu_threads=compute.cpu_threads)
            for target in spoken
            if (location := locations[target]) is not None and target not in voiceless
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
            _check_targets(translator, targets)
            for target in spoken:
                if target in voiceless:  # no voice to add: the only way on is without speech
                    raise NoVoiceError(target, f"no Piper voice speaks {target.name}: {no_voice_hint}")
                if target not in voices_wanted:
                    raise NoVoiceError(target, f"no voice speaks {target.name}: choose one, or {no_voice_hint}")
            voices = {
                target: self._get("synthesis", (voice, target), voice.voice, partial(SpeechSynthesizer, voice, target))
                for target, voice in voices_wanted.items()
            }
        return LoadedModels(recognizer, translator, voices, unspoken)

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


def _check_targets(translator: TextTranslator, targets: Sequence[Language]) -> None:
    """Raise unless `translator` writes every target; the demo models' error names the languages they know."""
    for target in targets:
        if target not in translator.targets and translator.is_demo:
            raise DemoLanguageError(target, sorted(translator.targets, key=lambda language: language.name))
        translator.check_pair(None, target)


def _has_voice(location: Path | None, language: Language) -> bool:
    """Whether a voice for `language` can be had: Piper has voices for it (one is chosen, or can be), or
    `location` holds one of the user's own."""
    if language.piper_locales:
        return True
    if location is None:
        return False
    try:
        return voice_language(find_voice(location, language)) == language  # a single file may speak another
    except UnsupportedLanguageError:
        return False
    except (ModelError, OSError, ValueError):  # a missing or broken voice: the synthesizer says so when it loads
        return True
