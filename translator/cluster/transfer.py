"""Moving a file's bytes between the driver and a worker without shared storage, in bounded pieces.

An input goes to the worker piece by piece, and an output comes back the same way, with at most `IN_FLIGHT`
pieces on their way at once: the driver's memory stays bounded whatever the size of the files or the archive.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

PIECE_BYTES = 4 * 1024 * 1024
IN_FLIGHT = 2


def send_file(ray: Any, worker: Any, key: str, path: Path, filename: str) -> None:
    """Send the file at `path` to `worker` as job `key`'s input, named `filename` there."""
    pending: deque[Any] = deque([worker.begin.remote(key, filename)])
    with open(path, "rb") as source:
        while piece := source.read(PIECE_BYTES):
            pending.append(worker.receive.remote(key, piece))
            while len(pending) > IN_FLIGHT:
                ray.get(pending.popleft())
    ray.get(list(pending))


def fetch_file(ray: Any, worker: Any, key: str, name: str, size: int, destination: Path) -> None:
    """Write job `key`'s output `name` (`size` bytes) from `worker` to `destination`."""
    offsets = iter(range(0, size, PIECE_BYTES))
    pending: deque[Any] = deque()
    with open(destination, "wb") as output:
        for offset in offsets:
            pending.append(worker.read.remote(key, name, offset, PIECE_BYTES))
            if len(pending) >= IN_FLIGHT:
                output.write(ray.get(pending.popleft()))
        while pending:
            output.write(ray.get(pending.popleft()))
