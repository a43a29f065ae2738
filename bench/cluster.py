"""`python -m bench.cluster`: the batch on Ray workers against a local batch, on an archive of several files.

The archive is the benchmark's typical utterance (`bench.measure.utterance_audio`) repeated into `--files` files
of `--minutes` of speech in all; the models are the benchmark's real-size ones for a profile (`bench.models`,
random weights, cached). Every run goes through the app's own loading and batch code:

- local: one process, `BatchTranslator`, with 1 CPU thread per model and with 2 (what one would run here);
- local:1 and local:2: a Ray instance started here with 1 and 2 workers of 1 CPU thread each;
- two nodes: a Ray head and a second node (`ray start`, each its own port, temporary folder and 1 CPU), the
  driver connecting with `auto`, one worker per node.

It reports wall time (start-up included), start-up (connecting and loading the models), the archive's own time,
the speed-up from 1 to 2 workers, and the cluster's overhead: what local:1 costs over the local batch with the
same threads, and the share of the workers' busy time that went to transfers and calls rather than the pipeline.
It writes docs/cluster.md (or `--out`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import platformdirs

from bench.cluster_report import ClusterBench, RunFigures, render
from bench.measure import GERMAN, utterance_audio
from bench.models import build_profile_models
from bench.pipelines import talk
from translator.audio.files import SAMPLE_RATE
from translator.cluster.address import ClusterAddress
from translator.cluster.driver import ClusterBatch, ClusterSettings
from translator.cluster.worker import WorkerModels
from translator.compute import ComputeSettings
from translator.config import AppConfig, ModelPaths
from translator.files import write_text_atomic
from translator.models.loading import ModelCache
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline

Progress = Callable[[str], None]
BEAM_SIZE = 1  # the benchmark's models have pinned output lengths; greedy keeps every run's decoding alike


def make_archive(folder: Path, minutes: float, files: int) -> float:
    """`files` recordings of the typical utterance with a second between, `minutes` of speech in all; their
    total length in seconds."""
    audio = utterance_audio(folder / "voice")
    per_file = max(1, round(minutes * 60 / files / (len(audio) / SAMPLE_RATE + 1.0)))
    archive = folder / "archive"
    archive.mkdir()
    total = 0.0
    for number in range(files):
        path = talk(archive / f"episode{number + 1:02d}.wav", audio, per_file, gap_seconds=1.0)
        total += path.stat().st_size / 2 / SAMPLE_RATE
    return total


def run_local(models: WorkerModels, settings: BatchSettings, archive: Path, threads: int) -> RunFigures:
    """The archive in this process, as `translator batch` runs it."""
    started = time.monotonic()
    config = AppConfig(models.config.models, ComputeSettings("cpu", "int8", threads))
    loaded = ModelCache().load(config, [settings.target], True, BEAM_SIZE, models.no_voice_hint)
    loaded_at = time.monotonic()
    pipeline = Pipeline(loaded.recognizer, loaded.translator, loaded.voices[settings.target])
    report = BatchTranslator(pipeline, settings).run([archive])
    if report.failed:
        raise RuntimeError(report.failed[0].message)
    return RunFigures(
        f"local, {threads} thread{'s' if threads > 1 else ''}",
        1,
        threads,
        time.monotonic() - started,
        loaded_at - started,
    )


def run_cluster(name: str, models: WorkerModels, settings: BatchSettings, archive: Path, address: str) -> RunFigures:
    """The archive on Ray workers of 1 CPU thread each."""
    report = ClusterBatch(models, settings, ClusterSettings(ClusterAddress.parse(address))).run([archive])
    if report.batch.failed:
        raise RuntimeError(report.batch.failed[0].message)
    return RunFigures(name, len(report.workers), 1, report.wall_seconds, report.startup_seconds, report.overhead_share)


@contextlib.contextmanager
def two_nodes(folder: Path) -> Iterator[str]:
    """A Ray head and a second node on this machine, 1 CPU each, each with its own port and temporary folder
    (short ones: Ray's socket paths must fit in 107 bytes); yields the head's address. Their logs go to `folder`."""
    port = _free_port()
    ray = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--num-cpus", "1", "--disable-usage-stats"]
    temporaries = [Path(tempfile.mkdtemp(prefix="rayn-")) for _ in range(2)]
    commands = [
        [*ray, "--head", "--port", str(port), "--temp-dir", str(temporaries[0]), "--include-dashboard", "false"],
        [*ray, "--address", f"127.0.0.1:{port}", "--temp-dir", str(temporaries[1])],
    ]
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        for number, command in enumerate(commands):
            with open(folder / f"ray-node{number}.log", "wb") as log:
                nodes.append(subprocess.Popen(command, start_new_session=True, stdout=log, stderr=subprocess.STDOUT))
            if number == 0:
                _wait_for_port(port, folder / "ray-node0.log")
        yield f"127.0.0.1:{port}"
    finally:
        for node in reversed(nodes):  # each node's processes share its session: end them together
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGTERM)
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
        for temporary in temporaries:
            shutil.rmtree(temporary, ignore_errors=True)


def _wait_for_node_count(ray_address: str, count: int, timeout: float = 120.0) -> None:
    code = f"import ray; ray.init(address='{ray_address}'); print(sum(n['Alive'] for n in ray.nodes()))"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        if answer.stdout.strip().isdigit() and int(answer.stdout.strip()) >= count:
            return
        time.sleep(1.0)
    raise RuntimeError(f"the second Ray node did not join {ray_address}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return
        time.sleep(0.25)
    last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise RuntimeError(f"the Ray head did not start on port {port}: {' '.join(last) or 'no output'}")


def run_cluster_bench(
    cache: Path, profile: str, size: str, minutes: float, files: int, progress: Progress
) -> ClusterBench:
    """Every configuration on the same archive, in turn."""
    progress(f"{profile}: building or loading the models in {cache}")
    chain = build_profile_models(cache, profile, size)
    models = WorkerModels(
        AppConfig(ModelPaths(chain.whisper, chain.translation, chain.voice), ComputeSettings("cpu", "int8", 1)),
        beam_size=BEAM_SIZE,
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="translator-bench-cluster-") as scratch:
        folder = Path(scratch)
        audio_seconds = make_archive(folder, minutes, files)
        archive = folder / "archive"

        def settings(name: str) -> BatchSettings:
            return BatchSettings(target=GERMAN, source=None, output_folder=folder / "out" / name)

        for threads in (1, 2):
            progress(f"local batch, {threads} CPU thread(s) per model")
            runs.append(run_local(models, settings(f"local{threads}"), archive, threads))
        for workers in (1, 2):
            progress(f"Ray on this machine, {workers} worker(s) of 1 CPU thread")
            runs.append(
                run_cluster(f"Ray local:{workers}", models, settings(f"ray{workers}"), archive, f"local:{workers}")
            )
        progress("two Ray nodes on this machine (ray start), 1 CPU each")
        with two_nodes(folder) as head:
            _wait_for_node_count(head, 2)
            previous = os.environ.get("RAY_ADDRESS")
            os.environ["RAY_ADDRESS"] = head
            try:
                runs.append(run_cluster("Ray, two nodes", models, settings("nodes"), archive, "auto"))
            finally:
                if previous is None:
                    del os.environ["RAY_ADDRESS"]
                else:
                    os.environ["RAY_ADDRESS"] = previous
        shutil.rmtree(folder / "out", ignore_errors=True)
    return ClusterBench(profile, chain, files, audio_seconds, runs)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write its report."""
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(platformdirs.user_cache_dir("translator")) / "bench")
    parser.add_argument("--profile", choices=("fast", "balanced"), default="fast")
    parser.add_argument("--size", choices=("real", "tiny"), default="real", help="tiny: the demo-sized models")
    parser.add_argument("--minutes", type=float, default=10.0, help="speech in the archive (default: 10)")
    parser.add_argument("--files", type=int, default=6, help="files in the archive (default: 6)")
    parser.add_argument("--out", type=Path, default=Path("docs") / "cluster.md", help="the report")
    arguments = parser.parse_args(argv)
    # A token of this run's own for every Ray instance it starts: nothing is written to ~/.ray.
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    started = time.monotonic()

    def progress(line: str) -> None:
        elapsed = int(time.monotonic() - started)
        print(f"bench.cluster [{elapsed // 60}:{elapsed % 60:02d}] {line}", file=sys.stderr, flush=True)

    bench = run_cluster_bench(
        arguments.cache, arguments.profile, arguments.size, arguments.minutes, arguments.files, progress
    )
    command = " ".join(["python -m bench.cluster", *(sys.argv[1:] if argv is None else argv)])
    report = render(bench, command, date.today().isoformat())
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(arguments.out, report)
    print(report)
    progress(f"report written to {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
