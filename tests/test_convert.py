"""`translator models convert`: a Transformers Marian checkpoint becomes an installed CTranslate2 model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import sentencepiece as spm
from test_cli import assert_one_line_error, run_main

from translator.models.store import ModelStore

pytest.importorskip("torch", reason="the convert extra is not installed")
transformers = pytest.importorskip("transformers", reason="the convert extra is not installed")
# MarianTokenizer asks for sacremoses, which only its text normalisation uses, not the checkpoint.
pytestmark = pytest.mark.filterwarnings("ignore:Recommended. pip install sacremoses")


@pytest.fixture(scope="module")
def marian_checkpoint(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Marian (OPUS-MT) checkpoint as Transformers saves one, with real SentencePiece models."""
    folder = tmp_path_factory.mktemp("checkpoint") / "opus-mt-en-de-tiny"
    folder.mkdir()
    for name in ("source.spm", "target.spm"):
        shutil.copy(demo_folder / "opus-mt-en-de-demo" / name, folder / name)
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    vocabulary = {"</s>": 0, "<unk>": 1}
    for index in range(pieces.get_piece_size()):
        vocabulary.setdefault(pieces.id_to_piece(index), len(vocabulary))
    vocabulary.pop("<pad>", None)
    vocabulary["<pad>"] = len(vocabulary)  # last, as in OPUS-MT's vocabularies
    (folder / "vocab.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    transformers.MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json")
    ).save_pretrained(folder)
    config = transformers.MarianConfig(
        vocab_size=len(vocabulary), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=vocabulary["<pad>"], eos_token_id=0, decoder_start_token_id=vocabulary["<pad>"],
    )  # fmt: skip
    transformers.MarianMTModel(config).save_pretrained(folder)
    return folder


def test_convert_a_marian_checkpoint(marian_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["models", "convert", str(marian_checkpoint)]) == 0
    assert "into opus-mt-en-de-tiny" in capsys.readouterr().out
    store = ModelStore()
    installed = store.get("opus-mt-en-de-tiny")
    assert (installed.stage, installed.family, installed.origin) == ("translation", "opus-mt", "import")
    assert {"model.bin", "source.spm", "target.spm"} <= {file.name for file in installed.files}
    assert store.verify(["opus-mt-en-de-tiny"])[0].ok  # TextTranslator loads it, en->de from its name
    assert not list((Path(os.environ["TRANSLATOR_MODELS_DIR"]) / ".partial").iterdir())


def test_what_cannot_be_converted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["models", "convert", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "not a Transformers checkpoint: config.json is missing")
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    assert run_main(["models", "convert", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "a 'bert' checkpoint: only Marian (OPUS-MT), NLLB-200 and M2M-100")
