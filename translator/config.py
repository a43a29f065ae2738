"""The settings file: which model each stage uses and how the models run.

A TOML file such as

    [models]
    whisper = "/models/faster-whisper-small"   # a CTranslate2 Whisper folder
    translation = "/models/nllb-200-distilled-600M-ct2-int8"
    voices = "/models/piper-voices"            # a Piper .onnx, or a folder of voices

    [compute]
    device = "auto"          # auto, cpu or cuda
    compute_type = "auto"    # auto, int8, float16, int8_float16, ...
    cpu_threads = 0          # 0: let CTranslate2 choose; at most 4 per CPU core (see max_cpu_threads)

Relative paths are resolved against the file's folder. Command-line options override the file.
"""

from __future__ import annotations

import os
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


# More threads than cores only make CTranslate2's threads wait for each other (measured here: 64 threads on 2
# cores took 1.7 times as long as 2, 256 four times), and far more crash or hang faster-whisper's model load
# (100000 segfaulted, 5000 hung). Four per core leaves room for cores the system under-reports; the ceiling
# holds on the largest machines.
CPU_THREADS_PER_CORE = 4
CPU_THREADS_CEILING = 256


def max_cpu_threads() -> int:
    """The most CPU threads per model a setting may ask for on this computer: 4 per core, at most 256."""
    return min(CPU_THREADS_PER_CORE * (os.cpu_count() or 1), CPU_THREADS_CEILING)


def cpu_threads_problem(threads: object) -> str | None:
    """What is wrong with `threads` as a thread count (0 lets CTranslate2 choose), or None when it is usable."""
    most = max_cpu_threads()
    if type(threads) is int and 0 <= threads <= most:
        return None
    return (
        f"use a whole number from 0 (CTranslate2 chooses) to {most} "
        f"({CPU_THREADS_PER_CORE} per CPU core of this computer, at most {CPU_THREADS_CEILING}), not {threads!r}"
    )


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
    """Read a settings file; a missing, unreadable or malformed file, a bad key or a value out of bounds is a
    one-line error naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TranslatorError(f"settings file {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise TranslatorError(
            f"cannot read settings file {path}: it is not UTF-8 text (byte 0x{error.object[error.start]:02x} at "
            f"offset {error.start}); save it as a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise TranslatorError(f"cannot read settings file {path}: it is not valid TOML ({error}); correct it") from None
    except OSError as error:
        raise TranslatorError(f"cannot read settings file {path}: {error.strerror or error}") from error
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise TranslatorError(
            f"settings file {path}: unknown section [{unknown[0]}]; known sections: {', '.join(_SECTIONS)}"
        )
    models = _section(data, "models", path)
    compute = _section(data, "compute", path)
    if (problem := cpu_threads_problem(compute.get("cpu_threads", 0))) is not None:
        raise TranslatorError(f"settings file {path}: 'cpu_threads' in [compute]: {problem}")
    resolved = {key: (path.parent / Path(value).expanduser()).resolve() for key, value in models.items()}
    return AppConfig(ModelPaths(**resolved), ComputeSettings(**compute))


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
