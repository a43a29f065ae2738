"""What `translator bench` measures, each through the project's own stage classes, and the figures it keeps.

Every recognition figure is taken twice in the same run, under the two encoder windows the report sets side
by side: "full" (Whisper's encoder over 30 s, as faster-whisper runs it: before) and "adaptive" (the
recognizer's short window, by default "auto": after; docs/encoder-window.md).

- stages: one typical utterance through each stage, repeated after a warm-up, the two windows timed in turn;
  Whisper's encoder on each window is timed apart from decoding;
- live and batch: the real pipelines (`bench.pipelines`);
- memory: each profile's three models loaded and run once, in a fresh process (its peak RSS).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim

from bench.models import DEFAULT_BEAMS, ProfileModels
from translator.audio.files import SAMPLE_RATE
from translator.compute import ComputeSettings, resolve_compute
from translator.languages import find_language
from translator.models.demo.voice import build_demo_voice
from translator.models.demo.whisper import whisper_tokenizer
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings
from translator.stages.whisper_window import FULL_WINDOW_SECONDS, EncoderWindowStats, window_seconds

ENGLISH = find_language("en")
GERMAN = find_language("de")
# The utterance every stage hears: about 3 s of speech-like sound from the 16 kHz demo voice.
UTTERANCE_TEXT = "Please tell me where the station is."
# Greedy decoding is what the live pipeline uses; 5 and 4 beams are Whisper's and the translators' defaults.
# Recognition's beam for each decoding the report shows.
_RECOGNITION_BEAMS = {"greedy": 1, "default": DEFAULT_BEAMS["recognition"]}
# The two encoder windows every run compares: Whisper's 30 s window (before) and the adaptive one (after).
WINDOWS = ("full", "adaptive")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Figures:
    """Seconds: the median and 95th percentile of the samples."""

    median: float
    p95: float
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: list[float]) -> Figures:
        return cls(float(np.median(samples)), float(np.percentile(samples, 95)), tuple(samples))


@dataclass(frozen=True)
class RecognitionFigures:
    """The typical utterance recognised under one encoder window setting.

    encoder: the encoder alone, features included, on the window the utterance gets (`window_seconds` long).
    floor: the setting's floor for this model in seconds; None when every window is encoded at 30 s.
    stats: how the recognizers encoded their windows over every run, greedy and default beams together.
    text: the greedy transcript; the random weights pin it, and a window that said otherwise would cost otherwise.
    """

    greedy: Figures
    default_beams: Figures
    encoder: Figures
    window_seconds: float
    floor: float | None
    stats: EncoderWindowStats
    text: str


@dataclass(frozen=True)
class StageFigures:
    """One utterance through each stage: recognition under each window of `WINDOWS`, greedy (as live runs)
    and at the default beams; translation and synthesis, which do not depend on the window, once."""

    recognition: dict[str, RecognitionFigures]
    translation: Figures
    translation_default: Figures
    synthesis: Figures
    utterance_seconds: float
    recognized_tokens: int
    translated_tokens: int
    speech_seconds: float  # the synthesised translation's length
    recognized_text: str
    translated_text: str

    def chain(self, window: str, beams: str = "greedy") -> dict[str, Figures]:
        """The three stages' figures under `window` at `beams` ("greedy" or "default"); synthesis has no beam."""
        recognition = self.recognition[window]
        if beams == "greedy":
            return {"recognition": recognition.greedy, "translation": self.translation, "synthesis": self.synthesis}
        return {
            "recognition": recognition.default_beams,
            "translation": self.translation_default,
            "synthesis": self.synthesis,
        }


@dataclass(frozen=True)
class LiveFigures:
    """End of speech to first translated sound over a session with interim captions, where the time went
    (medians, and the slowest utterance's own parts) and how the recognizer encoded its windows."""

    speech_to_speech: Figures
    breakdown: dict[str, float]
    slowest: dict[str, float]
    utterances: int
    spoken: int
    sink: str
    stats: EncoderWindowStats


@dataclass(frozen=True)
class BatchFigures:
    """Files through the batch pipeline: their audio, wall time (summed over the files) and stage busy times."""

    files: int
    audio_seconds: float
    wall_seconds: float
    stage_seconds: dict[str, float]
    stats: EncoderWindowStats

    @property
    def real_time_factor(self) -> float:
        return self.wall_seconds / self.audio_seconds

    @property
    def slowest_stage(self) -> tuple[str, float]:
        return max(self.stage_seconds.items(), key=lambda item: item[1])

    @property
    def overlap_ratio(self) -> float:
        """Wall time over the slowest stage's busy time: 1.0 is perfect overlap."""
        return self.wall_seconds / self.slowest_stage[1]


@dataclass(frozen=True)
class MemoryFigures:
    peak_megabytes: float
    load_seconds: dict[str, float]


@dataclass
class ProfileResult:
    """One profile's figures; `live`, `batch` and `short_files` hold one entry per window of `WINDOWS`."""

    profile: str
    models: ProfileModels
    compute: str
    stages: StageFigures
    live: dict[str, LiveFigures] = field(default_factory=dict)  # interim captions on, as the app runs
    batch: dict[str, BatchFigures] = field(default_factory=dict)  # the long recording
    short_files: dict[str, BatchFigures] = field(default_factory=dict)  # files of a few seconds
    memory: MemoryFigures | None = None
    peers: dict[str, dict[str, Figures]] = field(default_factory=dict)  # beams ("greedy"/"default") -> stage


def timed(run: Callable[[], object], repeats: int, warmup: int) -> list[float]:
    """Wall seconds of `repeats` runs after `warmup` untimed ones."""
    return timed_in_turn({"run": run}, {"run": repeats}, warmup)["run"]


def timed_in_turn(
    runs: Mapping[str, Callable[[], object]], repeats: Mapping[str, int], warmup: int
) -> dict[str, list[float]]:
    """Wall seconds of each run, `repeats[name]` times after `warmup` untimed rounds, the runs taken in turn
    so that a busy moment on the machine slows them alike rather than one of them."""
    for _ in range(warmup):
        for run in runs.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for round_index in range(max(repeats.values(), default=0)):
        for name, run in runs.items():
            if round_index < repeats[name]:
                started = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - started)
    return samples


def utterance_audio(folder: Path) -> np.ndarray:
    """The benchmark's typical utterance: speech-like audio Silero calls speech, about 3 s long."""
    voice = build_demo_voice(folder, "en-us", "en_US", sample_rate=SAMPLE_RATE)
    return SpeechSynthesizer(SynthesizerSettings(voice), ENGLISH).speak(UTTERANCE_TEXT).samples


def load_recognizer(
    models: ProfileModels, compute: ComputeSettings, encoder_window: str | float, beam: int = 1
) -> SpeechRecognizer:
    """The profile's recognizer under `encoder_window`; no previous text, so every run decodes alike."""
    settings = RecognizerSettings(
        models.whisper, beam_size=beam, condition_on_previous_text=False, encoder_window=encoder_window
    )
    return SpeechRecognizer(settings, compute)


def load_translator(models: ProfileModels, compute: ComputeSettings, beam: int = 1) -> TextTranslator:
    """The profile's translator with its cache off, so every call really translates."""
    return TextTranslator(TranslatorSettings(models.translation, beam_size=beam, cache_size=0), compute)


def load_voice(models: ProfileModels, compute: ComputeSettings) -> SpeechSynthesizer:
    use_cuda = resolve_compute(compute).device == "cuda"
    return SpeechSynthesizer(SynthesizerSettings(models.voice, use_cuda=use_cuda), GERMAN)


def measure_stages(
    models: ProfileModels,
    compute: ComputeSettings,
    audio: np.ndarray,
    windows: Mapping[str, str | float],
    repeats: Mapping[str, int],
    warmup: int,
) -> StageFigures:
    """Each stage on the typical utterance; recognition and the encoder alone under each of `windows` (name ->
    encoder window setting), timed in turn `repeats[name]` times; translation and synthesis `max(repeats)`."""
    window = Window((SpeechChunk(0, audio),), audio)
    recognition = _measure_recognition(models, compute, window, windows, repeats, warmup)
    text = recognition[WINDOWS[0]].text
    count = max(repeats.values())
    translators = {
        "greedy": load_translator(models, compute),
        "default": load_translator(models, compute, DEFAULT_BEAMS["translation"]),
    }
    translation = translators["greedy"].translate([text], ENGLISH, GERMAN)[0]
    voice = load_voice(models, compute)
    samples = timed_in_turn(
        {
            "greedy": lambda: translators["greedy"].translate([text], ENGLISH, GERMAN),
            "default": lambda: translators["default"].translate([text], ENGLISH, GERMAN),
            "synthesis": lambda: voice.speak(translation),
        },
        {"greedy": count, "default": count, "synthesis": count},
        warmup,
    )
    return StageFigures(
        recognition=recognition,
        translation=Figures.of(samples["greedy"]),
        translation_default=Figures.of(samples["default"]),
        synthesis=Figures.of(samples["synthesis"]),
        utterance_seconds=len(audio) / SAMPLE_RATE,
        recognized_tokens=_whisper_tokens(text),
        translated_tokens=len(translator_pieces(models, translation)) + 1,  # and the end of sentence
        speech_seconds=voice.speak(translation).duration,
        recognized_text=text,
        translated_text=translation,
    )


def _measure_recognition(
    models: ProfileModels,
    compute: ComputeSettings,
    window: Window,
    windows: Mapping[str, str | float],
    repeats: Mapping[str, int],
    warmup: int,
) -> dict[str, RecognitionFigures]:
    """Recognition of `window` under each encoder window, greedy and at the default beam, and the encoder alone
    on the window each setting gives the utterance."""
    samples: dict[str, dict[str, list[float]]] = {}
    stats: dict[str, list[EncoderWindowStats]] = {name: [] for name in windows}
    texts: dict[str, str] = {}
    floors: dict[str, float | None] = {}
    for beams, beam in _RECOGNITION_BEAMS.items():
        recognizers = {name: load_recognizer(models, compute, setting, beam) for name, setting in windows.items()}
        if beams == "greedy":
            for name, recognizer in recognizers.items():
                texts[name] = " ".join(segment.text for segment in recognizer.transcribe(window, ENGLISH))
                floors[name] = recognizer.encoder_floor
        runs = {name: _recognition_run(recognizer, window) for name, recognizer in recognizers.items()}
        samples[beams] = timed_in_turn(runs, repeats, warmup)
        for name, recognizer in recognizers.items():
            stats[name].append(recognizer.window_stats)
    lengths = {name: _window_length(window.duration, floor) for name, floor in floors.items()}
    model = _whisper_model(models, compute)
    encoder_runs = {name: _encoder_run(model, window.audio, lengths[name]) for name in windows}
    encoder = timed_in_turn(encoder_runs, repeats, warmup)
    return {
        name: RecognitionFigures(
            greedy=Figures.of(samples["greedy"][name]),
            default_beams=Figures.of(samples["default"][name]),
            encoder=Figures.of(encoder[name]),
            window_seconds=lengths[name],
            floor=floors[name],
            stats=merge_stats(stats[name]),
            text=texts[name],
        )
        for name in windows
    }


def _recognition_run(recognizer: SpeechRecognizer, window: Window) -> Callable[[], object]:
    return lambda: list(recognizer.transcribe(window, ENGLISH))


def merge_stats(stats: list[EncoderWindowStats]) -> EncoderWindowStats:
    """The counts of several recognizers' windows added together."""
    reasons: dict[str, int] = {}
    for each in stats:
        for reason, count in each.fallback_reasons:
            reasons[reason] = reasons.get(reason, 0) + count
    return EncoderWindowStats(
        sum(each.windows_full for each in stats),
        sum(each.windows_short for each in stats),
        sum(each.fallbacks for each in stats),
        tuple(sorted(reasons.items())),
    )


def _window_length(speech_seconds: float, floor: float | None) -> float:
    """The encoder window a recognizer with `floor` gives `speech_seconds` of speech (30 s without a floor)."""
    return FULL_WINDOW_SECONDS if floor is None else window_seconds(speech_seconds, floor)


def _whisper_model(models: ProfileModels, compute: ComputeSettings) -> WhisperModel:
    resolved = resolve_compute(compute)
    return WhisperModel(
        str(models.whisper),
        device=resolved.device,
        compute_type=resolved.compute_type,
        cpu_threads=resolved.cpu_threads,
        local_files_only=True,
    )


def _encoder_run(model: WhisperModel, audio: np.ndarray, seconds: float) -> Callable[[], object]:
    """Whisper's encoder alone on `audio`'s features zero-padded to a window of `seconds`, as the recognizer
    pads them (transcribe() pads to 30 s)."""
    frames = round(seconds * 100)  # log-mel frames: 10 ms each

    def run() -> object:
        return model.encode(pad_or_trim(model.feature_extractor(audio), frames))

    return run


def _whisper_tokens(text: str) -> int:
    """Tokens Whisper generates for `text`: the words, a timestamp either side and the end of text."""
    return len(whisper_tokenizer().encode(" " + text, add_special_tokens=False).ids) + 3


def translator_pieces(models: ProfileModels, text: str) -> list[str]:
    import sentencepiece as spm

    folder = models.translation
    name = "target.spm" if (folder / "target.spm").is_file() else "sentencepiece.bpe.model"
    pieces: list[str] = spm.SentencePieceProcessor(model_file=str(folder / name)).encode(text, out_type=str)
    return pieces


def measure_memory(models: ProfileModels, compute: ComputeSettings) -> MemoryFigures:
    """Peak memory with the three models loaded and run once, in a fresh process so nothing else counts."""
    command = [sys.executable, "-m", "bench.memory", str(models.whisper), str(models.translation)]
    command += [str(models.voice), compute.device, compute.compute_type]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if finished.returncode != 0:
        raise RuntimeError(f"the memory run failed: {finished.stderr.strip().splitlines()[-1:]}")
    figures = json.loads(finished.stdout)
    return MemoryFigures(figures["peak_megabytes"], figures["load_seconds"])
