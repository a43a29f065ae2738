"""Turn a Transformers translation checkpoint into an installed CTranslate2 int8 model.

For the pairs and languages the catalog has no conversion for: an OPUS-MT (Marian) checkpoint such
as `Helsinki-NLP/opus-mt-en-de`, or an NLLB-200 or M2M-100 one, from the Hub or a local folder, is
converted with CTranslate2's own converter and installed like an imported model. The converter needs
transformers and torch, which the app does not otherwise use: they come with the `convert` extra,
and are imported only here, only when asked.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from translator.errors import ModelError, TranslatorError
from translator.models.installed import InstalledModel
from translator.models.store import ModelStore

# The tokenizer files each architecture's CTranslate2 model needs beside model.bin.
_TOKENIZER_FILES = {"marian": ("source.spm", "target.spm"), "m2m_100": ("sentencepiece.bpe.model",)}
EXTRA_HINT = (
    "converting needs transformers and torch: pip install 'offline-speech-translator[convert]' "
    "(on a machine without a GPU, install torch's CPU wheel first: it is far smaller)"
)


def convert_checkpoint(
    store: ModelStore,
    source: str,
    model_id: str | None = None,
    revision: str | None = None,
    quantization: str = "int8",
) -> InstalledModel:
    """Convert `source` (a local checkpoint folder, or a Hub repository id) and install it as `model_id`.

    `model_id` defaults to the checkpoint's name ("opus-mt-en-de"), which is also how an OPUS-MT
    model's language pair is known: keep "opus-mt-SRC-TGT" in it.
    """
    try:
        import torch  # noqa: F401 (the converter loads the checkpoint with it)
        import transformers  # noqa: F401
        from ctranslate2.converters import TransformersConverter
    except ImportError:
        raise TranslatorError(EXTRA_HINT) from None
    local = Path(source).expanduser()
    model_type = _model_type(local if local.is_dir() else None, source, revision, store.endpoint)
    if model_type not in _TOKENIZER_FILES:
        raise ModelError(
            f"{source} is a '{model_type}' checkpoint: only Marian (OPUS-MT), NLLB-200 and M2M-100 can be converted"
        )
    model_id = model_id or source.rstrip("/").rsplit("/", 1)[-1]
    work = store.root / ".partial" / f"{model_id}.convert-{uuid.uuid4().hex[:8]}"
    try:
        converter = TransformersConverter(
            str(local) if local.is_dir() else source, copy_files=list(_TOKENIZER_FILES[model_type]), revision=revision
        )
        converter.convert(str(work), quantization=quantization, force=True)
    except (OSError, ValueError, RuntimeError) as error:
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"cannot convert {source}: {_first_line(error)}") from error
    try:
        return store.import_folder(work, model_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _model_type(folder: Path | None, source: str, revision: str | None, endpoint: str) -> str:
    """The checkpoint's `model_type` from its config.json (NLLB-200 checkpoints say "m2m_100" too)."""
    if folder is not None:
        config_path = folder / "config.json"
        if not config_path.is_file():
            raise ModelError(f"{folder} is not a Transformers checkpoint: config.json is missing")
    else:
        from huggingface_hub import hf_hub_download

        try:
            config_path = Path(hf_hub_download(source, "config.json", revision=revision, endpoint=endpoint))
        except Exception as error:  # no network, no such repository: one line either way
            raise TranslatorError(
                f"cannot fetch {source}'s config.json from {endpoint}: {_first_line(error)}"
            ) from error
    try:
        return str(json.loads(config_path.read_text(encoding="utf-8")).get("model_type", ""))
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read {config_path}: {error}") from error


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
