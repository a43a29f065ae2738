"""A worker of a cluster batch: a Ray actor that loads the three models once and translates whole files.

Each file goes through the local batch pipeline (`BatchTranslator`, the same stages and streaming as on one
computer) into a scratch folder of the worker's own: the input arrives in pieces (`begin`, `receive`), or with
shared storage is read where it lies and the outputs go to the folder the driver names. The driver then takes
what it cannot make from the result itself (the speech track, the dubbed recording) with `read`, writes the
text outputs, and moves everything into place. The class knows nothing of Ray: the driver makes it an actor.
"""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from translator.cluster.scratch import OwnedFolder, sweep
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.outputs import TEXT_FORMATS
from translator.pipeline.results import FileResult

SPEECH_FORMATS = frozenset({"wav", "video"})
WORKER_PREFIX = "worker-"
# The driver writes these from the result: the worker's copies never travel.
DRIVER_WRITES = {f".{fmt}" for fmt in (*TEXT_FORMATS, "json")}


def scratch_root() -> Path:
    """Where workers keep their files on a node."""
    return Path(tempfile.gettempdir()) / "translator-cluster"


@dataclass(frozen=True)
class WorkerModels:
    """What every worker loads: the models of `config` (paths as every node sees them) with its compute settings,
    the catalog's voice per target language (`voices`), the recognition beam size, whether a target no voice
    speaks is served as text only, and the caller's words for going on without speech (`no_voice_hint`)."""

    config: AppConfig
    voices: Mapping[Language, Path] = field(default_factory=dict)
    beam_size: int = 5
    text_only_without_voice: bool = False
    no_voice_hint: str = "leave wav and video out of the formats"


@dataclass(frozen=True)
class WorkerInfo:
    """A started worker: its name in the batch, where it runs, and whether it makes no speech (no voice speaks
    the target, which then gets text and subtitles only)."""

    name: str
    host: str
    pid: int
    unspoken: bool = False

    @property
    def label(self) -> str:
        """How reports name it: "worker-2 (host, pid 1234)"."""
        return f"{self.name} ({self.host}, pid {self.pid})"


@dataclass(frozen=True)
class WorkOutcome:
    """One file translated on a worker: its result, or None with the failure's one line; `media` names the
    outputs the driver fetches (by file name, with their size in bytes)."""

    result: FileResult | None
    failure: str | None = None
    media: dict[str, int] = field(default_factory=dict)


class FileWorker:
    """Loads the models for `settings` once; then translates one file per `translate` call.

    A failure to load is kept and raised by `ready`, so the driver gets the one-line error itself rather than a
    dead actor. When no voice speaks the target (and text only is allowed), the speech outputs are left out.
    """

    def __init__(self, name: str, models: WorkerModels, settings: BatchSettings) -> None:
        sweep(scratch_root(), WORKER_PREFIX)  # what killed workers left on this node
        self._folder = OwnedFolder(scratch_root(), f"{name}-")  # the driver names its workers WORKER_PREFIX + N
        self._receiving: dict[str, BinaryIO] = {}
        self._error: TranslatorError | None = None
        unspoken = False
        try:
            speech = bool(SPEECH_FORMATS & settings.formats)
            loaded = ModelCache().load(
                models.config,
                [settings.target],
                speech,
                models.beam_size,
                models.no_voice_hint,
                models.voices,
                models.text_only_without_voice,
            )
            unspoken = bool(loaded.unspoken)
            if unspoken:
                settings = replace(settings, formats=settings.formats - SPEECH_FORMATS)
            self._pipeline = Pipeline(loaded.recognizer, loaded.translator, loaded.voices.get(settings.target))
            BatchTranslator(self._pipeline, settings)  # checks the pair and the voice now, not on the first file
        except TranslatorError as error:
            self._error = error
        self._settings = replace(settings, skip_existing=False)
        self.info = WorkerInfo(name, socket.gethostname(), os.getpid(), unspoken)

    def ready(self) -> WorkerInfo:
        """Who this worker is, once its models are loaded; raises the loading's error if they are not."""
        if self._error is not None:
            raise _portable(self._error)
        return self.info

    def begin(self, key: str, filename: str) -> None:
        """Start receiving the input of job `key`, to be called `filename`."""
        staged = self._job_folder(key) / "in" / filename
        staged.parent.mkdir(parents=True)
        self._receiving[key] = open(staged, "wb")  # noqa: SIM115 - closed when translate() starts

    def receive(self, key: str, piece: bytes) -> None:
        """The next piece of job `key`'s input."""
        self._receiving[key].write(piece)

    def translate(
        self, key: str, filename: str, shown_as: str, source: str | None = None, staging: str | None = None
    ) -> WorkOutcome:
        """Translate job `key`'s input: the one received as `filename`, or with shared storage the file at
        `source`, read in place (under the name `filename`, which the outputs are named after), its outputs
        written to `staging`. Messages name the input as the user gave it (`shown_as`)."""
        staged = self._job_folder(key) / "in" / filename
        if source is None:
            self._receiving.pop(key).close()
        else:
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.symlink_to(source)
        outputs = Path(staging) if staging is not None else self._job_folder(key) / "out"
        settings = replace(self._settings, output_folder=outputs)
        report = BatchTranslator(self._pipeline, settings).run([staged])
        if report.failed:
            return WorkOutcome(None, report.failed[0].message.replace(str(staged), shown_as))
        result = report.finished[0]
        warnings = tuple(warning.replace(str(staged), shown_as) for warning in result.warnings)
        media = {path.name: path.stat().st_size for path in result.outputs if path.suffix not in DRIVER_WRITES}
        return WorkOutcome(replace(result, warnings=warnings), media=media)

    def read(self, key: str, name: str, offset: int, size: int) -> bytes:
        """`size` bytes from `offset` of job `key`'s output `name`."""
        with open(self._job_folder(key) / "out" / name, "rb") as output:
            output.seek(offset)
            return output.read(size)

    def discard(self, key: str) -> None:
        """Forget job `key` and delete its files."""
        receiving = self._receiving.pop(key, None)
        if receiving is not None:
            receiving.close()
        shutil.rmtree(self._job_folder(key), ignore_errors=True)

    def close(self) -> None:
        """Delete every file of this worker (the batch is over)."""
        for key in list(self._receiving):
            self.discard(key)
        self._folder.remove()

    def _job_folder(self, key: str) -> Path:
        return self._folder.path / key


def _portable(error: TranslatorError) -> TranslatorError:
    """`error` if it survives the trip to the driver (Ray pickles it), else a plain TranslatorError with its words."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # an error whose constructor takes other arguments than its message
        copy = None
    if type(copy) is type(error) and str(copy) == str(error):
        return error
    return TranslatorError(str(error), remedy=error.remedy)
