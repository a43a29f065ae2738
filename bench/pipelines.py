"""The benchmark's runs of the real pipelines, each under one encoder window setting.

- live: the live pipeline with interim captions on (as the app runs) on a file source, speaking to the
  virtual sound device when PulseAudio is installed (else to a WAV file paced like a speaker), end of
  speech to first translated sound;
- batch: a long recording, and a handful of files of a few seconds (where the only window is short),
  through the batch pipeline: wall time against audio length and each stage's busy time.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.measure import (
    ENGLISH,
    GERMAN,
    BatchFigures,
    Figures,
    LiveFigures,
    load_recognizer,
    load_translator,
    load_voice,
)
from bench.models import ProfileModels
from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import AudioSink, SpeakerSink, WavFileSink
from translator.audio.sources import FileSource
from translator.compute import ComputeSettings
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import LiveSettings, LiveStats, UtteranceDone
from translator.pipeline.timeline import UtteranceTimeline
from translator.stages.live_segmentation import LiveSegmenterSettings
from translator.stages.recognition import SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import DEFAULT_BEAM_SIZE

# The short files' seconds of speech: each file's only window is far shorter than 30 s.
SHORT_FILE_SECONDS = (2.0, 3.0, 4.0, 5.0, 6.0)
# The parts of speech-to-speech latency, each only what came after the end of speech was confirmed (work
# that ran ahead during the wait cost the listener nothing); "other" is the rest: queues and hand-offs.
# "interim_wait": after the end, the final recognition waiting for an interim pass that still held the recognizer.
LATENCY_PARTS = (
    "vad_wait",
    "interim_wait",
    "recognition_after_vad",
    "translation",
    "synthesis",
    "playback_wait",
    "other",
)


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def talk_audio(audio: np.ndarray, count: int, gap_seconds: float) -> np.ndarray:
    """`count` utterances, each followed by `gap_seconds` of silence, after a second of silence."""
    silence = np.zeros(round(gap_seconds * SAMPLE_RATE), np.float32)
    return np.concatenate([np.zeros(SAMPLE_RATE, np.float32)] + [np.concatenate([audio, silence])] * count)


def talk(path: Path, audio: np.ndarray, count: int, gap_seconds: float) -> Path:
    """`talk_audio` written to `path`."""
    return write_wav(path, talk_audio(audio, count, gap_seconds))


@contextlib.contextmanager
def speaker_or_file(folder: Path, sample_rate: int) -> Iterator[AudioSink]:
    """A speaker on a private virtual sound device when PulseAudio is installed, else a paced WAV file."""
    from bench.virtual_sound import VirtualSoundServer, serving_as_default

    try:
        server = VirtualSoundServer(folder / "pulse")
    except (RuntimeError, OSError, subprocess.SubprocessError):
        yield WavFileSink(folder / "heard.wav", sample_rate)
        return
    with serving_as_default(server):
        yield SpeakerSink(None)


@dataclass(frozen=True)
class LiveRun:
    """What one benchmark live session heard and did, and where it spoke."""

    done: list[UtteranceDone]
    stats: LiveStats
    settings: LiveSettings
    sink_name: str


def run_live_session(
    recognizer: SpeechRecognizer,
    models: ProfileModels,
    compute: ComputeSettings,
    voice: SpeechSynthesizer,
    speech: np.ndarray,
    segmenter: LiveSegmenterSettings,
) -> LiveRun:
    """`speech` (16 kHz) played in real time into a live session as the app runs one: interim captions on,
    translation at the app's beam, the voice on the virtual sound device (else a paced WAV file)."""
    settings = LiveSettings(
        target=GERMAN,
        source=ENGLISH,
        segmenter=segmenter,
        interim_results=True,
        echo_gate=False,  # a file source hears no echo
    )
    done: list[UtteranceDone] = []
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        folder = Path(scratch)
        with speaker_or_file(folder, voice.sample_rate) as sink:
            engine = LiveTranslator(
                recognizer,
                load_translator(models, compute, DEFAULT_BEAM_SIZE),  # as the app translates live
                {GERMAN: voice},
                FileSource(write_wav(folder / "talk.wav", speech)),
                sink,
                settings,
                lambda event: done.append(event) if isinstance(event, UtteranceDone) else None,
            )
            engine.start()
            try:
                engine.wait()
                stats = engine.stats()
            finally:
                engine.stop()
            if engine.error is not None:
                raise RuntimeError(engine.error.message)
            sink_name = "virtual sound device (PulseAudio)" if isinstance(sink, SpeakerSink) else "WAV file (paced)"
    return LiveRun(done, stats, settings, sink_name)


def measure_live(
    models: ProfileModels,
    compute: ComputeSettings,
    audio: np.ndarray,
    utterances: int,
    silence_ms: int,
    gap: float,
    encoder_window: str | float,
) -> LiveFigures:
    """A live session over `utterances` typical utterances, interim captions on: the latency the listener feels."""
    recognizer = load_recognizer(models, compute, encoder_window)
    run = run_live_session(
        recognizer,
        models,
        compute,
        load_voice(models, compute),
        talk_audio(audio, utterances, gap),
        LiveSegmenterSettings(min_silence_ms=silence_ms),
    )
    done = run.done
    spoken = [event.timeline for event in done if event.spoken and event.timeline.speech_to_speech is not None]
    if not spoken:
        if not done:
            raise RuntimeError("the VAD heard no speech in the live run")
        raise RuntimeError(
            f"none of the {len(done)} utterances heard was spoken: each was more than {run.settings.max_delay_s:g} s "
            "behind and skipped, so this machine is too slow or too busy to run this profile live"
        )
    parts = [latency_parts(timeline) for timeline in spoken]
    slowest = max(parts, key=lambda each: each["speech_to_speech"])
    return LiveFigures(
        Figures.of([each["speech_to_speech"] for each in parts]),
        median_parts(parts),
        slowest,
        utterances=len(done),
        spoken=len(spoken),
        sink=run.sink_name,
        stats=recognizer.window_stats,
    )


def median_parts(parts: Sequence[dict[str, float]]) -> dict[str, float]:
    """The median of each latency part over utterances (`latency_parts` of each)."""
    return {name: float(np.median([each[name] for each in parts])) for name in parts[0]}


def latency_parts(timeline: UtteranceTimeline) -> dict[str, float]:
    """One spoken utterance's latency in `LATENCY_PARTS` (each stage only after the end was confirmed), with
    `speech_to_speech` itself, `hidden` (the work that ran while the VAD still waited) and `final_start`
    (speech end to the final recognition's start: late when an interim pass was still running)."""
    confirmed = _known(timeline.end_confirmed)
    speech_end = _known(timeline.speech_end)

    def after_end(start: float | None, end: float | None) -> float:
        if start is None or end is None:
            return 0.0
        return max(0.0, end - max(start, confirmed))

    total = _known(timeline.speech_to_speech)
    recognition_start = _known(timeline.recognition_start)
    values = {
        "vad_wait": confirmed - speech_end,
        "interim_wait": max(0.0, recognition_start - confirmed),
        "recognition_after_vad": after_end(timeline.recognition_start, timeline.recognition_end),
        "translation": after_end(timeline.translation_start, timeline.translation_end),
        "synthesis": after_end(timeline.synthesis_start, timeline.first_audio),
        "playback_wait": timeline.playback_wait or 0.0,
    }
    values["other"] = total - sum(values.values())
    values["speech_to_speech"] = total
    values["hidden"] = timeline.hidden_work or 0.0
    values["final_start"] = recognition_start - speech_end
    return values


def _known(value: float | None) -> float:
    if value is None:
        raise RuntimeError("a spoken utterance's timeline lacks a time it must have")
    return value


def measure_batch(
    models: ProfileModels, compute: ComputeSettings, audio: np.ndarray, minutes: float, encoder_window: str | float
) -> BatchFigures:
    """A recording of `minutes` of speech (the typical utterance again and again) through the batch pipeline,
    speech track included."""
    count = max(1, round(minutes * 60 / (len(audio) / SAMPLE_RATE + 1.0)))
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        folder = Path(scratch)
        recording = talk(folder / "recording.wav", audio, count, gap_seconds=1.0)
        return _run_batch(models, compute, encoder_window, [recording], folder / "out")


def measure_short_files(
    models: ProfileModels, compute: ComputeSettings, audio: np.ndarray, encoder_window: str | float
) -> BatchFigures:
    """Files of `SHORT_FILE_SECONDS` of speech (the typical utterance cut or repeated to length, half a second
    of silence either side) through the batch pipeline in one batch."""
    silence = np.zeros(SAMPLE_RATE // 2, np.float32)
    with tempfile.TemporaryDirectory(prefix="translator-bench-") as scratch:
        folder = Path(scratch)
        files = []
        for seconds in SHORT_FILE_SECONDS:
            speech = np.resize(audio, round(seconds * SAMPLE_RATE))
            files.append(write_wav(folder / f"short-{seconds:g}s.wav", np.concatenate([silence, speech, silence])))
        return _run_batch(models, compute, encoder_window, files, folder / "out")


def _run_batch(
    models: ProfileModels,
    compute: ComputeSettings,
    encoder_window: str | float,
    files: Sequence[Path],
    output_folder: Path,
) -> BatchFigures:
    recognizer = load_recognizer(models, compute, encoder_window)
    pipeline = Pipeline(recognizer, load_translator(models, compute), load_voice(models, compute))
    settings = BatchSettings(target=GERMAN, source=ENGLISH, output_folder=output_folder)
    report = BatchTranslator(pipeline, settings).run(list(files))
    if report.failed:
        raise RuntimeError(report.failed[0].message)
    results = report.finished
    stages = {
        "decoding and VAD": sum(result.times.decoding for result in results),
        "recognition": sum(result.times.recognition for result in results),
        "translation": sum(result.times.translation for result in results),
        "synthesis": sum(result.times.synthesis for result in results),
    }
    return BatchFigures(
        files=len(results),
        audio_seconds=sum(result.duration for result in results),
        wall_seconds=sum(result.times.wall for result in results),
        stage_seconds=stages,
        stats=recognizer.window_stats,
    )
