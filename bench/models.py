"""The benchmark's models: the real architectures and sizes, random weights, pinned output.

Each model is one of the project's demo models built at a real model's size: the encoders are random,
and the decoders are bigram chains, so Whisper always hears the demo sentence (13 generated tokens) and
the translator always answers with its German (about 15 tokens). Compute depends on the shapes, not on
the weights' values, so each stage costs what the real model costs for an utterance of that length.
The voices come from piper's own training code when torch is installed (`bench.voices`);
without it, and in the tiny smoke run, the demo voice stands in, and the report says so.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from translator.models.demo.translation import (
    DEMO_ARCHITECTURE,
    MARIAN_BASE,
    NLLB_600M,
    build_demo_nllb,
    build_demo_opus_mt,
)
from translator.models.demo.voice import build_demo_voice
from translator.models.demo.whisper import build_demo_whisper

# Each library's default beam, which the comparison with PyTorch decodes with.
DEFAULT_BEAMS = {"recognition": 5, "translation": 4}
# A folder is complete once this marker is written, so an interrupted build is redone, not trusted.
_COMPLETE = ".bench-complete"


@dataclass(frozen=True)
class ProfileModels:
    """One profile's chain, as folders and a voice file, with the names the report shows."""

    profile: str
    whisper: Path
    translation: Path
    voice: Path
    names: dict[str, str]
    piper_architecture: bool  # False: the demo voice stands in for Piper's VITS


@dataclass(frozen=True)
class _Chain:
    whisper: str
    translation: str
    voice_quality: str


# The chains the issue measures; "tiny" builds the same chains at the demo's size, for the smoke test.
CHAINS = {
    "fast": _Chain("base", "opus-mt", "low"),
    "balanced": _Chain("small", "nllb", "medium"),
}
_NAMES = {
    "base": "Whisper base",
    "small": "Whisper small",
    "opus-mt": "OPUS-MT (Marian base)",
    "nllb": "NLLB-200 distilled 600M",
    "low": "Piper low",
    "medium": "Piper medium",
}


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _cached(folder: Path, build: Callable[[Path], object], recipe: object = None) -> Path:
    """Build into `folder` unless a complete build from the same `recipe` (what the build is made from, kept
    as its repr in the marker; None for a build that never changes) is there already."""
    marker = folder / _COMPLETE
    made_from = "" if recipe is None else repr(recipe)
    if marker.is_file() and marker.read_text() == made_from:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    build(folder)
    marker.write_text(made_from)
    return folder


def bench_whisper(cache: Path, size: str, seed: int = 0) -> Path:
    """The Whisper model of `size` ("demo", "base", "small") under `cache`, built on first use; a real size
    offers as many equally long transcripts as Whisper's default beam of 5."""
    hypotheses = 1 if size == "demo" else DEFAULT_BEAMS["recognition"]
    return _cached(
        cache / f"whisper-{size}", lambda f: build_demo_whisper(f, seed, size, hypotheses), (size, seed, hypotheses)
    )


def build_profile_models(cache: Path, profile: str, size: str = "real", seed: int = 0) -> ProfileModels:
    """The profile's three models under `cache`, built on first use (minutes for NLLB's 600M weights)."""
    chain = CHAINS[profile]
    real = size == "real"
    whisper_size = chain.whisper if real else "demo"
    whisper = bench_whisper(cache, whisper_size, seed)
    if chain.translation == "opus-mt":
        architecture = MARIAN_BASE if real else DEMO_ARCHITECTURE
        translation = _cached(
            cache / f"opus-mt-en-de-{size}",
            lambda f: build_demo_opus_mt(f, "en", "de", seed, architecture),
            (architecture, seed),
        )
    else:
        architecture = NLLB_600M if real else DEMO_ARCHITECTURE
        translation = _cached(
            cache / f"nllb-{size}", lambda f: build_demo_nllb(f, seed, architecture), (architecture, seed)
        )
    piper_architecture = real and torch_available()
    if piper_architecture:
        from bench.voices import build_bench_voice

        quality = chain.voice_quality
        voice_folder = _cached(cache / f"voice-{quality}-{size}", lambda f: build_bench_voice(f, quality, seed))
    else:
        voice_folder = _cached(cache / "voice-demo", lambda f: build_demo_voice(f, "de", "de_DE"))
    voice = next(voice_folder.glob("*.onnx"))
    names = {
        "recognition": _NAMES[chain.whisper] if real else "Whisper (tiny)",
        "translation": _NAMES[chain.translation] if real else f"{_NAMES[chain.translation]} layout (tiny)",
        "synthesis": _NAMES[chain.voice_quality] if piper_architecture else "demo voice (no torch: not Piper's VITS)",
    }
    return ProfileModels(profile, whisper, translation, voice, names, piper_architecture)
