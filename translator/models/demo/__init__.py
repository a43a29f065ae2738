"""The project's own tiny models, built on the spot, so the whole app runs with no model hub.

`build_demo_models(folder)` writes a Whisper model, translation models in the NLLB-200, M2M-100 and
OPUS-MT layouts, Piper voices for the languages they translate into, and a `demo.toml` settings file
that points at them. Every model folder carries a marker file, so outputs say they are demo output.
"""

from __future__ import annotations

from pathlib import Path

from translator.models.demo.translation import build_demo_m2m100, build_demo_nllb, build_demo_opus_mt
from translator.models.demo.voice import build_demo_voice
from translator.models.demo.whisper import build_demo_whisper
from translator.models.folders import DEMO_MARKER, DEMO_SETTINGS_FILE, DEMO_TRANSLATIONS, demo_languages

DEMO_VOICES = {"en": ("en-us", "en_US"), "de": ("de", "de_DE"), "fr": ("fr", "fr_FR"), "es": ("es", "es_ES")}
_MARKER_TEXT = (
    "A demo model built by `translator demo-models`. It runs through the real loading and inference code "
    "but says the same fixed sentence whatever it hears or reads, in "
    + demo_languages()
    + " only: use it to try the app, not to translate.\n"
)
SETTINGS_FILE = DEMO_SETTINGS_FILE


def build_demo_models(folder: Path) -> Path:
    """Build every demo model under `folder` and return the path of its settings file."""
    folder.mkdir(parents=True, exist_ok=True)
    model_folders = [
        build_demo_whisper(folder / "whisper-demo"),
        build_demo_nllb(folder / "nllb-demo"),
        build_demo_m2m100(folder / "m2m100-demo"),
        build_demo_opus_mt(folder / "opus-mt-en-de-demo", "en", "de"),
    ]
    for model_folder in model_folders:
        (model_folder / DEMO_MARKER).write_text(_MARKER_TEXT)
    for espeak_voice, locale in DEMO_VOICES.values():
        build_demo_voice(folder / "voices", espeak_voice, locale)
    settings = folder / SETTINGS_FILE
    settings.write_text(
        "# Settings for the demo models (paths are relative to this file).\n"
        "# Their output is placeholder text in "
        + demo_languages()
        + f" ({', '.join(sorted(DEMO_TRANSLATIONS))}), not a real transcript or translation.\n"
        "[models]\n"
        'whisper = "whisper-demo"\n'
        'translation = "nllb-demo"\n'
        'voices = "voices"\n'
    )
    return settings
