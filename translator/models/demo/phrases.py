"""A small Whisper model that really recognises six short English phrases, and the phrases themselves.

Unlike the demo Whisper model (which says one fixed sentence whatever it hears), the phrase model's
transcript depends on what was said, so tests can check order, segmentation, dropped and duplicated
speech on real content. `scripts/train_phrase_model.py` trained it once on espeak-ng speech; the
repository ships the CTranslate2 conversion in `models/phrase-whisper/` without its tokenizer, which
`phrase_whisper` regenerates. Its bilingual variant (`bilingual_phrase_whisper`, `models/phrase-whisper-bilingual/`)
also knows four German phrases, and its language detection tells English speech from German, so tests can check a
recording that switches language.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from translator.models.demo.whisper import whisper_tokenizer
from translator.models.folders import DEMO_MARKER

# Six phrases, 1 to 2.5 s when spoken, that share no word, so no two transcripts can be confused.
PHRASES: tuple[str, ...] = (
    "Good morning, everyone.",
    "Where is the train station?",
    "Please close that window.",
    "I would like some coffee.",
    "Thank you very much.",
    "Turn left after two blocks.",
)

# Four German phrases for the bilingual model, sharing no word with each other or with the English ones, and the
# espeak-ng voice that speaks them (`speak_phrase(text, path, voice=GERMAN_VOICE)`).
GERMAN_PHRASES: tuple[str, ...] = (
    "Guten Abend, meine Freunde.",
    "Wo finde ich den Bahnhof?",
    "Das Wetter ist heute schön.",
    "Vielen Dank für Ihre Hilfe.",
)
GERMAN_VOICE = "de"

SHIPPED_MODEL = Path(__file__).resolve().parents[3] / "models" / "phrase-whisper"
BILINGUAL_MODEL = SHIPPED_MODEL.with_name("phrase-whisper-bilingual")
SHIPPED_FILES = ("model.bin", "config.json", "vocabulary.json", "preprocessor_config.json")
MARKER_TEXT = "A demo model trained on six phrases by scripts/train_phrase_model.py; it recognises only those.\n"
BILINGUAL_MARKER_TEXT = (
    "A demo model trained on six English and four German phrases by scripts/train_phrase_model.py --bilingual; "
    "it recognises only those.\n"
)


def phrase_whisper(folder: Path) -> Path:
    """Write the phrase model into `folder` (created if needed), ready for `SpeechRecognizer`, and return it."""
    return _install(SHIPPED_MODEL, folder, MARKER_TEXT, "scripts/train_phrase_model.py")


def bilingual_phrase_whisper(folder: Path) -> Path:
    """Write the bilingual phrase model (`PHRASES` in English, `GERMAN_PHRASES` in German, each detected as its
    language) into `folder` (created if needed), ready for `SpeechRecognizer`, and return it."""
    return _install(BILINGUAL_MODEL, folder, BILINGUAL_MARKER_TEXT, "scripts/train_phrase_model.py --bilingual")


def _install(shipped: Path, folder: Path, marker: str, command: str) -> Path:
    missing = [name for name in SHIPPED_FILES if not (shipped / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"the phrase Whisper model is missing from {shipped} ({', '.join(missing)}): run {command} to build it"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copyfile(shipped / name, folder / name)
    whisper_tokenizer().save(str(folder / "tokenizer.json"))
    (folder / DEMO_MARKER).write_text(marker)
    return folder


def speak_phrase(text: str, path: Path, voice: str = "en-us", speed: int = 160, pitch: int | None = None) -> Path:
    """Write `text` spoken by espeak-ng (`voice`, `speed` in words per minute, `pitch` 0-99) to the WAV `path`."""
    executable = shutil.which("espeak-ng")
    if executable is None:
        raise RuntimeError("espeak-ng is not installed: apt install espeak-ng")
    command = [executable, "-v", voice, "-s", str(speed), "-w", str(path)]
    if pitch is not None:
        command += ["-p", str(pitch)]
    result = subprocess.run([*command, text], capture_output=True, text=True)
    if result.returncode != 0 or not path.is_file():
        raise RuntimeError(f"espeak-ng failed for voice {voice}: {result.stderr.strip() or result.returncode}")
    return path
