"""The targets the benchmark holds its figures against (issue 14, 2 CPU cores), each under both encoder
windows, and where the time goes when the adaptive window misses one. Also the formatting the report shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import AccuracyResult, BenchRun, BenchSettings
from bench.measure import WINDOWS, Figures, LiveFigures, ProfileResult, merge_stats
from bench.pipelines import LATENCY_PARTS
from translator.stages.whisper_window import EncoderWindowStats

SPEECH_TO_SPEECH_GOAL = {"fast": 0.8, "balanced": 2.0}  # seconds, p50, interim captions on
P95_OVER_P50_GOAL = 1.5
WER_DELTA_GOAL = 0.5  # percentage points above the 30 s window's
PEER_SPEEDUP_GOAL = 3.0  # PyTorch's chain time over ours, at default decoding
# Earlier goals, still held.
OVERLAP_GOAL = 1.2
OVERHEAD_GOAL = 0.05
PART_LABELS = {
    "vad_wait": "VAD end-of-speech wait",
    "interim_wait": "final recognition waiting for an interim pass",
    "recognition_after_vad": "recognition after the wait",
    "translation": "translation after the wait",
    "synthesis": "synthesis to first audio, after the wait",
    "playback_wait": "playback wait (device buffer)",
    "other": "other (queues, hand-offs)",
}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def pair(figures: Figures) -> str:
    return f"{ms(figures.median)} / {ms(figures.p95)}"


def chain_seconds(stages: dict[str, Figures]) -> float:
    return sum(figures.median for figures in stages.values())


def peer_chain(result: ProfileResult, beams: str) -> dict[str, Figures]:
    """PyTorch's stages at `beams` ("greedy" or "default"); synthesis has no beam, so its greedy run counts at
    both, as ours does. Empty when the peers did not run."""
    theirs = result.peers.get(beams, {})
    return {**result.peers.get("greedy", {}), **theirs} if theirs and beams == "default" else dict(theirs)


def speedup(result: ProfileResult, beams: str, window: str) -> float | None:
    """PyTorch's chain time over ours under `window`, at the same decoding ("greedy" or "default")."""
    theirs = peer_chain(result, beams)
    if not theirs:
        return None
    return chain_seconds(theirs) / chain_seconds(result.stages.chain(window, beams))


def window_name(settings: BenchSettings, window: str) -> str:
    """The window's name in the report: "30 s" for the full one; "auto" or "floor 10 s" for the adaptive one."""
    if window == "full":
        return "30 s"
    setting = settings.encoder_window
    return "auto" if setting == "auto" else f"floor {setting:g} s"


def window_with_floor(settings: BenchSettings, result: ProfileResult, window: str) -> str:
    """The window's name with what it gave this profile's Whisper: "auto (15 s floor)"."""
    name = window_name(settings, window)
    if window == "full":
        return name
    floor = result.stages.recognition[window].floor
    return f"{name} ({floor:g} s floor)" if floor is not None else f"{name} (no floor for this model: 30 s)"


def window_stats(result: ProfileResult, window: str) -> EncoderWindowStats:
    """Every run's windows under `window` counted together: stages, live, batch and short files."""
    runs = [result.stages.recognition[window].stats]
    runs += [figures[window].stats for figures in (result.live, result.batch, result.short_files) if window in figures]
    return merge_stats(runs)


@dataclass(frozen=True)
class Outcome:
    """One window's figure for a target: the text shown and whether it met the goal (None: not judged, for a
    figure that was not measured or is the reference the other is held to)."""

    figure: str
    met: bool | None

    def __str__(self) -> str:
        if self.met is None:
            return self.figure
        return f"{self.figure}: {'**met**' if self.met else 'missed'}"


@dataclass(frozen=True)
class Target:
    """A goal and each window's outcome; `why` says where the time went when the adaptive window missed it."""

    name: str
    goal: str
    outcomes: dict[str, Outcome]
    why: tuple[str, ...] = ()


def targets(run: BenchRun) -> list[Target]:
    """Issue 14's targets, then the earlier ones, for every profile measured and the accuracy run."""
    found: list[Target] = []
    for result in run.results:
        found += _latency_targets(result)
    for result in run.results:
        found.append(_speedup_target(result))
    if run.accuracy is not None:
        found += _accuracy_targets(run.accuracy, run.settings)
    for result in run.results:
        found += _earlier_targets(result)
    return found


def _latency_targets(result: ProfileResult) -> list[Target]:
    profile = result.profile
    if profile not in SPEECH_TO_SPEECH_GOAL or not result.live:
        return []
    goal = SPEECH_TO_SPEECH_GOAL[profile]
    p50, spread = {}, {}
    for window, live in result.live.items():
        figures = live.speech_to_speech
        p50[window] = Outcome(ms(figures.median), figures.median <= goal)
        ratio = figures.p95 / figures.median
        spread[window] = Outcome(f"{ratio:.2f}x ({ms(figures.p95)})", ratio <= P95_OVER_P50_GOAL)
    adaptive = result.live.get(WINDOWS[1])
    why_p50: tuple[str, ...] = ()
    why_p95: tuple[str, ...] = ()
    if adaptive is not None:
        why_p50 = (_why_median(result, adaptive, goal),) if adaptive.speech_to_speech.median > goal else ()
        if adaptive.speech_to_speech.p95 > P95_OVER_P50_GOAL * adaptive.speech_to_speech.median:
            why_p95 = (_why_p95(profile, adaptive),)
    return [
        Target(f"{profile}: speech-to-speech p50, interim captions on", f"at most {ms(goal)}", p50, why_p50),
        Target(f"{profile}: speech-to-speech p95 over p50", f"at most {P95_OVER_P50_GOAL:g}x", spread, why_p95),
    ]


def _ranked_parts(live: LiveFigures) -> list[tuple[str, float]]:
    return sorted(((name, live.breakdown[name]) for name in LATENCY_PARTS), key=lambda item: item[1], reverse=True)


def _why_median(result: ProfileResult, live: LiveFigures, goal: float) -> str:
    total, excess = live.speech_to_speech.median, live.speech_to_speech.median - goal
    ranked = _ranked_parts(live)
    parts = ", ".join(f"{PART_LABELS[name]} {ms(value)} ({value / total:.0%})" for name, value in ranked)
    (largest, value), (second, next_value) = ranked[0], ranked[1]
    if value >= excess:
        closing = f"cutting the {PART_LABELS[largest]} from {ms(value)} to {ms(value - excess)} would close it"
    else:
        closing = (
            f"no part alone is that large: the two largest, {PART_LABELS[largest]} and {PART_LABELS[second]}, "
            f"together are {ms(value + next_value)}"
        )
    recognition = result.stages.recognition[WINDOWS[1]]
    encoder = recognition.encoder.median / recognition.greedy.median
    return (
        f"**{result.profile}, p50 {ms(total)}**: {parts}. The target needs {ms(excess)} less; {closing}. "
        f"Whisper's encoder is {encoder:.0%} of recognition on its {recognition.window_seconds:g} s window; "
        f"{ms(live.breakdown['hidden'])} of work ran hidden in the VAD's wait, and the final recognition started "
        f"{ms(live.breakdown['final_start'])} after speech ended (later than the pause that starts it when an "
        "interim pass was still running)."
    )


def _why_p95(profile: str, live: LiveFigures) -> str:
    figures = live.speech_to_speech
    growth = {name: live.slowest[name] - live.breakdown[name] for name in LATENCY_PARTS}
    grown = [name for name in sorted(growth, key=lambda name: growth[name], reverse=True)[:2] if growth[name] > 0]
    parts = " and ".join(
        f"{PART_LABELS[name]} {ms(live.slowest[name])} against a median of {ms(live.breakdown[name])}" for name in grown
    )
    return (
        f"**{profile}, p95 {ms(figures.p95)} against p50 {ms(figures.median)}**: the slowest utterance took "
        f"{ms(live.slowest['speech_to_speech'])}, most of the excess in {parts}; the target needs p95 under "
        f"{ms(P95_OVER_P50_GOAL * figures.median)}."
    )


def _speedup_target(result: ProfileResult) -> Target:
    outcomes = {}
    for window in WINDOWS:
        ratio = speedup(result, "default", window)
        met = None if ratio is None else ratio >= PEER_SPEEDUP_GOAL
        outcomes[window] = Outcome("not run" if ratio is None else f"{ratio:.1f}x", met)
    why: tuple[str, ...] = ()
    ratio = speedup(result, "default", WINDOWS[1])
    if ratio is not None and ratio < PEER_SPEEDUP_GOAL:
        ours = result.stages.chain(WINDOWS[1], "default")
        theirs = peer_chain(result, "default")
        stages = ", ".join(
            f"{stage} {ms(ours[stage].median)} against {ms(theirs[stage].median)} "
            f"({theirs[stage].median / ours[stage].median:.1f}x)"
            for stage in ours
            if stage in theirs
        )
        needed = chain_seconds(theirs) / PEER_SPEEDUP_GOAL
        why = (
            f"**{result.profile}, {ratio:.1f}x PyTorch**: ours against PyTorch's at default decoding: {stages}. "
            f"{PEER_SPEEDUP_GOAL:g}x needs our chain at {ms(needed)} at most, "
            f"{ms(chain_seconds(ours) - needed)} less than now.",
        )
    name = f"{result.profile}: chain vs PyTorch, default decoding"
    return Target(name, f"at least {PEER_SPEEDUP_GOAL:g}x faster", outcomes, why)


def _accuracy_targets(accuracy: AccuracyResult, settings: BenchSettings) -> list[Target]:
    found = []
    for full, adaptive in zip(accuracy.figures[::2], accuracy.figures[1::2]):
        delta = 100 * (adaptive.word_error_rate - full.word_error_rate)
        after = f"WER {100 * adaptive.word_error_rate:.1f}%, {delta:+.1f} points"
        outcomes = {
            WINDOWS[0]: Outcome(f"WER {100 * full.word_error_rate:.1f}%", None),
            WINDOWS[1]: Outcome(after, delta <= WER_DELTA_GOAL),
        }
        why: tuple[str, ...] = ()
        if delta > WER_DELTA_GOAL:
            changed = [d for d in adaptive.differences if d.words_differ and d.kept]
            heard = "; ".join(f'{d.utterance}: "{d.full}" at 30 s, "{d.unguarded}" short' for d in changed)
            why = (
                f"**beam {adaptive.beam}, {window_name(settings, WINDOWS[1])}**: the short window kept other words "
                f"than the 30 s window on {len(changed)} of {adaptive.utterances} utterances "
                f"({heard or 'none: the difference is elsewhere'}); "
                "a higher floor keeps more of the 30 s context (docs/encoder-window.md).",
            )
        beam = "greedy" if adaptive.beam == 1 else f"beam {adaptive.beam}"
        name = f"real tiny.en, {beam}: word error rate above the 30 s window's"
        found.append(Target(name, f"at most +{WER_DELTA_GOAL:g} points", outcomes, why))
    return found


def _earlier_targets(result: ProfileResult) -> list[Target]:
    found = []
    if result.batch:
        outcomes = {
            window: Outcome(f"{batch.overlap_ratio:.2f}", batch.overlap_ratio <= OVERLAP_GOAL)
            for window, batch in result.batch.items()
        }
        name = f"{result.profile}: batch wall / slowest stage (earlier goal)"
        found.append(Target(name, f"at most {OVERLAP_GOAL}", outcomes))
    if result.live:
        outcomes = {}
        for window, live in result.live.items():
            overhead = live.breakdown["other"] / live.speech_to_speech.median
            outcomes[window] = Outcome(f"{overhead:.1%}", overhead < OVERHEAD_GOAL)
        name = f"{result.profile}: pipeline overhead (earlier goal)"
        found.append(Target(name, f"under {OVERHEAD_GOAL:.0%}", outcomes))
    return found


def target_table(run: BenchRun) -> list[str]:
    """The targets as a Markdown table, both windows side by side, then why each missed one was missed."""
    names = [f"{window_name(run.settings, window)} ({role})" for window, role in zip(WINDOWS, ("before", "after"))]
    rows = [f"| target | goal | {names[0]} | {names[1]} |", "|---|---|---|---|"]
    found = targets(run)
    for target in found:
        cells = [str(target.outcomes.get(window, Outcome("-", None))) for window in WINDOWS]
        rows.append(f"| {target.name} | {target.goal} | {cells[0]} | {cells[1]} |")
    missed = [line for target in found for line in target.why]
    rows += ["", "Where the time goes for each target the adaptive window misses:", ""]
    rows += [f"- {line}" for line in missed] if missed else ["- none: no target measured is missed."]
    return rows
