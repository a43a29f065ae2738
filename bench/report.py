"""The benchmark's Markdown report and PNG chart, with the machine they were measured on.

Every table sets the two encoder windows side by side: Whisper's 30 s window (before) and the adaptive one
(after), measured in the same run.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
from pathlib import Path

from bench import BenchRun, BenchSettings, tables
from bench.measure import WINDOWS, ProfileResult
from bench.pipelines import LATENCY_PARTS
from bench.targets import (
    PART_LABELS,
    chain_seconds,
    ms,
    pair,
    speedup,
    target_table,
    window_name,
    window_stats,
    window_with_floor,
)
from bench.voices import SECONDS_PER_ID
from translator.files import write_text_atomic
from translator.stages.whisper_window import EncoderWindowStats

_LIBRARIES = ("ctranslate2", "faster-whisper", "onnxruntime", "piper-tts", "numpy", "torch", "transformers")


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


def render(run: BenchRun, command: str, chart_name: str) -> str:
    """The report as Markdown."""
    settings = run.settings
    after = window_name(settings, WINDOWS[1])
    repeats = settings.stage_repeats
    lines = [
        "# Benchmarks: speech-to-speech latency and throughput",
        "",
        f"Measured {datetime.date.today().isoformat()} by `{command}`.",
        "",
        *[f"- {line}" for line in machine_description()],
        f"- Compute: {run.results[0].compute if run.results else '?'}; figures are median / p95.",
        "",
        "The models have the real architectures and sizes but **random weights**, and their **output lengths are "
        "pinned**: Whisper always hears the same sentence and the translator always answers with the same German "
        "one (at a beam of up to 4, every hypothesis is that long, as a trained model's beams mostly are), so each "
        "stage computes what the real model computes for a typical utterance. Compute does not "
        "depend on the weights' values; quality is measured apart, with the real Whisper tiny.en on real speech.",
        "",
        f"**Two encoder windows, one run.** Every recognition figure is measured with Whisper's encoder over the "
        f'30 s window (`encoder_window="full"`, before) and with the adaptive window (`{after}`, after: the speech '
        "plus 2 s, at least a floor measured per model size, decoding guarded and decoded again at 30 s when the "
        "guard does not trust it; docs/encoder-window.md). Recognition of the typical utterance ran "
        f"{repeats[WINDOWS[0]]} times under the 30 s window and {repeats[WINDOWS[1]]} under {after}, the two in "
        f"turn, after {settings.warmup} warm-up; translation and synthesis, which do not depend on the window, "
        f"{max(repeats.values())} times. One live session per window, with interim captions on (the target's "
        "condition); the earlier repeat without interim captions is left out, so that a real run of both profiles "
        "stays within about 15 minutes on 2 cores.",
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
    for result in run.results:
        texts = {window: result.stages.recognition[window].text for window in WINDOWS}
        if texts[WINDOWS[0]] != texts[WINDOWS[1]]:
            lines += [
                f"> {result.profile}: the random-weight Whisper said {texts[WINDOWS[1]]!r} on the {after} window and "
                f"{texts[WINDOWS[0]]!r} on the 30 s one: the two recognition times are not of the same work.",
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
    lines += ["![latency parts, stage costs and latency spread, both windows](" + chart_name + ")", ""]
    lines += ["## Headline", "", *_headline(run), "", *_accuracy_headline(run)]
    lines += ["", "## Targets", "", *target_table(run)]
    lines += ["", "## Each stage, one utterance", "", *tables.stage_table(run.results, settings)]
    lines += ["", "## The encoder window and its guard", "", *tables.guard_table(run.results, settings)]
    lines += ["", "## Live: end of speech to first translated sound", "", *tables.live_table(run.results, settings)]
    lines += ["", "## Batch throughput", "", *tables.batch_table(run.results, settings)]
    lines += [
        "",
        "## Accuracy: the real Whisper tiny.en on real speech",
        "",
        *tables.accuracy_table(run.accuracy, settings),
    ]
    lines += ["", "## Memory and loading", "", *tables.memory_table(run.results)]
    lines += ["", "## Against PyTorch (transformers), same architectures, same run", ""]
    lines += tables.peer_table(run.results, settings)
    lines += ["", "## GPU", ""]
    if run.gpu:
        lines += tables.stage_table(run.gpu, settings)
    else:
        lines.append("No CUDA device was visible; on a machine with one, the same command adds this table for float16 "
                     "and int8_float16.")  # fmt: skip
    lines += ["", "## Where the time goes", "", *_where_time_goes(run.results, settings)]
    return "\n".join(lines) + "\n"


def _headline(run: BenchRun) -> list[str]:
    rows = [
        "| profile | models | encoder window | speech-to-speech p50 / p95 | serial compute (greedy) | "
        f"batch RTF: {run.settings.batch_minutes:g} min / short files | guard fell back | "
        "vs PyTorch (default decoding) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in run.results:
        names = " + ".join(result.models.names[stage] for stage in ("recognition", "translation", "synthesis"))
        for window in WINDOWS:
            live = _pair_or_dash(result, window)
            batch, short = result.batch.get(window), result.short_files.get(window)
            rtf = f"{batch.real_time_factor:.3f}" if batch else "-"
            rtf += f" / {short.real_time_factor:.3f}" if short else " / -"
            ratio = speedup(result, "default", window)
            peers = f"{ratio:.1f}x faster" if ratio else "not run"
            rows.append(
                f"| {result.profile} | {names} | {window_with_floor(run.settings, result, window)} | {live} | "
                f"{ms(chain_seconds(result.stages.chain(window)))} | {rtf} | "
                f"{_fallback_share(window_stats(result, window))} | {peers} |"
            )
    return rows


def _pair_or_dash(result: ProfileResult, window: str) -> str:
    live = result.live.get(window)
    return pair(live.speech_to_speech) if live else "-"


def _fallback_share(stats: EncoderWindowStats) -> str:
    tried = stats.windows_short + stats.fallbacks
    return f"{stats.fallbacks} of {tried} short windows" if tried else "none tried short"


def _accuracy_headline(run: BenchRun) -> list[str]:
    accuracy = run.accuracy
    if accuracy is None:
        return ["Accuracy of the real Whisper tiny.en: not measured (see the note above)."]
    after = window_name(run.settings, WINDOWS[1])
    parts = []
    for full, adaptive in zip(accuracy.figures[::2], accuracy.figures[1::2]):
        beam = "greedy" if full.beam == 1 else f"beam {full.beam}"
        parts.append(
            f"{beam}: WER {100 * full.word_error_rate:.1f}% at 30 s, {100 * adaptive.word_error_rate:.1f}% with "
            f"{adaptive.label}; the same words as at 30 s in {adaptive.same_words} of {adaptive.utterances}"
        )
    return [
        f"Accuracy of the real Whisper tiny.en on {accuracy.utterances} real utterances "
        f"({accuracy.speech_seconds:.0f} s of speech), 30 s against {after}: " + "; ".join(parts) + "."
    ]


def _where_time_goes(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    lines = []
    for result in results:
        for window, live in tables.in_order(result.live):
            total = live.speech_to_speech.median
            ranked = sorted(LATENCY_PARTS, key=lambda name: live.breakdown[name], reverse=True)
            parts = ", ".join(
                f"{PART_LABELS[name]} {ms(live.breakdown[name])} ({live.breakdown[name] / total:.0%})"
                for name in ranked
            )
            lines.append(
                f"- **{result.profile}, {window_name(settings, window)} window**: of {ms(total)} (median), {parts}. "
                f"The final recognition started {ms(live.breakdown['final_start'])} after speech ended (any more than "
                "the pause that starts it is an interim pass that was still running)."
            )
        for window in WINDOWS:
            recognition = result.stages.recognition[window]
            share = recognition.encoder.median / recognition.greedy.median
            lines.append(
                f"- **{result.profile}, {window_name(settings, window)} window**: Whisper's encoder is {share:.0%} of "
                f"recognition on the typical utterance ({ms(recognition.encoder.median)} on a "
                f"{recognition.window_seconds:g} s window)."
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
