"""Tests for translator.models.demo.voice: the hand-built voice loads and speaks via piper."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps
from piper import PiperVoice, SynthesisConfig

from translator.models.demo.voice import AMPLITUDE, build_demo_voice

ENGLISH = "The weather is nice today. We are going to the park."
GERMAN = "Das Wetter ist heute schön. Wir gehen in den Park."
VAD_RATE = 16000


def synthesize(voice: PiperVoice, text: str, **config: float | bool) -> np.ndarray:
    """All sentences of `text`, concatenated."""
    chunks = list(voice.synthesize(text, SynthesisConfig(**config)))
    return np.concatenate([chunk.audio_float_array for chunk in chunks])


def resample(audio: np.ndarray, rate: int, target: int = VAD_RATE) -> np.ndarray:
    """Linear-interpolation resampling; plenty for a VAD on a low-pitched signal."""
    if rate == target:
        return audio.astype(np.float32)
    n_out = round(len(audio) * target / rate)
    positions = np.arange(n_out) * (rate / target)
    return np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)


def speech_fraction(audio: np.ndarray) -> float:
    """Share of `audio` (16 kHz) inside the speech segments Silero finds."""
    segments = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300))
    covered = sum(min(seg["end"], len(audio)) - seg["start"] for seg in segments)
    return covered / len(audio)


def test_writes_small_valid_voice(tmp_path: Path) -> None:
    start = time.perf_counter()
    onnx_path = build_demo_voice(tmp_path / "voices" / "nested", "en-us", "en_US")
    elapsed = time.perf_counter() - start

    assert onnx_path == tmp_path / "voices" / "nested" / "en_US-demo-x_low.onnx"
    assert onnx_path.is_file()
    assert elapsed < 1.0
    assert onnx_path.stat().st_size < 16_000
    onnx.checker.check_model(onnx.load(onnx_path), full_check=True)

    config = json.loads(Path(f"{onnx_path}.json").read_text(encoding="utf-8"))
    assert config["dataset"] == "demo"
    assert config["language"]["code"] == "en_US"
    assert config["espeak"]["voice"] == "en-us"
    assert config["audio"]["sample_rate"] == 16000
    assert config["phoneme_type"] == "espeak"
    assert config["num_speakers"] == 1


@pytest.mark.parametrize(
    ("espeak_voice", "locale", "text"),
    [("en-us", "en_US", ENGLISH), ("de", "de_DE", GERMAN)],
)
def test_loads_and_synthesizes_one_chunk_per_sentence(
    tmp_path: Path, espeak_voice: str, locale: str, text: str
) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, espeak_voice, locale))
    chunks = list(voice.synthesize(text, SynthesisConfig()))

    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.sample_rate == voice.config.sample_rate == 16000
        assert chunk.audio_float_array.dtype == np.float32
        assert chunk.audio_float_array.size > 0
        assert np.all(np.isfinite(chunk.audio_float_array))
        assert np.max(np.abs(chunk.audio_float_array)) <= 1.0
        assert len(chunk.audio_int16_bytes) == 2 * chunk.audio_float_array.size


def test_other_sample_rate_is_written_and_used(tmp_path: Path) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, "en-us", "en_US", sample_rate=22050))
    chunk = next(iter(voice.synthesize("Hello there.", SynthesisConfig())))
    assert voice.config.sample_rate == chunk.sample_rate == 22050
    # About 0.08 s per phoneme, so a short sentence lasts well under a few seconds.
    assert 0.3 < chunk.audio_float_array.size / 22050 < 3.0


def test_deterministic(tmp_path: Path) -> None:
    first_path = build_demo_voice(tmp_path / "a", "en-us", "en_US")
    second_path = build_demo_voice(tmp_path / "b", "en-us", "en_US")
    assert first_path.read_bytes() == second_path.read_bytes()

    voice = PiperVoice.load(first_path)
    first = synthesize(voice, ENGLISH)
    second = synthesize(voice, ENGLISH, noise_scale=0.9, noise_w_scale=0.1)
    other = synthesize(PiperVoice.load(second_path), ENGLISH)
    assert np.array_equal(first, second)
    assert np.array_equal(first, other)


def test_peak_stays_below_amplitude_without_normalization(tmp_path: Path) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, "en-us", "en_US"))
    raw = synthesize(voice, ENGLISH, normalize_audio=False)
    assert 0.5 * AMPLITUDE < np.max(np.abs(raw)) <= AMPLITUDE


def test_length_scale_changes_duration(tmp_path: Path) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, "en-us", "en_US"))
    normal = synthesize(voice, ENGLISH, length_scale=1.0)
    fast = synthesize(voice, ENGLISH, length_scale=0.5)
    slow = synthesize(voice, ENGLISH, length_scale=2.0)

    assert abs(fast.size / normal.size - 0.5) <= 0.05
    assert abs(slow.size / normal.size - 2.0) <= 0.2


@pytest.mark.parametrize("sample_rate", [16000, 22050])
@pytest.mark.parametrize("length_scale", [0.5, 1.0, 2.0])
def test_silero_vad_hears_speech(tmp_path: Path, sample_rate: int, length_scale: float) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, "en-us", "en_US", sample_rate=sample_rate))
    audio = resample(synthesize(voice, ENGLISH, length_scale=length_scale), sample_rate)

    assert speech_fraction(audio) >= 0.8
    assert get_speech_timestamps(np.zeros_like(audio), VadOptions(min_silence_duration_ms=300)) == []


def test_silero_vad_hears_german_speech(tmp_path: Path) -> None:
    voice = PiperVoice.load(build_demo_voice(tmp_path, "de", "de_DE"))
    assert speech_fraction(synthesize(voice, GERMAN)) >= 0.8
