"""A tiny CTranslate2 Whisper model with the real multilingual Whisper tokenizer.

faster-whisper loads it exactly as it loads a real conversion (`model.bin`, `config.json`,
`vocabulary.json`, `tokenizer.json`, `preprocessor_config.json`). Its decoder is a bigram chain: for
any speech it detects English and transcribes `DEMO_TRANSCRIPT` as one timestamped segment per
30 s window, which makes it deterministic enough for tests to assert exact text.
"""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from pathlib import Path

import ctranslate2
import numpy as np
import tokenizers
from tokenizers import decoders, pre_tokenizers

from translator.models.demo.weights import (
    fill_bigram_decoder,
    fill_encoder_layer,
    fill_layer_norm,
    hypothesis_starts,
    sinusoids,
)

DEMO_TRANSCRIPT = "Ask not what your country can do for you."
# The language the chain detects first, and the runner-up that keeps the probability below 1.
DEMO_LANGUAGE = "en"
_RUNNER_UP_LANGUAGE = "de"

_TIKTOKEN = Path(__file__).with_name("assets") / "whisper-multilingual.tiktoken"
# Whisper's language tokens in token-id order (multilingual models up to large-v2).
WHISPER_TOKEN_LANGUAGES = [
    "en",
    "zh",
    "de",
    "es",
    "ru",
    "ko",
    "fr",
    "ja",
    "pt",
    "tr",
    "pl",
    "ca",
    "nl",
    "ar",
    "sv",
    "it",
    "id",
    "hi",
    "fi",
    "vi",
    "he",
    "uk",
    "el",
    "ms",
    "cs",
    "ro",
    "da",
    "hu",
    "ta",
    "no",
    "th",
    "ur",
    "hr",
    "bg",
    "lt",
    "la",
    "mi",
    "ml",
    "cy",
    "sk",
    "te",
    "fa",
    "lv",
    "bn",
    "sr",
    "az",
    "sl",
    "kn",
    "et",
    "mk",
    "br",
    "eu",
    "is",
    "hy",
    "ne",
    "mn",
    "bs",
    "kk",
    "sq",
    "sw",
    "gl",
    "mr",
    "pa",
    "si",
    "km",
    "sn",
    "yo",
    "so",
    "af",
    "oc",
    "ka",
    "be",
    "tg",
    "sd",
    "gu",
    "am",
    "yi",
    "lo",
    "uz",
    "fo",
    "ht",
    "ps",
    "tk",
    "nn",
    "mt",
    "sa",
    "lb",
    "my",
    "bo",
    "tl",
    "mg",
    "as",
    "tt",
    "haw",
    "ln",
    "ha",
    "ba",
    "jw",
    "su",
]
_TIMESTAMP_COUNT = 1501  # <|0.00|> to <|30.00|> in 20 ms steps
_LAST_TIMESTAMP = "<|29.98|>"

# Width, layers (encoder and decoder each) and heads: the demo's own size and two real architectures,
# whose compute matches Whisper base and small (their weights are random, their output the demo's).
WHISPER_SIZES = {"demo": (64, 1, 2), "base": (512, 6, 8), "small": (768, 12, 12)}
_MEL_BINS = 80
_ENCODER_FRAMES = 1500
_DECODER_POSITIONS = 448


def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters, used by byte-level BPE."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def _merge_pair(ranks: dict[bytes, int], token: bytes) -> tuple[bytes, bytes]:
    """The two parts BPE joins last to form `token`, replaying merges ranked below it."""
    limit = ranks[token]
    parts = [bytes([b]) for b in token]
    while len(parts) > 2:
        best_index, best_rank = -1, limit
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_index, best_rank = i, rank
        if best_index < 0:
            break
        parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]
    if len(parts) != 2:
        raise ValueError(f"cannot derive a merge for token {token!r}")
    return parts[0], parts[1]


def special_tokens() -> list[str]:
    """Whisper's special tokens in id order, starting at 50257."""
    return (
        ["<|endoftext|>", "<|startoftranscript|>"]
        + [f"<|{code}|>" for code in WHISPER_TOKEN_LANGUAGES]
        + ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>"]
        + ["<|notimestamps|>"]
        + [f"<|{i * 0.02:.2f}|>" for i in range(_TIMESTAMP_COUNT)]
    )


@cache
def whisper_tokenizer() -> tokenizers.Tokenizer:
    """Build the multilingual Whisper tokenizer from the shipped tiktoken ranks."""
    ranks: dict[bytes, int] = {}
    for line in _TIKTOKEN.read_text().splitlines():
        encoded, rank = line.split()
        ranks[base64.b64decode(encoded)] = int(rank)
    to_unicode = _byte_to_unicode()

    def spell(token: bytes) -> str:
        return "".join(to_unicode[b] for b in token)

    vocab = {spell(token): rank for token, rank in ranks.items()}
    merges = []
    for token, _ in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) > 1:
            left, right = _merge_pair(ranks, token)
            merges.append((spell(left), spell(right)))
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([tokenizers.AddedToken(t, special=True, normalized=False) for t in special_tokens()])
    return tokenizer


def _other_words(vocabulary: list[str | None], taken: set[int], count: int, length: int) -> list[list[int]]:
    """`count` sequences of `length` plain word tokens (no symbol faster-whisper suppresses), none in `taken`."""
    words = (
        i for i, word in enumerate(vocabulary) if word and word[0] == "Ġ" and word[1:].isalpha() and i not in taken
    )
    return [[next(words) for _ in range(length)] for _ in range(count)]


def build_demo_whisper(folder: Path, seed: int = 0, size: str = "demo", hypotheses: int = 1) -> Path:
    """Write the demo Whisper model into `folder` (created if needed) and return it; `size` picks the
    architecture from `WHISPER_SIZES`. `hypotheses`: how many transcripts of the demo's length the decoder
    offers, the demo's first and the others made of other words, so that a beam of up to that many runs as
    long as the transcript and ends with it, as a trained model's beams mostly do."""
    width, layers, heads = WHISPER_SIZES[size]
    tokenizer = whisper_tokenizer()
    vocabulary = [tokenizer.id_to_token(i) for i in range(tokenizer.get_vocab_size())]

    def ids(token: str) -> int:
        found = tokenizer.token_to_id(token)
        if found is None:
            raise ValueError(f"the Whisper tokenizer lacks {token}")
        return found

    text_ids = tokenizer.encode(" " + DEMO_TRANSCRIPT, add_special_tokens=False).ids
    if len(set(text_ids)) != len(text_ids):
        raise ValueError("the demo transcript must not repeat a token: a bigram chain cannot count")
    first_timestamp = ids("<|0.00|>")
    others = _other_words(vocabulary, set(text_ids), hypotheses - 1, len(text_ids))
    starts = hypothesis_starts([text_ids[0], *(other[0] for other in others)])
    chain: dict[int, list[tuple[int, float]]] = {
        ids("<|startoftranscript|>"): [(ids(f"<|{DEMO_LANGUAGE}|>"), 1.0), (ids(f"<|{_RUNNER_UP_LANGUAGE}|>"), 0.95)],
        ids("<|transcribe|>"): [(first_timestamp, 1.0)],
        ids("<|translate|>"): [(first_timestamp, 1.0)],
        ids("<|notimestamps|>"): starts,
        first_timestamp: starts,
    }
    for transcript in [text_ids, *others]:
        for current, following in zip(transcript, transcript[1:]):
            chain[current] = [(following, 1.0)]
        # After the last word: a closing timestamp when timestamps are on, else the end of text.
        chain[transcript[-1]] = [(ids(_LAST_TIMESTAMP), 1.0), (ids("<|endoftext|>"), 0.9)]
    chain[ids(_LAST_TIMESTAMP)] = [(ids("<|endoftext|>"), 1.0)]

    rng = np.random.default_rng(seed)
    spec = ctranslate2.specs.WhisperSpec(layers, heads, layers, heads)
    encoder = spec.encoder
    encoder.conv1.weight = rng.normal(0.0, 0.05, (width, _MEL_BINS, 3)).astype(np.float32)
    encoder.conv1.bias = np.zeros(width, dtype=np.float32)
    encoder.conv2.weight = rng.normal(0.0, 0.05, (width, width, 3)).astype(np.float32)
    encoder.conv2.bias = np.zeros(width, dtype=np.float32)
    encoder.position_encodings.encodings = sinusoids(_ENCODER_FRAMES, width)
    fill_layer_norm(encoder.layer_norm, width)
    for layer in encoder.layer:
        fill_encoder_layer(layer, width, rng)
    fill_bigram_decoder(spec.decoder, len(vocabulary), width, _DECODER_POSITIONS, chain, rng)

    spec.register_vocabulary(vocabulary)
    spec.config.suppress_ids = []
    spec.config.suppress_ids_begin = [ids("Ġ"), ids("<|endoftext|>")]
    spec.config.lang_ids = [ids(f"<|{code}|>") for code in WHISPER_TOKEN_LANGUAGES]
    spec.config.alignment_heads = [(0, 0)]
    spec.validate()
    spec.optimize("int8")
    os.makedirs(folder, exist_ok=True)
    spec.save(str(folder))
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "preprocessor_config.json").write_text(
        json.dumps({"feature_size": _MEL_BINS, "hop_length": 160, "n_fft": 400, "sampling_rate": 16000})
    )
    return folder
