"""Piper voices of the real architectures, from piper's own training code, with random weights.

Piper's `low` and `medium` voices are the same VITS network (its training defaults: 192 hidden channels,
6 text-encoder layers, the stochastic duration predictor and a 256-channel HiFi-GAN-style decoder); `low`
runs at 16 kHz and `medium` at 22.05 kHz, so a second of medium speech costs more frames. The network is
exported to ONNX the way piper's `export_onnx` does and loads through `PiperVoice`, like a downloaded voice.

A random duration predictor would give every phoneme id about one frame (12-16 ms), far shorter speech
than a trained voice, so its last flow is pinned to `frames_per_id` frames an id: synthesis then produces
as much audio per phoneme as a real voice does, and costs what a real voice costs.

Needs torch (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translator.models.demo.voice import NUM_SYMBOLS, voice_config

# Piper puts a pad id after every phoneme; trained voices speak about 14 phonemes a second, so each id
# (phoneme or pad) lasts about 36 ms.
SECONDS_PER_ID = 0.036
HOP_LENGTH = 256  # samples per spectrogram frame, as piper trains
OPSET = 15  # piper's export_onnx


@dataclass(frozen=True)
class VoiceArchitecture:
    sample_rate: int
    inter_channels: int = 192
    hidden_channels: int = 192
    filter_channels: int = 768
    heads: int = 2
    layers: int = 6
    resblock: str = "2"
    resblock_kernel_sizes: tuple[int, ...] = (3, 5, 7)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 2), (2, 6), (3, 12))
    upsample_rates: tuple[int, ...] = (8, 8, 4)
    upsample_initial_channel: int = 256
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 8)

    @property
    def frames_per_id(self) -> int:
        return max(1, round(SECONDS_PER_ID * self.sample_rate / HOP_LENGTH))


VOICE_QUALITIES = {"low": VoiceArchitecture(sample_rate=16000), "medium": VoiceArchitecture(sample_rate=22050)}


def phoneme_ids(voice: Path, text: str) -> list[int]:
    """The ids piper's voice at `voice` (an .onnx file) speaks for `text`: phonemes, pads and sentence marks."""
    from piper import PiperVoice

    loaded = PiperVoice.load(voice)
    return [i for sentence in loaded.phonemize(text) for i in loaded.phonemes_to_ids(sentence)]


def synthesizer(architecture: VoiceArchitecture, seed: int = 0) -> Any:
    """Piper's VITS generator at `architecture`, random weights, durations pinned, ready for inference."""
    import torch
    from piper.train.vits.models import SynthesizerTrn

    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # piper's training code still uses the old weight_norm
        model: Any = SynthesizerTrn(
            n_vocab=NUM_SYMBOLS,
            spec_channels=1024 // 2 + 1,  # filter_length 1024
            segment_size=8192 // HOP_LENGTH,
            inter_channels=architecture.inter_channels,
            hidden_channels=architecture.hidden_channels,
            filter_channels=architecture.filter_channels,
            n_heads=architecture.heads,
            n_layers=architecture.layers,
            kernel_size=3,
            p_dropout=0.1,
            resblock=architecture.resblock,
            resblock_kernel_sizes=architecture.resblock_kernel_sizes,
            resblock_dilation_sizes=architecture.resblock_dilation_sizes,
            upsample_rates=architecture.upsample_rates,
            upsample_initial_channel=architecture.upsample_initial_channel,
            upsample_kernel_sizes=architecture.upsample_kernel_sizes,
        )
    model.eval()
    with torch.no_grad():
        model.dec.remove_weight_norm()
        _pin_durations(model, architecture.frames_per_id)
    return model


def _pin_durations(model: Any, frames: int) -> None:
    """Make the duration predictor answer log(frames) for every id, whatever its random input.

    Inverted, the stochastic predictor's last step is an elementwise affine flow, x = (z - m) * exp(-logs):
    a large logs shrinks whatever the random flows before it produced to nothing, and m sets the result.
    """
    affine = model.dp.flows[0]
    scale = 12.0
    affine.logs[0].fill_(scale)
    # Just under `frames`, so the ceil() that follows gives exactly `frames`.
    affine.m[0].fill_(-math.log(frames - 0.01) * math.exp(scale))


def build_bench_voice(folder: Path, quality: str, seed: int = 0) -> Path:
    """Write folder/de_DE-bench-QUALITY.onnx and its .onnx.json, as piper exports a voice; return folder."""
    import torch

    architecture = VOICE_QUALITIES[quality]
    model = synthesizer(architecture, seed)

    def infer_forward(text: Any, text_lengths: Any, scales: Any, sid: Any = None) -> Any:
        audio = model.infer(
            text, text_lengths, noise_scale=scales[0], length_scale=scales[1], noise_scale_w=scales[2], sid=sid
        )[0]
        return audio.unsqueeze(1)

    model.forward = infer_forward
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / f"de_DE-bench-{quality}.onnx"
    phonemes = torch.randint(low=1, high=NUM_SYMBOLS, size=(1, 50), dtype=torch.long)
    example = (phonemes, torch.LongTensor([50]), torch.FloatTensor([0.667, 1.0, 0.8]), None)
    with warnings.catch_warnings():
        # The tracer's notes on piper's Python-side shape checks: the export is piper's own and loads fine.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            example,
            str(onnx_path),
            opset_version=OPSET,
            input_names=["input", "input_lengths", "scales", "sid"],
            output_names=["output"],
            dynamic_axes={
                "input": {0: "batch_size", 1: "phonemes"},
                "input_lengths": {0: "batch_size"},
                "output": {0: "batch_size", 2: "time"},
            },
            dynamo=False,  # piper's own export path; the dynamo exporter needs onnxscript
        )
    config = voice_config("de", "de_DE", architecture.sample_rate, quality)
    config["dataset"] = "bench (random weights)"
    onnx_path.with_name(onnx_path.name + ".json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return folder
