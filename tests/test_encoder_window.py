"""The adaptive encoder window (translator.stages.whisper_window) with the real Whisper tiny.en on real speech.

The short window is held to the 30 s window's transcripts word for word (case and punctuation aside: a
shorter context may write "Hello?" for "Hello."), and where the two differ in words, to the 30 s window's
word error rate against what was said. The guard is shown catching the loop a too-short window makes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from piper import PiperVoice, SynthesisConfig

from bench.encoder_window import word_errors, words
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import resample
from translator.errors import TranslatorError
from translator.languages import find_language
from translator.models.demo.phrases import phrase_whisper
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, SpeechSegmenter, Window, pack_windows
from translator.stages.whisper_window import (
    DecodeAbandoned,
    EncoderWindowStats,
    decode_short_window,
    judge_decode,
    repeats_a_phrase,
    token_budget,
    window_seconds,
)

ENGLISH = find_language("en")
# Said by the real voice: one- and two-word utterances, a question and a sentence.
VOICE_SENTENCES = (
    "Yes.",
    "Hello.",
    "Thank you.",
    "Good morning.",
    "Please close the window before you leave.",
    "Can you tell me how to get to the museum from here?",
)
JFK_PIECES = (
    "And so my fellow Americans,",
    "ask not",
    "what your country can do for you, ask what you can do for your country.",
)


def speech_windows(audio: np.ndarray) -> list[Window]:
    """Cut by the app's own segmenter and packed, as batch mode does."""
    segmenter = SpeechSegmenter()
    chunks: list[SpeechChunk] = list(segmenter.push(audio))
    chunks.extend(segmenter.flush())
    return list(pack_windows(chunks))


def transcript(recognizer: SpeechRecognizer, window: Window) -> str:
    return " ".join(segment.text for segment in recognizer.transcribe(window, ENGLISH))


@pytest.fixture(scope="module")
def full(real_whisper_tiny_en: Path) -> SpeechRecognizer:
    return SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1, encoder_window="full"))


@pytest.fixture(scope="module")
def jfk_window(jfk_path: Path) -> Window:
    (window,) = speech_windows(read_audio(jfk_path))
    return window


@pytest.fixture(scope="module")
def voice_windows(real_piper_voice: Path) -> dict[str, Window]:
    """Each sentence spoken by the real voice, between seconds of silence, as the segmenter cuts it. Without
    the voice's noise its speech is the same on every run, and so are the transcripts."""
    voice = PiperVoice.load(str(real_piper_voice))
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    silence = np.zeros(SAMPLE_RATE, np.float32)
    windows = {}
    for text in VOICE_SENTENCES:
        spoken = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text, steady)])
        audio = resample(spoken, voice.config.sample_rate, SAMPLE_RATE)
        (windows[text],) = speech_windows(np.concatenate([silence, audio, silence]))
    return windows


def test_auto_gives_tiny_its_measured_floor(real_whisper_tiny_en: Path) -> None:
    recognizer = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en))
    assert recognizer.settings.encoder_window == "auto"
    assert recognizer.encoder_floor == 10.0
    assert recognizer.window_stats == EncoderWindowStats()


@pytest.mark.parametrize("beam_size", [1, 5])
def test_short_window_gives_the_30s_words_on_jfk(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, jfk_window: Window, beam_size: int
) -> None:
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=beam_size))
    reference = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=beam_size, encoder_window="full"))

    segments = list(auto.transcribe(jfk_window, ENGLISH))
    expected = list(reference.transcribe(jfk_window, ENGLISH))

    assert words(" ".join(s.text for s in segments)) == words(" ".join(s.text for s in expected))
    assert words(" ".join(s.text for s in segments))[:5] == ["and", "so", "my", "fellow", "americans"]
    assert auto.window_stats == EncoderWindowStats(windows_short=1)
    # The times come through the window's map as on the 30 s path: inside the speech, in order.
    assert segments[0].start == pytest.approx(expected[0].start, abs=0.1)
    assert segments[-1].end == pytest.approx(expected[-1].end, abs=0.5)
    assert jfk_window.chunks[0].start <= segments[0].start < segments[-1].end <= jfk_window.source_end
    assert all(s.avg_logprob <= 0.0 and 0.0 <= s.no_speech_prob < 0.5 for s in segments)
    assert reference.window_stats == EncoderWindowStats(windows_full=1)


def test_previous_text_prompts_the_short_window_as_it_prompts_30s(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, jfk_window: Window
) -> None:
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1))
    earlier = "We choose to go to the moon in this decade."
    heard = " ".join(s.text for s in auto.transcribe(jfk_window, ENGLISH, previous_text=earlier))
    expected = " ".join(s.text for s in full.transcribe(jfk_window, ENGLISH, previous_text=earlier))
    assert words(heard) == words(expected)
    assert auto.window_stats == EncoderWindowStats(windows_short=1)


def test_short_window_gives_the_30s_words_on_the_real_voice(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, voice_windows: dict[str, Window]
) -> None:
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1))
    for said, window in voice_windows.items():
        expected = transcript(full, window)
        heard = transcript(auto, window)
        assert words(heard) == words(expected) == words(said), said
    # A short window is a little less sure of very short utterances: "Hello?" at -1.01 (30 s: "Hello." at -0.83)
    # is below faster-whisper's -1.0, and such a window goes back to 30 s. The rest keep the short window.
    stats = auto.window_stats
    assert stats.windows_short + stats.fallbacks == len(VOICE_SENTENCES)
    assert stats.windows_short >= len(VOICE_SENTENCES) - 1
    assert {reason for reason, _ in stats.fallback_reasons} <= {"log_probability"}


def test_short_window_is_no_less_accurate_on_jfk_pieces(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, jfk_window: Window
) -> None:
    """Where the short window's words differ from 30 s (tiny.en hears "And so am I fellow Americans" at 30 s),
    they are no further from what was said."""
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1))
    full_errors = short_errors = 0
    for chunk, said in zip(jfk_window.chunks, JFK_PIECES, strict=True):
        window = Window((chunk,), chunk.audio)
        full_errors += word_errors(said, transcript(full, window))[0]
        short_errors += word_errors(said, transcript(auto, window))[0]
    assert short_errors <= full_errors
    assert auto.window_stats.fallbacks == 0


def test_full_is_faster_whispers_own_30s_path(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, jfk_window: Window
) -> None:
    model = WhisperModel(str(real_whisper_tiny_en), device="cpu", compute_type="int8", local_files_only=True)
    segments, _ = model.transcribe(jfk_window.audio, language="en", beam_size=1, vad_filter=False)
    before = full.window_stats.windows_full

    assert transcript(full, jfk_window) == " ".join(segment.text.strip() for segment in segments)
    assert full.encoder_floor is None
    stats = full.window_stats
    assert (stats.windows_full - before, stats.windows_short, stats.fallbacks) == (1, 0, 0)


def test_guard_catches_the_loop_of_a_too_short_window(
    real_whisper_tiny_en: Path, full: SpeechRecognizer, voice_windows: dict[str, Window]
) -> None:
    """With a floor of half a second the window is the speech plus 2 s, and tiny.en says "Good morning." over
    and over; the guard sees it, and the window is decoded again at 30 s, counted."""
    window = voice_windows["Good morning."]
    model = WhisperModel(str(real_whisper_tiny_en), device="cpu", compute_type="int8", local_files_only=True)
    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    loop = decode_short_window(model, window.audio, tokenizer, model.get_prompt(tokenizer, []), 1, 0.5)
    looped = " ".join(segment.text for segment in loop.segments)
    assert loop.window_seconds == pytest.approx(window.duration + 2.0)
    assert loop.failure == "token_limit"
    assert repeats_a_phrase(looped)
    assert words(looped).count("morning") >= 3

    guarded = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1, encoder_window=0.5))
    assert transcript(guarded, window) == transcript(full, window)
    assert guarded.window_stats == EncoderWindowStats(fallbacks=1, fallback_reasons=(("token_limit", 1),))


def test_text_without_timestamps_says_the_same_words_in_one_segment(
    real_whisper_tiny_en: Path, jfk_window: Window, voice_windows: dict[str, Window]
) -> None:
    """Live speech decodes no timestamps (two decoding steps fewer); on real speech the words stay the same."""
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1))
    for window in [jfk_window, *voice_windows.values()]:
        timed = list(auto.transcribe(window, ENGLISH))
        untimed = list(auto.transcribe(window, ENGLISH, timestamps=False))
        assert words(" ".join(s.text for s in untimed)) == words(" ".join(s.text for s in timed))
        assert len(untimed) == 1 and "<|" not in untimed[0].text
        assert (untimed[0].start, untimed[0].end) == pytest.approx(
            (window.chunks[0].start, window.source_end), abs=0.02
        )
    assert len(list(auto.transcribe(jfk_window, ENGLISH))) > 1  # with timestamps, jfk comes in several segments
    stats = auto.window_stats
    assert stats.windows_full == 0
    assert stats.fallbacks <= 2  # "Hello?" is below faster-whisper's log-probability threshold, as above


def test_a_pass_no_longer_wanted_stops_between_encoder_and_decoder(
    real_whisper_tiny_en: Path, jfk_window: Window
) -> None:
    auto = SpeechRecognizer(RecognizerSettings(real_whisper_tiny_en, beam_size=1))
    asked: list[str] = []

    def proceed() -> bool:
        asked.append("asked")
        return False

    with pytest.raises(DecodeAbandoned):
        list(auto.transcribe(jfk_window, ENGLISH, proceed=proceed))
    assert asked == ["asked"]
    assert auto.window_stats == EncoderWindowStats()  # nothing decoded, nothing counted
    assert words(transcript(auto, jfk_window))[:3] == ["and", "so", "my"]  # the next pass runs as usual


@pytest.mark.parametrize(
    "text",
    [
        "Yes. Yes. Yes.",
        "Yes. Yes.",
        "And so my fellow Americans. And so my fellow Americans.",
        "Thank you very much. Thank you very much. Thank you",
        "Hello? Hello? Hello? Hello?",
        "I said no no no",
    ],
)
def test_repeated_phrases_are_loops(text: str) -> None:
    assert repeats_a_phrase(text)


@pytest.mark.parametrize(
    "text",
    [
        "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
        "No, I said no.",
        "Good morning, good people.",
        "Yes.",
        "",
    ],
)
def test_ordinary_speech_is_not_a_loop(text: str) -> None:
    assert not repeats_a_phrase(text)


def judged(
    text: str = "Thank you very much.", generated: int = 8, compression_ratio: float = 1.0, avg_logprob: float = -0.3
) -> str | None:
    return judge_decode(text, generated, 40, compression_ratio, avg_logprob)


def test_judge_names_each_failure() -> None:
    assert judged() is None
    assert judged(generated=40) == "token_limit"
    assert judged(text="Yes. Yes. Yes.") == "repetition"
    assert judged(compression_ratio=2.5) == "compression_ratio"
    assert judged(avg_logprob=-1.2) == "log_probability"
    assert judged(text=" ") == "no_text"


def test_window_and_budget_grow_with_the_speech() -> None:
    assert window_seconds(1.0, 10.0) == 10.0
    assert window_seconds(12.0, 10.0) == 14.0
    assert window_seconds(29.0, 10.0) == 30.0
    assert token_budget(1.0) < token_budget(10.0) <= token_budget(60.0) == 224


@pytest.mark.parametrize("setting", ["auto", "full", 0.5, 10, 30])
def test_valid_encoder_window_settings(setting: str | float) -> None:
    assert RecognizerSettings(Path("whisper"), encoder_window=setting).encoder_window == setting


@pytest.mark.parametrize("setting", [0, -1.0, 30.5, float("nan"), "short", "10", True])
def test_invalid_encoder_window_is_a_one_line_error(setting: object) -> None:
    with pytest.raises(TranslatorError, match="encoder window must be") as error:
        RecognizerSettings(Path("whisper"), encoder_window=setting)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


def test_demo_models_keep_the_30s_window(demo_folder: Path, tmp_path: Path) -> None:
    """No real size has the demo models' widths, so "auto" leaves them, and their exact transcripts, as they were."""
    for folder in (demo_folder / "whisper-demo", phrase_whisper(tmp_path / "phrase-whisper")):
        assert SpeechRecognizer(RecognizerSettings(folder)).encoder_floor is None
