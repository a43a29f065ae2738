"""Checks shared by the stages that load models from folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from translator.errors import ModelError
from translator.languages import find_language

# A file the demo model builder leaves in each model folder, so every output can say it is demo output.
DEMO_MARKER = "DEMO_MODEL.txt"
DEMO_SETTINGS_FILE = "demo.toml"  # the settings file `translator demo-models DIR` writes beside the models
# What every demo model answers in each language it translates into (kept here, light to import, so the
# window and the command line can say up front which languages the demo models know).
DEMO_TRANSLATIONS = {
    "en": "Ask not what your country can do for you.",
    "de": "Frag nicht, was dein Land für dich tun kann.",
    "fr": "Ne demande pas ce que ton pays peut faire pour toi.",
    "es": "No preguntes qué puede hacer tu país por ti.",
}
# Why live speech queues with the demo models, for a user who would otherwise judge the latency by it.
DEMO_SPEECH_NOTE = (
    "the demo voice says the same sentence, about 4 s long, after every utterance, so quick utterances queue "
    "behind it and the delays read long; a real voice says what was said"
)


def demo_languages() -> str:
    """The languages the demo models translate into, by name: "English, French, German and Spanish"."""
    return join_names(sorted(find_language(code).name for code in DEMO_TRANSLATIONS))


def join_names(names: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def require_files(folder: Path, kind: str, names: Sequence[str | tuple[str, ...]]) -> None:
    """Raise a `ModelError` naming the first missing file; a tuple means any one of its names will do."""
    if not folder.is_dir():
        raise ModelError(f"{kind} folder {folder} does not exist: pass the folder of a converted model")
    for name in names:
        options = (name,) if isinstance(name, str) else name
        if not any((folder / option).is_file() for option in options):
            raise ModelError(f"{kind} folder {folder} is incomplete: {' or '.join(options)} is missing")


def models_folder_problem(path: Path) -> str | None:
    """Why `path` cannot hold the installed models, or None: it may not exist yet (it is made when first
    needed), but it must not be a file or anything else that is not a folder."""
    if path.exists() and not path.is_dir():
        what = "a file" if path.is_file() else "not a regular folder"
        return f"{path} is {what}, not a folder: name a folder for the models (it is made when first needed)"
    return None
