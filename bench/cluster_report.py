"""The report of `python -m bench.cluster`: the figures of each run, the speed-up and overhead, and what they say
about more machines."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

from bench.models import ProfileModels
from bench.report import machine_description

SPEEDUP_TARGET = 1.8
OVERHEAD_TARGET = 0.05


@dataclass(frozen=True)
class RunFigures:
    """One configuration's batch of the archive: wall time with start-up, start-up alone, and (on a cluster)
    the share of the workers' busy time that was not the pipeline's."""

    name: str
    workers: int
    threads: int
    wall: float
    startup: float
    overhead_share: float | None = None

    @property
    def archive(self) -> float:
        """The time the archive itself took, start-up left out."""
        return self.wall - self.startup


@dataclass(frozen=True)
class ClusterBench:
    profile: str
    models: ProfileModels
    files: int
    audio_seconds: float
    runs: list[RunFigures]


def render(bench: ClusterBench, command: str, day: str) -> str:
    """The report as Markdown."""
    runs = {run.name: run for run in bench.runs}
    local1, one, two = runs["local, 1 thread"], runs["Ray local:1"], runs["Ray local:2"]
    nodes = runs.get("Ray, two nodes")
    speedup, archive_speedup = one.wall / two.wall, one.archive / two.archive
    added = one.archive - local1.archive
    share = one.overhead_share or 0.0
    minutes = bench.audio_seconds / 60
    try:
        ray_version = importlib.metadata.version("ray")
    except importlib.metadata.PackageNotFoundError:
        ray_version = "not installed"
    lines = [
        "# Batch translation on a Ray cluster",
        "",
        f"Measured {day} with `{command}` (Ray {ray_version}). The archive: {bench.files} files, "
        f"{minutes:.1f} minutes of speech in all (the benchmark's typical utterance, a second apart), translated "
        f"into German with the `{bench.profile}` profile's models at their real sizes (random weights, pinned "
        f"output lengths: {', '.join(bench.models.names.values())}), int8, greedy, every output written.",
        "",
        *(f"- {line}" for line in machine_description()),
        "",
        "| run | workers x threads | wall | start-up | archive | archive RTF | overhead (driver's count) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in bench.runs:
        overhead = f"{run.overhead_share:.1%}" if run.overhead_share is not None else ""
        lines.append(
            f"| {run.name} | {run.workers} x {run.threads} | {run.wall:.1f} s | {run.startup:.1f} s | "
            f"{run.archive:.1f} s | {run.archive / bench.audio_seconds:.3f} | {overhead} |"
        )
    verdict = "met" if speedup >= SPEEDUP_TARGET else "not met"
    overhead_verdict = "met" if share < OVERHEAD_TARGET else "not met"
    lines += [
        "",
        "*wall* counts from the start of the batch to its end, Ray's start-up and the workers' model loading "
        "included; *start-up* is that part (for the local batch: loading the models); *archive* is the rest. "
        "The overhead column is the share of the workers' busy time, as the driver saw it, that was not the "
        "pipeline's own time: moving the bytes in and out, Ray's calls, writing the outputs.",
        "",
        f"- **Speed-up from 1 to 2 workers of one thread**: {speedup:.2f}x on the wall time, {archive_speedup:.2f}x "
        f"on the archive alone (target {SPEEDUP_TARGET}x: {verdict}).",
        f"- **The cluster's overhead**: local:1 took {added:+.1f} s on the archive against the local batch with the "
        f"same thread ({added / one.wall:+.1%} of its wall time); by the driver's count, transfers and calls were "
        f"{share:.1%} of the worker's busy time (target under {OVERHEAD_TARGET:.0%}: {overhead_verdict}). "
        f"Start-up, once per batch, was {one.startup:.1f} s for one worker and {two.startup:.1f} s for two.",
    ]
    if nodes is not None:
        lines.append(
            f"- **Two nodes** (a second `ray start` on this machine, one worker each): {nodes.wall:.1f} s, against "
            f"{two.wall:.1f} s for two workers on one node; files then cross between Ray nodes (here over the "
            "loopback) rather than within one."
        )
    per_worker = bench.audio_seconds / one.archive if one.archive > 0 else 0.0
    lines += [
        "",
        "## On N machines",
        "",
        f"Each single-thread worker here translated {per_worker:.1f} seconds of audio per second. A batch of A "
        "hours on W such workers takes about start-up + A x 3600 / (W x that rate) + the longest file's own time "
        "at the end (no file is split between workers), plus the overhead share above: the workers share "
        "nothing but the driver, which only moves bytes (4 MiB pieces, two in flight per worker) and writes "
        "outputs. So throughput grows with the workers as long as the files outnumber them and the driver's disk "
        "and network keep up; start-up (Ray, then each worker loading its models, in parallel) is paid once.",
        "",
        f"For example, 100 hours on 10 machines of 2 cores, 20 such workers: about "
        f"{100 * 3600 / (20 * per_worker) / 3600:.1f} h after start-up, against "
        f"{100 * 3600 / (per_worker * archive_speedup) / 3600:.1f} h on one such machine."
        if per_worker
        else "",
        "",
        "On this 2-core machine the figures are only as steady as the machine is quiet: run it when nothing else runs.",
    ]
    return "\n".join(lines) + "\n"
