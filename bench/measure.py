"""What `translator bench` measures, each through the project's own stage classes and pipelines.

- stages: one typical utterance through each stage, repeated after a warm-up; Whisper's encoder (its
  fixed 30 s window) is timed apart from decoding;
- live: the real live pipeline on a file source, speaking to the virtual sound device when PulseAudio
  is installed (else to a WAV file paced like a speaker), end of speech to first translated sound;
- batch: a long recording through the batch pipeline, its wall time against its slowest stage alone;
- memory: each profile's three models loaded and run once, in a fresh process (its peak RSS).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim

from bench.models import ProfileModels
from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import AudioSink, PlaybackMark, SpeakerSink, WavFileSink
from translator.audio.sources import FileSource
from translator.compute import ComputeSettings, resolve_compute
from translator.languages import find_language
from translator.models.demo.voice import build_demo_voice
from translator.models.demo.whisper import whisper_tokenizer
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.live import LiveSettings, LiveTranslator, UtteranceDone
from translator.stages.live_segmentation import LiveSegmenterSettings
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

ENGLISH = find_language("en")
GERMAN = find_language("de")
# The utterance every stage hears: about 3 s of speech-like sound from the 16 kHz demo voice.
UTTERANCE_TEXT = "Please tell me where the station is."
# Greedy decoding is what the live pipeline uses; 5 and 4 beams are Whisper's and the translators' defaults.
DEFAULT_BEAMS = {"recognition": 5, "translation": 4}

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
class StageFigures:
    """One utterance through each stage, greedy (as live runs) and at the default beams."""

    greedy: dict[str, Figures]
    default_beams: dict[str, Figures]
    utterance_seconds: float
    recognized_tokens: int
    translated_tokens: int
    speech_seconds: float  # the synthesised translation's length
    recognized_text: str
    translated_text: str


@dataclass(frozen=True)
class LiveFigures:
    """End of speech to first translated sound over a session, and where the time went (medians)."""

    speech_to_speech: Figures
    breakdown: dict[str, float]
    utterances: int
    spoken: int
    sink: str
    interim_results: bool


@dataclass(frozen=True)
class BatchFigures:
    audio_seconds: float
    wall_seconds: float
    stage_seconds: dict[str, float]

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
    profile: str
    models: ProfileModels
    compute: str
    stages: StageFigures
    live: LiveFigures | None = None  # as the app runs: interim captions on
    live_without_interims: LiveFigures | None = None
    batch: BatchFigures | None = None
    memory: MemoryFigures | None = None
    peers: dict[str, dict[str, Figures]] = field(default_factory=dict)  # beams ("greedy"/"default") -> stage


def timed(run: Callable[[], object], repeats: int, warmup: int) -> list[float]:
    """Wall seconds of `repeats` runs after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def utterance_audio(folder: Path) -> np.ndarray:
    """The benchmark's typical utterance: speech-like audio Silero calls speech, about 3 s long."""
    voice = build_demo_voice(folder, "en-us", "en_US", sample_rate=SAMPLE_RATE)
    return SpeechSynthesizer(SynthesizerSettings(voice), ENGLISH).speak(UTTERANCE_TEXT).samples


def load_stages(
    models: ProfileModels, compute: ComputeSettings, recognition_beam: int = 1, translation_beam: int = 1
) -> tuple[SpeechRecognizer, TextTranslator, SpeechSynthesizer]:
    """The profile's three stages; the translation cache is off, so every call really translates."""
    recognizer = SpeechRecognizer(
        RecognizerSettings(models.whisper, beam_size=recognition_beam, condition_on_previous_text=False), compute
    )
    translator = TextTranslator(
        TranslatorSettings(models.translation, beam_size=translation_beam, cache_size=0), compute
    )
    return recognizer, translator, load_voice(models, compute)


def load_voice(models: ProfileModels, compute: ComputeSettings) -> SpeechSynthesizer:
    use_cuda = resolve_compute(compute).device == "cuda"
    return SpeechSynthesizer(SynthesizerSettings(models.voice, use_cuda=use_cuda), GERMAN)


def measure_stages(
    models: ProfileModels, compute: ComputeSettings, audio: np.ndarray, repeats: int, warmup: int
) -> StageFigures:
    """Each stage on the typical utterance, greedy and at the default beams, and the encoder alone."""
    window = Window((SpeechChunk(0, audio),), audio)
    greedy, text, translation = _measure_beams(models, compute, window, (1, 1), repeats, warmup)
    beams = (DEFAULT_BEAMS["recognition"], DEFAULT_BEAMS["translation"])
    default_beams = _measure_beams(models, compute, window, beams, repeats, warmup)[0]
    greedy["encoder"] = Figures.of(timed(_encoder_run(models, compute, audio), repeats, warmup))
    voice = load_voice(models, compute)
    return StageFigures(
        greedy=greedy,
        default_beams=default_beams,
        utterance_seconds=len(audio) / SAMPLE_RATE,
        recognized_tokens=_whisper_tokens(text),
        translated_tokens=len(translator_pieces(models, translation)) + 1,  # and the end of sentence
        speech_seconds=voice.speak(translation).duration,
        recognized_text=text,
        translated_text=translation,
    )


def _measure_beams(
    models: ProfileModels,
    compute: ComputeSettings,
    window: Window,
    beams: tuple[int, int],
    repeats: int,
    warmup: int,
) -> tuple[dict[str, Figures], str, str]:
    """The three stages at (recognition, translation) beams; synthesis has no beam, so only greedy times it.
    Returns the figures, the recognised text and its translation."""
    recognizer, translator, voice = load_stages(models, compute, *beams)
    text = " ".join(segment.text for segment in recognizer.transcribe(window, ENGLISH))
    translation = translator.translate([text], ENGLISH, GERMAN)[0]
    samples = {
        "recognition": timed(lambda: list(recognizer.transcribe(window, ENGLISH)), repeats, warmup),
        "translation": timed(lambda: translator.translate([text], ENGLISH, GERMAN), repeats, warmup),
    }
    if beams == (1, 1):
        samples["synthesis"] = timed(lambda: voice.speak(translation), repeats, warmup)
    return {stage: Figures.of(values) for stage, values in samples.items()}, text, translation


def _encoder_run(models: ProfileModels, compute: ComputeSettings, audio: np.ndarray) -> Callable[[], object]:
    """Whisper's encoder alone on the utterance's 30 s window, features included, as transcribe() runs it."""
    resolved = resolve_compute(compute)
    model = WhisperModel(
        str(models.whisper),
        device=resolved.device,
        compute_type=resolved.compute_type,
        cpu_threads=resolved.cpu_threads,
        local_files_only=True,
    )

    def run() -> object:
        features = model.feature_extractor(audio)
        return model.encode(pad_or_trim(features))

    return run


def _whisper_tokens(text: str) -> int:
    """Tokens Whisper generates for `text`: the words, a timestamp either side and the end of text."""
    return len(whisper_tokenizer().encode(" " + text, add_special_tokens=False).ids) + 3


def translator_pieces(models: ProfileModels, text: str) -> list[str]:
    import sentencepiece as spm

    folder = models.translation
    name = "target.spm" if (folder / "target.spm").is_file() else "sentencepiece.bpe.model"
    return spm.SentencePieceProcessor(model_file=str(folder / name)).encode(text, out_type=str)


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def talk(path: Path, audio: np.ndarray, count: int, gap_seconds: float) -> Path:
    """`count` utterances, each followed by `gap_seconds` of silence, after a second of silence."""
    silence = np.zeros(round(gap_seconds * SAMPLE_RATE), np.float32)
    parts = [np.zeros(SAMPLE_RATE, np.float32)] + [np.concatenate([audio, silence]) for _ in range(count)]
    return write_wav(path, np.concatenate(parts))


@contextlib.contextmanager
def speaker_or_file(folder: Path, sample_rate: int, on_mark: Callable[[PlaybackMark], None]) -> Iterator[AudioSink]:
    """A speaker on a private virtual sound device when PulseAudio is installed, else a paced WAV file."""
    import os

    from bench.virtual_sound import VirtualSoundServer
    from translator.audio.devices import refresh_devices

    try:
        server = VirtualSoundServer(folder / "pulse")
    except (RuntimeError, OSError, subprocess.SubprocessError):
        yield WavFileSink(folder / "heard.wav", sample_rate, on_mark=on_mark)
        return
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.server
    refresh_devices()
    try:
        yield SpeakerSink(None, on_mark=on_mark)
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
        refresh_devices()


def measure_live(
    models: ProfileModels,
    compute: ComputeSettings,
    audio: np.ndarray,
    utterances: int,
    silence_ms: int,
    gap: float,
    interim_results: bool = True,
) -> LiveFigures:
    """A live session over `utterances` typical utterances: the latency the listener feels."""
    recognizer, translator, voice = load_stages(models, compute)
    settings = LiveSettings(
        target=GERMAN,
        source=ENGLISH,
        segmenter=LiveSegmenterSettings(min_silence_ms=silence_ms),
        interim_results=interim_results,
        echo_gate=False,  # a file source hears no echo
    )
    done: list[UtteranceDone] = []
    engines: list[LiveTranslator] = []
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        folder = Path(scratch)
        source = FileSource(talk(folder / "talk.wav", audio, utterances, gap))
        with speaker_or_file(folder, voice.sample_rate, lambda mark: engines[0].on_playback(mark)) as sink:
            engine = LiveTranslator(
                recognizer,
                translator,
                {GERMAN: voice},
                source,
                sink,
                settings,
                lambda event: done.append(event) if isinstance(event, UtteranceDone) else None,
            )
            engines.append(engine)
            engine.start()
            try:
                engine.wait()
            finally:
                engine.stop()
            if engine.error is not None:
                raise RuntimeError(engine.error.message)
            sink_name = "virtual sound device (PulseAudio)" if isinstance(sink, SpeakerSink) else "WAV file (paced)"
    spoken = [event.timeline for event in done if event.spoken and event.timeline.speech_to_speech is not None]
    if not spoken:
        if not done:
            raise RuntimeError("the VAD heard no speech in the live run")
        raise RuntimeError(
            f"none of the {len(done)} utterances heard was spoken: each was more than {settings.max_delay_s:g} s "
            "behind and skipped, so this machine is too slow or too busy to run this profile live"
        )
    return LiveFigures(
        Figures.of([t.speech_to_speech for t in spoken if t.speech_to_speech is not None]),
        _live_breakdown(spoken),
        utterances=len(done),
        spoken=len(spoken),
        sink=sink_name,
        interim_results=interim_results,
    )


def _live_breakdown(timelines: list) -> dict[str, float]:  # type: ignore[type-arg]
    """Medians of each part of speech-to-speech latency; `other` is the pipeline's own overhead."""
    parts: dict[str, list[float]] = {name: [] for name in ("vad_wait", "recognition_after_vad", "translation")}
    parts.update({"synthesis": [], "playback_wait": [], "other": [], "hidden": [], "final_start": []})
    for t in timelines:
        vad_wait = t.end_confirmed - t.speech_end
        recognition_after_vad = max(0.0, t.recognition_end - t.end_confirmed)
        work = [vad_wait, recognition_after_vad, t.translation, t.synthesis, t.playback_wait]
        values = dict(zip(list(parts)[:5], work))
        values["other"] = t.speech_to_speech - sum(work)
        values["hidden"] = t.hidden_wait or 0.0
        values["final_start"] = t.recognition_start - t.speech_end  # late when an interim pass still ran
        for name, value in values.items():
            parts[name].append(value)
    return {name: float(np.median(values)) for name, values in parts.items()}


def measure_batch(models: ProfileModels, compute: ComputeSettings, audio: np.ndarray, minutes: float) -> BatchFigures:
    """A recording of `minutes` of speech through the batch pipeline, speech track included."""
    recognizer, translator, voice = load_stages(models, compute)
    count = max(1, round(minutes * 60 / (len(audio) / SAMPLE_RATE + 1.0)))
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        folder = Path(scratch)
        recording = talk(folder / "recording.wav", audio, count, gap_seconds=1.0)
        settings = BatchSettings(target=GERMAN, source=ENGLISH, output_folder=folder / "out")
        report = BatchTranslator(Pipeline(recognizer, translator, voice), settings).run([recording])
    if report.failed:
        raise RuntimeError(report.failed[0].message)
    result = report.finished[0]
    times = result.times
    stages = {
        "decoding and VAD": times.decoding,
        "recognition": times.recognition,
        "translation": times.translation,
        "synthesis": times.synthesis,
    }
    return BatchFigures(result.duration, times.wall, stages)


def measure_memory(models: ProfileModels, compute: ComputeSettings) -> MemoryFigures:
    """Peak memory with the three models loaded and run once, in a fresh process so nothing else counts."""
    command = [sys.executable, "-m", "bench.memory", str(models.whisper), str(models.translation)]
    command += [str(models.voice), compute.device, compute.compute_type]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if finished.returncode != 0:
        raise RuntimeError(f"the memory run failed: {finished.stderr.strip().splitlines()[-1:]}")
    figures = json.loads(finished.stdout)
    return MemoryFigures(figures["peak_megabytes"], figures["load_seconds"])
