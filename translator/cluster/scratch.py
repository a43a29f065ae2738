"""Working folders that belong to a live process, and the removal of those a killed process left behind.

A worker keeps each file's input and outputs in a folder of its own until the driver has them; with shared
storage the driver gives each attempt a folder beside the outputs. A process killed with SIGKILL, or a node
lost, cleans up nothing, so each folder holds a marker that its owner keeps locked while it lives (a held
temporary of `translator.files`, whose lock the system drops when the process ends, however it ends); the next
batch removes the folders whose marker nobody holds.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path

from translator.files import HeldTemporary, remove_stale_temporaries

_OWNER = "owner"
# A folder this young may be one whose owner is still making its marker: it is left for the next sweep.
_GRACE_SECONDS = 60.0


class OwnedFolder:
    """A new folder `root/PREFIX*` owned by this process until `remove`."""

    def __init__(self, root: Path, prefix: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        self._owner = HeldTemporary(self.path / _OWNER)

    def remove(self) -> None:
        """Delete the folder and everything in it."""
        self._owner.close(remove=True)
        shutil.rmtree(self.path, ignore_errors=True)


def sweep(root: Path, prefix: str) -> None:
    """Remove the folders `root/PREFIX*` that no live process owns."""
    try:
        entries = [entry for entry in root.iterdir() if entry.name.startswith(prefix)]
    except OSError:  # no such folder yet, or not ours to read
        return
    for entry in entries:
        with contextlib.suppress(OSError):  # gone meanwhile, or another user's
            if not entry.is_dir() or entry.is_symlink() or time.time() - entry.stat().st_mtime < _GRACE_SECONDS:
                continue
            remove_stale_temporaries(entry)  # the marker too, when its owner is gone
            if not any(child.name.startswith(f".{_OWNER}.") for child in entry.iterdir()):
                shutil.rmtree(entry, ignore_errors=True)
