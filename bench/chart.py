"""The benchmark's chart, both encoder windows side by side (Whisper's 30 s window, then the adaptive one):
where each profile's speech-to-speech latency goes, its serial stage costs, and the distribution of live
latencies. Needs matplotlib (a development dependency)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: the chart is only written to a file

import matplotlib.pyplot as plt  # noqa: E402

from bench import BenchRun  # noqa: E402
from bench.measure import WINDOWS  # noqa: E402
from bench.pipelines import LATENCY_PARTS  # noqa: E402
from bench.targets import SPEECH_TO_SPEECH_GOAL, window_name  # noqa: E402
from translator.files import atomic_path  # noqa: E402

# Each part's label and colour; a stage has the same colour in the latency bars and the compute bars.
_PARTS = {
    "vad_wait": ("VAD wait", "tab:gray"),
    "interim_wait": ("waiting for an interim pass", "tab:pink"),
    "recognition_after_vad": ("recognition after the wait", "tab:blue"),
    "translation": ("translation", "tab:orange"),
    "synthesis": ("synthesis", "tab:green"),
    "playback_wait": ("playback wait", "tab:purple"),
    "other": ("other", "tab:brown"),
}
_STAGE_COLOURS = {"recognition": "tab:blue", "translation": "tab:orange", "synthesis": "tab:green"}


def draw_chart(run: BenchRun, path: Path) -> None:
    """Write the chart as a PNG at `path` (atomically)."""
    figure, (latency, stages, spread) = plt.subplots(1, 3, figsize=(16, 4.8), constrained_layout=True)
    window_names = {window: window_name(run.settings, window) for window in WINDOWS}
    lives = [
        (f"{result.profile}\n{window_names[window]}", result.live[window], SPEECH_TO_SPEECH_GOAL.get(result.profile))
        for result in run.results
        for window in WINDOWS
        if window in result.live
    ]
    names = [name for name, _, _ in lives]
    left = [0.0] * len(lives)
    for part in LATENCY_PARTS:
        widths = [max(live.breakdown[part], 0.0) for _, live, _ in lives]
        part_label, colour = _PARTS[part]
        latency.barh(names, widths, left=left, label=part_label, color=colour)
        left = [a + b for a, b in zip(left, widths)]
    for row, (_, _, goal) in enumerate(lives):
        if goal is not None:
            latency.plot([goal, goal], [row - 0.4, row + 0.4], color="black", linestyle="--", linewidth=1)
    latency.invert_yaxis()
    latency.set_title("Live speech-to-speech, median parts (dashed: target)")
    latency.set_xlabel("seconds")
    latency.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)

    columns = [(result, window) for result in run.results for window in WINDOWS]
    ticks = [f"{result.profile}\n{window_names[window]}" for result, window in columns]
    bottom = [0.0] * len(columns)
    for stage, colour in _STAGE_COLOURS.items():
        heights = [result.stages.chain(window)[stage].median for result, window in columns]
        stages.bar(ticks, heights, bottom=bottom, label=stage, color=colour)
        bottom = [a + b for a, b in zip(bottom, heights)]
    stages.set_title("Serial compute per stage (greedy, median)")
    stages.set_ylabel("seconds")
    stages.legend(fontsize="small")

    if lives:  # a run whose live sessions all failed has no latencies to spread
        spread.boxplot([list(live.speech_to_speech.samples) for _, live, _ in lives], tick_labels=names)
    spread.set_title("Live speech-to-speech, every utterance")
    spread.set_ylabel("seconds")
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
