"""The live engine with the real models, real-time file sources, a WAV sink and the virtual sound card."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio_files import write_wav

from bench.virtual_sound import VirtualSoundServer
from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import AudioSink, SpeakerSink, WavFileSink
from translator.audio.sources import AudioSource, FileSource, MicrophoneSource
from translator.languages import Language, find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.models.demo.whisper import DEMO_TRANSCRIPT
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import (
    FinalTranscript,
    InterimTranscript,
    LiveError,
    LiveEvent,
    LiveSettings,
    LiveStats,
    LiveStopped,
    SynthesisSkipped,
    UtteranceDone,
    UtterancesMerged,
)
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN, ENGLISH, FRENCH = find_language("de"), find_language("en"), find_language("fr")


@pytest.fixture(scope="module")
def recognizer(demo_folder: Path) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1))


@pytest.fixture(scope="module")
def translator(demo_folder: Path) -> TextTranslator:
    return TextTranslator(TranslatorSettings(demo_folder / "nllb-demo"))


@pytest.fixture(scope="module")
def voices(demo_folder: Path) -> dict[Language, SpeechSynthesizer]:
    return {
        language: SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), language)
        for language in (GERMAN, ENGLISH, FRENCH)
    }


def utterances_file(tmp_path: Path, speech: np.ndarray, count: int, gap: float = 1.0) -> Path:
    silence = np.zeros(round(gap * SAMPLE_RATE), np.float32)
    audio = np.concatenate([silence] + [np.concatenate([speech, silence]) for _ in range(count)])
    return write_wav(tmp_path / f"talk-{count}.wav", audio)


class Session:
    """A live session whose events are recorded (the engine listens to the sink's marks itself)."""

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        translator: TextTranslator,
        voices: dict[Language, SpeechSynthesizer],
        source: AudioSource,
        sink: AudioSink | None,
        settings: LiveSettings,
    ) -> None:
        self.events: list[LiveEvent] = []
        self._lock = threading.Lock()
        self.engine = LiveTranslator(recognizer, translator, voices, source, sink, settings, self._record)

    def _record(self, event: LiveEvent) -> None:
        with self._lock:
            self.events.append(event)

    def run(self, timeout: float = 60.0) -> Session:
        self.engine.start()
        try:
            assert self.engine.wait(timeout), "the session did not finish"
        finally:
            self.engine.stop()
        return self

    def of(self, kind: type) -> list:
        with self._lock:
            return [event for event in self.events if isinstance(event, kind)]


def test_file_in_file_out_translates_each_utterance_in_order(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voices: dict[Language, SpeechSynthesizer],
    speech_like: np.ndarray,
    tmp_path: Path,
) -> None:
    out = tmp_path / "heard.wav"
    session = Session(
        recognizer,
        translator,
        voices,
        FileSource(utterances_file(tmp_path, speech_like, 2, gap=1.5)),
        WavFileSink(out, voices[GERMAN].sample_rate),
        LiveSettings(target=GERMAN),
    ).run()

    done = session.of(UtteranceDone)
    assert [event.utterance for event in done] == [0, 1]
    assert all(event.source_text == DEMO_TRANSCRIPT for event in done)
    assert all(event.translation == DEMO_TRANSLATIONS["de"] and event.spoken for event in done)
    for event in done:
        t = event.timeline
        order = [t.speech_start, t.speech_end, t.end_confirmed]
        assert all(value is not None for value in order) and order == sorted(order)
        steps = [t.recognition_start, t.recognition_end, t.translation_start, t.translation_end, t.synthesis_start]
        steps += [t.first_audio, t.first_played, t.playback_end]
        assert all(value is not None for value in steps) and steps == sorted(steps)
        assert t.speech_to_speech == pytest.approx(t.first_played - t.speech_end)
        # The VAD waited about min_silence_ms; speculative recognition ran during that wait.
        assert 0.3 <= t.end_wait <= 0.7
        assert t.hidden_wait is not None and t.hidden_wait > 0
    stats = session.of(LiveStats)[-1]
    assert stats.utterances == 2 and stats.speculative_used == 2
    assert set(stats.stages) >= {"recognition", "translation", "synthesis", "speech_to_speech"}
    assert session.of(LiveStopped) == [LiveStopped("stopped")]
    with wave.open(str(out)) as heard:
        samples = np.frombuffer(heard.readframes(heard.getnframes()), "<i2")
    assert np.abs(samples).max() > 1000  # the translated speech is in the file


def test_interim_captions_arrive_before_the_final(
    recognizer: SpeechRecognizer, translator: TextTranslator, speech_like: np.ndarray, tmp_path: Path
) -> None:
    long_speech = np.concatenate([speech_like, speech_like])  # no pause: one utterance of several seconds
    session = Session(
        recognizer,
        translator,
        {},
        FileSource(utterances_file(tmp_path, long_speech, 1)),
        None,
        LiveSettings(target=GERMAN, interim_interval_s=0.3),
    ).run()
    with session._lock:
        order = [type(event) for event in session.events if isinstance(event, (InterimTranscript, FinalTranscript))]
    assert order[0] is InterimTranscript and order[-1] is FinalTranscript
    interims = session.of(InterimTranscript)
    assert any(event.committed for event in interims)  # consecutive passes agreed on words
    assert session.of(UtteranceDone)[0].spoken is False  # text only: no sink


def test_conversation_mode_translates_into_the_other_language(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voices: dict[Language, SpeechSynthesizer],
    speech_like: np.ndarray,
    tmp_path: Path,
) -> None:
    # The demo recogniser hears English first and German second: among German and French it picks
    # German, so the answer is French; among English and German it picks English, so German.
    for pair, expected in (((GERMAN, FRENCH), "fr"), ((ENGLISH, GERMAN), "de")):
        session = Session(
            recognizer,
            translator,
            voices,
            FileSource(utterances_file(tmp_path, speech_like, 1), speed=4.0),
            None,
            LiveSettings(conversation=pair, interim_results=False),
        ).run()
        finals = session.of(FinalTranscript)
        assert len(finals) == 1 and finals[0].language == (pair[0] if expected == "fr" else ENGLISH)
        assert session.of(UtteranceDone)[0].translation == DEMO_TRANSLATIONS[expected]


def test_push_to_talk_takes_what_is_said_between_press_and_release(
    recognizer: SpeechRecognizer, translator: TextTranslator, speech_like: np.ndarray, tmp_path: Path
) -> None:
    talk = np.concatenate([speech_like] * 3)
    session = Session(
        recognizer, translator, {}, FileSource(write_wav(tmp_path / "talk.wav", talk)), None,
        LiveSettings(target=GERMAN, push_to_talk=True, interim_results=False),
    )  # fmt: skip
    engine = session.engine
    engine.start()
    try:
        engine.press()
        time.sleep(1.5)  # the speaker holds the button for 1.5 s of a real-time stream
        engine.release()
        assert engine.wait(30)
    finally:
        engine.stop()
    done = session.of(UtteranceDone)
    assert len(done) == 1  # speech before press and after release is ignored, pauses or not
    assert done[0].timeline.end_wait == pytest.approx(0.0)  # no VAD wait: the release ends it


def test_slow_recognition_merges_waiting_utterances(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_transcribe = recognizer.transcribe

    def slow_transcribe(*args: object, **kwargs: object):  # a recogniser far slower than real time
        time.sleep(3.0)
        return real_transcribe(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recognizer, "transcribe", slow_transcribe)
    short = speech_like[: round(0.8 * SAMPLE_RATE)]
    session = Session(
        recognizer, translator, {}, FileSource(utterances_file(tmp_path, short, 6, gap=0.6)), None,
        LiveSettings(target=GERMAN, interim_results=False, speculative_final=False, recognition_backlog=1),
    ).run(timeout=90)  # fmt: skip
    merged = session.of(UtterancesMerged)
    assert merged, "a backlog of finished utterances should be merged"
    finals = session.of(FinalTranscript)
    accounted = [i for final in finals for i in (final.utterance, *final.merged)]
    assert sorted(accounted) == list(range(6))  # every utterance once: none lost, none duplicated
    assert session.of(LiveStats)[-1].merged == sum(len(m.utterances) - 1 for m in merged)


def test_stale_speech_is_shown_but_not_spoken(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voices: dict[Language, SpeechSynthesizer],
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_translate = translator.translate

    def slow_translate(*args: object, **kwargs: object) -> list[str]:
        time.sleep(1.0)
        return real_translate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(translator, "translate", slow_translate)
    session = Session(
        recognizer, translator, voices, FileSource(utterances_file(tmp_path, speech_like, 1), speed=4.0),
        WavFileSink(tmp_path / "out.wav", voices[GERMAN].sample_rate),
        LiveSettings(target=GERMAN, interim_results=False, max_delay_s=0.5),
    ).run()  # fmt: skip
    assert len(session.of(SynthesisSkipped)) == 1
    done = session.of(UtteranceDone)
    assert len(done) == 1 and not done[0].spoken and done[0].translation == DEMO_TRANSLATIONS["de"]


def test_a_failing_stage_stops_the_session_with_an_event(
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> list[str]:
        raise RuntimeError("model crashed")

    monkeypatch.setattr(translator, "translate", broken)
    session = Session(
        recognizer, translator, {}, FileSource(utterances_file(tmp_path, speech_like, 1), speed=4.0), None,
        LiveSettings(target=GERMAN, interim_results=False),
    ).run()  # fmt: skip
    assert session.of(LiveError) == [LiveError("translation", "translation failed: RuntimeError: model crashed")]
    assert session.of(LiveStopped) == [LiveStopped("translation failed: RuntimeError: model crashed")]
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("live-")]


def test_stop_is_clean_and_idempotent(recognizer: SpeechRecognizer, translator: TextTranslator, tmp_path: Path) -> None:
    silence = write_wav(tmp_path / "quiet.wav", np.zeros(30 * SAMPLE_RATE, np.float32))
    session = Session(recognizer, translator, {}, FileSource(silence), None, LiveSettings(target=GERMAN))
    session.engine.start()
    session.engine.stop()
    session.engine.stop()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("live-")]
    assert session.of(LiveStopped) == [LiveStopped("stopped")]


def _live_on_the_sound_card(
    virtual_sound: VirtualSoundServer,
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voices: dict[Language, SpeechSynthesizer],
    speech: np.ndarray,
    echo_gate: bool,
    done: Callable[[Session], bool],
) -> Session:
    """Speech is played into the sound card; the session hears the card's monitor (its 'microphone')
    and speaks through the same card, so without the echo gate it would hear its own voice."""
    from translator.audio.devices import portaudio

    virtual_sound.silence_input()
    session = Session(
        recognizer, translator, voices, MicrophoneSource(loopback=True),
        SpeakerSink(),
        LiveSettings(target=GERMAN, interim_results=False, echo_gate=echo_gate),
    )  # fmt: skip
    engine = session.engine
    engine.start()
    try:
        sounddevice = portaudio()
        sounddevice.play(np.concatenate([np.zeros(SAMPLE_RATE, np.float32), speech]), SAMPLE_RATE, blocking=True)
        deadline = time.monotonic() + 40
        while not done(session) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        engine.stop()
    return session


def test_echo_gate_keeps_translated_speech_from_being_translated_again(
    virtual_sound: VirtualSoundServer,
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voices: dict[Language, SpeechSynthesizer],
    speech_like: np.ndarray,
) -> None:
    def played_and_settled(session: Session) -> bool:
        # The translated speech has played to its end, and the gate's tail and a margin have passed:
        # an echo would have started a new utterance by now.
        finished = session.of(UtteranceDone)
        end = finished[0].timeline.playback_end if finished else None
        return end is not None and time.monotonic() - end > 1.5

    gated = _live_on_the_sound_card(
        virtual_sound, recognizer, translator, voices, speech_like, echo_gate=True, done=played_and_settled
    )
    done = gated.of(UtteranceDone)
    assert len(done) == 1 and done[0].spoken and done[0].timeline.first_played is not None
    assert gated.of(LiveStats)[-1].gated_seconds > 1.0

    open_loop = _live_on_the_sound_card(
        virtual_sound, recognizer, translator, voices, speech_like, echo_gate=False,
        done=lambda session: len(session.of(FinalTranscript)) >= 2,
    )  # fmt: skip
    heard = open_loop.of(FinalTranscript)
    assert len(heard) >= 2  # its own German speech came back through the sound card and was recognised


@pytest.mark.slow
def test_a_long_session_does_not_grow(
    recognizer: SpeechRecognizer, translator: TextTranslator, speech_like: np.ndarray, tmp_path: Path
) -> None:
    # Ten minutes of speech and pauses, fed as fast as the models go: what the session keeps per
    # utterance must be released, so memory at the end is what it was a quarter of the way in.
    import tracemalloc

    source_file = utterances_file(tmp_path, speech_like, 200, gap=0.8)
    done = {"count": 0, "memory_at_quarter": 0}

    def on_event(event: LiveEvent) -> None:
        if isinstance(event, UtteranceDone):
            done["count"] += 1
            if done["count"] == 50:
                done["memory_at_quarter"] = tracemalloc.get_traced_memory()[0]

    engine = LiveTranslator(
        recognizer, translator, {}, FileSource(source_file, realtime=False), None,
        LiveSettings(target=GERMAN, interim_results=False), on_event,
    )  # fmt: skip
    tracemalloc.start()
    try:
        engine.start()
        assert engine.wait(300)
        engine.stop()
        at_end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert done["count"] == 200
    assert at_end - done["memory_at_quarter"] < 2_000_000  # bytes: no per-utterance growth


def test_a_vanishing_input_device_stops_the_session_with_an_event(
    virtual_sound: VirtualSoundServer, recognizer: SpeechRecognizer, translator: TextTranslator, tmp_path: Path
) -> None:
    import os

    doomed = VirtualSoundServer(tmp_path / "doomed")
    previous = os.environ["PULSE_SERVER"]
    os.environ["PULSE_SERVER"] = doomed.server  # the ALSA pulse plugin connects when the stream opens
    session = Session(recognizer, translator, {}, MicrophoneSource("pulse"), None, LiveSettings(target=GERMAN))
    try:
        session.engine.start()
    finally:
        os.environ["PULSE_SERVER"] = previous
    try:
        doomed.stop()
        assert session.engine.wait(30), "the session hung after its microphone vanished"
    finally:
        session.engine.stop()
        doomed.stop()
    errors = session.of(LiveError)
    assert len(errors) == 1 and errors[0].stage == "capture" and "pulse" in errors[0].message
    assert len(session.of(LiveStopped)) == 1
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("live-")]


def test_interim_captions_stop_when_a_pass_costs_too_much(
    recognizer: SpeechRecognizer, translator: TextTranslator, speech_like: np.ndarray, tmp_path: Path
) -> None:
    long_speech = np.concatenate([speech_like, speech_like])
    session = Session(
        recognizer, translator, {}, FileSource(utterances_file(tmp_path, long_speech, 1)), None,
        LiveSettings(target=GERMAN, interim_interval_s=0.3, interim_max_cost_s=0.0),
    ).run()  # fmt: skip
    assert len(session.of(InterimTranscript)) == 1  # the first pass measured the cost; no more followed
    assert len(session.of(FinalTranscript)) == 1
