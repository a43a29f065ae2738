"""Tiny CTranslate2 translation models in the NLLB-200, M2M-100 and OPUS-MT (Marian) layouts.

Each has a SentencePiece model trained on the spot and a vocabulary laid out like the real family's,
so `translator.stages.translation` loads and drives it exactly as it would a real conversion. The decoder is a
bigram chain that starts from the target-language token: whatever the source, the model answers with
`DEMO_TRANSLATIONS[target]`, which lets tests check that the right language token reached the model.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece as spm

from translator.models.demo.weights import (
    fill_bigram_decoder,
    fill_encoder_layer,
    fill_layer_norm,
    hypothesis_starts,
    sinusoids,
)
from translator.models.folders import DEMO_TRANSLATIONS as DEMO_TRANSLATIONS  # re-exported: tests use it here

_FLORES = {"en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn"}
_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # NLLB/M2M ids 0-3, which SentencePiece is told to use


@dataclass(frozen=True)
class TranslationArchitecture:
    """The Transformer's size. `vocabulary` pads the target vocabulary with unused pieces up to that
    many entries (0: the SentencePiece model's own), so embeddings and output projection cost what a
    real model's do; the chain still answers with the demo sentence.

    hypotheses: how many answers of the demo sentence's length the decoder offers, the demo sentence first
    and the others made of unused pieces, so that a beam of up to that many runs as long as the answer and
    finishes with it, as a trained model's beams mostly do (a beam wider than the chains follows random
    tokens instead, for as long as they take to end). More than 1 needs the padded vocabulary.
    """

    width: int = 64
    layers: int = 1
    heads: int = 2
    vocabulary: int = 0
    max_positions: int = 256
    hypotheses: int = 1


DEMO_ARCHITECTURE = TranslationArchitecture()
# The compute of the real models (their weights are random, their output the demo's), with as many equally long
# hypotheses as the widest beam the benchmark decodes with (Marian's default of 4).
MARIAN_BASE = TranslationArchitecture(width=512, layers=6, heads=8, vocabulary=58101, max_positions=512, hypotheses=4)
NLLB_600M = TranslationArchitecture(
    width=1024, layers=12, heads=16, vocabulary=256206, max_positions=1024, hypotheses=4
)
# Words the SentencePiece corpus is made of, besides the demo sentences themselves.
_FILLER = {
    "en": "the good house is small today we go home with friends and read a book",
    "de": "das gute Haus ist heute klein wir gehen mit Freunden nach Hause und lesen ein Buch",
    "fr": "la bonne maison est petite aujourd'hui nous rentrons avec des amis et lisons un livre",
    "es": "la casa buena es pequeña hoy vamos a casa con amigos y leemos un libro",
}


def _corpus() -> Iterable[str]:
    """A few hundred sentences: each demo sentence often enough that its words become single pieces."""
    for language, sentence in DEMO_TRANSLATIONS.items():
        words = _FILLER[language].split()
        for _ in range(40):
            yield sentence
        for a, b in itertools.combinations(range(len(words)), 2):
            yield f"{words[a]} {words[b]} {' '.join(words[b:])}."


def _train_sentencepiece(language_tokens: list[str]) -> bytes:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(_corpus())),
        model_writer=model,
        vocab_size=400,
        hard_vocab_limit=False,
        model_type="bpe",
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        user_defined_symbols=language_tokens,
        character_coverage=1.0,
        minloglevel=2,
    )
    return model.getvalue()


def _build(
    folder: Path,
    language_token: dict[str, str | None],
    tokenizer_files: tuple[str, ...],
    seed: int,
    architecture: TranslationArchitecture,
) -> Path:
    """Train the tokenizer, chain each target's sentence after its language token, save the model."""
    tokens = [token for token in language_token.values() if token]
    sentencepiece_model = _train_sentencepiece(tokens)
    processor = spm.SentencePieceProcessor(model_proto=sentencepiece_model)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocabulary += [f"<unused{i}>" for i in range(architecture.vocabulary - len(vocabulary))]
    ids = {piece: i for i, piece in enumerate(vocabulary)}

    unused = iter(range(processor.get_piece_size(), len(vocabulary)))
    chain: dict[int, list[tuple[int, float]]] = {}

    def link(current: int, following: int) -> None:
        pair = [(following, 1.0)]
        if chain.setdefault(current, pair) != pair:
            raise ValueError(f"demo chains disagree after {vocabulary[current]!r}: pick sentences with distinct pieces")

    for language, token in language_token.items():
        answer = [ids[piece] for piece in processor.encode(DEMO_TRANSLATIONS[language], out_type=str)]
        others = [list(itertools.islice(unused, len(answer))) for _ in range(architecture.hypotheses - 1)]
        if any(len(other) < len(answer) for other in others):
            raise ValueError(f"{architecture.hypotheses} hypotheses need a larger padded vocabulary")
        chain[ids[token or "</s>"]] = hypothesis_starts([answer[0], *(other[0] for other in others)])
        for hypothesis in [answer, *others]:
            for current, following in zip(hypothesis, [*hypothesis[1:], ids["</s>"]]):
                link(current, following)

    rng = np.random.default_rng(seed)
    width, positions = architecture.width, architecture.max_positions
    spec = ctranslate2.specs.TransformerSpec.from_config(
        (architecture.layers, architecture.layers), architecture.heads, pre_norm=True
    )
    fill_bigram_decoder(spec.decoder, len(vocabulary), width, positions, chain, rng)
    encoder = spec.encoder
    # One embedding table for both sides, as NLLB and Marian share theirs: CTranslate2 stores it once.
    encoder.embeddings[0].weight = spec.decoder.embeddings.weight
    encoder.position_encodings.encodings = sinusoids(positions, width)
    fill_layer_norm(encoder.layer_norm, width)
    for layer in encoder.layer:
        fill_encoder_layer(layer, width, rng)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.config.decoder_start_token = "</s>"
    spec.config.add_source_bos = False
    spec.config.add_source_eos = False
    spec.validate()
    spec.optimize("int8")
    os.makedirs(folder, exist_ok=True)
    spec.save(str(folder))
    first = folder / tokenizer_files[0]
    first.write_bytes(sentencepiece_model)
    for name in tokenizer_files[1:]:
        shutil.copyfile(first, folder / name)
    return folder


def build_demo_nllb(folder: Path, seed: int = 0, architecture: TranslationArchitecture = DEMO_ARCHITECTURE) -> Path:
    """An NLLB-200 layout model: FLORES-200 language tokens, `sentencepiece.bpe.model`."""
    return _build(folder, dict(_FLORES), ("sentencepiece.bpe.model",), seed, architecture)


def build_demo_m2m100(folder: Path, seed: int = 0) -> Path:
    """An M2M-100 layout model: `__xx__` language tokens, `sentencepiece.bpe.model`."""
    tokens: dict[str, str | None] = {language: f"__{language}__" for language in DEMO_TRANSLATIONS}
    return _build(folder, tokens, ("sentencepiece.bpe.model",), seed, DEMO_ARCHITECTURE)


def build_demo_opus_mt(
    folder: Path,
    source: str = "en",
    target: str = "de",
    seed: int = 0,
    architecture: TranslationArchitecture = DEMO_ARCHITECTURE,
) -> Path:
    """An OPUS-MT (Marian) layout model for one language pair: `source.spm` and `target.spm`, no
    language tokens. Name the folder `opus-mt-SRC-TGT`, as OPUS-MT names its models, so the pair is known."""
    if target not in DEMO_TRANSLATIONS or source not in DEMO_TRANSLATIONS:
        raise ValueError(f"the demo models speak {', '.join(DEMO_TRANSLATIONS)}; got {source}->{target}")
    return _build(folder, {target: None}, ("source.spm", "target.spm"), seed, architecture)
