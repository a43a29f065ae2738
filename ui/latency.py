"""The latency panel: where the last utterance's time went, rolling p50/p95, and the recent history.

Painted with the palette's own colours, so it follows the light or dark theme.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from translator.pipeline.live_events import LiveStats, UtteranceDone
from translator.pipeline.timeline import STAGES, UtteranceTimeline

# The stages of the wait a user feels, in order, each from its start to its end after speech ended.
BAR_STAGES = (
    ("end_wait", "end-of-speech wait (VAD)", "speech_end", "end_confirmed"),
    ("recognition", "recognition", "recognition_start", "recognition_end"),
    ("translation", "translation", "translation_start", "translation_end"),
    ("synthesis", "synthesis (first sentence)", "synthesis_start", "first_audio"),
    # From the hand-over to the sink: audio made ahead of the confirmed end is held, not waiting for the device.
    ("playback_wait", "playback wait", "handed_to_sink", "first_played"),
)
STAGE_LABELS = {
    "end_wait": "VAD end wait",
    "recognition": "recognition",
    "translation": "translation",
    "queue_wait": "queue waits",
    "synthesis": "synthesis",
    "playback_wait": "playback wait",
    "speech_to_speech": "speech → speech",
}
_HISTORY = 40


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


@dataclass(frozen=True)
class Bar:
    """A stage on the last utterance's timeline, in seconds after the speech ended."""

    label: str
    start: float
    duration: float


class StageBars(QWidget):
    """One row per stage: a bar from when it started to when it ended, after the end of speech.
    Overlap is shown as it happened: recognition that began while the VAD still waited starts early."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Stage times of the last utterance")
        self.setMinimumHeight(22 * len(BAR_STAGES) + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.bars: dict[str, Bar] = {}
        self.total: float | None = None

    def show_timeline(self, timeline: UtteranceTimeline) -> None:
        origin = timeline.speech_end
        self.bars = {}
        if origin is not None:
            for name, label, start_field, end_field in BAR_STAGES:
                start, end = getattr(timeline, start_field), getattr(timeline, end_field)
                if start is not None and end is not None:
                    self.bars[name] = Bar(label, start - origin, max(0.0, end - start))
        self.total = timeline.speech_to_speech
        self.setAccessibleDescription(
            "; ".join(f"{bar.label} {_ms(bar.duration)}" for bar in self.bars.values()) or "no stage times yet"
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        bar_color = palette.color(QPalette.ColorRole.Highlight)
        label_width = 170
        value_width = 64
        width = max(1, self.width() - label_width - value_width - 8)
        ends = [bar.start + bar.duration for bar in self.bars.values()] + [self.total or 0.0, 0.5]
        starts = [min(0.0, bar.start) for bar in self.bars.values()] + [0.0]
        lowest, span = min(starts), max(ends) - min(starts)
        for row, (name, label, _, _) in enumerate(BAR_STAGES):
            top = 4 + row * 22
            painter.setPen(text_color)
            painter.drawText(QRectF(0, top, label_width, 20), Qt.AlignmentFlag.AlignVCenter, label)
            bar = self.bars.get(name)
            if bar is None:
                continue
            left = label_width + (bar.start - lowest) / span * width
            painter.fillRect(QRectF(left, top + 3, max(2.0, bar.duration / span * width), 14), bar_color)
            painter.drawText(
                QRectF(self.width() - value_width, top, value_width, 20),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                _ms(bar.duration),
            )
        if self.total is not None:  # the moment the first translated sound played
            painter.setPen(QColor(palette.color(QPalette.ColorRole.Link)))
            x = label_width + (self.total - lowest) / span * width
            painter.drawLine(round(x), 2, round(x), self.height() - 2)
        painter.end()


class HistoryChart(QWidget):
    """Speech-to-speech latency of the recent utterances as bars, with their median as a line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Recent speech-to-speech latency")
        self.setMinimumHeight(90)
        self.values: deque[float] = deque(maxlen=_HISTORY)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)
        self.setAccessibleDescription(f"last {len(self.values)} utterances, latest {_ms(seconds)}")
        self.update()

    def clear(self) -> None:
        self.values.clear()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawRect(0, 0, self.width() - 1, self.height() - 1)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        if not self.values:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no utterances yet")
            painter.end()
            return
        top = max(max(self.values), 0.5)
        step = (self.width() - 4) / _HISTORY
        height = self.height() - 18
        for index, value in enumerate(self.values):
            bar = value / top * height
            painter.fillRect(
                QRectF(2 + index * step, self.height() - 2 - bar, max(1.0, step - 2), bar),
                palette.color(QPalette.ColorRole.Highlight),
            )
        median = sorted(self.values)[len(self.values) // 2]
        y = self.height() - 2 - median / top * height
        painter.setPen(palette.color(QPalette.ColorRole.Link))
        painter.drawLine(2, round(y), self.width() - 2, round(y))
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(QRectF(4, 2, self.width() - 8, 14), Qt.AlignmentFlag.AlignLeft, f"max {_ms(top)}")
        painter.drawText(QRectF(4, 2, self.width() - 8, 14), Qt.AlignmentFlag.AlignRight, f"median {_ms(median)}")
        painter.end()


class LatencyPanel(QGroupBox):
    """Everything about delay: the last utterance, rolling percentiles, history, and what was dropped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Latency", parent)
        self.setAccessibleName("Latency")
        self.headline = QLabel("speech → speech: –")
        self.headline.setAccessibleName("Last speech-to-speech latency")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.headline.setFont(font)
        self.stage_bars = StageBars()
        self.history = HistoryChart()
        self._percentiles: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        table = QGridLayout()
        for column, title in enumerate(("stage", "p50", "p95", "n")):
            header = QLabel(f"<b>{title}</b>")
            table.addWidget(
                header, 0, column, alignment=Qt.AlignmentFlag.AlignRight if column else Qt.AlignmentFlag.AlignLeft
            )
        for row, name in enumerate(STAGES, start=1):
            table.addWidget(QLabel(STAGE_LABELS[name]), row, 0)
            cells = (QLabel("–"), QLabel("–"), QLabel("–"))
            for column, cell in enumerate(cells, start=1):
                cell.setAlignment(Qt.AlignmentFlag.AlignRight)
                table.addWidget(cell, row, column)
            self._percentiles[name] = cells
        self.counters = QLabel()
        self.counters.setAccessibleName("Dropped and merged utterances")
        self.counters.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(QLabel("Last utterance, from the end of speech:"))
        layout.addWidget(self.stage_bars)
        layout.addWidget(QLabel("Rolling over the session:"))
        layout.addLayout(table)
        layout.addWidget(self.history)
        layout.addWidget(self.counters)
        layout.addStretch(1)
        self.show_stats(None)

    def show_utterance(self, done: UtteranceDone, speaking: bool = True) -> None:
        timeline = done.timeline
        self.stage_bars.show_timeline(timeline)
        total = timeline.speech_to_speech
        if total is not None:
            self.headline.setText(f"speech → speech: {_ms(total)}  (#{done.utterance})")
            self.history.add(total)
        else:
            self.headline.setText(f"#{done.utterance}: " + ("not spoken" if speaking else "text only"))

    def percentile_text(self, stage: str) -> tuple[str, str, str]:
        p50, p95, count = self._percentiles[stage]
        return p50.text(), p95.text(), count.text()

    def show_stats(self, stats: LiveStats | None) -> None:
        if stats is not None:
            for name, (p50, p95, count) in self._percentiles.items():
                figure = stats.stages.get(name)
                if figure is not None:
                    p50.setText(_ms(figure.p50))
                    p95.setText(_ms(figure.p95))
                    count.setText(str(figure.count))
        parts = {
            "merged": stats.merged if stats else 0,
            "not spoken": stats.skipped if stats else 0,
            "playback dropped": f"{stats.dropped_playback_seconds:.1f} s" if stats else "0.0 s",
            "input overflows": stats.input_overflows if stats else 0,
            "output underflows": stats.output_underflows if stats else 0,
            "echo-gated": f"{stats.gated_seconds:.1f} s" if stats else "0.0 s",
        }
        problems = bool(stats and (stats.merged or stats.skipped or stats.dropped_playback_seconds
                                   or stats.input_overflows or stats.output_underflows))  # fmt: skip
        text = " · ".join(f"{name} {value}" for name, value in parts.items())
        self.counters.setText(f"<b>⚠ {text}</b>" if problems else text)

    def clear(self) -> None:
        self.stage_bars.bars = {}
        self.stage_bars.total = None
        self.stage_bars.update()
        self.history.clear()
        self.headline.setText("speech → speech: –")
        for cells in self._percentiles.values():
            for cell in cells:
                cell.setText("–")
        self.show_stats(None)
