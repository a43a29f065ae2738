"""Speech synthesis with a Piper voice, loaded once, at the voice's own sample rate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from piper import PiperVoice, SynthesisConfig

from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import Language, UnknownLanguageError, language_for_piper_locale


@dataclass(frozen=True)
class SynthesizerSettings:
    """The voice and how it speaks.

    voice: a Piper `.onnx` file with its `.onnx.json` beside it, or a folder holding voices (the one
        for the target language is chosen).
    speaker: speaker id for multi-speaker voices; None for the voice's default.
    length_scale: None for the voice's own pace; below 1 speaks faster.
    use_cuda: run the voice on onnxruntime's CUDA provider.
    """

    voice: Path
    speaker: int | None = None
    length_scale: float | None = None
    use_cuda: bool = False


@dataclass(frozen=True)
class SpeechAudio:
    """Synthesised speech for one sentence."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def voice_language(onnx_path: Path) -> Language:
    """The language a Piper voice speaks, from its config's `language.code` or espeak voice."""
    config = json.loads(Path(f"{onnx_path}.json").read_text(encoding="utf-8"))
    locale = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice", "")
    return language_for_piper_locale(locale.replace("-", "_"))


def find_voice(location: Path, language: Language) -> Path:
    """The voice file at `location`, or the first voice for `language` in the folder `location`."""
    if location.is_file():
        _require_config(location)
        return location
    if not location.is_dir():
        raise ModelError(f"voice {location} does not exist: pass a Piper .onnx voice or a folder of voices")
    for candidate in sorted(location.rglob("*.onnx")):
        hidden = any(part.startswith(".") for part in candidate.relative_to(location).parts)
        if hidden or not Path(f"{candidate}.json").is_file():  # hidden: e.g. a model store's unfinished downloads
            continue
        try:
            if voice_language(candidate) == language:
                return candidate
        except (UnknownLanguageError, ValueError):
            continue
    raise UnsupportedLanguageError(f"no {language.name} voice in {location}: add a Piper voice for {language.name}")


def _require_config(onnx_path: Path) -> None:
    if not Path(f"{onnx_path}.json").is_file():
        raise ModelError(f"voice {onnx_path} is incomplete: {onnx_path.name}.json is missing beside it")


class SpeechSynthesizer:
    """Speaks text in one voice, sentence by sentence."""

    def __init__(self, settings: SynthesizerSettings, language: Language) -> None:
        self.path = find_voice(settings.voice, language)
        self.settings = settings
        try:
            self.language = voice_language(self.path)
            self._voice = PiperVoice.load(self.path, use_cuda=settings.use_cuda)
        except Exception as error:  # onnxruntime and JSON parsing fail in assorted ways on a corrupt voice
            raise ModelError(f"cannot load the voice {self.path}: {error}") from error
        if self.language != language:
            raise UnsupportedLanguageError(
                f"the voice {self.path.name} speaks {self.language.name}, not {language.name}: "
                f"pass a {language.name} voice"
            )
        self.sample_rate = self._voice.config.sample_rate
        self.is_demo = json.loads(Path(f"{self.path}.json").read_text(encoding="utf-8")).get("dataset") == "demo"

    @property
    def name(self) -> str:
        return self.path.stem

    def sentences(self, text: str, speed: float = 1.0) -> Iterator[SpeechAudio]:
        """Yield speech one sentence at a time; `speed` above 1 speaks faster (Piper's length scale)."""
        base = self.settings.length_scale or self._voice.config.length_scale
        config = SynthesisConfig(speaker_id=self.settings.speaker, length_scale=base / speed)
        for chunk in self._voice.synthesize(text, config):
            yield SpeechAudio(chunk.audio_float_array, chunk.sample_rate)

    def speak(self, text: str, speed: float = 1.0) -> SpeechAudio:
        """All of `text` as one piece of audio."""
        pieces = [sentence.samples for sentence in self.sentences(text, speed)]
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return SpeechAudio(samples.astype(np.float32, copy=False), self.sample_rate)
