"""The settings file: which model each stage uses and how the models run.

A TOML file such as

    [models]
    whisper = "/models/faster-whisper-small"   # a CTranslate2 Whisper folder
    translation = "/models/nllb-200-distilled-600M-ct2-int8"
    voices = "/models/piper-voices"            # a Piper .onnx, or a folder of voices

    [compute]
    device = "auto"          # auto, cpu or cuda
    compute_type = "auto"    # auto, int8, float16, int8_float16, ...
    cpu_threads = 0          # 0: let CTranslate2 choose

Relative paths are resolved against the file's folder. Command-line options override the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translator.compute import ComputeSettings
from translator.errors import TranslatorError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@dataclass(frozen=True)
class ModelPaths:
    """The model behind each stage; None where none is configured."""

    whisper: Path | None = None
    translation: Path | None = None
    voices: Path | None = None


# The keys each section takes and the TOML type of their values.
_SECTIONS: dict[str, dict[str, type]] = {
    "models": {"whisper": str, "translation": str, "voices": str},
    "compute": {"device": str, "compute_type": str, "cpu_threads": int},
}


@dataclass(frozen=True)
class AppConfig:
    models: ModelPaths = field(default_factory=ModelPaths)
    compute: ComputeSettings = field(default_factory=ComputeSettings)


def load_config(path: Path) -> AppConfig:
    """Read a settings file; a missing file or a bad key is a one-line error naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TranslatorError(f"settings file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TranslatorError(f"cannot read settings file {path}: {error}") from error
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise TranslatorError(
            f"settings file {path}: unknown section [{unknown[0]}]; known sections: {', '.join(_SECTIONS)}"
        )
    models = _section(data, "models", path)
    resolved = {key: (path.parent / Path(value).expanduser()).resolve() for key, value in models.items()}
    return AppConfig(ModelPaths(**resolved), ComputeSettings(**_section(data, "compute", path)))


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise TranslatorError(f"settings file {path}: [{name}] must be a section of keys")
    types = _SECTIONS[name]
    for key, value in section.items():
        if key not in types:
            raise TranslatorError(
                f"settings file {path}: unknown key '{key}' in [{name}]; known keys: {', '.join(types)}"
            )
        if type(value) is not types[key]:  # exact: TOML's true must not pass as a thread count
            raise TranslatorError(
                f"settings file {path}: '{key}' in [{name}] must be a {types[key].__name__}, not {value!r}"
            )
    return dict(section)
