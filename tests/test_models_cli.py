"""`translator models ...`, and `batch`/`live` with --profile and model ids: exit codes and one-line errors."""

from __future__ import annotations

import fcntl
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audio_files import speech_at, write_wav
from hub_server import CLOSED_ENDPOINT, DEMO_REVISION, HubFixture
from test_cli import assert_one_line_error, run_main

from translator.pipeline.outputs import DEMO_NOTICE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "no-settings.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the log file


@pytest.fixture
def hub(local_hub: HubFixture, monkeypatch: pytest.MonkeyPatch) -> HubFixture:
    """The local Hub and its demo catalog, as the command sees them through the environment."""
    monkeypatch.setenv("TRANSLATOR_CATALOG", str(local_hub.catalog_path))
    monkeypatch.setenv("HF_ENDPOINT", local_hub.hub.endpoint)
    return local_hub


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory, speech_like: np.ndarray) -> Path:
    """A few seconds of speech-like audio: a short batch input."""
    return write_wav(tmp_path_factory.mktemp("talk") / "talk.wav", speech_at(speech_like, [0.5], 4.0))


def models_dir() -> Path:
    return Path(os.environ["TRANSLATOR_MODELS_DIR"])


def test_download_a_profile_then_translate_offline_by_profile(
    hub: HubFixture, talk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["models", "download", "--profile", "fast", "--to", "de", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "profile fast: demo-whisper, demo-nllb, de_DE-demo-x_low" in out
    for model_id in ("demo-whisper", "demo-nllb", "de_DE-demo-x_low"):
        assert f"installed {model_id} (" in out
    requests = len(hub.hub.requests)
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_ENDPOINT)  # offline from here on
    outputs = tmp_path / "out"
    status = run_main(["batch", str(talk), "--to", "de", "--profile", "fast", "--out", str(outputs), "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert {"talk.de.txt", "talk.de.wav"} <= {path.name for path in outputs.iterdir()}
    assert DEMO_NOTICE in captured.out  # the demo models' marker file came with the download
    assert len(hub.hub.requests) == requests  # a normal start makes no network call


def test_ids_instead_of_folders_and_the_installed_models_by_default(
    hub: HubFixture, talk: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["models", "import", str(demo_folder / "whisper-demo")]) == 0
    assert run_main(["models", "import", str(demo_folder / "opus-mt-en-de-demo")]) == 0
    assert run_main(["models", "import", str(demo_folder / "voices" / "de_DE-demo-x_low.onnx")]) == 0
    out = capsys.readouterr().out
    assert "imported demo-whisper (recognition" in out and "imported opus-mt-en-de-demo (translation" in out
    ids = ["--whisper", "demo-whisper", "--translation", "opus-mt-en-de-demo", "--voice", "de_DE-demo-x_low"]
    args = ["batch", str(talk), "--from", "en", "--to", "de", "--quiet", "--formats", "txt,wav"]
    assert run_main([*args, *ids, "--out", str(tmp_path / "by-id")]) == 0
    # With no option at all, the installed models serve the chain: the direct en->de model is preferred.
    assert run_main([*args, "--out", str(tmp_path / "installed")]) == 0
    assert (tmp_path / "installed" / "talk.de.wav").is_file()
    wrong_stage = ["batch", str(talk), "--to", "de", "--whisper", "opus-mt-en-de-demo", "--out", str(tmp_path)]
    assert run_main(wrong_stage) == 2
    assert_one_line_error(capsys.readouterr().err, "'opus-mt-en-de-demo' is a translation model, not a recognition")


def test_a_missing_model_is_one_line_naming_the_command(
    talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["batch", str(talk), "--to", "de", "--whisper", "whisper-small", "--out", str(tmp_path)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert line == (
        "translator: error: model 'whisper-small' is not installed: run: translator models download whisper-small"
    )
    fast = ["--profile", "fast", "--out", str(tmp_path)]
    assert run_main(["batch", str(talk), "--to", "es", "--from", "en", *fast]) == 2
    assert_one_line_error(capsys.readouterr().err, "run: translator models download whisper-base opus-mt-en-es es_ES-")
    assert run_main(["live", "--input-file", str(talk), "--to", "de", "--whisper", "whisper-base"]) == 2
    assert_one_line_error(capsys.readouterr().err, "run: translator models download whisper-base")
    japanese = ["batch", str(talk), "--to", "ja", "--profile", "balanced", "--out", str(tmp_path)]
    assert run_main([*japanese, "--formats", "txt,wav"]) == 2  # a speech track asked for by name needs a voice
    assert_one_line_error(
        capsys.readouterr().err, "no voice in the catalog speaks Japanese", "wav and video out of --formats"
    )
    assert run_main(japanese) == 2  # by default a language no voice speaks gets text and subtitles: no voice needed
    line = assert_one_line_error(capsys.readouterr().err, "run: translator models download whisper-small nllb-200")
    assert "voice" not in line
    assert run_main(["batch", str(talk), "--to", "de", "--whisper", "nosuch", "--out", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "'nosuch' is neither a folder nor a model id")


def test_first_start_without_network_offers_the_demo_models(
    talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["batch", str(talk), "--to", "de", "--out", str(tmp_path)]) == 2
    line = assert_one_line_error(capsys.readouterr().err, "no models are installed", "no network")
    assert "translator demo-models DIR" in line and "demo output" in line


def test_first_start_offers_the_default_profile(
    hub: HubFixture, talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["batch", str(talk), "--to", "de", "--out", str(tmp_path)]) == 2
    line = assert_one_line_error(capsys.readouterr().err, "no models are installed yet")
    assert "translator models download --profile" in line and "--to de" in line and " MB" in line


def test_download_errors_are_one_line(
    hub: HubFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["models", "download", "demo-nllb", "nosuch"]) == 2
    assert_one_line_error(capsys.readouterr().err, "unknown model 'nosuch'")
    assert not (models_dir() / "demo-nllb").exists()  # every id is checked before anything is downloaded
    hub.hub.files[("demo/nllb", DEMO_REVISION, "model.bin")] = b"\0" * len(
        hub.hub.files[("demo/nllb", DEMO_REVISION, "model.bin")]
    )  # a zero-filled file, as a preallocating downloader leaves
    assert run_main(["models", "download", "demo-nllb", "--quiet"]) == 2
    assert_one_line_error(capsys.readouterr().err, "model.bin of demo-nllb is corrupt")
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_ENDPOINT)
    assert run_main(["models", "download", "de_DE-demo-x_low"]) == 2
    assert_one_line_error(capsys.readouterr().err, "no network: cannot reach", "translator demo-models")


def test_list_remove_verify(hub: HubFixture, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["models", "download", "demo-nllb", "de_DE-demo-x_low", "--quiet"]) == 0
    capsys.readouterr()
    assert run_main(["models", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["demo-nllb"].endswith("  installed") and rows["demo-whisper"].endswith("  not installed")
    assert run_main(["models", "list", "--stage", "synthesis", "--installed"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:-1]] == ["de_DE-demo-x_low"]
    assert run_main(["models", "verify"]) == 0
    assert capsys.readouterr().out.count("ok ") == 2
    model_bin = models_dir() / "demo-nllb" / "model.bin"
    model_bin.write_bytes(model_bin.read_bytes()[::-1])
    assert run_main(["models", "verify"]) == 1
    assert "FAILED demo-nllb: model.bin is corrupt" in capsys.readouterr().out
    assert run_main(["models", "remove", "demo-nllb"]) == 0
    assert run_main(["models", "remove", "demo-nllb"]) == 2
    assert_one_line_error(capsys.readouterr().err, "'demo-nllb' is not installed")


def test_import_a_folder_with_files_missing(
    demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.json"):
        (folder / name).write_bytes((demo_folder / "whisper-demo" / name).read_bytes())
    assert run_main(["models", "import", str(folder)]) == 2
    assert_one_line_error(capsys.readouterr().err, "Whisper model folder", "tokenizer.json is missing")


def test_plan_and_coverage_of_the_real_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["models", "plan", "--from", "en", "--to", "de", "--profile", "balanced"]) == 0
    out = capsys.readouterr().out
    assert "whisper-small" in out and "nllb-200-distilled-600m" in out and "de_DE-thorsten-medium" in out
    assert "non-commercial" in out and "[not installed]" in out
    assert run_main(["models", "coverage"]) == 0
    assert "recognition languages    100" in capsys.readouterr().out


def test_a_full_disk_is_one_line_and_installs_nothing(hub: HubFixture, tmp_path: Path) -> None:
    """The kernel refuses the write: a file-size limit (RLIMIT_FSIZE) stands in for a full disk, which needs
    root to make; the store maps ENOSPC, EDQUOT and this EFBIG alike."""
    limit = 100_000  # demo-nllb's model.bin is 337 kB

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "translator", "models", "download", "demo-nllb", "--quiet"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    line = assert_one_line_error(result.stderr, "the disk is full: cannot write demo-nllb")
    assert "finished files are kept" in line
    assert not (models_dir() / "demo-nllb").exists()


def test_a_closed_pipe_ends_the_listing_quietly() -> None:
    # `translator models list | head -1`: the reader leaves after one line, which is no error of ours.
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # smaller than the listing, so it is still writing
    listing = subprocess.Popen(
        [sys.executable, "-m", "translator", "models", "list"], stdout=write_end, stderr=subprocess.PIPE
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline().startswith(b"id ")
    assert listing.wait(timeout=60) == 141
    assert listing.stderr is not None and listing.stderr.read() == b""
