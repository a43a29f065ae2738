"""The benchmark's Markdown report and PNG chart, with the machine they were measured on."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
from pathlib import Path

from bench import BenchRun, BenchSettings
from bench.measure import Figures, LiveFigures, ProfileResult
from bench.voices import SECONDS_PER_ID
from translator.files import write_text_atomic

# The goals the issue holds the figures against (2 CPU cores).
SPEECH_TO_SPEECH_GOAL = {"fast": 0.9, "balanced": 2.7}
PEER_SPEEDUP_GOAL = 2.0
OVERLAP_GOAL = 1.2
OVERHEAD_GOAL = 0.05
_LIBRARIES = ("ctranslate2", "faster-whisper", "onnxruntime", "piper-tts", "numpy", "torch", "transformers")
_BREAKDOWN_LABELS = {
    "vad_wait": "VAD end-of-speech wait",
    "recognition_after_vad": "recognition left after the wait",
    "translation": "translation",
    "synthesis": "synthesis to first audio",
    "playback_wait": "playback wait (device buffer)",
    "other": "other (queues, hand-offs)",
}


def machine_description() -> list[str]:
    """The machine in a few lines: CPU, cores, memory, system, library versions."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = names[0] if names else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"CPU: {cpu}, {cores} cores available",
        f"System: {platform.platform()}, Python {platform.python_version()}",
    ]
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        lines.append(f"Memory: {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB")
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    lines.append("Libraries: " + ", ".join(versions))
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _pair(figures: Figures) -> str:
    return f"{_ms(figures.median)} / {_ms(figures.p95)}"


def _chain(stages: dict[str, Figures]) -> float:
    return sum(stages[name].median for name in ("recognition", "translation", "synthesis") if name in stages)


def _speedup(result: ProfileResult, beams: str) -> float | None:
    """PyTorch's chain time over ours, at the same decoding settings."""
    theirs = result.peers.get(beams)
    if not theirs:
        return None
    ours = dict(result.stages.greedy if beams == "greedy" else result.stages.default_beams)
    ours.setdefault("synthesis", result.stages.greedy["synthesis"])
    return _chain(theirs) / _chain(ours)


def render(run: BenchRun, command: str, chart_name: str) -> str:
    """The report as Markdown."""
    settings = run.settings
    lines = [
        "# Benchmarks: speech-to-speech latency and throughput",
        "",
        f"Measured {datetime.date.today().isoformat()} by `{command}`.",
        "",
        *[f"- {line}" for line in machine_description()],
        f"- Compute: {run.results[0].compute if run.results else '?'}; {settings.repeats} timed runs after "
        f"{settings.warmup} warm-up; figures are median / p95.",
        "",
        "The models have the real architectures and sizes but **random weights**, and their **output lengths are "
        "pinned**: Whisper always hears the same sentence and the translator always answers with the same German "
        "one, so each stage computes what the real model computes for a typical utterance. Compute does not "
        "depend on the weights' values; quality is not measured here.",
        "",
    ]
    lines += [f"> {note}" for note in run.notes]
    if run.notes:
        lines.append("")
    first = run.results[0].stages if run.results else None
    if first is not None:
        lines += [
            f"The typical utterance: {first.utterance_seconds:.1f} s of speech; {first.recognized_tokens} recognised "
            f"tokens, {first.translated_tokens} translated tokens, {first.speech_seconds:.1f} s of translated speech.",
            "",
        ]
    if any(result.models.piper_architecture for result in run.results):
        lines += [
            "The voices are Piper's own VITS network (piper's training code) exported as piper exports a voice. Their "
            f"duration predictors are pinned to {SECONDS_PER_ID * 1000:.0f} ms per phoneme id (about 14 phonemes a "
            "second, a trained voice's rate): a random one gives each id about one frame, a sixth of the speech and "
            "of the synthesis work.",
            "",
        ]
    lines += ["![stage bars and latency distribution](" + chart_name + ")", "", "## Headline", ""]
    lines += _headline(run)
    lines += ["", "## Each stage, one utterance", ""]
    lines += _stage_table(run.results)
    lines += ["", "## Live: end of speech to first translated sound", ""]
    lines += _live_table(run.results, settings.silence_ms)
    lines += ["", "## Batch throughput", ""]
    lines += _batch_table(run.results)
    lines += ["", "## Memory and loading", ""]
    lines += _memory_table(run.results)
    lines += ["", "## Against PyTorch (transformers), same architectures, same run", ""]
    lines += _peer_table(run.results, settings)
    lines += ["", "## GPU", ""]
    if run.gpu:
        lines += _stage_table(run.gpu)
    else:
        lines.append("No CUDA device was visible; on a machine with one, the same command adds this table for float16 "
                     "and int8_float16.")  # fmt: skip
    lines += ["", "## Goals", ""]
    lines += _goals(run.results)
    lines += ["", "## Where the time goes", ""]
    lines += _where_time_goes(run.results)
    return "\n".join(lines) + "\n"


def _headline(run: BenchRun) -> list[str]:
    rows = ["| profile | models | speech-to-speech p50 / p95 | serial compute | batch RTF | peak memory | vs PyTorch |"]
    rows.append("|---|---|---|---|---|---|---|")
    for result in run.results:
        names = " + ".join(result.models.names[stage] for stage in ("recognition", "translation", "synthesis"))
        live = _pair(result.live.speech_to_speech) if result.live else "-"
        batch = f"{result.batch.real_time_factor:.3f}" if result.batch else "-"
        memory = f"{result.memory.peak_megabytes:.0f} MB" if result.memory else "-"
        speedup = _speedup(result, "default")
        peers = f"{speedup:.1f}x faster" if speedup else "not run"
        rows.append(
            f"| {result.profile} | {names} | {live} | {_ms(_chain(result.stages.greedy))} | {batch} | {memory} | "
            f"{peers} |"
        )
    return rows


def _stage_table(results: list[ProfileResult]) -> list[str]:
    rows = ["| profile | compute | stage | greedy (live) | default beams (5 / 4) |", "|---|---|---|---|---|"]
    for result in results:
        greedy, default = result.stages.greedy, result.stages.default_beams
        decoding = greedy["recognition"].median - greedy["encoder"].median
        entries = [
            ("recognition", _pair(greedy["recognition"]), _pair(default["recognition"])),
            ("- of which the encoder's 30 s window", _pair(greedy["encoder"]), ""),
            ("- of which decoding", _ms(decoding), ""),
            ("translation", _pair(greedy["translation"]), _pair(default["translation"])),
            ("synthesis", _pair(greedy["synthesis"]), ""),
            ("chain, serial", _ms(_chain(greedy)), _ms(_chain({**default, "synthesis": greedy["synthesis"]}))),
        ]
        for stage, first, second in entries:
            rows.append(f"| {result.profile} | {result.compute} | {stage} | {first} | {second} |")
    return rows


def _live_table(results: list[ProfileResult], silence_ms: int) -> list[str]:
    rows = [
        f"The real live pipeline (speculative final recognition, {silence_ms} ms end-of-speech silence) on a file "
        "source played in real time, with interim captions (as the app runs by default) and without; the medians "
        "of each part of the latency.",
        "",
        "| profile | interim captions | sink | utterances spoken | speech-to-speech p50 / p95 | "
        + " | ".join(_BREAKDOWN_LABELS.values())
        + " | recognition hidden in the wait |",
        "|---|---|---|---|---|" + "---|" * (len(_BREAKDOWN_LABELS) + 1),
    ]
    for result in results:
        for live in _live_runs(result):
            parts = " | ".join(_ms(live.breakdown[name]) for name in _BREAKDOWN_LABELS)
            rows.append(
                f"| {result.profile} | {'on' if live.interim_results else 'off'} | {live.sink} | {live.spoken} of "
                f"{live.utterances} | {_pair(live.speech_to_speech)} | {parts} | {_ms(live.breakdown['hidden'])} |"
            )
    return rows


def _live_runs(result: ProfileResult) -> list[LiveFigures]:
    return [live for live in (result.live, result.live_without_interims) if live is not None]


def _batch_table(results: list[ProfileResult]) -> list[str]:
    rows = [
        "One recording through the batch pipeline (transcript, subtitles and speech track); stages overlap, so the "
        "wall time approaches the slowest stage's busy time.",
        "",
        "| profile | audio | wall | real-time factor | slowest stage alone | wall / slowest | stage busy seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if result.batch is None:
            continue
        batch = result.batch
        name, seconds = batch.slowest_stage
        busy = ", ".join(f"{stage} {value:.1f} s" for stage, value in batch.stage_seconds.items())
        rows.append(
            f"| {result.profile} | {batch.audio_seconds / 60:.1f} min | {batch.wall_seconds:.1f} s | "
            f"{batch.real_time_factor:.3f} | {name} {seconds:.1f} s | {batch.overlap_ratio:.2f} | {busy} |"
        )
    return rows


def _memory_table(results: list[ProfileResult]) -> list[str]:
    rows = ["| profile | peak memory, three models loaded and run | load: recognition | translation | synthesis |"]
    rows.append("|---|---|---|---|---|")
    for result in results:
        if result.memory is None:
            continue
        loads = result.memory.load_seconds
        rows.append(
            f"| {result.profile} | {result.memory.peak_megabytes:.0f} MB | {loads['recognition']:.2f} s | "
            f"{loads['translation']:.2f} s | {loads['synthesis']:.2f} s |"
        )
    return rows


def _peer_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    if not any(result.peers for result in results):
        return ["Not run: the comparison needs torch and transformers (`pip install -e '.[bench]'`)."]
    rows = [
        "PyTorch runs `generate` with the same pinned lengths (beam 1, then the defaults: 5 for recognition, 4 for "
        "translation) and Piper's VITS forward pass, float32 as Transformers loads a checkpoint, "
        f"{settings.peer_repeats} timed runs after one warm-up; ratio = PyTorch / ours (medians), above 1 means we "
        "are faster.",
        "",
        "| profile | decoding | stage | ours | PyTorch | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for beams, ours in (("greedy", result.stages.greedy), ("default", result.stages.default_beams)):
            theirs = result.peers.get(beams, {})
            ours = {**ours, "synthesis": result.stages.greedy["synthesis"]}
            for stage in ("recognition", "translation", "synthesis"):
                if stage in theirs:
                    ratio = theirs[stage].median / ours[stage].median
                    rows.append(
                        f"| {result.profile} | {beams} | {stage} | {_ms(ours[stage].median)} | "
                        f"{_ms(theirs[stage].median)} | {ratio:.1f}x |"
                    )
            speedup = _speedup(result, beams)
            if speedup:
                rows.append(f"| {result.profile} | {beams} | **chain** | | | **{speedup:.1f}x** |")
    return rows


def _goals(results: list[ProfileResult]) -> list[str]:
    rows = ["| goal | target | measured | met |", "|---|---|---|---|"]

    def add(goal: str, target: str, measured: str, met: bool | None) -> None:
        rows.append(f"| {goal} | {target} | {measured} | {'yes' if met else 'no' if met is not None else 'not run'} |")

    for result in results:
        profile = result.profile
        for live in _live_runs(result) if profile in SPEECH_TO_SPEECH_GOAL else []:
            goal, p50 = SPEECH_TO_SPEECH_GOAL[profile], live.speech_to_speech.median
            captions = "with" if live.interim_results else "without"
            add(
                f"{profile}: speech-to-speech p50, {captions} interim captions",
                f"at most {goal:.1f} s",
                f"{p50:.2f} s",
                p50 <= goal,
            )
        speedup = _speedup(result, "default")
        add(
            f"{profile}: chain vs PyTorch at default beams",
            f"at least {PEER_SPEEDUP_GOAL:.0f}x",
            f"{speedup:.1f}x" if speedup else "-",
            None if speedup is None else speedup >= PEER_SPEEDUP_GOAL,
        )
        if result.batch is not None:
            ratio = result.batch.overlap_ratio
            add(
                f"{profile}: batch wall / slowest stage",
                f"at most {OVERLAP_GOAL}",
                f"{ratio:.2f}",
                ratio <= OVERLAP_GOAL,
            )
        for live in _live_runs(result):
            overhead = live.breakdown["other"] / live.speech_to_speech.median
            captions = "with" if live.interim_results else "without"
            add(
                f"{profile}: pipeline overhead, {captions} interim captions",
                f"under {OVERHEAD_GOAL:.0%}",
                f"{overhead:.1%}",
                overhead < OVERHEAD_GOAL,
            )
    return rows


def _where_time_goes(results: list[ProfileResult]) -> list[str]:
    lines = []
    for result in results:
        encoder = result.stages.greedy["encoder"].median / result.stages.greedy["recognition"].median
        for live in _live_runs(result):
            breakdown = {name: live.breakdown[name] for name in _BREAKDOWN_LABELS}
            total = live.speech_to_speech.median
            ranked = sorted(breakdown.items(), key=lambda item: item[1], reverse=True)
            parts = ", ".join(f"{_BREAKDOWN_LABELS[name]} {_ms(value)} ({value / total:.0%})" for name, value in ranked)
            captions = "with" if live.interim_results else "without"
            lines.append(
                f"- **{result.profile}, {captions} interim captions**: of {_ms(total)} (median), {parts}. The final "
                f"recognition started {_ms(live.breakdown['final_start'])} after speech ended (a pause of 100 ms "
                "starts it; any more is an interim pass that was still running)."
            )
        lines.append(
            f"- **{result.profile}**: Whisper's encoder is {encoder:.0%} of recognition: it always runs over a 30 s "
            "window, however short the utterance."
        )
    return lines


def write_report(run: BenchRun, folder: Path, command: str, name: str = "benchmarks") -> tuple[Path, Path | None]:
    """Write folder/name.md and, with matplotlib installed, folder/name.png; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    chart = folder / f"{name}.png"
    try:
        from bench.chart import draw_chart
    except ImportError:
        chart_path = None
    else:
        draw_chart(run, chart)
        chart_path = chart
    report = folder / f"{name}.md"
    write_text_atomic(report, render(run, command, chart.name))
    return report, chart_path
