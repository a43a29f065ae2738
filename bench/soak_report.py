"""The soak run's settings and figures per window, its verdicts on the targets, and its report (`bench.soak`
measures).

Targets, for the hour: resident memory grows less than 5% after the first window (which holds the start-up:
models warmed, caches filled; each window's median level is compared, as single samples jump by tens of MB
while speech is made), and the speech-to-speech p95 stays flat within 10% (every window after the first
within 10% of their median).
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.measure import Figures
from translator.files import write_text_atomic

MEMORY_GROWTH_TARGET = 0.05
DELAY_FLATNESS_TARGET = 0.10
REPORT_NAME = "soak.md"


@dataclass(frozen=True)
class SoakWindow:
    """One window of the run. Utterances belong to the window their speech ended in.

    exact: utterances transcribed as exactly one of the phrases played (the phrase model hears what was said).
    spoken: utterances whose translation was heard; `delay` is their speech-to-speech delay (None if none was).
    resident_mb, peak_resident_mb: this process's resident memory through the window (the median of its samples:
      a leak raises it, a passing allocation does not), and its highest.
    """

    start_seconds: float
    end_seconds: float
    utterances: int
    exact: int
    spoken: int
    delay: Figures | None
    resident_mb: float
    peak_resident_mb: float


@dataclass(frozen=True)
class SoakSettings:
    """What the soak run does.

    minutes: how long speech is played into the session.
    window_seconds: the length of each reported window (five minutes for the hour's report).
    gap_seconds: the least silence after each phrase, well above the VAD's end-of-speech silence; longer where
      the translation takes longer to speak than the phrase and this gap, so the speaker never falls behind
      (the demo translator answers every phrase with one sentence of about 4 s).
    """

    minutes: float
    window_seconds: float = 300.0
    gap_seconds: float = 1.5

    @property
    def window_count(self) -> int:
        return max(1, math.ceil(self.minutes * 60 / self.window_seconds - 1e-9))


@dataclass(frozen=True)
class SoakRun:
    """The run's windows, its verdicts on the targets and what else the report should say."""

    settings: SoakSettings
    windows: tuple[SoakWindow, ...]
    phrases_played: int
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """A target, what was measured against it, and whether it was met (None: too few windows to tell)."""

    target: str
    measured: str
    met: bool | None

    @property
    def word(self) -> str:
        return {True: "met", False: "missed", None: "not judged"}[self.met]


def judge(windows: tuple[SoakWindow, ...]) -> tuple[Verdict, Verdict]:
    """The verdicts on memory growth and delay flatness, both judged after the first window."""
    return _memory_verdict(windows), _delay_verdict(windows)


def _memory_verdict(windows: tuple[SoakWindow, ...]) -> Verdict:
    target = f"resident memory grows less than {MEMORY_GROWTH_TARGET:.0%} after the first window"
    if len(windows) < 2:
        return Verdict(target, "one window: nothing after it to compare", None)
    reference = windows[0].resident_mb
    highest = max(window.resident_mb for window in windows[1:])
    growth = (highest - reference) / reference
    measured = f"median {reference:.1f} MB in the first window, at most {highest:.1f} MB after it: {growth:+.1%}"
    return Verdict(target, measured, growth < MEMORY_GROWTH_TARGET)


def _delay_verdict(windows: tuple[SoakWindow, ...]) -> Verdict:
    target = f"speech-to-speech p95 flat within {DELAY_FLATNESS_TARGET:.0%} after the first window"
    p95s = [window.delay.p95 for window in windows[1:] if window.delay is not None]
    if len(p95s) < 2:
        return Verdict(target, "fewer than two windows after the first with spoken utterances", None)
    median = float(np.median(p95s))
    spread = max(abs(p95 - median) for p95 in p95s) / median
    measured = (
        f"p95 {_ms(min(p95s))} to {_ms(max(p95s))} over {len(p95s)} windows: at most {spread:.1%} from their "
        f"median ({_ms(median)})"
    )
    return Verdict(target, measured, spread <= DELAY_FLATNESS_TARGET)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def window_table(windows: tuple[SoakWindow, ...]) -> str:
    """The windows as a markdown table: utterances, delay and resident memory."""
    lines = [
        "| window | utterances | exact transcripts | spoken | delay p50 | delay p95 | resident (median) | peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for window in windows:
        delay = window.delay
        p50, p95 = (_ms(delay.median), _ms(delay.p95)) if delay is not None else ("-", "-")
        lines.append(
            f"| {_clock(window.start_seconds)}-{_clock(window.end_seconds)} | {window.utterances} | {window.exact} "
            f"| {window.spoken} | {p50} | {p95} | {window.resident_mb:.1f} MB | {window.peak_resident_mb:.1f} MB |"
        )
    return "\n".join(lines)


def verdict_table(verdicts: tuple[Verdict, ...]) -> str:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {verdict.target} | {verdict.measured} | {verdict.word} |" for verdict in verdicts]
    return "\n".join(lines)


def render(run: SoakRun, command: str) -> str:
    """The report: what ran, the windows, the verdicts and the notes."""
    settings = run.settings
    utterances = sum(window.utterances for window in run.windows)
    exact = sum(window.exact for window in run.windows)
    spoken = sum(window.spoken for window in run.windows)
    return "\n".join(
        [
            f"# Soak run: {settings.minutes:g} minutes of live translation",
            "",
            f"Command: `{command}`, {time.strftime('%Y-%m-%d %H:%M')}, on {platform.system()} "
            f"{platform.machine()} with {os.cpu_count()} CPUs, Python {sys.version.split()[0]}.",
            "",
            "Speech (six phrases, espeak-ng, two voices, a pause after each) loops into a virtual sound card "
            "(PulseAudio); the live pipeline records it through a real input stream, recognises it with the "
            "phrase Whisper, translates it with the demo NLLB into German and speaks it through a real output "
            "stream into another sink. Interim captions and speculative finals are on, as the app runs. Delay is "
            "the end of speech to the first translated sound, from each utterance's timeline; memory is this "
            f"process's resident set, read every second. Windows of {_clock(settings.window_seconds)}.",
            "",
            window_table(run.windows),
            "",
            f"{run.phrases_played} phrases played; {utterances} utterances heard, {exact} of them transcribed exactly "
            f"(the last phrase may have been cut off when the speech stopped), {spoken} spoken.",
            "",
            "## Targets",
            "",
            verdict_table(judge(run.windows)),
            "",
            "## Notes",
            "",
            *[f"- {note}" for note in run.notes],
            "",
        ]
    )


def write_soak_report(run: SoakRun, folder: Path, command: str) -> Path:
    """Write the report to `folder`/soak.md (created if needed) atomically; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_NAME
    write_text_atomic(path, render(run, command))
    return path
