"""`translator bench --soak MINUTES`: live translation for a long stretch through real sound streams, watching
for anything that grows.

Speech loops into a private virtual sound card (`bench.virtual_sound`): the phrase model's six phrases
(`translator.models.demo.phrases`), spoken by espeak-ng in two voices with a pause after each, played by
`pacat` into a sink of their own. The live pipeline (`LiveTranslator`, as the app runs it: interim captions,
speculative finals) records that sink's monitor through a real PortAudio input stream, recognises it with the
phrase Whisper (which really hears what was said, so a transcript can be checked), translates it with the demo
NLLB and speaks it through a real PortAudio output stream into another sink, so it never hears itself. Every
window (five minutes by default) gets this process's resident memory and the speech-to-speech delay (p50/p95,
from each utterance's timeline); `bench.soak_report` judges them against the targets and writes the report.
"""

from __future__ import annotations

import bisect
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.measure import ENGLISH, GERMAN, Figures
from bench.soak_report import SoakRun, SoakSettings, SoakWindow
from bench.virtual_sound import VirtualSoundServer, serving_as_default
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.playback import SpeakerSink
from translator.audio.sources import MicrophoneSource
from translator.errors import TranslatorError
from translator.models.demo.phrases import PHRASES, phrase_whisper, speak_phrase
from translator.models.demo.translation import build_demo_nllb
from translator.models.demo.voice import build_demo_voice
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import LiveEvent, LiveSettings, SpeechStarted, UtteranceDone, UtterancesMerged
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

Progress = Callable[[str], None]

# espeak-ng voices and speeds (words per minute) the phrases are spoken in; the phrase model hears both right.
SOAK_VOICES = (("en-us", 160), ("en-us+m7", 165))
FEED_SINK = "soakfeed"  # the sink the speech is played into; its monitor is the session's microphone
_FEED_CHUNK_SECONDS = 0.1  # the feeder writes the loop in slices this long; the pipe and pacat pace it
_FEED_LATENCY_MS = 100
_SAMPLE_SECONDS = 1.0  # how often resident memory is read
_DRAIN_SECONDS = 20.0  # after the last speech, how long the session may take to finish what it heard
_SPEAKER_MARGIN_SECONDS = 1.0  # each phrase's cycle outlasts its spoken translation by this much


def resident_megabytes(pid: int | str = "self") -> float:
    """A process's resident memory now (VmRSS), in MB; TranslatorError where /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    raise TranslatorError("the soak run reads resident memory from /proc: run it on Linux")


def speech_loop(folder: Path, gap_seconds: float, cycle_seconds: float) -> tuple[np.ndarray, tuple[int, ...]]:
    """Every phrase in every voice of `SOAK_VOICES`, each followed by silence (at least `gap_seconds`, and
    enough that phrase and silence last `cycle_seconds`), as 16 kHz int16 samples; and where each phrase starts."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [np.zeros(round(gap_seconds * SAMPLE_RATE), np.float32)]
    starts = []
    for voice, speed in SOAK_VOICES:
        for index, text in enumerate(PHRASES):
            speech = read_audio(speak_phrase(text, folder / f"{voice}-{index}.wav", voice=voice, speed=speed))
            silence = max(round(gap_seconds * SAMPLE_RATE), round(cycle_seconds * SAMPLE_RATE) - len(speech))
            starts.append(sum(map(len, parts)))
            parts += [speech, np.zeros(silence, np.float32)]
    samples = np.concatenate(parts)
    return (np.clip(samples, -1, 1) * 32767).astype("<i2"), tuple(starts)


class SpeechFeeder:
    """Plays a loop of 16 kHz mono int16 speech into a PulseAudio sink through `pacat`, again and again.

    A thread writes the same buffer slice by slice into pacat's unbuffered stdin; the pipe fills and pacat
    plays at the sink's pace, so nothing accumulates however long it runs. `quiet()` turns the speech into
    silence (the stream goes on, so the last utterance's end is heard promptly)."""

    def __init__(self, loop: np.ndarray, phrase_starts: tuple[int, ...], server: str, sink: str) -> None:
        self._loop = memoryview(loop.tobytes())
        self._phrase_starts = phrase_starts
        self._command = ["pacat", "--playback", f"--server={server}", f"--device={sink}", "--format=s16le"]
        self._command += [f"--rate={SAMPLE_RATE}", "--channels=1", "--raw", f"--latency-msec={_FEED_LATENCY_MS}"]
        self._chunk = round(_FEED_CHUNK_SECONDS * SAMPLE_RATE) * 2
        self._speaking = threading.Event()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._feed, name="soak-feeder", daemon=True)
        self._loops = 0
        self._position = 0  # bytes of the loop written in this round

    def start(self) -> None:
        self._speaking.set()
        self._process = subprocess.Popen(
            self._command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, bufsize=0
        )
        self._thread.start()

    def _feed(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        silence = bytes(self._chunk)
        while not self._stopping.is_set():
            if self._speaking.is_set():
                piece = self._loop[self._position : self._position + self._chunk]
                if self._position + len(piece) >= len(self._loop):
                    self._loops, self._position = self._loops + 1, 0
                else:
                    self._position += len(piece)
            else:
                piece = memoryview(silence)
            try:
                self._process.stdin.write(piece)
            except OSError:  # pacat ended: `failure` says so
                return

    @property
    def phrases_played(self) -> int:
        """Phrases begun so far (handed to the sound server, which plays them a moment later)."""
        begun = bisect.bisect_left(self._phrase_starts, self._position // 2)
        return self._loops * len(self._phrase_starts) + begun

    @property
    def failure(self) -> str | None:
        """Why the feeder stopped feeding, while it should be running."""
        if self._process is None or self._process.poll() is None:
            return None
        return f"the speech feeder (pacat) stopped with exit status {self._process.returncode}"

    @property
    def resident_megabytes(self) -> float | None:
        if self._process is None or self._process.poll() is not None:
            return None
        return resident_megabytes(self._process.pid)

    def quiet(self) -> None:
        self._speaking.clear()

    def stop(self) -> None:
        self._stopping.set()
        if self._process is not None:
            self._process.terminate()  # a write blocked on the full pipe then fails at once
            self._thread.join(timeout=5)
            self._process.wait(timeout=5)
            if self._process.stdin is not None:
                self._process.stdin.close()


@dataclass(frozen=True)
class _Heard:
    """One finished utterance, as the report counts it: seconds since the start, not the event itself."""

    speech_end: float
    exact: bool
    delay: float | None  # speech to speech; None when it was not spoken


class _Listener:
    """Keeps what the report needs from the session's events (a few numbers per utterance) and knows when
    every utterance heard has finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.origin = time.monotonic()
        self.heard: list[_Heard] = []
        self._started = 0
        self._merged_away = 0

    def on_event(self, event: LiveEvent) -> None:
        with self._lock:
            if isinstance(event, SpeechStarted):
                self._started += 1
            elif isinstance(event, UtterancesMerged):
                self._merged_away += len(event.utterances) - 1
            elif isinstance(event, UtteranceDone):
                timeline = event.timeline
                end = timeline.speech_end if timeline.speech_end is not None else time.monotonic()
                delay = timeline.speech_to_speech if event.spoken else None
                self.heard.append(_Heard(end - self.origin, event.source_text in PHRASES, delay))

    @property
    def drained(self) -> bool:
        with self._lock:
            return len(self.heard) + self._merged_away >= self._started


def run_soak(settings: SoakSettings, progress: Progress = lambda line: None) -> SoakRun:
    """Play speech into the live pipeline for `settings.minutes` and measure each window; `progress` hears
    what runs now. TranslatorError when the run cannot start (no pulseaudio or espeak-ng) or the session fails."""
    if not settings.minutes > 0 or not settings.window_seconds > 0:
        raise TranslatorError("the soak run needs a positive number of minutes and a positive window length")
    resident_megabytes()
    with tempfile.TemporaryDirectory(prefix="translator-soak-") as scratch:
        folder = Path(scratch)
        progress("preparing the phrase model, the demo translator and voice, and the speech")
        recognizer = SpeechRecognizer(RecognizerSettings(phrase_whisper(folder / "phrase-whisper"), beam_size=1))
        translator = TextTranslator(TranslatorSettings(build_demo_nllb(folder / "nllb-demo")))
        voice = SpeechSynthesizer(SynthesizerSettings(build_demo_voice(folder / "voices", "de", "de_DE")), GERMAN)
        answer = voice.speak(translator.translate([PHRASES[0]], ENGLISH, GERMAN)[0]).duration
        try:
            loop, phrase_starts = speech_loop(folder / "speech", settings.gap_seconds, answer + _SPEAKER_MARGIN_SECONDS)
            server = VirtualSoundServer(folder / "sound")
        except RuntimeError as error:  # espeak-ng or pulseaudio missing
            raise TranslatorError(str(error)) from None
        with serving_as_default(server):
            _route(server)
            feeder = SpeechFeeder(loop, phrase_starts, server.server, FEED_SINK)
            return _soak(settings, recognizer, translator, voice, feeder, progress)


def _route(server: VirtualSoundServer) -> None:
    """The speech goes into its own sink, whose monitor is the default input; the session speaks into the
    default sink, which nothing records."""
    server.pactl("load-module", "module-null-sink", f"sink_name={FEED_SINK}").check_returncode()
    server.pactl("set-default-source", f"{FEED_SINK}.monitor").check_returncode()
    server.pactl("set-default-sink", "nullsink").check_returncode()


def _soak(
    settings: SoakSettings,
    recognizer: SpeechRecognizer,
    translator: TextTranslator,
    voice: SpeechSynthesizer,
    feeder: SpeechFeeder,
    progress: Progress,
) -> SoakRun:
    listener = _Listener()
    live = LiveSettings(target=GERMAN, source=ENGLISH, echo_gate=False)  # the speaker is not recorded: no echo
    engine = LiveTranslator(
        recognizer, translator, {GERMAN: voice}, MicrophoneSource(), SpeakerSink(None), live, listener.on_event
    )
    memory = _MemoryWindows(settings)
    feeder.start()
    try:
        engine.start()
        listener.origin = time.monotonic()
        feeder_start = feeder.resident_megabytes
        deadline = listener.origin + settings.minutes * 60
        reported = 0
        while (now := time.monotonic()) < deadline:
            _check(engine, feeder)
            memory.sample(now - listener.origin)
            if (finished := int((now - listener.origin) // settings.window_seconds)) > reported:
                reported = finished
                progress(f"window {finished} of {settings.window_count}: {len(listener.heard)} utterances so far, "
                         f"{resident_megabytes():.0f} MB resident")  # fmt: skip
            time.sleep(min(_SAMPLE_SECONDS, max(0.0, deadline - now)))
        feeder.quiet()
        progress("speech stopped: the session finishes what it heard")
        drain_deadline = time.monotonic() + _DRAIN_SECONDS
        while not listener.drained and time.monotonic() < drain_deadline:
            _check(engine, feeder)
            time.sleep(0.2)
        memory.sample(settings.minutes * 60)
        feeder_end = feeder.resident_megabytes
        stats = engine.stats()
    finally:
        engine.stop()
        feeder.stop()
    notes = [
        f"The speech feeder (pacat, a process of its own) was resident at {_megabytes(feeder_start)} at the "
        f"start and {_megabytes(feeder_end)} at the end.",
        f"The session: {stats.merged} utterances merged, {stats.skipped} not spoken to catch up, "
        f"{stats.dropped_playback_seconds:.1f} s of speech dropped, {stats.input_overflows} input blocks dropped, "
        f"{stats.output_underflows} output underflows.",
    ]
    if not listener.drained:
        notes.append(f"Some utterances heard had not finished {_DRAIN_SECONDS:.0f} s after the speech stopped.")
    windows = memory.windows(listener.heard)
    return SoakRun(settings, windows, feeder.phrases_played, tuple(notes))


def _check(engine: LiveTranslator, feeder: SpeechFeeder) -> None:
    if engine.error is not None:
        raise TranslatorError(f"the live session failed in {engine.error.stage}: {engine.error.message}")
    if feeder.failure is not None:
        raise TranslatorError(feeder.failure)


def _megabytes(value: float | None) -> str:
    return "(not running)" if value is None else f"{value:.1f} MB"


class _MemoryWindows:
    """Resident memory sampled through the run, once a second (an hour's samples are 30 KB), by window."""

    def __init__(self, settings: SoakSettings) -> None:
        self._settings = settings
        self._samples: list[list[float]] = [[] for _ in range(settings.window_count)]

    def _index(self, seconds: float) -> int:
        return min(int(seconds // self._settings.window_seconds), self._settings.window_count - 1)

    def sample(self, seconds: float) -> None:
        self._samples[self._index(seconds)].append(resident_megabytes())

    def windows(self, heard: list[_Heard]) -> tuple[SoakWindow, ...]:
        """Each window's figures; an utterance belongs to the window its speech ended in."""
        by_window: list[list[_Heard]] = [[] for _ in self._samples]
        for utterance in heard:
            by_window[self._index(max(0.0, utterance.speech_end))].append(utterance)
        length = self._settings.window_seconds
        total = self._settings.minutes * 60
        result = []
        for index, utterances in enumerate(by_window):
            delays = [each.delay for each in utterances if each.delay is not None]
            result.append(
                SoakWindow(
                    start_seconds=index * length,
                    end_seconds=min((index + 1) * length, total),
                    utterances=len(utterances),
                    exact=sum(each.exact for each in utterances),
                    spoken=len(delays),
                    delay=Figures.of(delays) if delays else None,
                    resident_mb=float(np.median(self._samples[index] or [0.0])),
                    peak_resident_mb=max(self._samples[index], default=0.0),
                )
            )
        return tuple(result)


__all__ = ["SoakRun", "SoakSettings", "SpeechFeeder", "resident_megabytes", "run_soak", "speech_loop"]
