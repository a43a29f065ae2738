"""Safe file writing: every output appears under its final name complete, or not at all.

A file is written under a temporary name beside its final one (`.NAME.XXXXXXXX.part`) and renamed into place
once complete. While it is written this process holds a lock on the temporary (POSIX `flock`, which the system
drops when the process ends, however it ends), so a later run tells the temporaries a killed run left behind
from those a running one is writing, and removes only the former (`remove_stale_temporaries`). `OutputLock`
keeps two runs from writing the same outputs at once, with the same kind of lock.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import lock_descriptor

from translator.errors import TranslatorError

# tempfile.mkstemp's names: our prefix, eight characters from its alphabet, our suffix.
_TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.part")
_LOCK_SUFFIX = ".outputs.lock"
# Windows' file locks are mandatory: a lock on a temporary would refuse its own writer. There no lock shows an
# owner, and a temporary is taken as stale once nothing has written to it for a day.
_HOLD_TEMPORARIES = sys.platform != "win32"
_UNOWNED_STALE_AFTER = 24 * 3600.0

_held: dict[Path, HeldTemporary] = {}
_held_guard = threading.Lock()
_critical = threading.local()  # per thread: how deep in `interrupts_deferred` blocks, and the interrupt held back


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl+C or a stop signal until the block ends, for a stretch that must not be cut in two (moving a
    set of outputs into place). It works with a signal handler that offers its interrupt to `defer_interrupt`
    (the command line's do); the interrupt is raised when the outermost block ends."""
    _critical.depth = getattr(_critical, "depth", 0) + 1
    try:
        yield
    finally:
        _critical.depth -= 1
        pending: BaseException | None = getattr(_critical, "pending", None)
        if _critical.depth == 0 and pending is not None:
            _critical.pending = None
            raise pending


def defer_interrupt(interrupt: KeyboardInterrupt) -> bool:
    """For a signal handler: keep `interrupt` for the end of the `interrupts_deferred` block this thread is in
    (True), or say there is none, so the handler raises it now (False)."""
    if getattr(_critical, "depth", 0) == 0:
        return False
    if getattr(_critical, "pending", None) is None:
        _critical.pending = interrupt
    return True


class HeldTemporary:
    """An empty file `.NAME.XXXXXXXX.part` beside `final`, locked by this process until `close`."""

    def __init__(self, final: Path) -> None:
        self.final = final
        # Made, locked and noted at once; callers keep it within a block of their own, so that an interrupt comes
        # only once they hold it, to remove.
        with interrupts_deferred():
            handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
            self.path = Path(name)
            self._handle: int | None = handle
            if _HOLD_TEMPORARIES:
                lock_descriptor(handle, blocking=False)  # a file just made: nobody else holds it
            else:
                os.close(handle)
                self._handle = None
            with _held_guard:
                _held[self.path] = self

    def finish(self) -> None:
        """Flush the written file to the disk and make it readable like any output (mkstemp makes it private)."""
        with open(self.path, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(self.path, 0o644)

    def move_into_place(self) -> None:
        os.replace(self.path, self.final)

    def close(self, remove: bool) -> None:
        """Let go of the temporary; `remove` deletes it first (while still locked, so no cleaner races us)."""
        with _held_guard:
            _held.pop(self.path, None)
        if remove:
            self.path.unlink(missing_ok=True)
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def is_held_temporary(path: Path) -> bool:
    """Whether `path` is a temporary this process holds (one of an `OutputSet`'s, say)."""
    with _held_guard:
        return path in _held


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed.

    A `path` that is itself a temporary this process holds is written in place: its holder moves it into place,
    together with the other outputs of its set."""
    if is_held_temporary(path):
        yield path
        return
    temporary: HeldTemporary | None = None
    try:
        with interrupts_deferred():  # an interrupt comes once it is kept here, to be removed
            temporary = HeldTemporary(path)
        yield temporary.path
        temporary.finish()
        temporary.move_into_place()
    except BaseException:
        if temporary is not None:
            temporary.close(remove=True)
        raise
    temporary.close(remove=False)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def ensure_writable_folder(folder: Path) -> None:
    """Create `folder` if needed and prove a file can be written in it."""
    if folder.exists() and not folder.is_dir():
        raise TranslatorError(f"cannot write to {folder}: it is a file, not a folder; choose a folder for the outputs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise TranslatorError(
            f"cannot write to {folder}: {error.strerror or error}; choose another output folder"
        ) from error


def check_output_folder(folder: Path, written: Path | None = None) -> None:
    """Check, before any work and without creating anything, that outputs can be written in `folder` (`written`,
    when a single file is to be): an existing folder that takes new files, or one that can be made (its nearest
    existing parent is a writable folder). Raises TranslatorError saying what to change."""
    target = written or folder
    if folder.is_dir():
        ensure_writable_folder(folder)
        return
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        reason = "it is a file, not a folder" if existing == target else f"{existing} is a file, not a folder"
        raise TranslatorError(f"cannot write to {target}: {reason}; choose a folder for the outputs")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise TranslatorError(f"cannot write to {target}: {existing} is not writable; choose another output folder")


def check_output_file(path: Path) -> None:
    """Check, before any work, that `path` can be written as a file: not a folder or a device, in a folder that
    takes new files (or can be made). Raises TranslatorError saying what to change."""
    if path.is_dir():
        raise TranslatorError(f"cannot write to {path}: it is a folder; name a file, such as {path / 'speech.wav'}")
    if path.exists() and not path.is_file():
        raise TranslatorError(f"cannot write to {path}: it is not a regular file; name a new file")
    check_output_folder(path.parent, written=path)


@dataclass(frozen=True)
class Removed:
    """How many stale files a clean-up removed, and how many bytes they held."""

    count: int = 0
    size: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(self.count + other.count, self.size + other.size)

    def describe(self) -> str:
        """One line: "removed 2 temporary files left by interrupted runs (310.4 MB freed)"."""
        files = "file" if self.count == 1 else "files"
        return f"removed {self.count} temporary {files} left by interrupted runs ({_in_units(self.size)} freed)"


def _in_units(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    scaled = size / 1000
    for unit in ("kB", "MB"):
        if scaled < 1000:
            return f"{scaled:.1f} {unit}"
        scaled /= 1000
    return f"{scaled:.1f} GB"


def remove_stale_temporaries(folder: Path) -> Removed:
    """Remove the temporaries (`.NAME.XXXXXXXX.part`) and output locks (`.STEM.outputs.lock`) that interrupted
    runs left in `folder`: ours only, by their exact names, and only those no live process holds."""
    removed = Removed()
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or not ours to read: nothing of ours to clean
        return removed
    for entry in entries:
        ours = _TEMPORARY_NAME.fullmatch(entry.name) or (
            entry.name.startswith(".") and entry.name.endswith(_LOCK_SUFFIX)
        )
        try:
            if not ours or not entry.is_file(follow_symlinks=False):
                continue
            size = _remove_if_unheld(Path(entry.path))
        except OSError:  # another user's, or gone meanwhile: leave it
            continue
        if size is not None:
            removed += Removed(1, size)
    return removed


def _remove_if_unheld(path: Path) -> int | None:
    """Remove `path` if no process holds its lock; its size, or None when it is in use."""
    if not _HOLD_TEMPORARIES:
        status = path.stat()
        if time.time() - status.st_mtime < _UNOWNED_STALE_AFTER:
            return None
        path.unlink()
        return status.st_size
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not lock_descriptor(handle, blocking=False):
            return None
        status = os.fstat(handle)
        if not os.path.samestat(status, path.stat()):  # renamed away and the name reused meanwhile
            return None
        path.unlink()
        return status.st_size
    finally:
        os.close(handle)


class OutputsBusyError(TranslatorError):
    """Another run is writing the same outputs."""


class OutputLock:
    """Keeps two runs (or two sessions of one) from writing the outputs named after `stem` at the same time.

    The lock file `.STEM.outputs.lock` beside the outputs holds the writer's pid for the message the second
    run gets; it is removed on `release`, and the system drops the lock itself when the process ends, however
    it ends. Raises OutputsBusyError when another holds it.
    """

    def __init__(self, stem: Path) -> None:
        self.stem = stem
        self.path = stem.with_name(f".{stem.name}{_LOCK_SUFFIX}")
        self._handle: int | None = self._acquire()

    def _acquire(self) -> int:
        while True:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                locked = lock_descriptor(handle, blocking=False)
                holder = None if locked else _read_pid(handle)
                # The last holder removes the file on release: if it did between our open and our lock, the
                # file we locked is gone, and we try again on the one now in place.
                if locked and _names(self.path, handle):
                    os.ftruncate(handle, 0)
                    os.write(handle, f"{os.getpid()}\n".encode())
                    return handle
            except BaseException:
                os.close(handle)
                raise
            os.close(handle)
            if not locked:
                who = "another translator run" if holder is None else f"another translator run (pid {holder})"
                raise OutputsBusyError(
                    f"{who} is writing {self.stem}.*; wait for it to finish or choose another output folder"
                )

    def release(self) -> None:
        """Remove the lock file and let go of the lock; safe to call twice."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):  # removed while still locked, so no other run locks a vanishing file
            self.path.unlink()
        os.close(self._handle)
        self._handle = None


def _names(path: Path, handle: int) -> bool:
    try:
        return os.path.samestat(os.fstat(handle), path.stat())
    except FileNotFoundError:
        return False


def _read_pid(handle: int) -> int | None:
    try:
        text = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):  # Windows has no pread, and refuses to read a locked byte
        return None
    return int(text) if text.isdigit() else None
