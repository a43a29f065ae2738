"""Downloads through the real huggingface_hub client from a local Hub, imports, verification, removal."""

from __future__ import annotations

import copy
import hashlib
import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_server import CLOSED_ENDPOINT, DEMO_REVISION, HubFixture, running_hub

from translator.errors import DiskFullError, IntegrityError, ModelError, ModelNotInstalledError, NetworkError
from translator.languages import find_language
from translator.models.catalog import UnknownModelError, load_catalog
from translator.models.choice import first_start_plan
from translator.models.hub import (
    DownloadCancelled,
    DownloadEvent,
    DownloadStarted,
    FileProgress,
    FileStarted,
    FileVerified,
    ModelInstalled,
)
from translator.models.installed import MANIFEST
from translator.models.planning import Hardware
from translator.models.store import ModelStore

CHUNK = 10 << 20  # huggingface_hub hands a download over in 10 MiB chunks


def store_for(fixture: HubFixture, tmp_path: Path, endpoint: str | None = None) -> ModelStore:
    return ModelStore(tmp_path / "store", load_catalog(fixture.catalog_path), endpoint or fixture.hub.endpoint)


@pytest.fixture
def store(local_hub: HubFixture, tmp_path: Path) -> ModelStore:
    return store_for(local_hub, tmp_path)


def test_download_reports_progress_then_installs_a_model_that_loads(store: ModelStore, local_hub: HubFixture) -> None:
    events: list[DownloadEvent] = []
    installed = store.download("demo-whisper", events.append)
    model = store.catalog.get("demo-whisper")
    assert events[0] == DownloadStarted("demo-whisper", len(model.files), model.size)
    assert events[-1] == ModelInstalled("demo-whisper", installed.path)
    for file in model.files:
        mine = [event for event in events if getattr(event, "name", None) == file.name]
        assert mine[0] == FileStarted("demo-whisper", file.name, file.size, done=False)
        assert mine[-2] == FileProgress("demo-whisper", file.name, file.size, file.size)
        assert isinstance(mine[-1], FileVerified)
    checks = {event.name: event.check for event in events if isinstance(event, FileVerified)}
    assert checks["model.bin"] == "sha256"
    assert checks["DEMO_MODEL.txt"] == "sha256"  # the catalog has only its size: the Hub's ETag is checked
    assert [model.id for model in store.installed()] == ["demo-whisper"]
    assert store.path_of("demo-whisper") == store.root / "demo-whisper"
    assert not list((store.root / ".partial").iterdir())
    assert store.verify() == [store.verify(["demo-whisper"])[0]]
    assert store.verify()[0].ok  # faster-whisper's WhisperModel loaded it
    # Installed: asking again touches neither the network nor the files.
    requests = len(local_hub.hub.requests)
    assert store.download("demo-whisper").path == installed.path
    assert len(local_hub.hub.requests) == requests


def test_a_voice_is_checked_by_md5_and_loads(store: ModelStore) -> None:
    events: list[DownloadEvent] = []
    store.download("de_DE-demo-x_low", events.append)
    assert {event.check for event in events if isinstance(event, FileVerified)} == {"md5"}
    assert store.path_of("de_DE-demo-x_low") == store.root / "de_DE-demo-x_low" / "de_DE-demo-x_low.onnx"
    assert store.verify()[0].ok  # PiperVoice loaded it and it speaks German


def test_a_size_the_catalog_lacks_comes_from_the_hub(store: ModelStore) -> None:
    events: list[DownloadEvent] = []
    store.download("demo-nllb", events.append)
    config = next(event for event in events if isinstance(event, FileStarted) and event.name == "config.json")
    assert next(file for file in store.catalog.get("demo-nllb").files if file.name == "config.json").size is None
    assert config.size == (store.root / "demo-nllb" / "config.json").stat().st_size
    assert events[0] == DownloadStarted("demo-nllb", 5, store.get("demo-nllb").size)
    assert store.verify()[0].ok  # ctranslate2.Translator loaded it


@pytest.fixture
def hub_with_a_large_file(
    demo_hub_content: tuple[dict[tuple[str, str, str], bytes], dict[str, object]], tmp_path: Path
) -> Iterator[tuple[HubFixture, bytes]]:
    """The demo hub plus a 12 MiB file: a cut can only be resumed past huggingface_hub's first 10 MiB chunk."""
    files, catalog = copy.deepcopy(demo_hub_content)
    content = random.Random(0).randbytes(CHUNK + (2 << 20))
    files[("demo/large", DEMO_REVISION, "model.bin")] = content
    catalog["models"].append(  # type: ignore[attr-defined]
        {"id": "demo-large", "stage": "translation", "family": "nllb", "name": "large", "repo": "demo/large",
         "revision": DEMO_REVISION, "files": [{"path": "model.bin", "size": len(content),
         "sha256": hashlib.sha256(content).hexdigest()}], "sources": ["en"], "targets": ["de"], "tier": "fast",
         "licence": "MIT", "licence_url": "https://example.invalid/licence"}
    )  # fmt: skip
    hub = running_hub(files, catalog, tmp_path)
    yield next(hub), content
    hub.close()


def test_a_cut_connection_resumes_with_a_range_request(
    hub_with_a_large_file: tuple[HubFixture, bytes], tmp_path: Path
) -> None:
    fixture, content = hub_with_a_large_file
    store = store_for(fixture, tmp_path)
    fixture.hub.cut_after["model.bin"] = CHUNK + (1 << 20)
    store.download("demo-large")
    gets = fixture.hub.gets("demo/large", "model.bin")
    assert [get.range for get in gets] == [None, f"bytes={CHUNK}-"]
    assert (store.root / "demo-large" / "model.bin").read_bytes() == content


def test_an_interrupted_download_is_not_installed_and_the_next_one_resumes(
    store: ModelStore, local_hub: HubFixture
) -> None:
    local_hub.hub.fail_once["model.bin"] = 500
    with pytest.raises(NetworkError, match="HTTP 500 for model.bin of demo-nllb"):
        store.download("demo-nllb")
    assert not store.is_installed("demo-nllb") and store.installed() == ()
    assert not (store.root / "demo-nllb").exists()
    with pytest.raises(ModelNotInstalledError, match="run: translator models download demo-nllb"):
        store.path_of("demo-nllb")
    events: list[DownloadEvent] = []
    store.download("demo-nllb", events.append)
    done = {event.name for event in events if isinstance(event, FileStarted) and event.done}
    assert "config.json" in done and "model.bin" not in done  # finished before the cut: kept, not fetched again
    assert len(local_hub.hub.gets("demo/nllb", "config.json")) == 1
    assert len(local_hub.hub.gets("demo/nllb", "model.bin")) == 2
    assert store.verify(["demo-nllb"])[0].ok


def test_a_corrupt_file_is_rejected_and_deleted(store: ModelStore, local_hub: HubFixture) -> None:
    key = ("demo/nllb", DEMO_REVISION, "model.bin")
    good = local_hub.hub.files[key]
    local_hub.hub.files[key] = good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]  # same size, one byte off
    with pytest.raises(IntegrityError, match="model.bin of demo-nllb is corrupt: its SHA-256") as error:
        store.download("demo-nllb")
    assert "\n" not in str(error.value)
    assert not store.is_installed("demo-nllb")
    assert not (store.root / ".partial" / "demo-nllb" / "model.bin").exists()
    local_hub.hub.files[key] = good
    store.download("demo-nllb")
    assert (store.root / "demo-nllb" / "model.bin").read_bytes() == good


def test_a_truncated_file_on_the_hub_is_refused_before_download(store: ModelStore, local_hub: HubFixture) -> None:
    key = ("demo/nllb", DEMO_REVISION, "model.bin")
    local_hub.hub.files[key] = local_hub.hub.files[key][:-10]
    with pytest.raises(IntegrityError, match="serves model.bin with .* bytes, the catalog says"):
        store.download("demo-nllb")
    assert local_hub.hub.gets("demo/nllb", "model.bin") == []


def test_no_network(local_hub: HubFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_for(local_hub, tmp_path, endpoint=CLOSED_ENDPOINT)
    with pytest.raises(NetworkError) as error:
        store.download("demo-nllb")
    assert str(error.value) == (
        f"no network: cannot reach {CLOSED_ENDPOINT} to download demo-nllb; "
        "the installed models and the demo models still work"
    )
    assert store.installed() == ()
    assert store.check_hub() == (False, f"no network: cannot reach {CLOSED_ENDPOINT}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(NetworkError, match="offline mode is on"):
        store.download("demo-nllb")


def test_unknown_and_missing_ids(store: ModelStore) -> None:
    with pytest.raises(UnknownModelError, match="unknown model 'nope': run 'translator models list'"):
        store.download("nope")
    with pytest.raises(UnknownModelError, match="unknown model 'nope'"):
        store.path_of("nope")
    with pytest.raises(ModelNotInstalledError, match="model 'demo-nllb' is not installed"):
        store.remove("demo-nllb")


def test_an_entry_that_points_nowhere(
    demo_hub_content: tuple[dict[tuple[str, str, str], bytes], dict[str, object]], tmp_path: Path
) -> None:
    files, catalog = copy.deepcopy(demo_hub_content)
    entry = next(model for model in catalog["models"] if model["id"] == "demo-nllb")  # type: ignore[attr-defined]
    entry["repo"] = "demo/moved-away"
    hub = running_hub(files, catalog, tmp_path)
    with pytest.raises(ModelError, match="the catalog entry 'demo-nllb' points nowhere"):
        store_for(next(hub), tmp_path).download("demo-nllb")
    hub.close()


def test_not_enough_disk_space(
    demo_hub_content: tuple[dict[tuple[str, str, str], bytes], dict[str, object]], tmp_path: Path
) -> None:
    files, catalog = copy.deepcopy(demo_hub_content)
    hub = running_hub(files, catalog, tmp_path)
    fixture = next(hub)
    fixture.hub.announce_size["config.json"] = 10**18  # the catalog has no size for it: the Hub's counts
    with pytest.raises(DiskFullError, match="not enough disk space for demo-nllb: it needs"):
        store_for(fixture, tmp_path).download("demo-nllb")
    assert fixture.hub.gets("demo/nllb", "model.bin") == []
    hub.close()


def test_cancel_keeps_nothing_half_written(store: ModelStore) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled, match="finished files are kept"):
        store.download("demo-nllb", cancel=cancel)
    assert not store.is_installed("demo-nllb")
    partial = store.root / ".partial" / "demo-nllb"
    assert not [path for path in partial.rglob("*") if path.is_file() and path.suffix == ".incomplete"]


# --- import, verify, remove -------------------------------------------------------------------------


def test_import_recognises_a_catalog_model_by_its_files(store: ModelStore, demo_folder: Path, tmp_path: Path) -> None:
    copy_ = shutil.copytree(demo_folder / "nllb-demo", tmp_path / "my-download")
    installed = store.import_folder(copy_)
    assert (installed.id, installed.origin) == ("demo-nllb", "import")
    assert store.verify()[0].ok
    voice = store.import_folder(demo_folder / "voices" / "fr_FR-demo-x_low.onnx")
    assert voice.id == "fr_FR-demo-x_low" and voice.path.name == "fr_FR-demo-x_low.onnx"


def test_import_a_folder_with_files_missing(store: ModelStore, demo_folder: Path, tmp_path: Path) -> None:
    copy_ = shutil.copytree(demo_folder / "nllb-demo", tmp_path / "nllb")
    (copy_ / "sentencepiece.bpe.model").unlink()
    with pytest.raises(ModelError, match="sentencepiece.bpe.model or .* is missing"):
        store.import_folder(copy_)
    with pytest.raises(ModelError, match="incomplete for demo-nllb: sentencepiece.bpe.model missing"):
        store.import_folder(copy_, "demo-nllb")
    (copy_ / "sentencepiece.bpe.model").write_bytes(b"x" * 245219)  # right size, wrong bytes
    with pytest.raises(IntegrityError, match="sentencepiece.bpe.model of demo-nllb in .* is corrupt"):
        store.import_folder(copy_, "demo-nllb")
    voice = shutil.copy(demo_folder / "voices" / "en_US-demo-x_low.onnx", tmp_path / "my-voice.onnx")
    with pytest.raises(ModelError, match="my-voice.onnx.json is missing"):
        store.import_folder(Path(voice))
    assert store.installed() == ()


def test_import_a_model_outside_the_catalog(store: ModelStore, demo_folder: Path) -> None:
    installed = store.import_folder(demo_folder / "m2m100-demo")
    assert (installed.id, installed.stage, installed.origin) == ("m2m100-demo", "translation", "import")
    assert store.verify(["m2m100-demo"])[0].ok
    # Imported under a catalog id, a folder must be that catalog model.
    with pytest.raises(ModelError, match="incomplete for demo-whisper: preprocessor_config.json, tokenizer.json"):
        store.import_folder(demo_folder / "opus-mt-en-de-demo", "demo-whisper")


def test_verify_finds_a_damaged_model(store: ModelStore) -> None:
    store.download("demo-nllb")
    model_bin = store.root / "demo-nllb" / "model.bin"
    content = model_bin.read_bytes()
    model_bin.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))
    result = store.verify()[0]
    assert not result.ok and "model.bin is corrupt" in result.message
    model_bin.write_bytes(content[:1000])
    assert "model.bin is missing or changed size" in store.verify()[0].message
    with pytest.raises(ModelError, match="damaged .* run: translator models download demo-nllb"):
        store.path_of("demo-nllb")
    store.download("demo-nllb")  # a damaged install is downloaded again and replaced whole
    assert store.verify()[0].ok


def test_remove(store: ModelStore) -> None:
    store.download("de_DE-demo-x_low")
    (store.root / ".partial" / "demo-nllb").mkdir(parents=True)  # an unfinished download of another model
    store.remove("de_DE-demo-x_low")
    assert store.installed() == () and not (store.root / "de_DE-demo-x_low").exists()
    store.remove("demo-nllb")
    assert not (store.root / ".partial" / "demo-nllb").exists()


def test_a_folder_without_a_manifest_is_not_installed(store: ModelStore, demo_folder: Path) -> None:
    shutil.copytree(demo_folder / "nllb-demo", store.root / "demo-nllb")
    assert not store.is_installed("demo-nllb") and store.installed() == ()
    (store.root / "demo-nllb" / MANIFEST).write_text("{not json")
    assert store.installed() == ()


# --- first start -----------------------------------------------------------------------------------


def test_first_start_offers_the_default_profile(store: ModelStore, local_hub: HubFixture, tmp_path: Path) -> None:
    machine = Hardware(cuda_devices=0, memory_bytes=16 << 30)
    offer = first_start_plan(store, find_language("de"), hardware=machine)
    assert offer.needed and offer.online and offer.network_message == ""
    assert offer.profile == "balanced"
    assert offer.model_ids == ("demo-whisper", "demo-nllb", "de_DE-demo-x_low")
    assert offer.download_command == "translator models download --profile balanced --to de"
    assert offer.size_text.endswith("MB")
    offline = first_start_plan(store_for(local_hub, tmp_path, CLOSED_ENDPOINT), hardware=machine)
    assert offline.online is False and offline.network_message.startswith("no network")
    assert offline.model_ids == ("demo-whisper", "demo-nllb")
    store.download("de_DE-demo-x_low")
    requests = len(local_hub.hub.requests)
    later = first_start_plan(store, find_language("de"), hardware=machine)
    assert not later.needed and later.online is None  # something is installed: no network call
    assert len(local_hub.hub.requests) == requests
