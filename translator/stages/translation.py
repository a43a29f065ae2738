"""Text translation with CTranslate2 and SentencePiece, for the three model families users have.

CTranslate2 adds no special tokens to converted Transformers models, so the token layout each
family was trained with is built here:

- NLLB-200: source `[src_lang] + pieces + ["</s>"]`, target prefix `[tgt_lang]` (FLORES-200 codes);
- M2M-100: source `["__xx__"] + pieces + ["</s>"]`, target prefix `["__yy__"]`;
- OPUS-MT (Marian): source `pieces + ["</s>"]`, preceded by `>>yyy<<` for multi-target models; no prefix.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import ctranslate2
import sentencepiece as spm

from translator.compute import ComputeSettings, resolve_compute
from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import LANGUAGES, Language, UnknownLanguageError, find_language
from translator.models.folders import DEMO_MARKER, require_files

# The SentencePiece model of an NLLB-200 or M2M-100 folder; spm.128k.model is the name M2M-100
# conversions keep from fairseq's original release.
SENTENCEPIECE_NAMES = ("sentencepiece.bpe.model", "sentencepiece.model", "spm.128k.model")
_OPUS_MT_NAME = re.compile(r"opus-mt-(?:tc-(?:big|base)-)?([a-z]{2,3})-([a-z]{2,3})(?![a-z])", re.IGNORECASE)
_MARIAN_TARGET_TOKEN = re.compile(r"^>>([a-z]{2,3}(?:_[A-Za-z]+)?)<<$")


class ModelFamily(str, Enum):
    NLLB = "nllb"
    M2M100 = "m2m100"
    OPUS_MT = "opus-mt"


# CTranslate2's own default: a second hypothesis catches some of greedy decoding's slips for about 1.5x the time
# of a token (OPUS-MT base, 16 tokens, one thread: 256 against 177 ms). Live and batch both translate with it.
DEFAULT_BEAM_SIZE = 2


@dataclass(frozen=True)
class TranslatorSettings:
    """The translation model and how it decodes.

    model: a CTranslate2 translation model folder with its SentencePiece model(s).
    family: "auto" (recognised from the folder's files and vocabulary), "nllb", "m2m100" or "opus-mt".
    language_pair: for an OPUS-MT model whose folder name does not say it, "src-tgt" (e.g. "en-de").
    beam_size: 1-2 is fast; 4 is the usual quality setting.
    max_batch_size: sentences translated in one call.
    cache_size: translations remembered, so a repeated sentence costs nothing.
    """

    model: Path
    family: str = "auto"
    language_pair: str | None = None
    beam_size: int = DEFAULT_BEAM_SIZE
    max_batch_size: int = 16
    cache_size: int = 4096


def _read_vocabulary(folder: Path, side: str) -> list[str]:
    for stem in (f"{side}_vocabulary", "shared_vocabulary"):
        if (folder / f"{stem}.json").is_file():
            tokens: list[str] = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
            return tokens
        if (folder / f"{stem}.txt").is_file():
            return (folder / f"{stem}.txt").read_text(encoding="utf-8").splitlines()
    raise ModelError(f"translation model folder {folder} is incomplete: shared_vocabulary.json is missing")


def detect_family(folder: Path, vocabulary: Sequence[str]) -> ModelFamily:
    """Recognise the family from the tokenizer files and the language tokens in the vocabulary."""
    if (folder / "source.spm").is_file():
        return ModelFamily.OPUS_MT
    tokens = set(vocabulary)
    if "eng_Latn" in tokens:
        return ModelFamily.NLLB
    if "__en__" in tokens:
        return ModelFamily.M2M100
    raise ModelError(
        f"cannot tell which family the translation model in {folder} belongs to (no source.spm, no eng_Latn or "
        "__en__ token): set its family to nllb, m2m100 or opus-mt"
    )


def source_tokens(family: ModelFamily, pieces: Sequence[str], source: Language, target_token: str | None) -> list[str]:
    """The source token sequence the family was trained on (see the module docstring)."""
    if family is ModelFamily.NLLB:
        return [source.flores or ""] + list(pieces) + ["</s>"]
    if family is ModelFamily.M2M100:
        return [f"__{source.m2m}__"] + list(pieces) + ["</s>"]
    return ([target_token] if target_token else []) + list(pieces) + ["</s>"]


def target_prefix(family: ModelFamily, target: Language) -> list[str] | None:
    """The token the decoder is forced to start with, which selects the output language."""
    if family is ModelFamily.NLLB:
        return [target.flores or ""]
    if family is ModelFamily.M2M100:
        return [f"__{target.m2m}__"]
    return None


class TextTranslator:
    """Translates sentences between the languages its model covers, batching and caching them."""

    def __init__(self, settings: TranslatorSettings, compute: ComputeSettings = ComputeSettings()) -> None:
        folder = settings.model
        require_files(folder, "translation model", ("model.bin", "config.json"))
        source_vocabulary = _read_vocabulary(folder, "source")
        family = ModelFamily(settings.family) if settings.family != "auto" else detect_family(folder, source_vocabulary)
        if family is ModelFamily.OPUS_MT:
            require_files(folder, "OPUS-MT model", ("source.spm", "target.spm"))
            source_model, target_model = folder / "source.spm", folder / "target.spm"
        else:
            require_files(folder, f"{family.value} model", (SENTENCEPIECE_NAMES,))
            source_model = target_model = next(folder / n for n in SENTENCEPIECE_NAMES if (folder / n).is_file())
        self.settings = settings
        self.family = family
        self.is_demo = (folder / DEMO_MARKER).exists()
        self._vocabulary = set(source_vocabulary) | set(_read_vocabulary(folder, "target"))
        self.sources, self.targets = self._coverage(folder)
        resolved = resolve_compute(compute)
        try:
            self._source_pieces = spm.SentencePieceProcessor(model_file=str(source_model))
            self._target_pieces = spm.SentencePieceProcessor(model_file=str(target_model))
            self._model = ctranslate2.Translator(
                str(folder),
                device=resolved.device,
                compute_type=resolved.compute_type,
                intra_threads=resolved.cpu_threads,
            )
        except Exception as error:  # CTranslate2 reports a corrupt model.bin with assorted exception types
            raise ModelError(f"cannot load the translation model in {folder}: {error}") from error
        self._cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.settings.model.name

    def _coverage(self, folder: Path) -> tuple[frozenset[Language], frozenset[Language]]:
        if self.family is ModelFamily.NLLB:
            covered = frozenset(lang for lang in LANGUAGES if lang.flores in self._vocabulary)
            return covered, covered
        if self.family is ModelFamily.M2M100:
            covered = frozenset(lang for lang in LANGUAGES if lang.m2m and f"__{lang.m2m}__" in self._vocabulary)
            return covered, covered
        pair = self.settings.language_pair or ""
        named = _OPUS_MT_NAME.search(folder.name)
        codes = pair.split("-") if pair else ([named.group(1), named.group(2)] if named else [])
        try:
            languages = [find_language(code) for code in codes]
        except UnknownLanguageError as error:
            raise ModelError(f"OPUS-MT model {folder}: {error}") from error
        targets = {lang for token in self._vocabulary if (lang := _marian_target(token)) is not None}
        if len(languages) != 2 and not targets:
            raise ModelError(
                f"cannot tell the language pair of the OPUS-MT model in {folder}: name its folder opus-mt-SRC-TGT "
                "or set its language pair (e.g. en-de)"
            )
        sources = frozenset(languages[:1])
        return sources, frozenset(targets or languages[1:])

    def check_pair(self, source: Language | None, target: Language) -> None:
        """Raise `UnsupportedLanguageError` unless the model translates `source` (None: any) into `target`."""
        if target not in self.targets:
            raise UnsupportedLanguageError(
                f"the translation model {self.name} ({self.family.value}) cannot translate into {target.name}: "
                "use a model that covers it"
            )
        if source is not None and source != target and source not in self.sources:
            raise UnsupportedLanguageError(
                f"the translation model {self.name} ({self.family.value}) cannot translate from {source.name}: "
                "use a model that covers it, or choose the language actually spoken"
            )

    def _target_token(self, target: Language) -> str | None:
        if self.family is not ModelFamily.OPUS_MT:
            return None
        for code in (target.iso639_3, target.code):
            if code and f">>{code}<<" in self._vocabulary:
                return f">>{code}<<"
        return None

    def translate(self, texts: Sequence[str], source: Language, target: Language) -> list[str]:
        """Translate `texts` from `source` into `target`; text already in `target` is returned as is."""
        self.check_pair(source, target)
        if source == target:
            return list(texts)
        keys = [(source.code, target.code, text) for text in texts]
        with self._cache_lock:
            known = {key: self._cache[key] for key in keys if key in self._cache}
            for key in known:
                self._cache.move_to_end(key)  # least recently used goes first
        missing = list(dict.fromkeys(key for key in keys if key not in known))
        prefix = target_prefix(self.family, target)
        target_token = self._target_token(target)
        for start in range(0, len(missing), self.settings.max_batch_size):
            batch = missing[start : start + self.settings.max_batch_size]
            encoded = [
                source_tokens(self.family, self._source_pieces.encode(text, out_type=str), source, target_token)
                for _, _, text in batch
            ]
            results = self._model.translate_batch(
                encoded,
                target_prefix=[prefix] * len(batch) if prefix else None,
                beam_size=self.settings.beam_size,
                max_input_length=1024,
                max_decoding_length=256,
            )
            for key, result in zip(batch, results):
                tokens = result.hypotheses[0][1:] if prefix else result.hypotheses[0]
                known[key] = self._target_pieces.decode(tokens).strip()
        with self._cache_lock:
            for key in missing:
                self._cache[key] = known[key]
                self._cache.move_to_end(key)
            while len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)
        return [known[key] for key in keys]


def _marian_target(token: str) -> Language | None:
    match = _MARIAN_TARGET_TOKEN.match(token)
    if not match:
        return None
    try:
        return find_language(match.group(1).split("_")[0])
    except UnknownLanguageError:
        return None
