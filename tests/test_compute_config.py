"""Tests for translator.compute (device and precision) and translator.config (the settings file)."""

from __future__ import annotations

from pathlib import Path

import ctranslate2
import pytest

from translator.compute import ComputeSettings, resolve_compute
from translator.config import AppConfig, load_config
from translator.errors import TranslatorError
from translator.models.demo import SETTINGS_FILE

HAS_CUDA = ctranslate2.get_cuda_device_count() > 0


# --- resolve_compute ---------------------------------------------------------------------------------------------


def test_auto_follows_this_machine() -> None:
    resolved = resolve_compute(ComputeSettings())
    if HAS_CUDA:
        assert resolved.device == "cuda"
        assert resolved.compute_type in ctranslate2.get_supported_compute_types("cuda")
    else:
        assert resolved.device == "cpu"
        assert resolved.compute_type == "int8"
    assert resolved.cpu_threads == 0


def test_explicit_cpu_settings_are_kept() -> None:
    resolved = resolve_compute(ComputeSettings("cpu", "float32", cpu_threads=3))
    assert (resolved.device, resolved.compute_type, resolved.cpu_threads) == ("cpu", "float32", 3)


def test_negative_threads_mean_let_ctranslate2_choose() -> None:
    assert resolve_compute(ComputeSettings("cpu", cpu_threads=-2)).cpu_threads == 0


@pytest.mark.skipif(HAS_CUDA, reason="a CUDA device is visible here")
def test_cuda_without_a_device_is_a_one_line_error() -> None:
    with pytest.raises(TranslatorError, match="CUDA") as error:
        resolve_compute(ComputeSettings(device="cuda"))
    assert "\n" not in str(error.value)


def test_unsupported_compute_type_on_cpu() -> None:
    assert "float16" not in ctranslate2.get_supported_compute_types("cpu")
    with pytest.raises(TranslatorError, match="float16") as error:
        resolve_compute(ComputeSettings(device="cpu", compute_type="float16"))
    assert "int8" in str(error.value)  # says what would work


def test_unknown_device() -> None:
    with pytest.raises(TranslatorError, match="'gpu'"):
        resolve_compute(ComputeSettings(device="gpu"))


# --- load_config -------------------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_resolve_against_the_file_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    absolute = tmp_path / "absolute" / "voices"
    path = write(
        tmp_path / "conf" / "settings.toml",
        f'[models]\nwhisper = "models/whisper"\ntranslation = "../nllb"\nvoices = "{absolute.as_posix()}"\n'
        '[compute]\ndevice = "cpu"\ncompute_type = "int8"\ncpu_threads = 2\n',
    )

    config = load_config(path)

    assert config.models.whisper == (tmp_path / "conf" / "models" / "whisper").resolve()
    assert config.models.translation == (tmp_path / "nllb").resolve()
    assert config.models.voices == absolute.resolve()
    assert config.compute == ComputeSettings("cpu", "int8", 2)


def test_sections_are_optional(tmp_path: Path) -> None:
    assert load_config(write(tmp_path / "empty.toml", "")) == AppConfig()
    config = load_config(write(tmp_path / "partial.toml", '[models]\nwhisper = "w"\n'))
    assert config.models.whisper == (tmp_path / "w").resolve()
    assert config.models.translation is None
    assert config.compute == ComputeSettings()


@pytest.mark.parametrize(
    ("text", "key"),
    [('[models]\nwhisperr = "w"\n', "whisperr"), ("[compute]\nthreads = 4\n", "threads")],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path / "settings.toml", text)
    with pytest.raises(TranslatorError, match=f"'{key}'") as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_section_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", '[model]\nwhisper = "w"\n')
    with pytest.raises(TranslatorError, match=r"\[model\]"):
        load_config(path)


def test_wrongly_typed_value_is_a_translator_error(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", '[compute]\ncpu_threads = "4"\n')
    with pytest.raises(TranslatorError, match="cpu_threads"):
        resolve_compute(load_config(path).compute)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(TranslatorError, match="does not exist") as error:
        load_config(missing)
    assert str(missing) in str(error.value)


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", "[models\nwhisper = \n")
    with pytest.raises(TranslatorError, match="cannot read settings file") as error:
        load_config(path)
    assert "\n" not in str(error.value)


def test_demo_settings_file_loads(demo_folder: Path) -> None:
    config = load_config(demo_folder / SETTINGS_FILE)
    assert config.models.whisper == (demo_folder / "whisper-demo").resolve()
    assert config.models.translation == (demo_folder / "nllb-demo").resolve()
    assert config.models.voices == (demo_folder / "voices").resolve()
    for path in (config.models.whisper, config.models.translation, config.models.voices):
        assert path is not None and path.is_dir()
    assert (config.models.whisper / "model.bin").is_file()
    assert config.compute == ComputeSettings()
