"""The benchmark's chart: where each profile's speech-to-speech latency goes, its serial stage costs, and
the distribution of live latencies. Needs matplotlib (a development dependency)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: the chart is only written to a file

import matplotlib.pyplot as plt  # noqa: E402

from bench import BenchRun  # noqa: E402
from translator.files import atomic_path  # noqa: E402

_PARTS = {
    "vad_wait": "VAD wait",
    "recognition_after_vad": "recognition after the wait",
    "translation": "translation",
    "synthesis": "synthesis",
    "playback_wait": "playback wait",
    "other": "other",
}


def draw_chart(run: BenchRun, path: Path) -> None:
    """Write the chart as a PNG at `path` (atomically)."""
    results = [result for result in run.results if result.live is not None]
    figure, (latency, stages, spread) = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    names = [result.profile for result in results]
    left = [0.0] * len(results)
    for part, label in _PARTS.items():
        widths = [max(result.live.breakdown[part], 0.0) for result in results if result.live]
        latency.barh(names, widths, left=left, label=label)
        left = [a + b for a, b in zip(left, widths)]
    latency.set_title("Live speech-to-speech (median parts)")
    latency.set_xlabel("seconds")
    latency.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)

    profiles = [result.profile for result in run.results]
    bottom = [0.0] * len(run.results)
    for stage in ("recognition", "translation", "synthesis"):
        heights = [result.stages.greedy[stage].median for result in run.results]
        stages.bar(profiles, heights, bottom=bottom, label=stage)
        bottom = [a + b for a, b in zip(bottom, heights)]
    stages.set_title("Serial compute per stage (greedy, median)")
    stages.set_ylabel("seconds")
    stages.legend(fontsize="small")

    spread.boxplot([list(result.live.speech_to_speech.samples) for result in results if result.live], tick_labels=names)
    spread.set_title("Live speech-to-speech, every utterance")
    spread.set_ylabel("seconds")
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
