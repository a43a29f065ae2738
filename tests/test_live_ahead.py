"""The chain run ahead of the confirmed end of speech, and speech that starts with its first clause: the live
engine with the demo models, real-time file sources and a WAV sink."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import WavFileSink
from translator.audio.sources import FileSource
from translator.languages import Language, find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import FinalTranscript, LiveEvent, LiveSettings, LiveStats, UtteranceDone
from translator.stages.live_segmentation import LiveSegmenterSettings
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechAudio, SpeechSynthesizer, SynthesizerSettings, first_clause
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN = find_language("de")
LONG_GERMAN = "Wir haben heute Morgen sehr lange am Bahnhof gewartet, aber der Zug ist leider nicht gekommen."


@pytest.fixture(scope="module")
def recognizer(demo_folder: Path) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1))


@pytest.fixture
def translator(demo_folder: Path) -> TextTranslator:
    return TextTranslator(TranslatorSettings(demo_folder / "nllb-demo"))


@pytest.fixture
def german(demo_folder: Path) -> SpeechSynthesizer:
    return SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


class Recorded:
    """A live session run to the end of its file, its events and the translator's calls recorded."""

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        translator: TextTranslator,
        voices: dict[Language, SpeechSynthesizer],
        audio: Path,
        heard: Path,
        settings: LiveSettings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.events: list[LiveEvent] = []
        self.translated: list[str] = []
        self._lock = threading.Lock()
        real_translate = translator.translate

        def counted_translate(texts: list[str], source: Language, target: Language) -> list[str]:
            with self._lock:
                self.translated += texts
            return real_translate(texts, source, target)

        monkeypatch.setattr(translator, "translate", counted_translate)
        sink = WavFileSink(heard, voices[GERMAN].sample_rate)
        engine = LiveTranslator(recognizer, translator, voices, FileSource(audio), sink, settings, self._record)
        engine.start()
        try:
            assert engine.wait(60), "the session did not finish"
        finally:
            engine.stop()

    def _record(self, event: LiveEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type) -> list:
        with self._lock:
            return [event for event in self.events if isinstance(event, kind)]


def speech_span(path: Path) -> float:
    """Seconds from the first to the last loud sample of a WAV file."""
    with wave.open(str(path)) as heard:
        samples = np.frombuffer(heard.readframes(heard.getnframes()), "<i2")
        rate = heard.getframerate()
    loud = np.flatnonzero(np.abs(samples) > 300)
    return (loud[-1] - loud[0]) / rate if len(loud) else 0.0


def test_speech_made_ahead_plays_once_the_end_is_confirmed(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    german: SpeechSynthesizer,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    talk = np.concatenate([silence(1.0), speech_like, silence(1.5), speech_like, silence(1.5)])
    session = Recorded(
        recognizer, translator, {GERMAN: german}, write_wav(tmp_path / "talk.wav", talk), tmp_path / "heard.wav",
        LiveSettings(target=GERMAN, interim_results=False), monkeypatch,
    )  # fmt: skip
    done = session.of(UtteranceDone)
    assert [event.utterance for event in done] == [0, 1] and all(event.spoken for event in done)
    assert all(event.translation == DEMO_TRANSLATIONS["de"] for event in done)
    assert len(session.translated) == 2  # each utterance translated once: the final used the work made ahead
    for event in done:
        t = event.timeline
        # Translated and synthesised while the VAD still waited; held, then handed over on confirmation.
        assert t.recognition_end < t.end_confirmed and t.translation_end < t.end_confirmed
        assert t.first_audio < t.end_confirmed <= t.first_queued <= t.first_played
        assert t.held > 0 and t.hidden_work > t.hidden_wait > 0
        assert t.speech_to_speech == pytest.approx(t.first_played - t.speech_end)  # still from the end of speech
        assert t.first_queued - t.end_confirmed < 0.25  # played at once, not made after the end
    stats = session.of(LiveStats)[-1]
    assert stats.speculative_translations_used == 2 and stats.speculative_translations_discarded == 0
    assert set(stats.stages) >= {"hidden_work", "held"}


def test_speech_made_ahead_is_thrown_away_when_speech_resumes(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    german: SpeechSynthesizer,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Half a second of silence inside the utterance: long enough for the whole chain to run ahead, too
    # short to end the utterance (1 s does), so that work is thrown away when the speaker goes on.
    half = len(speech_like) // 2
    talk = [silence(1.0), speech_like[:half], silence(0.5), speech_like[half:], silence(2.0)]
    heard = tmp_path / "heard.wav"
    session = Recorded(
        recognizer, translator, {GERMAN: german}, write_wav(tmp_path / "talk.wav", np.concatenate(talk)), heard,
        LiveSettings(target=GERMAN, interim_results=False, segmenter=LiveSegmenterSettings(min_silence_ms=1000)),
        monkeypatch,
    )  # fmt: skip
    done = session.of(UtteranceDone)
    assert len(done) == 1 and done[0].spoken and len(session.of(FinalTranscript)) == 1
    stats = session.of(LiveStats)[-1]
    assert stats.speculative_translations_discarded == 1 and stats.speculative_translations_used == 1
    assert stats.speculative_discarded == 1
    assert len(session.translated) == 2  # the thrown-away speculation, and the one that was used
    # Only the used speech was heard: the thrown-away audio never reached the sink.
    assert speech_span(heard) == pytest.approx(german.speak(DEMO_TRANSLATIONS["de"]).duration, abs=0.1)


def test_nothing_runs_ahead_when_speculative_translation_is_off(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    german: SpeechSynthesizer,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    talk = np.concatenate([silence(1.0), speech_like, silence(1.5)])
    session = Recorded(
        recognizer, translator, {GERMAN: german}, write_wav(tmp_path / "talk.wav", talk), tmp_path / "heard.wav",
        LiveSettings(target=GERMAN, interim_results=False, speculative_translation=False), monkeypatch,
    )  # fmt: skip
    t = session.of(UtteranceDone)[0].timeline
    assert t.recognition_end < t.end_confirmed <= t.translation_start  # the final pass ran ahead; nothing more
    assert t.held == pytest.approx(0.0, abs=0.05)
    stats = session.of(LiveStats)[-1]
    assert stats.speculative_translations_used == 0 and stats.speculative_used == 1


def test_the_first_clause_plays_while_the_rest_is_synthesised(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    german: SpeechSynthesizer,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long translation with a clause break, and a voice slow to make everything after the first piece:
    # the first clause must be heard before the rest exists, and the rest follow it without a gap.
    monkeypatch.setattr(translator, "translate", lambda texts, source, target: [LONG_GERMAN for _ in texts])
    made: list[tuple[float, SpeechAudio]] = []
    real_pieces = german.pieces

    def slow_after_the_first(text: str, speed: float = 1.0) -> Iterator[SpeechAudio]:
        for index, piece in enumerate(real_pieces(text, speed)):
            if index:
                time.sleep(0.4)
            made.append((time.monotonic(), piece))
            yield piece

    monkeypatch.setattr(german, "pieces", slow_after_the_first)
    heard = tmp_path / "heard.wav"
    talk = np.concatenate([silence(1.0), speech_like, silence(4.0)])
    session = Recorded(
        recognizer, translator, {GERMAN: german}, write_wav(tmp_path / "talk.wav", talk), heard,
        LiveSettings(target=GERMAN, interim_results=False), monkeypatch,
    )  # fmt: skip
    t = session.of(UtteranceDone)[0].timeline
    head, rest = first_clause(LONG_GERMAN) or ("", "")
    assert len(made) == 2 and len(made[0][1].samples) == len(german.speak(head).samples)
    assert t.first_audio == pytest.approx(made[0][0], abs=0.01)
    assert t.first_played < made[1][0] <= t.synthesis_end  # heard before the rest was made
    pieces_seconds = sum(piece.duration for _, piece in made)
    assert speech_span(heard) == pytest.approx(pieces_seconds, abs=0.1)  # back to back: no gap between them
