"""The same architectures in PyTorch: what a Transformers- or piper-based app would run.

Whisper and the translators are Transformers models built from their configs at the real sizes, with
random weights, decoding through `generate` with the benchmark's pinned output lengths; the voice is
piper's VITS forward pass (`bench.voices`). Each stage does what ours does for the utterance:
Whisper's features and its 30 s window included, the voice's audio for the same phoneme ids.

Needs torch and transformers (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bench.measure import timed
from bench.models import DEFAULT_BEAMS
from bench.voices import VOICE_QUALITIES, synthesizer
from translator.models.demo.translation import DEMO_ARCHITECTURE, MARIAN_BASE, NLLB_600M, TranslationArchitecture
from translator.models.demo.whisper import WHISPER_SIZES

# Whisper's special tokens in the multilingual vocabulary (its prompt: start, English, transcribe).
_WHISPER_VOCABULARY = 51865
_WHISPER_PROMPT = [50258, 50259, 50359]
_END_OF_TEXT = 50257


@dataclass(frozen=True)
class PinnedLengths:
    """What our stages produced for the utterance, so the peers do the same amount of work."""

    audio: np.ndarray  # 16 kHz mono
    recognized_tokens: int
    source_tokens: int
    translated_tokens: int
    phoneme_ids: list[int]


# Transformers' class for each of our translation architectures (NLLB-200 is an M2M-100 network); the tiny
# one, for the smoke test, has the demo's width with a vocabulary of its own (the demo's is the SentencePiece
# model's size).
_TRANSLATORS = {
    "opus-mt": ("marian", MARIAN_BASE),
    "nllb": ("m2m100", NLLB_600M),
    "tiny": ("marian", replace(DEMO_ARCHITECTURE, vocabulary=1000)),
}


def measure_peer_stages(
    whisper_size: str, translation: str, voice_quality: str, lengths: PinnedLengths, repeats: int, warmup: int
) -> dict[str, dict[str, list[float]]]:
    """Seconds of each PyTorch stage for the utterance, by decoding ("greedy", "default"); see `peer_runs`."""
    import torch

    runs = peer_runs(whisper_size, translation, voice_quality, lengths)
    with torch.inference_mode():
        return {
            beams: {stage: timed(run, repeats, warmup) for stage, run in stages.items()}
            for beams, stages in runs.items()
        }


def peer_runs(
    whisper_size: str, translation: str, voice_quality: str, lengths: PinnedLengths
) -> dict[str, dict[str, Callable[[], object]]]:
    """Each PyTorch stage as a call returning its output, greedy and at the default beams (5 and 4).

    `whisper_size` is a key of WHISPER_SIZES, `translation` of _TRANSLATORS, `voice_quality` of
    VOICE_QUALITIES. Synthesis has no beams: it runs only under "greedy". Each model is built once."""
    import transformers

    transformers.logging.set_verbosity_error()  # every generate() call would warn about max_length
    recognize = _whisper(whisper_size, lengths)
    translate = _translator(*_TRANSLATORS[translation], lengths)
    recognition_beams, translation_beams = DEFAULT_BEAMS["recognition"], DEFAULT_BEAMS["translation"]
    return {
        "greedy": {
            "recognition": lambda: recognize(1),
            "translation": lambda: translate(1),
            "synthesis": _voice(voice_quality, lengths),
        },
        "default": {
            "recognition": lambda: recognize(recognition_beams),
            "translation": lambda: translate(translation_beams),
        },
    }


def _whisper(size: str, lengths: PinnedLengths) -> Callable[[int], object]:
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    width, layers, heads = WHISPER_SIZES[size]
    config = WhisperConfig(
        vocab_size=_WHISPER_VOCABULARY,
        d_model=width,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=4 * width,
        decoder_ffn_dim=4 * width,
        num_mel_bins=80,
        decoder_start_token_id=_WHISPER_PROMPT[0],
        pad_token_id=_END_OF_TEXT,
        bos_token_id=_END_OF_TEXT,
        eos_token_id=_END_OF_TEXT,
    )
    model = WhisperForConditionalGeneration(config).eval()
    features = WhisperFeatureExtractor(feature_size=80)
    prompt = torch.tensor([_WHISPER_PROMPT])
    tokens = lengths.recognized_tokens

    def run(beams: int) -> object:
        window = features(lengths.audio, sampling_rate=16000, return_tensors="pt").input_features
        return model.generate(
            window, decoder_input_ids=prompt, min_new_tokens=tokens, max_new_tokens=tokens, num_beams=beams
        )

    return run


def _translator(family: str, shape: TranslationArchitecture, lengths: PinnedLengths) -> Callable[[int], object]:
    import torch
    import transformers

    common = {
        "vocab_size": shape.vocabulary,
        "d_model": shape.width,
        "encoder_layers": shape.layers,
        "decoder_layers": shape.layers,
        "encoder_attention_heads": shape.heads,
        "decoder_attention_heads": shape.heads,
        "encoder_ffn_dim": 4 * shape.width,
        "decoder_ffn_dim": 4 * shape.width,
        "max_position_embeddings": shape.max_positions,
        "pad_token_id": 1,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
    }
    if family == "marian":
        model = transformers.MarianMTModel(transformers.MarianConfig(**common))
    else:
        model = transformers.M2M100ForConditionalGeneration(transformers.M2M100Config(**common))
    model.eval()
    generator = torch.Generator().manual_seed(0)
    # Any ids but the specials: the compute depends on the length only.
    source = torch.randint(4, shape.vocabulary, (1, lengths.source_tokens), generator=generator)
    tokens = lengths.translated_tokens

    def run(beams: int) -> object:
        return model.generate(source, min_new_tokens=tokens, max_new_tokens=tokens, num_beams=beams)

    return run


def _voice(quality: str, lengths: PinnedLengths) -> Callable[[], object]:
    import torch

    model = synthesizer(VOICE_QUALITIES[quality])
    ids = torch.LongTensor([lengths.phoneme_ids])
    id_count = torch.LongTensor([len(lengths.phoneme_ids)])

    def run() -> object:
        return model.infer(ids, id_count, noise_scale=0.667, length_scale=1.0, noise_scale_w=0.8)[0]

    return run
