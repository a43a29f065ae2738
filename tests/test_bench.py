"""`translator bench` at the demo's sizes: every step runs and the report and chart are written.

The figures themselves are never asserted: timing belongs to the benchmark, not to tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from translator.cli import main
from translator.compute import ComputeSettings
from translator.languages import find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS, TranslationArchitecture, build_demo_opus_mt
from translator.stages.translation import TextTranslator, TranslatorSettings


def test_a_padded_vocabulary_gives_the_real_size_and_the_same_answer(tmp_path: Path) -> None:
    # Square position table (max_positions == width): CTranslate2 once aliased it to a zeroed projection.
    architecture = TranslationArchitecture(width=64, layers=2, heads=4, vocabulary=3000, max_positions=64)
    folder = build_demo_opus_mt(tmp_path / "opus-mt-en-de", "en", "de", architecture=architecture)
    assert len(json.loads((folder / "shared_vocabulary.json").read_text())) == 3000
    translator = TextTranslator(TranslatorSettings(folder, beam_size=1, cache_size=0), ComputeSettings("cpu", "int8"))
    answer = translator.translate(["Where is the station?"], find_language("en"), find_language("de"))
    assert answer == [DEMO_TRANSLATIONS["de"]]


@pytest.mark.timeout(600)
def test_the_tiny_bench_writes_its_report_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["bench", "--size", "tiny", "--no-peers", "--repeats", "2", "--warmup", "1"]
    arguments += ["--live-utterances", "2", "--batch-minutes", "0.3", "--cache", str(tmp_path / "cache")]
    arguments += ["--out", str(tmp_path / "docs")]
    assert main(arguments) == 0
    assert "report written to" in capsys.readouterr().out
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert (tmp_path / "docs" / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "random weights" in report and "pinned" in report
    for profile in ("fast", "balanced"):
        # The live session spoke both utterances and the batch file went through.
        for captions in ("on", "off"):
            assert re.search(rf"\| {profile} \| {captions} \| [^|]+ \| 2 of 2 \| \d+ ms / \d+ ms \|", report), report
        assert re.search(rf"\| {profile} \| 0\.\d min \| \d+\.\d s \| \d\.\d+ \|", report), report
        assert re.search(rf"\| {profile} \| \d+ MB \| \d+\.\d\d s \|", report), report
    # A second run reuses the cached models rather than building them again.
    built = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").glob("*/model.bin")}
    assert main([*arguments, "--profile", "fast", "--live-utterances", "1"]) == 0
    assert built and {path: path.stat().st_mtime_ns for path in built} == built


def test_a_bench_voice_is_piper_vits_speaking_at_its_pinned_rate(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the bench extra is not installed")
    from bench.voices import HOP_LENGTH, VOICE_QUALITIES, build_bench_voice, phoneme_ids
    from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings

    onnx_path = next(build_bench_voice(tmp_path / "voice", "low").glob("*.onnx"))
    synthesizer = SpeechSynthesizer(SynthesizerSettings(onnx_path), find_language("de"))
    speech = synthesizer.speak(DEMO_TRANSLATIONS["de"])
    # Every phoneme id (piper's phonemes, pads and sentence marks) lasts exactly the pinned frames.
    ids = phoneme_ids(onnx_path, DEMO_TRANSLATIONS["de"])
    architecture = VOICE_QUALITIES["low"]
    expected = len(ids) * architecture.frames_per_id * HOP_LENGTH / architecture.sample_rate
    assert speech.duration == pytest.approx(expected, rel=0.02)
    assert json.loads(onnx_path.with_name(onnx_path.name + ".json").read_text())["audio"]["sample_rate"] == 16000


def test_the_pytorch_peers_run_each_stage_at_the_pinned_lengths() -> None:
    torch = pytest.importorskip("torch", reason="the bench extra is not installed")
    pytest.importorskip("transformers", reason="the bench extra is not installed")
    import numpy as np

    from bench.peers import PinnedLengths, measure_peer_stages, peer_runs
    from bench.voices import HOP_LENGTH, VOICE_QUALITIES

    lengths = PinnedLengths(
        audio=np.zeros(16000, np.float32),
        recognized_tokens=4,
        source_tokens=5,
        translated_tokens=6,
        phoneme_ids=[1, 0, 20, 0, 2],
    )
    frames = VOICE_QUALITIES["low"].frames_per_id
    runs = peer_runs("demo", "tiny", "low", lengths)
    with torch.inference_mode():
        outputs = {beams: {stage: run() for stage, run in stages.items()} for beams, stages in runs.items()}
    for beams in ("greedy", "default"):
        assert outputs[beams]["recognition"].shape == (1, 4)  # the generated tokens, the prompt left out
        assert outputs[beams]["translation"].shape == (1, 1 + 6)  # the decoder's start token, then the translation
    assert outputs["greedy"]["synthesis"].shape[-1] == 5 * frames * HOP_LENGTH
    assert "synthesis" not in outputs["default"]
    timings = measure_peer_stages("demo", "tiny", "low", lengths, repeats=2, warmup=0)
    assert {beams: {stage: len(samples) for stage, samples in stages.items()} for beams, stages in timings.items()} == {
        "greedy": {"recognition": 2, "translation": 2, "synthesis": 2},
        "default": {"recognition": 2, "translation": 2},
    }
