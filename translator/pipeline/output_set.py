"""A file's outputs, moved into place together or not at all.

Each output is written under a temporary name beside its final one (`temporary(key)`), while a lock keeps any
other run off the same names. `commit()` moves them all into place, the marker last (the JSON when there is
one): it first removes a previous run's marker, so whatever a crash interrupts, the marker's presence means
the whole set is there, and `--skip-existing`, which wants every output, never takes a half-moved set for
done. `discard()` (or leaving the `with` block on an error, Ctrl+C included) removes the temporaries and
leaves the previous outputs, if any, as they were. A Ctrl+C or stop signal during the moves waits for their end
(`translator.files.interrupts_deferred`); a crash during them leaves a set without its marker.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from translator.files import HeldTemporary, OutputLock, interrupts_deferred

MARKER = "json"  # the output moved last, when the set has one


class OutputSet:
    """The outputs of one file, `paths` (key -> final path), all named after `stem` (which the lock covers).

    Used as a context manager: entering takes the lock (OutputsBusyError when another run is writing outputs
    of the same stem), leaving removes whatever was not committed and lets go. Writers write to
    `temporary(key)`, the speech track while it is made and an output muxed at the end alike; `scratch(name)`
    is a temporary that is never moved into place.
    """

    def __init__(self, paths: Mapping[str, Path], stem: Path) -> None:
        self.paths = dict(paths)
        self.stem = stem
        self._lock: OutputLock | None = None
        self._temporaries: dict[str, HeldTemporary] = {}
        self._scratch: dict[str, HeldTemporary] = {}
        self._closed = False

    def __enter__(self) -> OutputSet:
        try:
            with interrupts_deferred():  # an interrupt comes once the lock is kept here, to be let go
                self._lock = OutputLock(self.stem)
        except BaseException:
            self._close(remove=True)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.discard()

    def temporary(self, key: str) -> Path:
        """Where output `key` is written until `commit` moves it to `paths[key]` (made on first call, empty)."""
        if self._lock is None or self._closed:
            raise RuntimeError("an OutputSet is written inside its `with` block")
        if key not in self._temporaries:
            with interrupts_deferred():  # kept before an interrupt can leave it unowned, never removed
                self._temporaries[key] = HeldTemporary(self.paths[key])
        return self._temporaries[key].path

    def scratch(self, name: str) -> Path:
        """A temporary beside the outputs for intermediate work (named after `name`); removed, never committed."""
        if self._lock is None or self._closed:
            raise RuntimeError("an OutputSet is written inside its `with` block")
        if name not in self._scratch:
            folder = next(iter(self.paths.values())).parent
            with interrupts_deferred():
                self._scratch[name] = HeldTemporary(folder / name)
        return self._scratch[name].path

    def commit(self) -> None:
        """Move every output into place, the marker last. A move that fails undoes the ones before it (the previous
        marker is gone by then, so the set reads as unfinished) and raises; Ctrl+C or a stop signal waits until
        the moves are done."""
        unwritten = sorted(set(self.paths) - set(self._temporaries))
        if unwritten:
            raise RuntimeError(f"outputs never written: {', '.join(unwritten)}")
        marker = self._marker()
        keys = sorted(self._temporaries, key=lambda key: key == marker)  # the marker last; stable
        with interrupts_deferred():
            try:
                for key in keys:
                    self._temporaries[key].finish()
                    if self.paths[key].is_dir():  # os.replace would fail half-way: fail before anything moves
                        raise IsADirectoryError(errno.EISDIR, f"{self.paths[key].name} is a folder")
                self._move_into_place(keys, marker)
            finally:
                self._close(remove=True)
        _sync_folder(self.paths[marker].parent)

    def _move_into_place(self, keys: list[str], marker: str) -> None:
        self.paths[marker].unlink(missing_ok=True)  # a previous run's: from here on the set reads as unfinished
        placed: list[Path] = []
        try:
            for key in keys:
                self._temporaries[key].move_into_place()
                placed.append(self.paths[key])
        except OSError:
            for final in placed:
                final.unlink(missing_ok=True)
            raise

    def discard(self) -> None:
        """Remove every temporary; the final names are left as they were. Safe to call twice."""
        self._close(remove=True)

    def _marker(self) -> str:
        return MARKER if MARKER in self.paths else list(self.paths)[-1]

    def _close(self, remove: bool) -> None:
        if self._closed:
            return
        self._closed = True
        with interrupts_deferred():  # not cut short: a temporary left unremoved would wait for the next run
            for temporary in [*self._temporaries.values(), *self._scratch.values()]:
                temporary.close(remove)  # a moved temporary is no longer there to remove
            if self._lock is not None:
                self._lock.release()


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (POSIX; Windows cannot open a folder)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
