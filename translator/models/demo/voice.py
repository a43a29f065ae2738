"""Build a tiny, deterministic, hand-made Piper voice for offline demos and tests.

The voice is a real Piper voice (``<locale>-demo-x_low.onnx`` plus its ``.onnx.json``),
so it loads through ``piper.PiperVoice.load`` and runs through piper's own phonemizer
(espeak-ng, bundled with piper) and post-processing. Instead of a trained VITS network,
the ONNX graph is a small signal generator written node by node with ``onnx.helper``: it
drops the padding ids (0) that piper puts between phonemes, gives every remaining id
``round(SECONDS_PER_PHONEME * sample_rate * length_scale)`` samples (so ``length_scale``
really changes the duration) and maps each sample to the id it belongs to. That id picks
a fundamental between 110 and 220 Hz; the per-sample frequency is integrated with
``CumSum`` so the phase stays continuous across phoneme boundaries (no clicks), a few
harmonics are added, and the result is shaped by a 4 Hz raised-cosine "syllable"
envelope. The envelope runs on wall-clock time rather than per phoneme because Silero
stops hearing speech when the syllable rate drops to about 2 Hz (length_scale 2). There
is no noise, so the same text always gives the same samples (``noise_scale``,
``noise_w`` and ``sid`` are ignored), and the peak stays below ``AMPLITUDE`` so piper's
normalization and clipping never distort it. The result is voiced and syllabic enough
for the Silero VAD in faster-whisper to call it speech.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

# Duration of one phoneme at length_scale 1: about 12 phonemes a second, a natural rate.
SECONDS_PER_PHONEME = 0.08
# Fundamental: one pitch step per phoneme id, wrapping around, like a low voice.
BASE_PITCH_HZ = 110.0
PITCH_STEP_HZ = 10.0
PITCH_STEPS = 12  # 110, 120, ..., 220 Hz
# Relative harmonic amplitudes (1/h falloff, roughly a glottal source spectrum). Five
# gave the steadiest Silero speech probabilities over English, German, French and
# Spanish sentences at length_scale 0.5-2; many more harmonics made Silero less sure.
HARMONICS = (1.0, 1.0 / 2.0, 1.0 / 3.0, 1.0 / 4.0, 1.0 / 5.0)
# Peak before piper's normalization; harmonic weights are scaled so the sum stays below.
AMPLITUDE = 0.4
# Syllable-like amplitude bumps per second, the typical syllable rate of speech.
SYLLABLE_HZ = 4.0
# The padding id piper inserts after every phoneme; it carries no sound of its own.
PAD_ID = 0
# Piper sizes its symbol table as the highest phoneme id + 1.
NUM_SYMBOLS = 1 + max(i for ids in DEFAULT_PHONEME_ID_MAP.values() for i in ids)
# Opset 17 / IR version 8 rather than onnx's newest defaults, so older runtimes load it.
OPSET = 17
IR_VERSION = 8


def _const(name: str, value: np.ndarray) -> onnx.NodeProto:
    """A Constant node; small constants keep the model at a few KB."""
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def _build_graph(sample_rate: int) -> onnx.ModelProto:
    """The signal generator graph with piper's input and output names and shapes."""
    samples_per_phoneme = SECONDS_PER_PHONEME * sample_rate
    harmonic_numbers = np.arange(1, len(HARMONICS) + 1, dtype=np.float32)
    harmonic_weights = np.array(HARMONICS, dtype=np.float32) * (AMPLITUDE / sum(HARMONICS))

    nodes = [
        # Constants.
        _const("c_flat", np.array([-1], dtype=np.int64)),
        _const("c_pad", np.array(PAD_ID, dtype=np.int64)),
        _const("c_ls_start", np.array([1], dtype=np.int64)),
        _const("c_ls_end", np.array([2], dtype=np.int64)),
        _const("c_spp", np.array(samples_per_phoneme, dtype=np.float32)),
        _const("c_one_i", np.array(1, dtype=np.int64)),
        _const("c_zero_i", np.array(0, dtype=np.int64)),
        _const("c_steps", np.array(PITCH_STEPS, dtype=np.int64)),
        _const("c_pitch_step", np.array(PITCH_STEP_HZ / sample_rate, dtype=np.float64)),
        _const("c_pitch_base", np.array(BASE_PITCH_HZ / sample_rate, dtype=np.float64)),
        _const("c_one_d", np.array(1.0, dtype=np.float64)),
        _const("c_axis0", np.array(0, dtype=np.int64)),
        _const("c_axes1", np.array([1], dtype=np.int64)),
        _const("c_harm", (2.0 * math.pi * harmonic_numbers).astype(np.float32)),
        _const("c_weights", harmonic_weights),
        _const("c_syllable", np.array(SYLLABLE_HZ / sample_rate, dtype=np.float64)),
        _const("c_two_pi", np.array(2.0 * math.pi, dtype=np.float32)),
        _const("c_half", np.array(0.5, dtype=np.float32)),
        _const("c_out_shape", np.array([1, 1, -1], dtype=np.int64)),
        # Keep real phonemes (and BOS/EOS) only: the pads piper interleaves would double
        # the duration and make the "speech" unnaturally slow.
        helper.make_node("Reshape", ["input", "c_flat"], ["ids"]),
        helper.make_node("Equal", ["ids", "c_pad"], ["is_pad"]),
        helper.make_node("Not", ["is_pad"], ["is_phoneme"]),
        helper.make_node("NonZero", ["is_phoneme"], ["phoneme_pos_2d"]),
        helper.make_node("Reshape", ["phoneme_pos_2d", "c_flat"], ["phoneme_pos"]),
        helper.make_node("Gather", ["ids", "phoneme_pos"], ["phonemes"], axis=0),
        helper.make_node("Shape", ["phonemes"], ["n_phonemes"]),
        # Samples per phoneme = max(1, round(spp * length_scale)): < 1 speeds speech up.
        helper.make_node("Slice", ["scales", "c_ls_start", "c_ls_end"], ["length_scale"]),
        helper.make_node("Mul", ["length_scale", "c_spp"], ["spp_scaled"]),
        helper.make_node("Round", ["spp_scaled"], ["spp_rounded"]),
        helper.make_node("Cast", ["spp_rounded"], ["spp_int"], to=TensorProto.INT64),
        helper.make_node("Max", ["spp_int", "c_one_i"], ["spp"]),
        # T = n_phonemes * spp; t = 0..T-1 and the phoneme each sample belongs to.
        helper.make_node("Mul", ["n_phonemes", "spp"], ["total_1d"]),
        helper.make_node("Squeeze", ["total_1d"], ["total"]),
        helper.make_node("Range", ["c_zero_i", "total", "c_one_i"], ["t"]),
        helper.make_node("Div", ["t", "spp"], ["sample_phoneme"]),
        helper.make_node("Gather", ["phonemes", "sample_phoneme"], ["sample_id"], axis=0),
        # Pitch in cycles per sample, from the phoneme id; float64 so the running phase
        # stays exact over long sentences.
        helper.make_node("Mod", ["sample_id", "c_steps"], ["pitch_step"]),
        helper.make_node("Cast", ["pitch_step"], ["pitch_step_d"], to=TensorProto.DOUBLE),
        helper.make_node("Mul", ["pitch_step_d", "c_pitch_step"], ["pitch_offset"]),
        helper.make_node("Add", ["pitch_offset", "c_pitch_base"], ["cycles_per_sample"]),
        # Integrating frequency keeps the phase continuous when the pitch steps.
        helper.make_node("CumSum", ["cycles_per_sample", "c_axis0"], ["cycles"]),
        helper.make_node("Mod", ["cycles", "c_one_d"], ["phase_d"], fmod=1),
        helper.make_node("Cast", ["phase_d"], ["phase"], to=TensorProto.FLOAT),
        # Harmonics: sin(2*pi*h*phase) for each h, weighted and summed by one MatMul.
        helper.make_node("Unsqueeze", ["phase", "c_axes1"], ["phase_col"]),
        helper.make_node("Mul", ["phase_col", "c_harm"], ["harm_angle"]),
        helper.make_node("Sin", ["harm_angle"], ["harm_wave"]),
        helper.make_node("MatMul", ["harm_wave", "c_weights"], ["voiced"]),
        # Syllable envelope 0.5 - 0.5*cos(2*pi*4Hz*t) starts from silence (no onset
        # click); cycles are taken modulo 1 in float64 for precision on long audio.
        helper.make_node("Cast", ["t"], ["t_d"], to=TensorProto.DOUBLE),
        helper.make_node("Mul", ["t_d", "c_syllable"], ["syllables"]),
        helper.make_node("Mod", ["syllables", "c_one_d"], ["syllable_pos_d"], fmod=1),
        helper.make_node("Cast", ["syllable_pos_d"], ["syllable_pos"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["syllable_pos", "c_two_pi"], ["env_angle"]),
        helper.make_node("Cos", ["env_angle"], ["env_cos"]),
        helper.make_node("Mul", ["env_cos", "c_half"], ["env_half"]),
        helper.make_node("Sub", ["c_half", "env_half"], ["envelope"]),
        helper.make_node("Mul", ["voiced", "envelope"], ["wave"]),
        helper.make_node("Reshape", ["wave", "c_out_shape"], ["output"]),
    ]

    graph = helper.make_graph(
        nodes,
        "piper_demo_voice",
        inputs=[
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
            # Piper always feeds input_lengths; the graph reads the length from `input`.
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "time"])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="translator.models.demo.voice",
        doc_string="Deterministic demo voice: pitched harmonics, syllable envelope.",
    )
    model.ir_version = IR_VERSION
    return model


def voice_config(espeak_voice: str, locale: str, sample_rate: int, quality: str = "x_low") -> dict[str, object]:
    """The .onnx.json piper reads (see piper.config.PiperConfig.from_dict), for a voice on piper's phoneme ids."""
    return {
        "dataset": "demo",
        "audio": {"sample_rate": sample_rate, "quality": quality},
        "espeak": {"voice": espeak_voice},
        "language": {"code": locale},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
        "num_symbols": NUM_SYMBOLS,
        "num_speakers": 1,
        "speaker_id_map": {},
    }


def build_demo_voice(folder: Path, espeak_voice: str, locale: str, sample_rate: int = 16000) -> Path:
    """Write folder/f"{locale}-demo-x_low.onnx" and its ".onnx.json" (creating folder); return the .onnx path."""
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / f"{locale}-demo-x_low.onnx"
    onnx_path.write_bytes(_build_graph(sample_rate).SerializeToString())
    config_path = onnx_path.with_name(onnx_path.name + ".json")
    config_path.write_text(
        json.dumps(voice_config(espeak_voice, locale, sample_rate), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return onnx_path
