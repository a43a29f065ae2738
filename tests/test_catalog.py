"""The shipped model catalog is complete and consistent, and chains are planned from it correctly."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from translator.languages import LANGUAGES, find_language
from translator.models.catalog import DEFAULT_CATALOG, FAMILIES, STAGES, TIERS, CatalogError, load_catalog
from translator.models.planning import (
    Hardware,
    UnsupportedPairError,
    auto_profile,
    coverage,
    describe_total,
    plan_chain,
)
from translator.stages.recognition import REQUIRED_FILES
from translator.stages.translation import SENTENCEPIECE_NAMES

CATALOG = load_catalog()
REQUIRED_WHISPER = {"whisper-tiny", "whisper-base", "whisper-small", "whisper-medium", "whisper-large-v3",
                    "whisper-large-v3-turbo"}  # fmt: skip
REQUIRED_MULTILINGUAL = {"nllb-200-distilled-600m", "nllb-200-distilled-1.3b", "m2m100-418m"}
# LANG/LOCALE/NAME/QUALITY/LOCALE-NAME-QUALITY.onnx, as rhasspy/piper-voices lays its voices out.
PIPER_PATH = re.compile(r"(?P<lang>[a-z]{2,3})/(?P<locale>[a-z]{2,3}_[A-Z]{2})/(?P<name>[^/]+)/(?P<quality>[a-z_]+)/"
                        r"(?P=locale)-(?P=name)-(?P=quality)\.onnx(\.json)?")  # fmt: skip
L = find_language


def test_every_entry_is_complete() -> None:
    assert len(CATALOG.models) == len({model.id for model in CATALOG.models})
    for model in CATALOG.models:
        assert model.stage in STAGES and model.family in FAMILIES[model.stage], model.id
        assert re.fullmatch(r"[0-9a-f]{40}", model.revision), model.id
        assert re.fullmatch(r"[\w.\-]+/[\w.\-]+", model.repo), model.id
        assert model.tier in TIERS and model.licence and model.licence_url.startswith("https://"), model.id
        assert model.files and model.languages, model.id
        for file in model.files:
            assert file.size is not None or file.sha256 is not None, (model.id, file.path)
            if file.sha256 is None:
                assert file.md5 is not None, f"{model.id}: {file.path} has no digest"


def test_every_language_maps_through_the_table() -> None:
    for model in CATALOG.models:
        for language in model.languages:
            assert language in LANGUAGES, (model.id, language)
    for model in CATALOG.stage("synthesis"):
        assert model.locale in model.targets[0].piper_locales, model.id


def test_every_translation_target_has_a_voice_or_is_marked_as_having_none() -> None:
    targets = {language for model in CATALOG.stage("translation") for language in model.targets}
    spoken = {language for voice in CATALOG.stage("synthesis") for language in voice.targets}
    assert CATALOG.no_voice == targets - spoken
    assert not CATALOG.no_voice & spoken
    # Every language Piper speaks in the catalog is also a language the catalog translates into.
    assert spoken <= targets


def test_the_models_the_issue_names_are_there() -> None:
    ids = {model.id for model in CATALOG.models}
    assert ids >= REQUIRED_WHISPER
    assert ids >= REQUIRED_MULTILINGUAL
    assert {"opus-mt-en-es", "opus-mt-es-en", "opus-mt-fr-en", "opus-mt-zh-en"} <= ids
    assert len(CATALOG.stage("synthesis")) >= 100


def test_nllb_says_it_is_non_commercial() -> None:
    for model in CATALOG.stage("translation"):
        assert model.non_commercial == (model.family == "nllb"), model.id


def test_whisper_languages() -> None:
    heard = {language.code for language in LANGUAGES if language.whisper}
    for model in CATALOG.stage("recognition"):
        codes = {language.code for language in model.sources}
        # large-v3 added Cantonese; the earlier models' vocabulary has no token for it.
        assert codes == (heard if "large-v3" in model.id else heard - {"yue"}), model.id


def test_files_are_what_the_loaders_need() -> None:
    for model in CATALOG.models:
        names = {file.name for file in model.files}
        if model.stage == "recognition":
            for required in REQUIRED_FILES:
                options = (required,) if isinstance(required, str) else required
                assert names & set(options), (model.id, required)
            if "large-v3" in model.id:  # 128 mel bins: faster-whisper reads them from the preprocessor config
                assert "preprocessor_config.json" in names
        elif model.stage == "translation":
            assert {"model.bin", "config.json"} <= names, model.id
            assert any(name.startswith(("shared_vocabulary.", "source_vocabulary.")) for name in names), model.id
            if model.family == "opus-mt":
                assert {"source.spm", "target.spm"} <= names and model.id.startswith("opus-mt-"), model.id
                assert len(model.sources) == len(model.targets) == 1
            else:
                assert names & set(SENTENCEPIECE_NAMES), model.id
        else:
            assert model.entry.endswith(".onnx") and f"{model.entry}.json" in names, model.id


def test_voice_paths_follow_the_piper_voices_layout() -> None:
    for voice in CATALOG.stage("synthesis"):
        for file in voice.files:
            match = PIPER_PATH.fullmatch(file.path)
            assert match, file.path
            assert match["locale"] == voice.locale and match["quality"] == voice.quality
            assert f"{match['locale']}-{match['name']}-{match['quality']}" == voice.id
        assert voice.repo == "rhasspy/piper-voices"


def test_sizes() -> None:
    assert CATALOG.get("whisper-small").size == 2370 + 483546902 + 2203239 + 459861
    assert CATALOG.get("m2m100-418m").size is None  # no public source gives its file sizes
    assert describe_total([CATALOG.get("whisper-base"), CATALOG.get("m2m100-418m")]) == "at least 148 MB"


def test_coverage_figures() -> None:
    figures = coverage(CATALOG)
    assert figures["recognition_languages"] == sum(1 for language in LANGUAGES if language.whisper)
    assert figures["direct_pairs"] == len([m for m in CATALOG.stage("translation") if m.family == "opus-mt"])
    assert figures["voices"] == len(CATALOG.stage("synthesis"))
    assert figures["voice_languages"] + figures["targets_without_voice"] == figures["translation_languages"] - len(
        {s for m in CATALOG.stage("translation") for s in m.sources}
        - {t for m in CATALOG.stage("translation") for t in m.targets}
    )


# --- planning --------------------------------------------------------------------------------------


def test_a_direct_opus_mt_model_is_preferred() -> None:
    plan = plan_chain(CATALOG, L("en"), L("es"), "fast")
    assert plan.translation.id == "opus-mt-en-es"
    assert plan.recognition.id == "whisper-base"
    assert plan.voice is not None and plan.voice.locale == "es_ES" and plan.voice.quality in ("low", "x_low")


@pytest.mark.parametrize(
    ("profile", "whisper", "translation", "quality"),
    [
        ("fast", "whisper-base", "m2m100-418m", "low"),
        ("balanced", "whisper-small", "nllb-200-distilled-600m", "medium"),
        ("accurate", "whisper-large-v3", "nllb-200-distilled-1.3b", "high"),
    ],
)
def test_profiles_chains_without_a_direct_model(profile: str, whisper: str, translation: str, quality: str) -> None:
    plan = plan_chain(CATALOG, L("en"), L("de"), profile)
    assert (plan.recognition.id, plan.translation.id) == (whisper, translation)
    assert plan.voice is not None and plan.voice.id == f"de_DE-thorsten-{quality}"
    assert plan.model_ids == (whisper, translation, plan.voice.id)


def test_an_unknown_source_gets_a_multilingual_model() -> None:
    plan = plan_chain(CATALOG, None, L("en"), "balanced")
    assert plan.translation.id == "nllb-200-distilled-600m"
    assert plan.voice is not None and plan.voice.id == "en_US-lessac-medium"
    assert any("non-commercial" in note for note in plan.notes)


def test_a_language_nllb_lacks_falls_back_to_m2m100() -> None:
    assert L("br").flores is None and L("br").m2m is not None
    assert plan_chain(CATALOG, L("en"), L("br"), "balanced").translation.id == "m2m100-418m"


def test_a_target_without_a_voice_plans_text_only() -> None:
    plan = plan_chain(CATALOG, L("en"), L("ja"), "balanced")
    assert plan.voice is None
    assert "no voice speaks Japanese" in plan.notes[-1]


def test_an_untranslatable_target_names_the_stage() -> None:
    with pytest.raises(UnsupportedPairError, match="translates English into Latin") as error:
        plan_chain(CATALOG, L("en"), L("la"), "balanced")
    assert error.value.stage == "translation"


def test_an_unheard_source_names_what_would_hear_it() -> None:
    with pytest.raises(UnsupportedPairError, match="whisper-large-v3") as error:
        plan_chain(CATALOG, L("yue"), L("en"), "fast")
    assert error.value.stage == "recognition"
    assert "\n" not in str(error.value)
    with pytest.raises(UnsupportedPairError, match="Whisper does not know it"):
        plan_chain(CATALOG, L("ast"), L("en"), "balanced")


@pytest.mark.parametrize(
    ("cuda", "memory_gib", "profile"),
    [
        (1, 32, "accurate"),
        (1, 4, "fast"),
        (0, 16, "balanced"),
        (0, 6, "balanced"),
        (0, 4, "fast"),
        (0, None, "balanced"),
    ],
)
def test_auto_profile(cuda: int, memory_gib: int | None, profile: str) -> None:
    assert auto_profile(Hardware(cuda, None if memory_gib is None else memory_gib << 30)) == profile


# --- validation ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_catalog() -> dict[str, Any]:
    return json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))


def _broken(raw: dict[str, Any], tmp_path: Path, change: Any) -> Path:
    data = copy.deepcopy(raw)
    change(data)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _model(data: dict[str, Any], model_id: str) -> dict[str, Any]:
    return next(model for model in data["models"] if model["id"] == model_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _model(d, "whisper-small").pop("revision"), "'whisper-small': 'revision' is missing"),
        (lambda d: _model(d, "whisper-small").update(revision="main"), "must be a 40-character commit"),
        (lambda d: _model(d, "whisper-small")["languages"].append("klingon"), "language 'klingon' is not in"),
        (lambda d: _model(d, "whisper-small")["languages"].append("deu_Latn"), "as its table code 'de'"),
        (lambda d: _model(d, "whisper-small")["files"][0].update(sha256="abc"), "malformed sha256"),
        (lambda d: _model(d, "whisper-small")["files"][0].update(size=None, sha256=None), "neither a size nor"),
        (lambda d: _model(d, "opus-mt-en-es").update(stage="synthesis"), "do not go together"),
        (lambda d: d["no_voice"].remove("ja"), "ja (Japanese) has no voice and no no_voice mark"),
        (lambda d: d["no_voice"].append("de"), "de (German) has a voice but is marked no_voice"),
        (lambda d: d["profiles"][0].update(recognition="whisper-huge"), "names 'whisper-huge'"),
        (lambda d: d["models"].append(_model(d, "whisper-small")), "'whisper-small' is used twice"),
        (lambda d: _model(d, "en_US-lessac-medium").update(locale="xx_XX"), "locale 'xx_XX' is not in"),
    ],
)
def test_a_broken_entry_is_one_line_naming_it(
    raw_catalog: dict[str, Any], tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(CatalogError) as error:
        load_catalog(_broken(raw_catalog, tmp_path, change))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_environment_names_another_catalog(
    raw_catalog: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _broken(raw_catalog, tmp_path, lambda d: d["models"].pop(0))
    monkeypatch.setenv("TRANSLATOR_CATALOG", str(path))
    assert "whisper-tiny" not in load_catalog()
    monkeypatch.setenv("TRANSLATOR_CATALOG", str(tmp_path / "absent.json"))
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog()
