"""Tests for translator.stages.translation with the demo NLLB-200, M2M-100 and OPUS-MT models (real CTranslate2)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from translator.errors import ModelError, UnsupportedLanguageError
from translator.languages import find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.stages.translation import (
    ModelFamily,
    TextTranslator,
    TranslatorSettings,
    _read_vocabulary,
    detect_family,
    source_tokens,
    target_prefix,
)

EN, DE, FR, ES, JA = (find_language(code) for code in ("en", "de", "fr", "es", "ja"))
MULTILINGUAL = ["nllb-demo", "m2m100-demo"]
SENTENCE = "The good house is small today."


class CountingModel:
    """Stands in for `TextTranslator._model`: records each batch and passes it to the real Translator."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.batches: list[list[list[str]]] = []

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        self.batches.append(source)
        return self.model.translate_batch(source, **options)

    @property
    def sentences(self) -> int:
        return sum(len(batch) for batch in self.batches)


def load(folder: Path, **settings: Any) -> TextTranslator:
    return TextTranslator(TranslatorSettings(folder, **settings))


@pytest.fixture(scope="module")
def translators(demo_folder: Path) -> dict[str, TextTranslator]:
    return {name: load(demo_folder / name) for name in [*MULTILINGUAL, "opus-mt-en-de-demo"]}


@pytest.fixture
def counted(demo_folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TextTranslator, CountingModel]:
    """A fresh NLLB demo translator (empty cache) whose model calls are counted."""
    translator = load(demo_folder / "nllb-demo", max_batch_size=2)
    spy = CountingModel(translator._model)
    monkeypatch.setattr(translator, "_model", spy)
    return translator, spy


# --- Families and token layouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family"),
    [("nllb-demo", ModelFamily.NLLB), ("m2m100-demo", ModelFamily.M2M100), ("opus-mt-en-de-demo", ModelFamily.OPUS_MT)],
)
def test_detect_family(
    demo_folder: Path, translators: dict[str, TextTranslator], name: str, family: ModelFamily
) -> None:
    folder = demo_folder / name
    assert detect_family(folder, _read_vocabulary(folder, "source")) is family
    assert translators[name].family is family
    assert translators[name].is_demo


def test_detect_family_refuses_an_unknown_layout(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nllb, m2m100 or opus-mt"):
        detect_family(tmp_path, ["<s>", "</s>", "▁hello"])


def test_source_tokens_per_family() -> None:
    pieces = ["▁Hel", "lo", "▁world", "."]
    assert source_tokens(ModelFamily.NLLB, pieces, EN, None) == ["eng_Latn", *pieces, "</s>"]
    assert source_tokens(ModelFamily.NLLB, pieces, DE, None) == ["deu_Latn", *pieces, "</s>"]
    assert source_tokens(ModelFamily.M2M100, pieces, EN, None) == ["__en__", *pieces, "</s>"]
    assert source_tokens(ModelFamily.OPUS_MT, pieces, EN, None) == [*pieces, "</s>"]
    assert source_tokens(ModelFamily.OPUS_MT, pieces, EN, ">>deu<<") == [">>deu<<", *pieces, "</s>"]


def test_target_prefix_per_family() -> None:
    assert target_prefix(ModelFamily.NLLB, DE) == ["deu_Latn"]
    assert target_prefix(ModelFamily.NLLB, FR) == ["fra_Latn"]
    assert target_prefix(ModelFamily.M2M100, DE) == ["__de__"]
    assert target_prefix(ModelFamily.OPUS_MT, DE) is None


@pytest.mark.parametrize(
    ("name", "first", "prefix"),
    [
        ("nllb-demo", "eng_Latn", ["deu_Latn"]),
        ("m2m100-demo", "__en__", ["__de__"]),
        ("opus-mt-en-de-demo", None, None),
    ],
)
def test_model_receives_the_family_layout(
    demo_folder: Path, monkeypatch: pytest.MonkeyPatch, name: str, first: str | None, prefix: list[str] | None
) -> None:
    translator = load(demo_folder / name)
    spy = CountingModel(translator._model)
    calls: list[dict[str, Any]] = []
    real = spy.translate_batch

    def recording(source: list[list[str]], **options: Any) -> Any:
        calls.append(options)
        return real(source, **options)

    monkeypatch.setattr(spy, "translate_batch", recording)
    monkeypatch.setattr(translator, "_model", spy)

    translator.translate([SENTENCE], EN, DE)

    pieces = translator._source_pieces.encode(SENTENCE, out_type=str)
    assert spy.batches == [[([first] if first else []) + pieces + ["</s>"]]]
    assert calls[0]["target_prefix"] == ([prefix] if prefix else None)


# --- Translating -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MULTILINGUAL)
@pytest.mark.parametrize("target", [DE, FR, ES])
def test_multilingual_demo_translates_english(translators: dict[str, TextTranslator], name: str, target: Any) -> None:
    assert translators[name].translate([SENTENCE], EN, target) == [DEMO_TRANSLATIONS[target.code]]


@pytest.mark.parametrize("name", MULTILINGUAL)
def test_multilingual_demo_translates_into_english(translators: dict[str, TextTranslator], name: str) -> None:
    assert translators[name].translate(["Das gute Haus ist klein."], DE, EN) == [DEMO_TRANSLATIONS["en"]]


def test_opus_mt_translates_english_to_german(translators: dict[str, TextTranslator]) -> None:
    translator = translators["opus-mt-en-de-demo"]
    assert translator.sources == frozenset({EN})
    assert translator.targets == frozenset({DE})
    assert translator.translate([SENTENCE], EN, DE) == [DEMO_TRANSLATIONS["de"]]


def test_batch_keeps_order_and_length(counted: tuple[TextTranslator, CountingModel]) -> None:
    translator, spy = counted
    texts = ["One house.", "Two books.", "One house.", "Three friends.", "Four.", ""]

    result = translator.translate(texts, EN, FR)

    assert result == [DEMO_TRANSLATIONS["fr"]] * len(texts)
    # Unique texts went to the model in their order, at most max_batch_size (2) at a time.
    unique = list(dict.fromkeys(texts))
    sent = [tokens for batch in spy.batches for tokens in batch]
    assert [translator._source_pieces.decode(tokens[1:-1]) for tokens in sent] == unique
    assert [len(batch) for batch in spy.batches] == [2, 2, 1]


def test_repeated_sentences_hit_the_cache(counted: tuple[TextTranslator, CountingModel]) -> None:
    translator, spy = counted
    texts = ["One house.", "Two books.", "One house."]

    first = translator.translate(texts, EN, DE)
    assert spy.sentences == 2  # the repeat within one call is translated once

    second = translator.translate(texts, EN, DE)
    assert second == first
    assert spy.sentences == 2  # nothing new translated

    third = translator.translate(["Two books.", "Three friends."], EN, DE)
    assert third == [DEMO_TRANSLATIONS["de"]] * 2
    assert spy.sentences == 3  # only the new sentence

    translator.translate(["Two books."], EN, ES)  # another target is another translation
    assert spy.sentences == 4


def test_cache_holds_at_most_cache_size(demo_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translator = load(demo_folder / "nllb-demo", cache_size=2)
    spy = CountingModel(translator._model)
    monkeypatch.setattr(translator, "_model", spy)

    translator.translate(["A.", "B.", "C."], EN, DE)
    translator.translate(["C."], EN, DE)
    assert spy.sentences == 3
    translator.translate(["A."], EN, DE)  # evicted: translated again
    assert spy.sentences == 4


def test_same_source_and_target_returns_text(counted: tuple[TextTranslator, CountingModel]) -> None:
    translator, spy = counted
    texts = ["Hello there.", "Unchanged, even odd spelling."]
    assert translator.translate(texts, EN, EN) == texts
    assert spy.batches == []


def test_empty_batch(counted: tuple[TextTranslator, CountingModel]) -> None:
    translator, spy = counted
    assert translator.translate([], EN, DE) == []
    assert spy.batches == []


# --- Unsupported pairs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MULTILINGUAL)
def test_multilingual_demo_lacks_japanese(translators: dict[str, TextTranslator], name: str) -> None:
    translator = translators[name]
    assert translator.targets == frozenset({EN, DE, FR, ES})
    with pytest.raises(UnsupportedLanguageError, match="into Japanese"):
        translator.translate([SENTENCE], EN, JA)
    with pytest.raises(UnsupportedLanguageError, match="from Japanese"):
        translator.translate([SENTENCE], JA, DE)


def test_opus_mt_en_de_only(translators: dict[str, TextTranslator]) -> None:
    translator = translators["opus-mt-en-de-demo"]
    with pytest.raises(UnsupportedLanguageError, match="into French"):
        translator.check_pair(EN, FR)
    with pytest.raises(UnsupportedLanguageError, match="from Spanish"):
        translator.check_pair(ES, DE)
    translator.check_pair(EN, DE)
    translator.check_pair(None, DE)


def test_opus_mt_pair_from_settings_when_folder_name_lacks_it(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "opus-mt-en-de-demo", tmp_path / "marian")
    with pytest.raises(ModelError, match="language pair"):
        load(folder)

    translator = load(folder, language_pair="en-de")
    assert translator.family is ModelFamily.OPUS_MT
    assert translator.translate([SENTENCE], EN, DE) == [DEMO_TRANSLATIONS["de"]]
    with pytest.raises(UnsupportedLanguageError, match="into French"):
        translator.check_pair(EN, FR)


def test_opus_mt_unknown_language_in_pair(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "opus-mt-en-de-demo", tmp_path / "marian")
    with pytest.raises(ModelError, match="OPUS-MT"):
        load(folder, language_pair="en-xx")


# --- Broken folders ----------------------------------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    with pytest.raises(ModelError, match="does not exist") as error:
        load(missing)
    assert str(missing) in str(error.value)


@pytest.mark.parametrize(
    ("name", "remove", "named"),
    [
        ("nllb-demo", "model.bin", "model.bin"),
        ("m2m100-demo", "config.json", "config.json"),
        ("nllb-demo", "sentencepiece.bpe.model", "sentencepiece.bpe.model"),
        ("m2m100-demo", "sentencepiece.bpe.model", "sentencepiece.bpe.model"),
        ("opus-mt-en-de-demo", "target.spm", "target.spm"),
        ("opus-mt-en-de-demo", "source.spm", "source.spm"),
        ("nllb-demo", "shared_vocabulary.json", "shared_vocabulary.json"),
    ],
)
def test_incomplete_folder_names_the_missing_file(
    demo_folder: Path, tmp_path: Path, name: str, remove: str, named: str
) -> None:
    folder = shutil.copytree(demo_folder / name, tmp_path / name)
    (folder / remove).unlink()
    with pytest.raises(ModelError) as error:
        load(folder)
    assert named in str(error.value)
    assert "\n" not in str(error.value)


def test_corrupt_model_bin_is_a_model_error(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "nllb-demo", tmp_path / "nllb")
    (folder / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load the translation model"):
        load(folder)


def test_zero_filled_model_bin_is_a_model_error(demo_folder: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(demo_folder / "nllb-demo", tmp_path / "nllb")
    size = (folder / "model.bin").stat().st_size
    (folder / "model.bin").write_bytes(b"\0" * size)  # what an interrupted, preallocated download leaves
    with pytest.raises(ModelError, match="cannot load the translation model"):
        load(folder)
