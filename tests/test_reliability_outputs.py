"""Outputs that never lie: all of a file's outputs or none, no stray temporaries, one writer per output name.

Failures are real ones: a process killed with SIGKILL, a file-size limit (what a full disk does to a write), an
output name taken by a folder, a lock held by another process.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from translator.cli import main
from translator.errors import TranslatorError
from translator.files import HeldTemporary, OutputLock, remove_stale_temporaries
from translator.languages import find_language
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.output_set import OutputSet
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN = find_language("de")
SUFFIXES = ("transcript.txt", "transcript.srt", "transcript.vtt", "de.txt", "de.srt", "de.vtt", "de.json", "de.wav")
LEFTOVER = re.compile(r"\..*\.(part|lock)")  # a temporary or a lock file


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _batch_command(demo_folder: Path, out: Path, *inputs: Path) -> list[str]:
    return [sys.executable, "-m", "translator.cli", "batch", *map(str, inputs), "--to", "de",
            "--config", str(demo_folder / "demo.toml"), "--out", str(out), "--quiet"]  # fmt: skip


def _copies(jfk_path: Path, folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir()
    paths = [folder / f"{name}.flac" for name in names]
    for path in paths:
        path.write_bytes(jfk_path.read_bytes())
    return paths


def _outputs_of(out: Path, stem: str) -> set[str]:
    return {path.name for path in out.glob(f"{stem}.*")}


def _leftovers(out: Path) -> list[str]:
    return [path.name for path in out.iterdir() if LEFTOVER.fullmatch(path.name)]


def test_a_killed_run_resumes_and_its_temporaries_are_removed_but_no_live_ones(
    demo_folder: Path, jfk_path: Path, tmp_path: Path
) -> None:
    first, second, busy = _copies(jfk_path, tmp_path / "in", ["first", "second", "busy"])
    out = tmp_path / "out"
    killed = subprocess.Popen(_batch_command(demo_folder, out, first, second), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(path.name.startswith(".second.") for path in out.glob(".*.part")) and killed.poll() is None:
        assert time.monotonic() < deadline, "the batch never started its second file"
        time.sleep(0.02)
    killed.kill()
    killed.wait()
    assert _outputs_of(out, "first") == {f"first.{suffix}" for suffix in SUFFIXES}
    assert _outputs_of(out, "second") == set(), "a killed file has nothing under a final name"
    stale = _leftovers(out)
    assert any(name.endswith(".part") for name in stale)
    # Files of other programs, and this process's own temporary and output lock, which are in use.
    foreign = [".notes.txt.swp", ".second.de.wav.part", "notes.abcd1234.part"]
    for name in foreign:
        (out / name).write_text("not ours")
    held = HeldTemporary(out / "other.de.wav")
    lock = OutputLock(out / "busy")
    try:
        rerun = subprocess.run(
            [*_batch_command(demo_folder, out, first, second, busy), "--skip-existing"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert rerun.returncode == 1, rerun.stderr
        assert re.search(rf"removed {len(stale)} temporary files left by interrupted runs \(.+ freed\)", rerun.stderr)
        assert f"another translator run (pid {os.getpid()}) is writing {out / 'busy'}.*" in rerun.stderr
        assert "1 translated, 1 skipped, 1 failed" in rerun.stdout
        assert held.path.exists() and lock.path.exists()
    finally:
        held.close(remove=True)
        lock.release()
    assert _outputs_of(out, "second") == {f"second.{suffix}" for suffix in SUFFIXES}
    assert all((out / name).exists() for name in foreign)
    assert not lock.path.exists()  # released: nothing stays behind
    assert set(_leftovers(out)) == {".second.de.wav.part"}  # not the pattern of ours


def _limit_file_size() -> None:
    # What a full disk does to a write, without one: the write fails (EFBIG; Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_a_full_disk_while_the_speech_track_is_written_names_each_file_once(
    demo_folder: Path, jfk_path: Path, tmp_path: Path
) -> None:
    inputs = _copies(jfk_path, tmp_path / "in", ["one", "two"])
    out = tmp_path / "out"
    completed = subprocess.run(
        _batch_command(demo_folder, out, *inputs), capture_output=True, text=True, timeout=120, check=False,
        preexec_fn=_limit_file_size,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    failures = [line for line in completed.stderr.splitlines() if "failed" in line]
    assert failures == [
        f"translator: failed: {path}: cannot write its outputs (File too large); free some space or choose another "
        "output folder"
        for path in inputs
    ]
    assert sorted(path.name for path in out.iterdir()) == [], "no outputs, no temporaries, no locks"


@pytest.fixture(scope="module")
def pipeline(demo_folder: Path) -> Pipeline:
    return Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN),
    )


def test_an_output_that_cannot_be_written_leaves_none_of_the_files_outputs(
    pipeline: Pipeline, jfk_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "jfk.de.srt").mkdir(parents=True)  # the name one output needs is taken by a folder
    report = BatchTranslator(pipeline, BatchSettings(target=GERMAN, output_folder=out)).run([jfk_path])
    assert [failed.path for failed in report.failed] == [jfk_path]
    assert "cannot write its outputs" in report.failed[0].message and str(jfk_path) in report.failed[0].message
    assert sorted(path.name for path in out.iterdir()) == ["jfk.de.srt"]
    assert list((out / "jfk.de.srt").iterdir()) == []


def _write_set(outputs: OutputSet, text: str) -> None:
    for key in outputs.paths:
        outputs.temporary(key).write_text(f"{text} {key}")


def test_a_set_moves_into_place_whole_and_a_failed_one_keeps_the_previous(tmp_path: Path) -> None:
    paths = {key: tmp_path / f"x.{key}" for key in ("txt", "json", "wav")}
    with OutputSet(paths, tmp_path / "x") as outputs:
        _write_set(outputs, "first")
        outputs.commit()
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == {
        "x.txt": "first txt", "x.json": "first json", "x.wav": "first wav"
    }  # fmt: skip
    (tmp_path / "x.wav").unlink()
    (tmp_path / "x.wav").mkdir()  # the rerun cannot move its speech track into place
    with pytest.raises(IsADirectoryError, match="x.wav is a folder"), OutputSet(paths, tmp_path / "x") as outputs:
        _write_set(outputs, "second")
        outputs.commit()
    assert (tmp_path / "x.txt").read_text() == "first txt" and (tmp_path / "x.json").read_text() == "first json"
    with OutputSet(paths, tmp_path / "x") as outputs:
        _write_set(outputs, "third")  # and left without a commit (an error, Ctrl+C): the temporaries go
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.json", "x.txt", "x.wav"]


def test_stale_cleanup_takes_only_unheld_files_of_ours(tmp_path: Path) -> None:
    held = HeldTemporary(tmp_path / "a.wav")
    released = HeldTemporary(tmp_path / "b.wav")
    released.close(remove=False)  # as a killed process leaves it: the system dropped its lock
    released.path.write_bytes(b"x" * 1500)
    (tmp_path / ".c.txt.part").write_text("not the name of ours")
    removed = remove_stale_temporaries(tmp_path)
    assert (removed.count, removed.size) == (1, 1500)
    assert removed.describe() == "removed 1 temporary file left by interrupted runs (1.5 kB freed)"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([held.path.name, ".c.txt.part"])
    held.close(remove=True)


def test_outputs_that_cannot_be_written_are_found_before_the_models_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jfk_path: Path
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file")
    # No --config: the models would fail to load, so these errors can only come from the checks before.
    cases = [
        (["live", "--to", "de", "--output-file", str(folder)], f"cannot write to {folder}: it is a folder"),
        (["live", "--to", "de", "--output-file", os.devnull], f"cannot write to {os.devnull}: it is not a regular"),
        (["live", "--to", "de", "--output-file", str(a_file / "x.wav")], f"{a_file} is a file, not a folder"),
        (["batch", str(jfk_path), "--to", "de", "--out", str(a_file)], f"cannot write to {a_file}: it is a file"),
    ]
    for arguments, expected in cases:
        assert main(arguments) == 2
        errors = capsys.readouterr().err.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("translator: error: ") and expected in errors[0], errors
    assert not any(folder.iterdir())


def test_an_output_lock_turns_away_a_second_writer_in_another_process(tmp_path: Path) -> None:
    lock = OutputLock(tmp_path / "talk")
    probe = (
        "from pathlib import Path; from translator.files import OutputLock; OutputLock(Path(__import__('sys').argv[1]))"
    )
    try:
        refused = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "talk")], capture_output=True, text=True, check=False
        )
        assert f"another translator run (pid {os.getpid()}) is writing {tmp_path / 'talk'}.*" in refused.stderr
        with pytest.raises(TranslatorError, match="wait for it to finish"):
            OutputLock(tmp_path / "talk")  # another session in this same process
    finally:
        lock.release()
    # This one takes the lock and ends without letting go, as a crash would: the system lets go with the process.
    taken = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "talk")], check=False)
    assert taken.returncode == 0
    OutputLock(tmp_path / "talk").release()
    assert list(tmp_path.iterdir()) == []
