"""Checks shared by the stages that load models from folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from translator.errors import ModelError

# A file the demo model builder leaves in each model folder, so every output can say it is demo output.
DEMO_MARKER = "DEMO_MODEL.txt"


def require_files(folder: Path, kind: str, names: Sequence[str | tuple[str, ...]]) -> None:
    """Raise a `ModelError` naming the first missing file; a tuple means any one of its names will do."""
    if not folder.is_dir():
        raise ModelError(f"{kind} folder {folder} does not exist: pass the folder of a converted model")
    for name in names:
        options = (name,) if isinstance(name, str) else name
        if not any((folder / option).is_file() for option in options):
            raise ModelError(f"{kind} folder {folder} is incomplete: {' or '.join(options)} is missing")
