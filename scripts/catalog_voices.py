"""Refresh the Piper voices in models/catalog.json from rhasspy/piper-voices' voices.json.

    python scripts/catalog_voices.py VOICES_JSON --revision COMMIT

VOICES_JSON is the voice list piper-voices publishes (also shipped, kept current, as
wyoming_piper/voices.json in rhasspy/wyoming-piper); COMMIT is the piper-voices commit the
entries are pinned to, which must hold the files the list describes. Each voice becomes one
catalog entry with its .onnx and .onnx.json (sizes and MD5 digests from the list); a SHA-256
already in the catalog is kept while the file's size and MD5 are unchanged, and `preferred`
marks are kept. `no_voice` is recomputed: the translation targets no voice speaks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from translator.languages import language_for_piper_locale  # noqa: E402

CATALOG = ROOT / "models" / "catalog.json"
REPOSITORY = "rhasspy/piper-voices"
TIERS = {"x_low": "fast", "low": "fast", "medium": "balanced", "high": "accurate"}


def voice_entries(voices: dict, revision: str, previous: dict[str, dict]) -> list[dict]:
    """One catalog entry per voice, sorted by id."""
    entries = []
    for key, voice in sorted(voices.items()):
        locale = voice["language"]["code"]
        language_for_piper_locale(locale)  # every voice's language must be in the table
        known = {file["path"]: file for file in previous.get(key, {}).get("files", [])}
        files = []
        for path, facts in sorted(voice["files"].items()):
            if not path.endswith((".onnx", ".onnx.json")):
                continue
            file = {"path": path, "size": facts["size_bytes"], "md5": facts["md5_digest"]}
            old = known.get(path, {})
            if old.get("sha256") and old.get("size") == file["size"] and old.get("md5") == file["md5"]:
                file["sha256"] = old["sha256"]
            files.append(file)
        folder = files[0]["path"].rsplit("/", 1)[0]
        language = voice["language"]
        entry = {
            "id": key,
            "stage": "synthesis",
            "family": "piper",
            "name": f"{voice['name']} ({language['name_english']}, {language['country_english']}), {voice['quality']}",
            "repo": REPOSITORY,
            "revision": revision,
            "files": files,
            "locale": locale,
            "quality": voice["quality"],
            "speakers": voice["num_speakers"],
            "tier": TIERS[voice["quality"]],
            "licence": "per voice: see its MODEL_CARD",
            "licence_url": f"https://huggingface.co/{REPOSITORY}/blob/{revision}/{folder}/MODEL_CARD",
        }
        if previous.get(key, {}).get("preferred"):
            entry["preferred"] = True
        entries.append(entry)
    return entries


def dump(catalog: dict) -> str:
    """JSON with one line per file and per language list, so diffs stay readable."""
    text = json.dumps(catalog, ensure_ascii=False, indent=1)
    text = re.sub(r"\[\n\s+(\"[^\[\]{}]*?\")\n\s+\]", lambda m: "[" + re.sub(r",\n\s+", ", ", m[1]) + "]", text)
    return re.sub(r"\{\n\s+(\"path\"[^{}]*?)\n\s+\}", lambda m: "{" + re.sub(r",\n\s+", ", ", m[1]) + "}", text) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("voices", type=Path, metavar="VOICES_JSON")
    parser.add_argument("--revision", required=True, help="the rhasspy/piper-voices commit to pin")
    arguments = parser.parse_args()
    if not re.fullmatch(r"[0-9a-f]{40}", arguments.revision):
        parser.error("--revision must be a 40-character commit hash")
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    others = [model for model in catalog["models"] if model["stage"] != "synthesis"]
    previous = {model["id"]: model for model in catalog["models"] if model["stage"] == "synthesis"}
    voices = voice_entries(json.loads(arguments.voices.read_text(encoding="utf-8")), arguments.revision, previous)
    spoken = {language_for_piper_locale(voice["locale"]).code for voice in voices}
    targets = {code for model in others if model["stage"] == "translation" for code in model["targets"]}
    catalog["models"] = others + voices
    catalog["no_voice"] = sorted(targets - spoken)
    CATALOG.write_text(dump(catalog), encoding="utf-8")
    print(f"{len(voices)} voices in {len(spoken)} languages; {len(catalog['no_voice'])} target languages have none")


if __name__ == "__main__":
    main()
