"""Whisper's encoder on less than 30 s of features, guarded against the failures a short window brings.

faster-whisper's `transcribe()` pads every window's log-mel features to 30 s (3000 frames), so the encoder
costs the same for a one-word utterance as for a full window. CTranslate2's Whisper encoder accepts fewer
frames (its shape check only forbids more), and its cost falls with the frame count. A window that covers
the speech plus a margin, never shorter than a floor, keeps what the decoder sees close to what it sees at
30 s: the features are faster-whisper's own, zero-padded as `pad_or_trim` pads them, only to fewer frames.

A shortened context can make Whisper loop ("Yes. Yes. Yes. ..."), so every short decode is judged
(`judge_decode`); one that fails is decoded again at 30 s by the caller. docs/encoder-window.md holds the
measurements behind the floors in `MODEL_SIZES`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

FULL_WINDOW_SECONDS = 30.0
# The short window reaches this far past the end of the speech.
MARGIN_SECONDS = 2.0
_FRAMES_PER_SECOND = 100  # log-mel frames: a hop of 160 samples at 16 kHz
_FULL_FRAMES = int(FULL_WINDOW_SECONDS * _FRAMES_PER_SECOND)

# faster-whisper's transcribe() defaults, which the 30 s path decodes with. A short decode that fails its
# compression or log-probability test would have been decoded again at a higher temperature there, so
# here it goes back to the 30 s path, which does exactly that.
_COMPRESSION_RATIO_LIMIT = 2.4
_LOG_PROB_THRESHOLD = -1.0
_MAX_INITIAL_TIMESTAMP_INDEX = 50  # max_initial_timestamp 1.0 s in 20 ms steps
_MAX_LENGTH = 448  # Whisper's text context, which faster-whisper passes as max_length
_TIMESTAMPS = 1501  # <|0.00|> to <|30.00|>, in 20 ms steps

# The token budget of a short decode: generous for fast speech in any language (about three times what
# English speech needs), small enough that a runaway loop stops early and cheaply.
_TOKENS_BASE = 16
_TOKENS_PER_SECOND = 12
_TOKENS_MOST = 224  # what faster-whisper's max_length of 448 allows: CTranslate2 generates at most half

# A phrase said this many times in a row is a loop; a longer phrase (in words, all repeats together) twice.
_LOOP_REPEATS = 3
_LONG_REPEAT_WORDS = 4
_WORD = re.compile(r"[\w']+")


class DecodeAbandoned(Exception):
    """The caller's `proceed` said stop: the pass ended before decoding, with no result."""


@dataclass(frozen=True)
class ModelSize:
    """A Whisper size, told by the encoder's width (d_model), and the window floor "auto" gives it.

    auto_floor: seconds; None keeps the 30 s window (no measurement says a shorter one is safe).
    """

    name: str
    width: int
    auto_floor: float | None


# From docs/encoder-window.md. tiny was measured with real weights: at 10 s it lost no word to the 30 s window
# (below it, misheard words got past the guard). No real weights of the larger sizes are at hand, so they get
# more room: base and small (measured for cost) 15 s, still a quarter to a fifth of the 30 s encoder;
# medium and large (not measured at all) 20 s, where every tiny.en transcript kept the 30 s words.
MODEL_SIZES = (
    ModelSize("tiny", 384, 10.0),
    ModelSize("base", 512, 15.0),
    ModelSize("small", 768, 15.0),
    ModelSize("medium", 1024, 20.0),
    ModelSize("large", 1280, 20.0),
)


def model_size(model: WhisperModel) -> ModelSize | None:
    """The Whisper size of `model`, read from its encoder's output width; None for a width no real size has
    (the project's demo models)."""
    probe = ctranslate2.StorageView.from_array(np.zeros((1, model.model.n_mels, 2), np.float32))
    width = model.model.encode(probe).shape[-1]
    return next((size for size in MODEL_SIZES if size.width == width), None)


def window_seconds(speech_seconds: float, floor: float) -> float:
    """The encoder window for `speech_seconds` of audio: the speech plus the margin, at least `floor`, at most
    30 s."""
    return min(FULL_WINDOW_SECONDS, max(speech_seconds + MARGIN_SECONDS, floor))


@dataclass(frozen=True)
class WindowSegment:
    """A segment decoded on a short window, its times in the window's audio."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class ShortDecode:
    """What a short window gave: its segments, or why they are not trusted.

    failure: the guard's reason to decode the window again at 30 s ("token_limit", "repetition",
      "compression_ratio", "log_probability", "no_text", "unfinished"); None when the segments stand.
    """

    window_seconds: float
    segments: tuple[WindowSegment, ...]
    failure: str | None


def repeats_a_phrase(text: str) -> bool:
    """Whether `text` says a phrase three times in a row, a phrase of four words or more (all its repeats
    together) twice in a row, or is nothing but one phrase said again: the loop a shortened context makes
    Whisper fall into ("Yes. Yes.", "Good morning. Good morning. ...")."""
    words = [word.lower() for word in _WORD.findall(text)]
    for length in range(1, len(words) // 2 + 1):
        for start in range(len(words) - 2 * length + 1):
            phrase = words[start : start + length]
            repeats = 1
            while words[start + repeats * length : start + (repeats + 1) * length] == phrase:
                repeats += 1
            covers_all = start == 0 and repeats * length == len(words)
            if repeats >= _LOOP_REPEATS or (repeats >= 2 and (repeats * length >= _LONG_REPEAT_WORDS or covers_all)):
                return True
    return False


def judge_decode(text: str, generated: int, token_cap: int, compression_ratio: float, avg_logprob: float) -> str | None:
    """Why a short window's decode is not to be trusted, or None: it ran to its token budget, repeats a
    phrase, compresses too well (faster-whisper's sign of repetition), is less likely than faster-whisper
    accepts at temperature 0, or holds no text although the segmenter heard speech."""
    if generated >= token_cap:
        return "token_limit"
    if repeats_a_phrase(text):
        return "repetition"
    if compression_ratio > _COMPRESSION_RATIO_LIMIT:
        return "compression_ratio"
    if avg_logprob < _LOG_PROB_THRESHOLD:
        return "log_probability"
    if not text.strip():
        return "no_text"
    return None


def token_budget(speech_seconds: float) -> int:
    """The most tokens a short decode of `speech_seconds` of speech may generate."""
    return min(_TOKENS_MOST, _TOKENS_BASE + math.ceil(_TOKENS_PER_SECOND * speech_seconds))


def _generation_cap(prompt_length: int, max_length: int) -> int:
    # Observed with CTranslate2 4.8: Whisper generates at most max_length - prompt + 1 tokens and at most
    # max_length / 2 (faster-whisper's 448 gives the 224 of openai-whisper's sample_len).
    return max(0, min(max_length - prompt_length + 1, max_length // 2))


def decode_short_window(
    model: WhisperModel,
    audio: np.ndarray,
    tokenizer: Tokenizer,
    prompt: Sequence[int],
    beam_size: int,
    floor: float,
    proceed: Callable[[], bool] | None = None,
) -> ShortDecode:
    """Decode `audio` (16 kHz, under 30 s) once, at temperature 0, on a window of the speech plus the margin
    (at least `floor` seconds), with `prompt` as faster-whisper's `get_prompt` builds it; the result carries
    the guard's verdict. Segments are split at timestamps exactly as faster-whisper splits them (a prompt
    without timestamps gives one segment, the whole window). `proceed` is asked once the encoder has run:
    False raises DecodeAbandoned instead of decoding."""
    speech_seconds = len(audio) / model.feature_extractor.sampling_rate
    seconds = window_seconds(speech_seconds, floor)
    features = model.feature_extractor(audio)
    content_frames = min(features.shape[-1] - 1, _FULL_FRAMES)  # transcribe() leaves the last frame out too
    frames = max(round(seconds * _FRAMES_PER_SECOND), content_frames)
    window = np.zeros((features.shape[0], frames), np.float32)
    window[:, :content_frames] = features[:, :content_frames]

    suppressed = list(get_suppressed_tokens(tokenizer, [-1]) or ())
    if tokenizer.no_timestamps in prompt:
        # A trained model makes none here (tiny.en: none in 149 tokens of real speech); never let one through.
        suppressed += range(tokenizer.timestamp_begin, tokenizer.timestamp_begin + _TIMESTAMPS)
    budget = token_budget(speech_seconds)
    max_length = min(_MAX_LENGTH, max(len(prompt) - 1 + budget, 2 * budget))
    token_cap = min(budget, _generation_cap(len(prompt), max_length))
    encoded = model.encode(window)
    if proceed is not None and not proceed():
        raise DecodeAbandoned
    result = model.model.generate(
        encoded,
        [list(prompt)],
        beam_size=beam_size,
        patience=1,
        length_penalty=1,
        max_length=max_length,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=suppressed,
        max_initial_timestamp_index=_MAX_INITIAL_TIMESTAMP_INDEX,
    )[0]
    tokens = result.sequences_ids[0]
    # faster-whisper's average log-probability: the score undoes the length penalty of 1.
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    text = tokenizer.decode(tokens).strip()
    failure = judge_decode(text, len(tokens), token_cap, get_compression_ratio(text), avg_logprob)

    duration = content_frames / _FRAMES_PER_SECOND
    # faster-whisper's own splitting (a private method; its behaviour is what the 30 s path gives).
    pieces, seek, _ = model._split_segments_by_timestamps(
        tokenizer=tokenizer,
        tokens=tokens,
        time_offset=0.0,
        segment_size=content_frames,
        segment_duration=duration,
        seek=0,
    )
    if failure is None and seek < content_frames:
        failure = "unfinished"  # the 30 s path would decode on from the last timestamp
    segments = tuple(
        WindowSegment(piece["start"], piece["end"], piece_text, avg_logprob, result.no_speech_prob)
        for piece in pieces
        if piece["start"] != piece["end"] and (piece_text := tokenizer.decode(piece["tokens"])).strip()
    )
    return ShortDecode(seconds, segments, failure)


@dataclass(frozen=True)
class EncoderWindowStats:
    """How a recognizer's windows were decoded.

    windows_full: decoded at 30 s from the start ("full", a model without a floor, or speech too long).
    windows_short: decoded on a short window and kept.
    fallbacks: decoded on a short window, failed the guard, and decoded again at 30 s.
    fallback_reasons: the guard's reasons, each with its count.
    """

    windows_full: int = 0
    windows_short: int = 0
    fallbacks: int = 0
    fallback_reasons: tuple[tuple[str, int], ...] = ()
