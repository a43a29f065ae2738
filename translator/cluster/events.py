"""What a cluster batch reports beyond a local batch's events, and its report.

A cluster batch emits the local batch's events (`translator.pipeline.batch_events`: a file started, finished,
failed or skipped), from several workers at once, plus these: the workers are ready, a file went to a worker,
a worker was lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from translator.cluster.worker import WorkerInfo
from translator.pipeline.batch import BatchReport
from translator.pipeline.batch_events import Event


@dataclass(frozen=True)
class ClusterStarted:
    """The workers are ready and the files to translate known: `files` of `audio_seconds` in all (skipped ones
    and ones that cannot be read left out); `unspoken`: no voice speaks the target, so no speech is made."""

    workers: tuple[WorkerInfo, ...]
    files: int
    audio_seconds: float
    startup_seconds: float
    unspoken: bool


@dataclass(frozen=True)
class FileAssigned:
    """`worker` starts on the file at `path`; `attempt` counts from 1 (above 1: a worker was lost on it)."""

    path: Path
    worker: WorkerInfo
    attempt: int


@dataclass(frozen=True)
class WorkerLost:
    """`worker` died (its process killed, its node lost) while on the file at `path`; `retried` says whether the
    file goes back to the queue, else it is reported failed."""

    worker: WorkerInfo
    path: Path
    retried: bool
    reason: str


ClusterEvent = ClusterStarted | FileAssigned | WorkerLost
ClusterCallback = Callable[[Event | ClusterEvent], None]


@dataclass(frozen=True)
class FileRun:
    """How one file went on the cluster: the worker that translated it, in how many attempts, the driver's time
    on it from its assignment to its outputs in place (`seconds`) and the part of that spent moving bytes
    (`transfer_seconds`); the pipeline's own time is in the file's result (`times.wall`)."""

    path: Path
    worker: str
    attempts: int
    seconds: float
    transfer_seconds: float
    pipeline_seconds: float

    @property
    def overhead_seconds(self) -> float:
        """The driver's time on the file that was not the pipeline's: transfers, scheduling, calls."""
        return max(0.0, self.seconds - self.pipeline_seconds)


@dataclass
class ClusterReport:
    """A cluster batch's outcome: the local batch's report (in input order), the workers, each translated file's
    run, the time to start the workers (connection and model loading) and the whole wall time."""

    batch: BatchReport
    workers: tuple[WorkerInfo, ...] = ()
    runs: list[FileRun] = field(default_factory=list)
    workers_lost: int = 0
    startup_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def overhead_share(self) -> float:
        """The share of the workers' busy time that went to the cluster itself rather than the pipeline."""
        busy = sum(run.seconds for run in self.runs)
        return sum(run.overhead_seconds for run in self.runs) / busy if busy > 0 else 0.0
