"""`translator bench`: speech-to-speech latency and throughput on the real model architectures.

No model hub is needed: the models are built with the real architectures and sizes, random weights and
pinned output lengths (`bench.models`), cached in a folder, and measured through the same
classes the app runs (`bench.measure`). With torch installed (`pip install -e '.[bench]'`)
the voices are Piper's own VITS and the same architectures also run in PyTorch through transformers, for
the ratio ours/theirs (`bench.peers`). The report and chart go to `docs/`
(`bench.report`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np

from bench.measure import (
    Figures,
    LiveFigures,
    ProfileResult,
    measure_batch,
    measure_live,
    measure_memory,
    measure_stages,
    translator_pieces,
    utterance_audio,
)
from bench.models import CHAINS, build_profile_models, torch_available
from translator.compute import ComputeSettings, resolve_compute

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchSettings:
    """What the benchmark runs.

    cache: where the built models are kept between runs (NLLB-600M alone is about 600 MB).
    size: "real" for the real architectures; "tiny" for the demo's, a smoke run of every step.
    profiles: chains to measure, from `CHAINS`.
    repeats, warmup: timed and untimed runs of each stage; peer_repeats: timed runs of each PyTorch stage
      (after one warm-up), fewer because beam search in PyTorch takes seconds a run.
    live_utterances: utterances in the live session; batch_minutes: length of the batch recording.
    silence_ms: the VAD's end-of-speech silence in the live session.
    peers: also run the PyTorch architectures (needs torch and transformers).
    compute: CTranslate2 device and compute type; on a GPU the CUDA types are measured as well.
    """

    cache: Path
    size: str = "real"
    profiles: tuple[str, ...] = tuple(CHAINS)
    repeats: int = 7
    warmup: int = 1
    peer_repeats: int = 3
    live_utterances: int = 8
    live_gap_seconds: float = 3.0
    batch_minutes: float = 10.0
    silence_ms: int = 300
    peers: bool = True
    compute: ComputeSettings = ComputeSettings(device="cpu", compute_type="int8")


@dataclass(frozen=True)
class BenchRun:
    settings: BenchSettings
    results: list[ProfileResult]
    gpu: list[ProfileResult]  # the same stages in each CUDA compute type, when a GPU is visible
    notes: list[str]


def run_bench(settings: BenchSettings, progress: Progress = lambda line: None) -> BenchRun:
    """Build (or reuse) the models and measure every profile; `progress` hears what runs now."""
    notes = []
    if not torch_available():
        notes.append(
            "torch is not installed: the voices are the project's demo voice, not Piper's VITS, and the PyTorch "
            "comparison is skipped (pip install -e '.[bench]')"
        )
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        audio = utterance_audio(Path(scratch))
    results, gpu = [], []
    for profile in settings.profiles:
        progress(f"{profile}: building or loading the models in {settings.cache}")
        models = build_profile_models(settings.cache, profile, settings.size)
        compute_name = _compute_name(settings.compute)
        progress(f"{profile}: each stage, {settings.repeats} runs after {settings.warmup} warm-up ({compute_name})")
        result = ProfileResult(
            profile,
            models,
            compute_name,
            measure_stages(models, settings.compute, audio, settings.repeats, settings.warmup),
        )
        progress(f"{profile}: memory and load times, in a fresh process")
        result.memory = measure_memory(models, settings.compute)
        progress(f"{profile}: a live session of {settings.live_utterances} utterances")
        live = (
            models,
            settings.compute,
            audio,
            settings.live_utterances,
            settings.silence_ms,
            settings.live_gap_seconds,
        )
        result.live = _measure_live_or_note(live, True, notes)
        progress(f"{profile}: the live session again, without interim captions")
        result.live_without_interims = _measure_live_or_note(live, False, notes)
        progress(f"{profile}: batch, {settings.batch_minutes:g} minutes of speech")
        result.batch = measure_batch(models, settings.compute, audio, settings.batch_minutes)
        if settings.peers and torch_available():
            progress(f"{profile}: the same architectures in PyTorch (transformers)")
            result.peers = _peer_figures(profile, result, audio, settings)
        results.append(result)
        for compute_type in _cuda_compute_types():
            compute = ComputeSettings(device="cuda", compute_type=compute_type)
            progress(f"{profile}: each stage on the GPU ({compute_type})")
            stages = measure_stages(models, compute, audio, settings.repeats, settings.warmup)
            gpu.append(ProfileResult(profile, models, _compute_name(compute), stages))
    return BenchRun(settings, results, gpu, notes)


def _measure_live_or_note(arguments: tuple, interim_results: bool, notes: list[str]) -> LiveFigures | None:  # type: ignore[type-arg]
    """The live session's figures, or None with the reason in `notes`: one failed run keeps the rest."""
    try:
        return measure_live(*arguments, interim_results=interim_results)
    except RuntimeError as error:
        captions = "with" if interim_results else "without"
        notes.append(f"{arguments[0].profile}: the live session {captions} interim captions gave no figures: {error}")
        return None


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


__all__ = ["BenchRun", "BenchSettings", "run_bench"]
