"""`ClusterBatch`: a batch spread over Ray workers, with the outputs of a local batch, each exactly once.

The driver finds the inputs as a local batch does (same output names, same skipping), starts the workers
(`planning`, `worker`), and gives each worker a thread here that takes the next file, sends it (or, with shared
storage, names it), waits for the result, fetches the speech track and the dubbed recording, writes the text
outputs and moves the whole set into place (`OutputSet`). Only the driver moves outputs into place, and only
after a worker has finished the file: a worker lost mid-file (its process killed, its node gone) leaves nothing
behind but its scratch files, and the file goes back to the queue for another worker, up to `retries` times.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from translator.audio.files import AudioFile
from translator.cluster.address import ClusterAddress, connect, first_line
from translator.cluster.events import ClusterCallback, ClusterReport, ClusterStarted, FileAssigned, FileRun, WorkerLost
from translator.cluster.jobs import Job, JobQueue
from translator.cluster.planning import NodeResources, WorkerPlan, local_shape, plan_workers
from translator.cluster.scratch import OwnedFolder, sweep
from translator.cluster.transfer import fetch_file, send_file
from translator.cluster.worker import (
    DRIVER_WRITES,
    SPEECH_FORMATS,
    WORKER_PREFIX,
    FileWorker,
    WorkerInfo,
    WorkerModels,
    WorkOutcome,
)
from translator.errors import TranslatorError
from translator.files import ensure_writable_folder, remove_stale_temporaries
from translator.pipeline.batch import BatchReport, BatchSettings
from translator.pipeline.batch_events import FileFailed, FileFinished, FileSkipped, FileStarted
from translator.pipeline.batch_media import DubbedMedia
from translator.pipeline.inputs import InputFile, find_inputs
from translator.pipeline.output_set import OutputSet
from translator.pipeline.outputs import output_paths, write_text_outputs
from translator.pipeline.results import FileResult

STAGING_PREFIX = ".translator-cluster-"
_POLL_SECONDS = 0.25  # how often a waiting thread looks at the cancel flag


@dataclass(frozen=True)
class ClusterSettings:
    """How a batch runs on Ray.

    address: where the workers run.
    shared_storage: every node sees the inputs and the output folders at the same paths, so workers read the
      inputs and write the outputs in place instead of receiving and sending their bytes.
    retries: how many more times a file whose worker was lost is tried, on another worker, before it fails.
    startup_timeout: seconds the workers have to start and load their models.
    restart_timeout: seconds a lost worker has to come back (Ray restarts it) before it is given up.
    """

    address: ClusterAddress = ClusterAddress("local")
    shared_storage: bool = False
    retries: int = 2
    startup_timeout: float = 300.0
    restart_timeout: float = 120.0


class _WorkerLostError(Exception):
    pass


class _Cancelled(Exception):
    pass


@dataclass
class _Slot:
    """A worker and what is known of it; the thread serving it is the only one that calls it."""

    actor: Any
    info: WorkerInfo


class ClusterBatch:
    """Translates files on a Ray cluster: `run(paths)` returns a `ClusterReport`; `cancel()` stops it, writing
    nothing partial. Events (a local batch's, and `ClusterEvent`s) reach `on_event` one at a time."""

    def __init__(
        self,
        models: WorkerModels,
        settings: BatchSettings,
        cluster: ClusterSettings,
        on_event: ClusterCallback = lambda event: None,
    ) -> None:
        self.models = models
        self.settings = settings
        self.cluster = cluster
        self._on_event = on_event
        self._event_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._queue = JobQueue([])
        self._report = ClusterReport(BatchReport())
        self._results: dict[int, FileResult] = {}
        self._failures: dict[int, FileFailed] = {}
        self._lock = threading.Lock()
        self._ray: Any = None
        self._lost_errors: tuple[type[BaseException], ...] = ()

    def cancel(self) -> None:
        """Stop: the files in progress fail as cancelled (nothing of theirs is written), the rest are skipped."""
        self._cancelled.set()
        self._queue.stop()

    def run(self, paths: Sequence[Path]) -> ClusterReport:
        """Translate every file under `paths` on the cluster."""
        started = time.monotonic()
        if self.settings.output_folder is not None:
            ensure_writable_folder(self.settings.output_folder)
        inputs, problems = find_inputs(paths, self.settings.output_folder)
        batch = self._report.batch
        for problem in problems:
            batch.failed.append(problem)
            self._emit(problem)
        if not inputs:  # nothing to translate: no cluster to start
            return self._report
        compute = self.models.config.compute
        local_workers, local_threads = local_shape(self.cluster.address, compute)
        connection = connect(self.cluster.address, local_workers * local_threads)
        self._ray = connection.ray
        exceptions = self._ray.exceptions
        self._lost_errors = (exceptions.RayActorError, exceptions.WorkerCrashedError, exceptions.ObjectLostError)
        slots: list[_Slot] = []
        try:
            plan = plan_workers(_nodes(self._ray), compute, self.cluster.address, max(1, len(inputs)))
            slots = self._start_workers(plan)
            unspoken = any(slot.info.unspoken for slot in slots)
            if unspoken:
                self.settings = replace(self.settings, formats=self.settings.formats - SPEECH_FORMATS)
                if not self.settings.formats:
                    raise TranslatorError(
                        f"no voice speaks {self.settings.target.name}: choose a text or subtitle format too"
                    )
            jobs = self._jobs(inputs)
            self._emit(
                ClusterStarted(
                    tuple(slot.info for slot in slots),
                    len(jobs),
                    sum(job.duration for job in jobs),
                    time.monotonic() - started,
                    unspoken,
                )
            )
            self._report.startup_seconds = time.monotonic() - started
            self._serve_all(slots, jobs, len(inputs))
        finally:
            self._queue.stop()
            _stop_workers(self._ray, [slot.actor for slot in slots])
            connection.close()
        self._report.workers = tuple(slot.info for slot in slots)
        batch.finished = [self._results[index] for index in sorted(self._results)]
        batch.failed += [self._failures[index] for index in sorted(self._failures)]
        self._report.runs.sort(key=lambda run: str(run.path))
        self._report.wall_seconds = time.monotonic() - started
        return self._report

    # Starting.
    def _start_workers(self, plan: WorkerPlan) -> list[_Slot]:
        ray = self._ray
        config = replace(self.models.config, compute=plan.compute)
        models = replace(self.models, config=config)
        remote = ray.remote(FileWorker).options(
            num_cpus=plan.threads, num_gpus=plan.gpus, max_restarts=-1, max_task_retries=0
        )
        names = [f"{WORKER_PREFIX}{number}" for number in range(1, plan.count + 1)]
        actors = [remote.remote(name, models, self.settings) for name in names]
        calls = {actor.ready.remote(): actor for actor in actors}
        try:
            ready, late = ray.wait(list(calls), num_returns=len(calls), timeout=self.cluster.startup_timeout)
        except BaseException:  # Ctrl+C while the models load: the workers go with the batch
            _stop_workers(ray, actors)
            raise
        slots = []
        try:
            for call in ready:
                slots.append(_Slot(calls[call], ray.get(call)))
        except ray.exceptions.RayTaskError as error:
            _stop_workers(ray, actors)
            raise error.cause if isinstance(error.cause, TranslatorError) else error from None
        except self._lost_errors as error:
            _stop_workers(ray, actors)
            raise TranslatorError(f"a worker died while loading its models: {first_line(error)}") from None
        _stop_workers(ray, [calls[call] for call in late])
        if not slots:
            raise TranslatorError(
                f"no worker started within {self.cluster.startup_timeout:g} s: check that the cluster has free CPUs "
                "and that the app and its models are installed at the same paths on every node"
            )
        return slots

    def _jobs(self, inputs: list[InputFile]) -> list[Job]:
        """The files to translate, with their outputs; skipped and unreadable ones are reported here."""
        media = DubbedMedia(self.settings.formats, self.settings.target.code, self.settings.mix)
        batch = self._report.batch
        for folder in dict.fromkeys(item.output_stem.parent for item in inputs):
            batch.stale_removed += remove_stale_temporaries(folder)
            if self.cluster.shared_storage:
                sweep(folder, STAGING_PREFIX)
        jobs = []
        for index, item in enumerate(inputs):
            paths = output_paths(item.output_stem, self.settings.target.code, self.settings.formats)
            paths |= media.paths(item.path, item.output_stem)
            if self.settings.skip_existing and all(path.exists() for path in paths.values()):
                skipped = FileSkipped(item.path, "its outputs already exist")
                batch.skipped.append(skipped)
                self._emit(skipped)
                continue
            try:
                duration = AudioFile(item.path).duration  # a file that cannot be read fails here, as locally
                ensure_writable_folder(item.output_stem.parent)
            except TranslatorError as error:
                self._fail(index, FileFailed(item.path, str(error)))
                continue
            jobs.append(Job(index, item, paths, duration))
        return jobs

    # Serving.
    def _serve_all(self, slots: list[_Slot], jobs: list[Job], total: int) -> None:
        self._queue = JobQueue(jobs)
        if self._cancelled.is_set():
            self._queue.stop()
        threads = [
            threading.Thread(target=self._serve, args=(slot, total), name=slot.info.name, daemon=True) for slot in slots
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():  # in slices, so that Ctrl+C reaches this thread
                    thread.join(_POLL_SECONDS)
        except BaseException:
            self.cancel()
            raise
        for job in self._queue.left():
            if self._cancelled.is_set():
                skipped = FileSkipped(job.item.path, "cancelled")
                self._report.batch.skipped.append(skipped)
                self._emit(skipped)
            else:
                self._fail(job.index, FileFailed(job.item.path, f"{job.item.path}: no worker was left to translate it"))

    def _serve(self, slot: _Slot, total: int) -> None:
        while (job := self._queue.take()) is not None:
            job.attempts += 1
            try:
                self._translate(slot, job, total)
            except _Cancelled:
                self._fail(job.index, FileFailed(job.item.path, f"{job.item.path}: cancelled"))
            except _WorkerLostError as lost:
                retried = job.attempts <= self.cluster.retries and not self._cancelled.is_set()
                with self._lock:
                    self._report.workers_lost += 1
                self._emit(WorkerLost(slot.info, job.item.path, retried, str(lost)))
                if retried:
                    self._queue.retry(job)
                    if not self._revive(slot):
                        return
                    continue
                message = f"{job.item.path}: its worker was lost {job.attempts} times ({lost}); it was not translated"
                self._fail(job.index, FileFailed(job.item.path, message))
                if not self._revive(slot):
                    self._queue.done()
                    return
            self._queue.done()

    def _translate(self, slot: _Slot, job: Job, total: int) -> None:
        ray, item = self._ray, job.item
        key = f"{job.index}-{job.attempts}"
        filename = item.output_stem.name + item.path.suffix
        if job.attempts == 1:
            self._emit(FileStarted(item.path, job.index, total, job.duration))
        self._emit(FileAssigned(item.path, slot.info, job.attempts))
        started = time.monotonic()
        staging = OwnedFolder(item.output_stem.parent, STAGING_PREFIX) if self.cluster.shared_storage else None
        try:
            if staging is not None:
                source = str(item.path.resolve())
                call = slot.actor.translate.remote(key, filename, str(item.path), source, str(staging.path))
                transfer = 0.0
            else:
                send_file(ray, slot.actor, key, item.path, filename)
                transfer = time.monotonic() - started
                call = slot.actor.translate.remote(key, filename, str(item.path))
            outcome: WorkOutcome = self._wait(call)
            if outcome.result is None:
                self._fail(job.index, FileFailed(item.path, outcome.failure or f"{item.path}: failed"))
                return
            committing = time.monotonic()
            result = self._commit(slot, key, job, outcome, staging)
            transfer += time.monotonic() - committing
        except self._lost_errors as error:
            raise _WorkerLostError(first_line(error)) from None
        except ray.exceptions.RayTaskError as error:  # a bug in the worker: this file fails, the batch goes on
            self._fail(job.index, FileFailed(item.path, f"{item.path}: internal error on {slot.info.label} ({error})"))
            return
        except (TranslatorError, OSError) as error:  # moving outputs into place: a full disk, a busy output set
            self._fail(job.index, FileFailed(item.path, _output_failure(item.path, error)))
            return
        finally:
            if staging is not None:
                staging.remove()
            else:
                slot.actor.discard.remote(key)  # nobody waits on it: a dead worker's files are swept later
        seconds = time.monotonic() - started
        run = FileRun(item.path, slot.info.label, job.attempts, seconds, transfer, result.times.wall)
        with self._lock:
            self._results[job.index] = result
            self._report.runs.append(run)
        self._emit(FileFinished(result))

    def _wait(self, call: Any) -> Any:
        while not self._ray.wait([call], timeout=_POLL_SECONDS)[0]:
            if self._cancelled.is_set():
                raise _Cancelled
        return self._ray.get(call)

    def _commit(self, slot: _Slot, key: str, job: Job, outcome: WorkOutcome, staging: OwnedFolder | None) -> FileResult:
        """Fetch the worker's media, write the text outputs, and move the set into place together."""
        assert outcome.result is not None
        result = replace(
            outcome.result, source=job.item.path, outputs=tuple(job.paths.values()), worker=slot.info.label
        )
        with OutputSet(job.paths, job.item.output_stem) as outputs:
            for name, final in job.paths.items():
                if final.suffix in DRIVER_WRITES:
                    continue
                size = outcome.media.get(final.name)
                if size is None:
                    raise TranslatorError(f"{job.item.path}: {slot.info.label} made no {final.name}; please report it")
                if staging is not None:
                    os.replace(staging.path / final.name, outputs.temporary(name))
                else:
                    fetch_file(self._ray, slot.actor, key, final.name, size, outputs.temporary(name))
            write_text_outputs(result, outputs)
            outputs.commit()
        return result

    def _revive(self, slot: _Slot) -> bool:
        """Wait for Ray to restart a lost worker (its models load again); False when it does not come back."""
        try:
            slot.info = self._ray.get(slot.actor.ready.remote(), timeout=self.cluster.restart_timeout)
            return not self._cancelled.is_set()
        except Exception:  # any way of not coming back retires the worker; its files go to the others
            _stop_workers(self._ray, [slot.actor])
            return False

    def _fail(self, index: int, failed: FileFailed) -> None:
        with self._lock:
            self._failures[index] = failed
        self._emit(failed)

    def _emit(self, event: Any) -> None:
        with self._event_lock:
            self._on_event(event)


def _nodes(ray: Any) -> list[NodeResources]:
    return [
        NodeResources(node["NodeManagerAddress"], node["Resources"].get("CPU", 0.0), node["Resources"].get("GPU", 0.0))
        for node in ray.nodes()
        if node["Alive"]
    ]


def _stop_workers(ray: Any, actors: Sequence[Any]) -> None:
    """Let the workers delete their files, then end them (a worker that does not answer is ended all the same)."""
    if not actors:
        return
    closing = [actor.close.remote() for actor in actors]
    ray.wait(closing, num_returns=len(closing), timeout=10.0)
    for actor in actors:
        ray.kill(actor, no_restart=True)


def _output_failure(path: Path, error: TranslatorError | OSError) -> str:
    if isinstance(error, TranslatorError):
        return str(error)
    reason = error.strerror or error
    return f"{path}: cannot write its outputs ({reason}); free some space or choose another output folder"
