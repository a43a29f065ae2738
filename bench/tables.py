"""The report's tables, the two encoder windows side by side (Whisper's 30 s window first, then the adaptive one)."""

from __future__ import annotations

from typing import TypeVar

from bench import AccuracyResult, BenchSettings
from bench.encoder_window import fallback_summary
from bench.measure import WINDOWS, ProfileResult
from bench.pipelines import LATENCY_PARTS, SHORT_FILE_SECONDS
from bench.targets import PART_LABELS, chain_seconds, ms, pair, peer_chain, window_name
from translator.stages.translation import DEFAULT_BEAM_SIZE

Measured = TypeVar("Measured")


def stage_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    """Each stage on the typical utterance, greedy and at the default beams, under both windows."""
    names = [window_name(settings, window) for window in WINDOWS]
    rows = [
        "Translation and synthesis do not depend on the encoder window: measured once, shown under both.",
        "",
        f"| profile | compute | stage | greedy: {names[0]} | greedy: {names[1]} | "
        f"default beams (5 / 4): {names[0]} | default beams (5 / 4): {names[1]} |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for stage, cells in _stage_cells(result).items():
            rows.append(f"| {result.profile} | {result.compute} | {stage} | " + " | ".join(cells) + " |")
    return rows


def _stage_cells(result: ProfileResult) -> dict[str, list[str]]:
    """Each row of a profile's stage table: greedy under each window, then default beams under each."""
    stages = result.stages
    recognition = [stages.recognition[window] for window in WINDOWS]
    greedy = [stages.chain(window) for window in WINDOWS]
    default = [stages.chain(window, "default") for window in WINDOWS]
    lengths = " / ".join(f"{each.window_seconds:g} s" for each in recognition)
    blank = ["", ""]
    return {
        "recognition": [pair(each.greedy) for each in recognition] + [pair(each.default_beams) for each in recognition],
        f"- of which the encoder ({lengths} window)": [pair(each.encoder) for each in recognition] + blank,
        "- of which decoding": [ms(each.greedy.median - each.encoder.median) for each in recognition] + blank,
        "translation": [pair(stages.translation)] * 2 + [pair(stages.translation_default)] * 2,
        "synthesis": [pair(stages.synthesis)] * 2 + blank,
        "chain, serial": [ms(chain_seconds(each)) for each in greedy + default],
    }


def guard_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    rows = [
        "How each run's recognizer encoded its windows (`SpeechRecognizer.window_stats`): at 30 s from the start, "
        "on a short window the guard kept, or on a short window the guard did not trust and decoded again at 30 s.",
        "",
        "| profile | run | encoder window | windows at 30 s | short windows kept | fell back to 30 s (reasons) |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for window in WINDOWS:
            runs = [("one utterance, every stage run", result.stages.recognition[window].stats)]
            runs += [
                (name, figures[window].stats)
                for name, figures in (
                    ("live session", result.live),
                    (f"batch, {settings.batch_minutes:g} min", result.batch),
                    ("batch, short files", result.short_files),
                )
                if window in figures
            ]
            for name, stats in runs:
                rows.append(
                    f"| {result.profile} | {name} | {window_name(settings, window)} | {stats.windows_full} | "
                    f"{stats.windows_short} | {fallback_summary(stats)} |"
                )
    return rows


def live_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    rows = [
        f"The real live pipeline ({settings.silence_ms} ms end-of-speech silence, interim captions on, as the app "
        f"runs by default: greedy recognition, translation at beam {DEFAULT_BEAM_SIZE}) on a file source of "
        f"{settings.live_utterances} utterances played in real time, once "
        "per encoder window; the medians of each part of the latency, each counting only what came after the end "
        "of speech was confirmed. Live recognition decodes no timestamps (the text is all it needs), and an "
        "interim pass still running when the speaker pauses stops before its decoder, so the final can start.",
        "",
        "| profile | encoder window | sink | utterances spoken | speech-to-speech p50 / p95 | "
        + " | ".join(PART_LABELS[name] for name in LATENCY_PARTS)
        + " | work hidden in the wait |",
        "|---|---|---|---|---|" + "---|" * (len(LATENCY_PARTS) + 1),
    ]
    for result in results:
        for window, live in in_order(result.live):
            parts = " | ".join(ms(live.breakdown[name]) for name in LATENCY_PARTS)
            rows.append(
                f"| {result.profile} | {window_name(settings, window)} | {live.sink} | {live.spoken} of "
                f"{live.utterances} | {pair(live.speech_to_speech)} | {parts} | {ms(live.breakdown['hidden'])} |"
            )
    return rows


def in_order(figures: dict[str, Measured]) -> list[tuple[str, Measured]]:
    """The entries of a per-window dict, the 30 s window first."""
    return [(window, figures[window]) for window in WINDOWS if window in figures]


def batch_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    seconds = f"{SHORT_FILE_SECONDS[0]:g}-{SHORT_FILE_SECONDS[-1]:g} s"
    rows = [
        f"One recording of {settings.batch_minutes:g} minutes of speech, then {len(SHORT_FILE_SECONDS)} short files "
        f"({seconds} of speech each, so each file's only window is short), through the batch pipeline (transcript, "
        "subtitles and speech track; greedy decoding), once per encoder window. A long recording's windows hold up "
        "to 30 s of speech, so there the adaptive window saves little; stages overlap, so the wall time approaches the "
        "slowest stage's busy time. Wall and busy times are summed over the files.",
        "",
        "| profile | input | encoder window | audio | wall | real-time factor | slowest stage alone | wall / slowest "
        "| stage busy seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for name, runs in (
            (f"{settings.batch_minutes:g} min recording", result.batch),
            ("short files", result.short_files),
        ):
            for window, batch in in_order(runs):
                stage, busiest = batch.slowest_stage
                busy = ", ".join(f"{each} {value:.1f} s" for each, value in batch.stage_seconds.items())
                rows.append(
                    f"| {result.profile} | {name} ({batch.files}) | {window_name(settings, window)} | "
                    f"{batch.audio_seconds:.1f} s | {batch.wall_seconds:.1f} s | {batch.real_time_factor:.3f} | "
                    f"{stage} {busiest:.1f} s | {batch.overlap_ratio:.2f} | {busy} |"
                )
    return rows


def accuracy_table(accuracy: AccuracyResult | None, settings: BenchSettings) -> list[str]:
    if accuracy is None:
        return ["Not measured (see the note above)."]
    rows = [
        f"{accuracy.utterances} utterances, {accuracy.speech_seconds:.1f} s of speech, each cut by the app's speech "
        "segmenter: jfk.flac whole and in its three pieces, sentences by the real Piper voice en_US-joe-medium and "
        "by espeak-ng, one- and two-word ones among them (`bench.encoder_window`). WER is against what was said; "
        '"same words": the transcript\'s words are the 30 s window\'s (case and punctuation aside); "unguarded": '
        "what the short window said before the guard judged it.",
        "",
        "| beam | encoder window | WER | same words as 30 s | identical text | unguarded: same words | "
        "fell back to 30 s (reasons) | recognition time | mean window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for figures in accuracy.figures:
        compared = figures.setting != "full"
        count = figures.utterances
        cells = [
            f"{figures.same_words}/{count}",
            f"{figures.identical}/{count}",
            f"{figures.unguarded_same_words}/{count}",
        ]
        cells = cells if compared else ["-", "-", "-"]
        rows.append(
            f"| {figures.beam} | {figures.label} | {100 * figures.word_error_rate:.1f}% | " + " | ".join(cells) + " | "
            f"{fallback_summary(figures.stats) if compared else '-'} | {figures.seconds:.1f} s | "
            f"{figures.mean_window:.1f} s |"
        )
    differences = [d for figures in accuracy.figures for d in figures.differences]
    if differences:
        rows += [
            "",
            f"Where the short window ({window_name(settings, WINDOWS[1])}), unguarded, said otherwise than 30 s:",
            "",
            "| beam | utterance | 30 s window | short window, unguarded | difference | guard |",
            "|---|---|---|---|---|---|",
        ]
        for d in differences:
            kind = "words" if d.words_differ else "case, punctuation"
            guard = "kept" if d.kept else "fell back to 30 s"
            rows.append(f"| {d.beam} | {d.utterance} | {d.full} | {d.unguarded} | {kind} | {guard} |")
    return rows


def memory_table(results: list[ProfileResult]) -> list[str]:
    rows = [
        "With the app's default encoder window (auto).",
        "",
        "| profile | peak memory, three models loaded and run | load: recognition | translation | synthesis |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        if result.memory is None:
            continue
        loads = result.memory.load_seconds
        rows.append(
            f"| {result.profile} | {result.memory.peak_megabytes:.0f} MB | {loads['recognition']:.2f} s | "
            f"{loads['translation']:.2f} s | {loads['synthesis']:.2f} s |"
        )
    return rows


def peer_table(results: list[ProfileResult], settings: BenchSettings) -> list[str]:
    if not any(result.peers for result in results):
        return ["Not run: the comparison needs torch and transformers (`pip install -e '.[bench]'`)."]
    names = [window_name(settings, window) for window in WINDOWS]
    rows = [
        "PyTorch runs `generate` with the same pinned lengths (beam 1, then the defaults: 5 for recognition, 4 for "
        "translation) over Whisper's 30 s window, as Transformers requires, and Piper's VITS forward pass, float32 "
        f"as Transformers loads a checkpoint, {settings.peer_repeats} timed runs after one warm-up; ratio = "
        "PyTorch / ours (medians), above 1 means we are faster. Synthesis has no beam: both chains count its one "
        "run at both decodings.",
        "",
        f"| profile | decoding | stage | ours: {names[0]} | ours: {names[1]} | PyTorch | ratio: {names[0]} | "
        f"ratio: {names[1]} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for beams in ("greedy", "default"):
            theirs = peer_chain(result, beams)
            ours = [result.stages.chain(window, beams) for window in WINDOWS]
            for stage in theirs:
                times = " | ".join(ms(each[stage].median) for each in ours)
                ratios = " | ".join(f"{theirs[stage].median / each[stage].median:.1f}x" for each in ours)
                rows.append(
                    f"| {result.profile} | {beams} | {stage} | {times} | {ms(theirs[stage].median)} | {ratios} |"
                )
            if theirs:
                times = " | ".join(ms(chain_seconds(each)) for each in ours)
                ratios = " | ".join(f"**{chain_seconds(theirs) / chain_seconds(each):.1f}x**" for each in ours)
                rows.append(
                    f"| {result.profile} | {beams} | **chain** | {times} | {ms(chain_seconds(theirs))} | {ratios} |"
                )
    return rows
