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
from dataclasses import dataclass, field, fields
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
    models = _section(data, "models", ModelPaths, path)
    resolved = {key: (path.parent / str(value)).resolve() for key, value in models.items()}
    return AppConfig(ModelPaths(**resolved), ComputeSettings(**_section(data, "compute", ComputeSettings, path)))


def _section(data: dict[str, Any], name: str, kind: type, path: Path) -> dict[str, Any]:
    section = data.get(name, {})
    allowed = {f.name for f in fields(kind)}
    unknown = set(section) - allowed
    if unknown:
        raise TranslatorError(
            f"settings file {path}: unknown key '{sorted(unknown)[0]}' in [{name}]; "
            f"known keys: {', '.join(sorted(allowed))}"
        )
    return dict(section)
