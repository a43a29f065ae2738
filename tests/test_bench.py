"""`translator bench` at the demo's sizes: every step runs and the report and chart are written.

Measured figures are never asserted: timing belongs to the benchmark, not to tests. The report's verdicts
on the targets are tested on figures made up for them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import ctranslate2
import numpy as np
import pytest
import sentencepiece as spm
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from bench import AccuracyResult, BenchRun, BenchSettings
from bench.chart import draw_chart
from bench.encoder_window import AccuracyFigures, Difference
from bench.measure import Figures, LiveFigures, ProfileResult, RecognitionFigures, StageFigures
from bench.models import ProfileModels
from bench.report import render
from translator.audio.files import SAMPLE_RATE
from translator.cli import main
from translator.compute import ComputeSettings
from translator.languages import find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS, TranslationArchitecture, build_demo_opus_mt
from translator.models.demo.whisper import DEMO_TRANSCRIPT, build_demo_whisper
from translator.stages.translation import TextTranslator, TranslatorSettings
from translator.stages.whisper_window import EncoderWindowStats


def test_a_padded_vocabulary_gives_the_real_size_and_the_same_answer(tmp_path: Path) -> None:
    # Square position table (max_positions == width): CTranslate2 once aliased it to a zeroed projection.
    architecture = TranslationArchitecture(width=64, layers=2, heads=4, vocabulary=3000, max_positions=64)
    folder = build_demo_opus_mt(tmp_path / "opus-mt-en-de", "en", "de", architecture=architecture)
    assert len(json.loads((folder / "shared_vocabulary.json").read_text())) == 3000
    translator = TextTranslator(TranslatorSettings(folder, beam_size=1, cache_size=0), ComputeSettings("cpu", "int8"))
    answer = translator.translate(["Where is the station?"], find_language("en"), find_language("de"))
    assert answer == [DEMO_TRANSLATIONS["de"]]


def test_a_beam_over_pinned_hypotheses_runs_as_long_as_the_answer(tmp_path: Path) -> None:
    """The benchmark's translators offer equally long hypotheses, so a beam costs what a trained model's does
    (its beams end together) rather than following random tokens for as long as they take to end."""
    architecture = TranslationArchitecture(width=64, layers=2, heads=4, vocabulary=3000, hypotheses=4)
    folder = build_demo_opus_mt(tmp_path / "opus-mt-en-de", "en", "de", architecture=architecture)
    model = ctranslate2.Translator(str(folder), compute_type="int8")
    source = spm.SentencePieceProcessor(model_file=str(folder / "source.spm")).encode("Hello.", out_type=str)
    answer = spm.SentencePieceProcessor(model_file=str(folder / "target.spm")).encode(DEMO_TRANSLATIONS["de"])
    for beam in (2, 4):
        (result,) = model.translate_batch([[*source, "</s>"]], beam_size=beam, num_hypotheses=beam)
        assert [len(hypothesis) for hypothesis in result.hypotheses] == [len(answer)] * beam
    translator = TextTranslator(TranslatorSettings(folder, beam_size=4, cache_size=0), ComputeSettings("cpu", "int8"))
    assert translator.translate(["Hello."], find_language("en"), find_language("de")) == [DEMO_TRANSLATIONS["de"]]
    with pytest.raises(ValueError, match="larger padded vocabulary"):
        build_demo_opus_mt(tmp_path / "opus-mt-en-fr", "en", "fr", architecture=TranslationArchitecture(hypotheses=2))


def test_a_whisper_beam_over_pinned_transcripts_runs_as_long_as_the_transcript(tmp_path: Path) -> None:
    model = WhisperModel(str(build_demo_whisper(tmp_path / "whisper", hypotheses=5)), compute_type="int8")
    tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="en")
    features = model.feature_extractor(np.zeros(SAMPLE_RATE, np.float32))[:, :3000]
    encoded = model.encode(np.pad(features, ((0, 0), (0, 3000 - features.shape[1]))))
    (result,) = model.model.generate(encoded, [model.get_prompt(tokenizer, [])], beam_size=5, num_hypotheses=5)
    lengths = [len(sequence) for sequence in result.sequences_ids]
    assert tokenizer.decode(result.sequences_ids[0]).strip() == DEMO_TRANSCRIPT
    assert lengths == [lengths[0]] * 5  # the transcript's tokens, its closing timestamp and the end


@pytest.mark.timeout(600)
def test_the_tiny_bench_writes_its_report_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], real_whisper_tiny_en: Path
) -> None:
    # real_whisper_tiny_en: the run measures the real tiny.en's accuracy, so its package must be there.
    arguments = ["bench", "--size", "tiny", "--no-peers", "--repeats", "2", "--warmup", "1"]
    arguments += ["--live-utterances", "2", "--batch-minutes", "0.3", "--cache", str(tmp_path / "cache")]
    arguments += ["--out", str(tmp_path / "docs")]
    assert main(arguments) == 0
    assert "report written to" in capsys.readouterr().out
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert (tmp_path / "docs" / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "random weights" in report and "pinned" in report
    for profile in ("fast", "balanced"):
        for window in ("30 s", "auto"):
            # Both encoder windows, side by side: the headline, a live session that spoke both utterances,
            # the batch recording and the short files, and how the recognizer encoded each run's windows.
            assert re.search(rf"\| {profile} \| [^|]+ \| {window}[^|]* \| \d+ ms / \d+ ms \| \d+ ms \|", report), report
            assert re.search(rf"\| {profile} \| {window} \| [^|]+ \| 2 of 2 \| \d+ ms / \d+ ms \|", report), report
            for run in (r"0\.3 min recording \(1\)", r"short files \(5\)"):
                batch = rf"\| {profile} \| {run} \| {window} \| \d+\.\d s \| \d+\.\d s \| \d\.\d+ \|"
                assert re.search(batch, report), report
            for run in ("one utterance, every stage run", "live session", "batch, 0.3 min", "batch, short files"):
                assert re.search(rf"\| {profile} \| {run} \| {window} \| \d+ \| \d+ \| \d+", report), report
        assert re.search(rf"\| {profile} \| \d+ MB \| \d+\.\d\d s \|", report), report
        target = rf"\| {profile}: speech-to-speech p50, interim captions on \| at most \d+ ms \| \d+ ms: "
        assert re.search(target, report), report
    # The real tiny.en on real speech under both windows, greedy in the smoke run.
    assert re.search(r"\| 1 \| 30 s \| \d+\.\d% \| - \|", report), report
    assert re.search(r"\| 1 \| auto \(10 s\) \| \d+\.\d% \| \d+/19 \|", report), report
    assert re.search(r"word error rate above the 30 s window's \| at most \+0\.5 points \| WER ", report), report
    # A second run reuses the cached models rather than building them again; a floor the demo Whisper takes
    # puts its windows on the short path, and the guard's counts say so.
    built = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").glob("*/model.bin")}
    again = [*arguments, "--profile", "fast", "--live-utterances", "1", "--encoder-window", "5", "--no-accuracy"]
    assert main(again) == 0
    assert built and {path: path.stat().st_mtime_ns for path in built} == built
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    stages = re.search(r"\| fast \| one utterance, every stage run \| floor 5 s \| 0 \| (\d+) \| (\d+)", report)
    assert stages and int(stages[1]) + int(stages[2]) > 0, report
    assert "Accuracy of the real Whisper tiny.en: not measured" in report


def _figures(*milliseconds: float) -> Figures:
    return Figures.of([value / 1000 for value in milliseconds])


def _live(parts: dict[str, float], samples: tuple[float, ...], slowest: dict[str, float]) -> LiveFigures:
    """A live session whose median parts are `parts` (ms, "other" the rest of the median) and whose slowest
    utterance's parts are `slowest`."""
    total = float(np.median(samples))
    breakdown = {name: value / 1000 for name, value in parts.items()}
    breakdown["other"] = total / 1000 - sum(breakdown.values())
    breakdown.update(hidden=0.1, final_start=0.13)
    worst = {name: value / 1000 for name, value in slowest.items()}
    return LiveFigures(
        _figures(*samples), breakdown, worst, 8, 8, "WAV file (paced)", EncoderWindowStats(windows_short=8)
    )


def test_the_report_marks_each_target_and_says_where_the_time_went(tmp_path: Path) -> None:
    names = {"recognition": "Whisper base", "translation": "OPUS-MT", "synthesis": "Piper low"}
    models = ProfileModels("fast", tmp_path, tmp_path, tmp_path / "voice.onnx", names, piper_architecture=True)
    all_full, no_fallback = EncoderWindowStats(windows_full=9), EncoderWindowStats(windows_short=9)
    recognition = {
        "full": RecognitionFigures(_figures(1100), _figures(1400), _figures(830), 30.0, None, all_full, ""),
        "adaptive": RecognitionFigures(_figures(450), _figures(600), _figures(150), 15.0, 15.0, no_fallback, ""),
    }
    stages = StageFigures(recognition, _figures(136), _figures(332), _figures(224), 3.1, 13, 12, 3.4, "a", "b")
    result = ProfileResult("fast", models, "cpu int8", stages)
    parts = {"vad_wait": 320, "interim_wait": 0, "recognition_after_vad": 800, "translation": 125, "synthesis": 150}
    parts["playback_wait"] = 77
    slowest = {**parts, "recognition_after_vad": 1500, "synthesis": 218, "other": 0, "speech_to_speech": 2240}
    result.live = {
        "full": _live(parts, (1576, 1576, 2006), slowest),
        "adaptive": _live({**parts, "recognition_after_vad": 50}, (760, 760, 2240), slowest),
    }
    result.peers = {
        "greedy": {"recognition": _figures(1172), "translation": _figures(334), "synthesis": _figures(387)},
        "default": {"recognition": _figures(2273), "translation": _figures(561)},
    }
    difference = Difference(1, "auto", "jfk piece 1", "And so my fellow Americans.", "And so am I fellow.", True, True)
    accuracy = [
        AccuracyFigures(1, "full", None, 19, 4, 100, 19, 19, 19, EncoderWindowStats(windows_full=19), 8.0, 30.0, ()),
        AccuracyFigures(1, "auto", 10.0, 19, 5, 100, 18, 15, 18, no_fallback, 4.0, 10.1, (difference,)),
    ]
    run = BenchRun(BenchSettings(tmp_path), [result], [], [], AccuracyResult(19, 50.6, accuracy))
    report = render(run, "translator bench", "benchmarks.png")
    # Before and after, each figure marked against its goal; PyTorch's one synthesis run counts at default beams.
    for row in (
        "| fast: speech-to-speech p50, interim captions on | at most 800 ms | 1576 ms: missed | 760 ms: **met** |",
        "| fast: speech-to-speech p95 over p50 | at most 1.5x | 1.25x (1963 ms): **met** | 2.75x (2092 ms): missed |",
        "| fast: chain vs PyTorch, default decoding | at least 3x faster | 1.6x: missed | 2.8x: missed |",
        "| at most +0.5 points | WER 4.0% | WER 5.0%, +1.0 points: missed |",
        "| fast | default | **chain** | 1956 ms | 1156 ms | 3221 ms | **1.6x** | **2.8x** |",
    ):
        assert row in report, report
    # Where the time went for each target the adaptive window missed, and what would close it; the 30 s
    # window's misses are the "before" and owe no explanation.
    for explanation in (
        "**fast, p95 2092 ms against p50 760 ms**: the slowest utterance took 2240 ms, most of the excess in "
        "recognition after the wait 1500 ms against a median of 50 ms and synthesis to first audio, after the wait "
        "218 ms against a median of 150 ms; the target needs p95 under 1140 ms.",
        "3x needs our chain at 1074 ms at most, 82 ms less than now.",
        'on 1 of 19 utterances (jfk piece 1: "And so my fellow Americans." at 30 s, "And so am I fellow." short)',
    ):
        assert explanation in report, report
    assert "p50 1576 ms" not in report
    draw_chart(run, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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
