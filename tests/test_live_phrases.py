"""Live sessions on real content: the phrase model tells utterances apart, so order, segmentation and
nothing dropped or duplicated are checked on what was actually said."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from bench.virtual_sound import VirtualSoundServer
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import AudioSource, FileSource, MicrophoneSource
from translator.languages import find_language
from translator.models.demo.phrases import PHRASES, phrase_whisper, speak_phrase
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import FinalTranscript, LiveEvent, LiveSettings, UtteranceDone
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.translation import TextTranslator, TranslatorSettings

SPOKEN = (PHRASES[3], PHRASES[0], PHRASES[5], PHRASES[1])  # not the list's order


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory: pytest.TempPathFactory) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(phrase_whisper(tmp_path_factory.mktemp("phrases")), beam_size=1))


@pytest.fixture(scope="module")
def translator(demo_folder: Path) -> TextTranslator:
    return TextTranslator(TranslatorSettings(demo_folder / "nllb-demo"))


@pytest.fixture(scope="module")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The four phrases spoken one after another, 1 s apart, as 16 kHz audio."""
    folder = tmp_path_factory.mktemp("spoken")
    gap = np.zeros(SAMPLE_RATE, np.float32)
    parts = [gap]
    for index, text in enumerate(SPOKEN):
        parts += [read_audio(speak_phrase(text, folder / f"{index}.wav")), gap]
    return np.concatenate(parts)


def run(recognizer: SpeechRecognizer, translator: TextTranslator, source: AudioSource, play: np.ndarray | None) -> list:
    events: list[LiveEvent] = []
    engine = LiveTranslator(
        recognizer, translator, {}, source, None, LiveSettings(target=find_language("de")), events.append
    )
    engine.start()
    try:
        if play is not None:
            from translator.audio.devices import portaudio

            portaudio().play(play, SAMPLE_RATE, blocking=True)
            deadline = time.monotonic() + 30
            while sum(isinstance(e, UtteranceDone) for e in events) < len(SPOKEN) and time.monotonic() < deadline:
                time.sleep(0.1)
        else:
            assert engine.wait(60)
    finally:
        engine.stop()
    return events


def test_each_phrase_once_and_in_order_from_a_file(
    recognizer: SpeechRecognizer, translator: TextTranslator, conversation: np.ndarray, tmp_path: Path
) -> None:
    source = FileSource(write_wav(tmp_path / "talk.wav", conversation), speed=2.0)
    events = run(recognizer, translator, source, None)
    assert [e.text for e in events if isinstance(e, FinalTranscript)] == list(SPOKEN)
    assert [e.utterance for e in events if isinstance(e, UtteranceDone)] == [0, 1, 2, 3]


def test_each_phrase_once_and_in_order_through_the_sound_card(
    virtual_sound: VirtualSoundServer,
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    conversation: np.ndarray,
) -> None:
    virtual_sound.silence_input()
    events = run(recognizer, translator, MicrophoneSource(loopback=True), conversation)
    assert [e.text for e in events if isinstance(e, FinalTranscript)] == list(SPOKEN)
