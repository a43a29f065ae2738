"""Speech synthesis with a Piper voice, loaded once, at the voice's own sample rate.

Speech comes out piece by piece, as soon as each piece is made: one per sentence, and for a long first
sentence its first clause alone, so a listener hears it while the rest is still being synthesised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig

from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import Language, UnknownLanguageError, language_for_piper_locale

# A sentence ends at . ! ? … (or their full-width forms, or the danda) followed by a space.
_SENTENCE_END = re.compile(r"(?<=[.!?…।])\s+|(?<=[。！？])")
# A clause ends at , ; : (or the Arabic comma) followed by a space, at an em dash, at a spaced en dash or
# hyphen, or at a full-width comma, semicolon, colon or enumeration comma. Never inside a word: "1,000",
# "3:45", "well-known" and "1–2" are not breaks.
_CLAUSE_BREAK = re.compile(r"[,;:،](?=\s)|—|(?<=\s)[–-](?=\s)|[，；：、]")
_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")  # kana, CJK, hangul
MIN_CLAUSE_WORDS = 4  # a shorter first clause stays joined to the next: its prosody would sound clipped
MIN_REST_WORDS = 3  # nor is a short tail worth a break of its own
LONG_SENTENCE_WORDS = 10  # a shorter sentence is synthesised whole: it costs little more than its first clause


@dataclass(frozen=True)
class SynthesizerSettings:
    """The voice and how it speaks.

    voice: a Piper `.onnx` file with its `.onnx.json` beside it, or a folder holding voices (the one
        for the target language is chosen).
    speaker: speaker id for multi-speaker voices; None for the voice's default.
    length_scale: None for the voice's own pace; below 1 speaks faster.
    use_cuda: run the voice on onnxruntime's CUDA provider.
    cpu_threads: onnxruntime's threads for the voice on the CPU; 0 lets onnxruntime choose (one per core).
    """

    voice: Path
    speaker: int | None = None
    length_scale: float | None = None
    use_cuda: bool = False
    cpu_threads: int = 0


@dataclass(frozen=True)
class SpeechAudio:
    """Synthesised speech for one sentence."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def word_count(text: str) -> int:
    """Words in `text`: whitespace-separated tokens; in scripts written without spaces, two characters count
    as one word."""
    spaceless = len(_SPACELESS.findall(text))
    return len(_SPACELESS.sub(" ", text).split()) + spaceless // 2


def first_clause(text: str) -> tuple[str, str] | None:
    """Cut `text` after the first clause of its first sentence, when that sentence is long enough for the cut
    to let speech start sooner: `(first clause, everything after it)`, each stripped, punctuation kept with
    the clause. None when no cut is worth it (a short sentence, or only clauses too short to stand alone)."""
    text = text.strip()
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if word_count(sentence) < LONG_SENTENCE_WORDS:
        return None
    for brk in _CLAUSE_BREAK.finditer(sentence):
        head, tail = sentence[: brk.end()].strip(), sentence[brk.end() :].strip()
        if word_count(head) >= MIN_CLAUSE_WORDS and word_count(tail) >= MIN_REST_WORDS:
            return head, text[brk.end() :].strip()
    return None


# The keys of a voice config that Piper and this module read, and the JSON type each must have.
_CONFIG_KEYS: tuple[tuple[tuple[str, ...], type], ...] = (
    (("audio", "sample_rate"), int),
    (("espeak", "voice"), str),
    (("num_symbols",), int),
    (("num_speakers",), int),
    (("phoneme_id_map",), dict),
)

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}


class BrokenVoiceError(ModelError, UnsupportedLanguageError):
    """A folder's voice for a language cannot be read: a broken model, and so no voice for that language."""


def voice_config(onnx_path: Path) -> dict[str, Any]:
    """The config (`.onnx.json`) beside a Piper voice, checked for the keys Piper reads; a `ModelError` names
    the file and what is wrong with it (missing, not JSON, not a voice's config)."""
    path = Path(f"{onnx_path}.json")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"voice {onnx_path} is incomplete: {path.name} is missing beside it") from None
    except UnicodeDecodeError:
        raise ModelError(f"the voice config {path} is not UTF-8 text: reinstall the voice") from None
    except ValueError as error:
        raise ModelError(f"the voice config {path} is not valid JSON ({error}): reinstall the voice") from None
    except OSError as error:
        raise ModelError(f"cannot read the voice config {path}: {error.strerror or error}") from error
    problem = _config_problem(config)
    if problem is not None or not isinstance(config, dict):
        raise ModelError(f"the voice config {path} is not a Piper voice config ({problem}): reinstall the voice")
    return config


def _config_problem(config: object) -> str | None:
    if not isinstance(config, dict):
        return f"it holds {_JSON_TYPES.get(type(config), 'null')}, not an object"
    for keys, kind in _CONFIG_KEYS:
        value: object = config
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return f"'{'.'.join(keys)}' is missing"
        if type(value) is not kind:  # exact: JSON's true must not pass as a number
            return f"'{'.'.join(keys)}' must be {_JSON_TYPES[kind]}, not {_JSON_TYPES.get(type(value), 'null')}"
    language = config.get("language", {})
    if not isinstance(language, dict) or not isinstance(language.get("code", ""), str):
        return "'language' must be an object whose 'code' is a string"
    return None


def voice_language(onnx_path: Path) -> Language:
    """The language a Piper voice speaks, from its config's `language.code` or espeak voice."""
    config = voice_config(onnx_path)
    locale: str = config.get("language", {}).get("code") or config["espeak"]["voice"]
    return language_for_piper_locale(locale.replace("-", "_"))


def find_voice(location: Path, language: Language) -> Path:
    """The voice file at `location`, or the first voice for `language` in the folder `location`.

    A voice in the folder whose config cannot be read is passed over; if no voice for `language` is found and
    one of those is named for it (de_DE-... for German), the error says what is wrong with that one."""
    if location.is_file():
        voice_config(location)
        return location
    if not location.is_dir():
        raise ModelError(f"voice {location} does not exist: pass a Piper .onnx voice or a folder of voices")
    broken: list[ModelError] = []
    for candidate in sorted(location.rglob("*.onnx")):
        if any(part.startswith(".") for part in candidate.relative_to(location).parts):
            continue  # hidden: e.g. a model store's unfinished downloads
        try:
            if voice_language(candidate) == language:
                return candidate
        except UnknownLanguageError:
            continue
        except ModelError as error:
            if _named_for(candidate, language):
                broken.append(error)
    if broken:
        raise BrokenVoiceError(f"no usable {language.name} voice in {location}: {broken[0]}")
    raise UnsupportedLanguageError(f"no {language.name} voice in {location}: add a Piper voice for {language.name}")


def _named_for(voice: Path, language: Language) -> bool:
    """Whether a voice file is named for `language` as Piper names its voices (de_DE-thorsten-medium.onnx)."""
    try:
        return language_for_piper_locale(voice.name.split("-", 1)[0]) == language
    except UnknownLanguageError:
        return False


class SpeechSynthesizer:
    """Speaks text in one voice, sentence by sentence."""

    def __init__(self, settings: SynthesizerSettings, language: Language) -> None:
        self.path = find_voice(settings.voice, language)
        self.settings = settings
        try:
            self.language = voice_language(self.path)
            self._voice = PiperVoice(
                session=_session(self.path, settings.use_cuda, settings.cpu_threads),
                config=PiperConfig.from_dict(voice_config(self.path)),
            )
        except Exception as error:  # onnxruntime and JSON parsing fail in assorted ways on a corrupt voice
            raise ModelError(f"cannot load the voice {self.path}: {error}") from error
        if self.language != language:
            raise UnsupportedLanguageError(
                f"the voice {self.path.name} speaks {self.language.name}, not {language.name}: "
                f"pass a {language.name} voice"
            )
        self.sample_rate = self._voice.config.sample_rate
        self.is_demo = voice_config(self.path).get("dataset") == "demo"

    @property
    def name(self) -> str:
        return self.path.stem

    def sentences(self, text: str, speed: float = 1.0) -> Iterator[SpeechAudio]:
        """Yield speech one sentence at a time; `speed` above 1 speaks faster (Piper's length scale)."""
        base = self.settings.length_scale or self._voice.config.length_scale
        config = SynthesisConfig(speaker_id=self.settings.speaker, length_scale=base / speed)
        for chunk in self._voice.synthesize(text, config):
            yield SpeechAudio(chunk.audio_float_array, chunk.sample_rate)

    def pieces(self, text: str, speed: float = 1.0) -> Iterator[SpeechAudio]:
        """Yield speech in the order it is heard, each piece as soon as it is made: the first clause of a long
        first sentence alone (see `first_clause`), so playback can start while the rest is synthesised, then
        one piece per sentence. Later sentences are not cut: they are made while earlier ones play."""
        cut = first_clause(text)
        for part in cut or (text,):
            yield from self.sentences(part, speed)

    def speak(self, text: str, speed: float = 1.0) -> SpeechAudio:
        """All of `text` as one piece of audio."""
        pieces = [sentence.samples for sentence in self.sentences(text, speed)]
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return SpeechAudio(samples.astype(np.float32, copy=False), self.sample_rate)


def _session(path: Path, use_cuda: bool, threads: int) -> onnxruntime.InferenceSession:
    """The voice's onnxruntime session, as `PiperVoice.load` makes it, with `threads` threads on the CPU (0:
    onnxruntime's default). With a thread count set, its threads do not spin between runs: the voice shares
    the cores with the other stages, and a spinning pool takes CPU time they need (a one-thread cluster worker
    used more than one core)."""
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers: list[str | tuple[str, dict[str, str]]] = (
        [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})] if use_cuda else ["CPUExecutionProvider"]
    )
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=providers)
