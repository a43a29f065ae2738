"""Fill CTranslate2 model specs with hand-made weights.

The demo models are real CTranslate2 Transformers whose residual branches are zeroed, so each decoder
position sees only its own token embedding. The output projection then makes the next token a fixed
function of the current one (a "bigram chain"), which gives exact, known output while the model still
runs through CTranslate2's full encoder-decoder code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from ctranslate2.specs import attention_spec, common_spec, transformer_spec

# How strongly the chained token wins over every other one. With layer norm, a one-hot
# embedding becomes about sqrt(d) on its own axis, so this gives logit margins of 20+.
CHAIN_STRENGTH = 3.0
# Each further hypothesis starts this much less likely than the one before, then follows its chain as surely.
HYPOTHESIS_STEP = 0.05


def fill_layer_norm(spec: common_spec.LayerNormSpec, width: int) -> None:
    spec.gamma = np.ones(width, dtype=np.float32)
    spec.beta = np.zeros(width, dtype=np.float32)


def fill_linear(
    spec: common_spec.LinearSpec, out_dim: int, in_dim: int, rng: np.random.Generator, zero: bool = False
) -> None:
    spec.weight = (
        np.zeros((out_dim, in_dim), dtype=np.float32)
        if zero
        else rng.normal(0.0, 0.02, (out_dim, in_dim)).astype(np.float32)
    )
    spec.bias = np.zeros(out_dim, dtype=np.float32)


def fill_attention(
    spec: attention_spec.MultiHeadAttentionSpec, width: int, rng: np.random.Generator, zero_output: bool
) -> None:
    """Self-attention has a fused QKV projection; cross-attention has Q and a fused KV."""
    fill_layer_norm(spec.layer_norm, width)
    if len(spec.linear) == 2:
        fill_linear(spec.linear[0], 3 * width, width, rng)
    else:
        fill_linear(spec.linear[0], width, width, rng)
        fill_linear(spec.linear[1], 2 * width, width, rng)
    fill_linear(spec.linear[-1], width, width, rng, zero=zero_output)


def fill_feed_forward(
    spec: transformer_spec.FeedForwardSpec, width: int, hidden: int, rng: np.random.Generator, zero_output: bool
) -> None:
    fill_layer_norm(spec.layer_norm, width)
    fill_linear(spec.linear_0, hidden, width, rng)
    fill_linear(spec.linear_1, width, hidden, rng, zero=zero_output)


def fill_encoder_layer(
    spec: transformer_spec.TransformerEncoderLayerSpec, width: int, rng: np.random.Generator
) -> None:
    fill_attention(spec.self_attention, width, rng, zero_output=False)
    fill_feed_forward(spec.ffn, width, 4 * width, rng, zero_output=False)


def sinusoids(length: int, width: int) -> np.ndarray:
    """The sinusoidal position table Transformers use (Whisper's encoder, Marian, NLLB)."""
    half = width // 2
    scale = np.exp(-np.log(10000.0) * np.arange(half) / max(half - 1, 1))
    angles = np.arange(length)[:, None] * scale[None, :]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


def hypothesis_starts(firsts: Sequence[int]) -> list[tuple[int, float]]:
    """The successors that open equally long hypotheses (given by their first tokens, the intended answer
    first) after one token: each a step less likely than the one before, so a beam holds them in that order."""
    return [(first, 1.0 - rank * HYPOTHESIS_STEP) for rank, first in enumerate(firsts)]


def fill_bigram_decoder(
    spec: transformer_spec.TransformerDecoderSpec,
    vocabulary_size: int,
    width: int,
    max_positions: int,
    chain: Mapping[int, Sequence[tuple[int, float]]],
    rng: np.random.Generator,
) -> None:
    """Make the decoder emit a fixed successor for each token in `chain`.

    `chain` maps a token id to the ids that may follow it with their relative weights (1.0 for the
    intended successor). Every token that has successors gets its own embedding axis; the residual
    branches are zeroed and the position table is (nearly) zero, so the hidden state at a position is the
    normalised embedding of its token alone and the projection reads the successor off that axis.
    """
    if len(chain) > width:
        raise ValueError(f"a chain of {len(chain)} tokens needs a model width of at least that; got {width}")
    embeddings = rng.normal(0.0, 0.02, (vocabulary_size, width)).astype(np.float32)
    projection = np.zeros((vocabulary_size, width), dtype=np.float32)
    for axis, (token, successors) in enumerate(chain.items()):
        embeddings[token] = 0.0
        embeddings[token, axis] = 1.0
        for successor, weight in successors:
            projection[successor, axis] = CHAIN_STRENGTH * weight
    spec.embeddings.weight = embeddings
    # Nearly zero rather than zero: CTranslate2 saves identical arrays once, and an all-zero table the shape
    # of a zeroed int8 projection (max_positions == width) would load as that int8 array and fail.
    spec.position_encodings.encodings = np.full((max_positions, width), 1e-6, dtype=np.float32)
    fill_layer_norm(spec.layer_norm, width)
    spec.projection.weight = projection
    spec.projection.bias = np.zeros(vocabulary_size, dtype=np.float32)
    for layer in spec.layer:
        fill_attention(layer.self_attention, width, rng, zero_output=True)
        fill_attention(layer.attention, width, rng, zero_output=True)
        fill_feed_forward(layer.ffn, width, 4 * width, rng, zero_output=True)
