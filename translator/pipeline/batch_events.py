"""What a batch reports while it runs: one event per step of each file, in the order a file produces them.

The caller receives them through one callback; the GUI bridges them into Qt signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from translator.pipeline.results import FileResult, Segment


@dataclass(frozen=True)
class FileStarted:
    path: Path
    index: int
    total: int
    duration: float


@dataclass(frozen=True)
class FileProgress:
    path: Path
    position: float
    duration: float


@dataclass(frozen=True)
class SegmentReady:
    path: Path
    segment: Segment


@dataclass(frozen=True)
class FileFinished:
    result: FileResult


@dataclass(frozen=True)
class FileSkipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class FileFailed:
    path: Path
    message: str


Event = FileStarted | FileProgress | SegmentReady | FileFinished | FileSkipped | FileFailed
EventCallback = Callable[[Event], None]
