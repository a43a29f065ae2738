"""How many workers a batch gets, and what each reserves, so that two workers never oversubscribe one machine.

Each worker runs its models with `threads` CPU threads and reserves as many Ray CPUs, so Ray places no more
workers on a node than its cores hold; a worker that runs its models on a GPU reserves one GPU.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from translator.cluster.address import ClusterAddress
from translator.compute import ComputeSettings
from translator.errors import Remedy, TranslatorError

# CPU threads per worker when the settings leave it to CTranslate2 (0): more threads per worker cost less memory
# (each worker holds its own models), fewer scale better; two is the middle way.
DEFAULT_THREADS = 2


@dataclass(frozen=True)
class NodeResources:
    """One live node of the cluster: its address and the CPUs and GPUs Ray counts there."""

    host: str
    cpus: float
    gpus: float


@dataclass(frozen=True)
class WorkerPlan:
    """`count` workers, each reserving `threads` Ray CPUs and `gpus` GPUs; `compute` is how each runs its models
    (its cpu_threads is `threads`; its device is cuda on GPU workers, else cpu)."""

    count: int
    threads: int
    gpus: int
    compute: ComputeSettings


def local_shape(address: ClusterAddress, compute: ComputeSettings, cores: int | None = None) -> tuple[int, int]:
    """For a local instance: how many workers and how many threads each (N workers share the cores; without N,
    a worker per `DEFAULT_THREADS` cores)."""
    cores = cores or os.cpu_count() or 1
    if address.workers is not None:
        threads = compute.cpu_threads or max(1, cores // address.workers)
        return address.workers, threads
    threads = compute.cpu_threads or min(DEFAULT_THREADS, cores)
    return max(1, cores // threads), threads


def plan_workers(
    nodes: Sequence[NodeResources], compute: ComputeSettings, address: ClusterAddress, files: int
) -> WorkerPlan:
    """The workers for `files` files on `nodes`: as many as the nodes hold (for `local:N`, N at most), never more
    than there are files. Raises TranslatorError when no node can hold one."""
    if address.kind == "local":
        wanted, threads = local_shape(address, compute)
    else:
        wanted, threads = files, compute.cpu_threads or DEFAULT_THREADS
    has_gpus = any(node.gpus >= 1 for node in nodes)
    if compute.device == "cuda" and not has_gpus:
        raise TranslatorError("no node of the cluster has a GPU", remedy=Remedy.RUN_ON_CPU)
    gpus = 1 if compute.device == "cuda" or (compute.device == "auto" and has_gpus) else 0
    capacity = sum(_workers_on(node, threads, gpus) for node in nodes)
    if capacity == 0:
        most = max((node.cpus for node in nodes), default=0)
        raise TranslatorError(
            f"no node of the cluster has {threads} CPUs for a worker (the largest has {most:g}): "
            "give each worker fewer CPU threads"
        )
    device = "cuda" if gpus else "cpu"
    return WorkerPlan(
        count=max(1, min(wanted, capacity, files)),
        threads=threads,
        gpus=gpus,
        compute=replace(compute, device=device, cpu_threads=threads),
    )


def _workers_on(node: NodeResources, threads: int, gpus: int) -> int:
    by_cpu = int(node.cpus // threads)
    return min(by_cpu, int(node.gpus)) if gpus else by_cpu
