"""The batch pipeline streams: early segments finish while recognition is still mid-file."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from translator.audio.files import SAMPLE_RATE, to_int16
from translator.languages import find_language
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.batch_events import FileProgress, SegmentReady
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings


@pytest.fixture(scope="module")
def pipeline(demo_folder: Path) -> Pipeline:
    german = find_language("de")
    return Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), german),
    )


def test_synthesis_overlaps_recognition(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    # Four utterances, each its own recognition window.
    gap = np.zeros(2 * SAMPLE_RATE, np.float32)
    audio = np.concatenate([gap, speech_like] * 4 + [gap])
    source = tmp_path / "four.wav"
    with wave.open(str(source), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(SAMPLE_RATE)
        output.writeframes(to_int16(audio))

    first_segment_done = threading.Event()
    progress_seen: list[float] = []
    overlapped: list[bool] = []

    def on_event(event: object) -> None:
        if isinstance(event, SegmentReady):
            first_segment_done.set()
        elif isinstance(event, FileProgress):
            progress_seen.append(event.position)
            if len(progress_seen) == 3:
                # Hold recognition after its third window: a pipeline that waited for the whole file
                # before translating and speaking would never finish a segment now.
                overlapped.append(first_segment_done.wait(timeout=30))

    settings = BatchSettings(target=find_language("de"), output_folder=tmp_path / "out", window_seconds=5)
    report = BatchTranslator(pipeline, settings, on_event).run([source])

    assert not report.failed
    assert overlapped == [True]
    assert len(report.finished[0].segments) == 4
