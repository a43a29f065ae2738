"""The one model choice, called directly with typed requests: explicit models, profiles, the settings file,
the installed models, what is missing, and the first-start offer."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_server import CLOSED_ENDPOINT, HubFixture

from translator.config import ModelPaths
from translator.errors import TranslatorError
from translator.languages import find_language
from translator.models.catalog import load_catalog
from translator.models.choice import FirstStart, ModelPlan, ModelRequest, ModelsMissingError, choose_models
from translator.models.planning import NoVoiceError
from translator.models.store import ModelStore

GERMAN, ENGLISH, FRENCH = find_language("de"), find_language("en"), find_language("fr")


@pytest.fixture
def store(local_hub: HubFixture, tmp_path: Path) -> ModelStore:
    """An empty store whose catalog is the demo models' (as the local Hub serves them)."""
    return ModelStore(tmp_path / "store", load_catalog(local_hub.catalog_path), local_hub.hub.endpoint)


def install(store: ModelStore, demo_folder: Path, *names: str) -> None:
    """Install demo models without the network: each is recognised as its catalog entry on import."""
    for name in names:
        store.import_folder(demo_folder / name)


def plan_of(store: ModelStore, request: ModelRequest) -> ModelPlan:
    choice = choose_models(store, request)
    assert isinstance(choice, ModelPlan), choice
    return choice


def test_explicit_paths_win_over_the_profile_and_the_settings_file(store: ModelStore, demo_folder: Path) -> None:
    install(store, demo_folder, "nllb-demo")
    whisper, voice = demo_folder / "whisper-demo", demo_folder / "voices" / "de_DE-demo-x_low.onnx"
    elsewhere = ModelPaths(Path("/nowhere/whisper"), Path("/nowhere/translation"), Path("/nowhere/voices"))
    request = ModelRequest((GERMAN,), recognition=str(whisper), voice=str(voice), profile="fast", configured=elsewhere)
    plan = plan_of(store, request)
    # The profile serves only the stage nothing explicit fills; the settings file is not read with a profile.
    assert plan.models == ModelPaths(whisper, store.path_of("demo-nllb"), voice)
    assert plan.voices == {}
    assert [chain.profile for chain in plan.chains] == ["fast"]
    every_stage = ModelRequest(
        (GERMAN,), recognition=str(whisper), translation="demo-nllb", voice=str(voice), configured=elsewhere
    )
    assert plan_of(store, every_stage) == ModelPlan(ModelPaths(whisper, store.path_of("demo-nllb"), voice), {}, ())


def test_a_profile_chain_gives_a_path_per_stage_and_a_voice_per_target(store: ModelStore, demo_folder: Path) -> None:
    install(store, demo_folder, "whisper-demo", "nllb-demo", "voices/de_DE-demo-x_low.onnx")
    plan = plan_of(store, ModelRequest((GERMAN,), profile="fast"))
    assert plan.models == ModelPaths(store.path_of("demo-whisper"), store.path_of("demo-nllb"), None)
    assert plan.voices == {GERMAN: store.path_of("de_DE-demo-x_low")}
    assert plan.chains[0].model_ids == ("demo-whisper", "demo-nllb", "de_DE-demo-x_low")
    text_only = plan_of(store, ModelRequest((GERMAN,), speech=False, profile="fast"))
    assert text_only.voices == {} and text_only.models.translation == store.path_of("demo-nllb")


def test_the_settings_file_then_the_installed_models(store: ModelStore, demo_folder: Path) -> None:
    install(store, demo_folder, "whisper-demo", "opus-mt-en-de-demo", "voices/de_DE-demo-x_low.onnx")
    # Nothing given: the installed models serve the chain, and the direct en->de model is preferred.
    plan = plan_of(store, ModelRequest((GERMAN,), ENGLISH))
    assert plan.models.translation == store.path_of("opus-mt-en-de-demo")
    assert plan.models.whisper == store.path_of("demo-whisper")
    assert plan.voices == {GERMAN: store.path_of("de_DE-demo-x_low")}
    # The settings file's models come before the installed ones, stage by stage.
    configured = ModelPaths(demo_folder / "whisper-demo", demo_folder / "nllb-demo", demo_folder / "voices")
    assert plan_of(store, ModelRequest((GERMAN,), ENGLISH, configured=configured)) == ModelPlan(configured, {}, ())


def test_a_missing_model_is_a_typed_error_naming_it(store: ModelStore, demo_folder: Path) -> None:
    with pytest.raises(ModelsMissingError) as error:
        choose_models(store, ModelRequest((GERMAN,), ENGLISH, profile="fast"))
    assert error.value.model_ids == ("demo-whisper", "opus-mt-en-de-demo", "de_DE-demo-x_low")
    assert not error.value.only_voices
    assert str(error.value) == (
        "models 'demo-whisper', 'opus-mt-en-de-demo', 'de_DE-demo-x_low' are not installed: "
        "run: translator models download demo-whisper opus-mt-en-de-demo de_DE-demo-x_low"
    )
    assert error.value.chains[0].target == GERMAN  # the whole choice, for showing it with what is missing
    install(store, demo_folder, "whisper-demo", "nllb-demo")
    with pytest.raises(ModelsMissingError) as error:
        choose_models(store, ModelRequest((GERMAN, FRENCH), profile="fast"))  # a conversation: two voices
    assert error.value.only_voices and error.value.model_ids == ("de_DE-demo-x_low", "fr_FR-demo-x_low")
    assert str(error.value) == (
        "no German and French voice is installed: run: translator models download de_DE-demo-x_low fr_FR-demo-x_low"
    )
    assert "--" not in str(error.value)  # the core names commands, never an option of one front end


def test_explicit_ids_are_checked(store: ModelStore, demo_folder: Path) -> None:
    install(store, demo_folder, "opus-mt-en-de-demo")
    with pytest.raises(TranslatorError, match="'opus-mt-en-de-demo' is a translation model, not a recognition"):
        choose_models(store, ModelRequest((GERMAN,), recognition="opus-mt-en-de-demo"))
    with pytest.raises(TranslatorError, match="'nosuch' is neither a folder nor a model id"):
        choose_models(store, ModelRequest((GERMAN,), recognition="nosuch"))
    with pytest.raises(TranslatorError, match="model 'demo-whisper' is not installed: run: translator models"):
        choose_models(store, ModelRequest((GERMAN,), recognition="demo-whisper"))


def test_nothing_installed_is_the_first_start_offer(local_hub: HubFixture, store: ModelStore, tmp_path: Path) -> None:
    offer = choose_models(store, ModelRequest((GERMAN,), ENGLISH))
    assert isinstance(offer, FirstStart)
    assert offer.needed and offer.online is True and offer.target == GERMAN
    assert offer.model_ids == ("demo-whisper", "opus-mt-en-de-demo", "de_DE-demo-x_low")
    assert offer.download_command.endswith("--to de --from en")
    offline = ModelStore(tmp_path / "offline", store.catalog, CLOSED_ENDPOINT)
    unreachable = choose_models(offline, ModelRequest((GERMAN, FRENCH)))  # a conversation: no single target
    assert isinstance(unreachable, FirstStart)
    assert unreachable.online is False and unreachable.target is None
    assert "no network" in unreachable.network_message
    # A profile, a model or a settings file is a choice: no offer, but what is missing.
    with pytest.raises(ModelsMissingError):
        choose_models(store, ModelRequest((GERMAN,), profile="fast"))


def test_speech_in_a_language_no_voice_speaks(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")  # the shipped catalog: Japanese has no voice
    japanese = find_language("ja")
    with pytest.raises(NoVoiceError, match="no voice in the catalog speaks Japanese") as error:
        choose_models(store, ModelRequest((japanese,), ENGLISH, profile="balanced"))
    assert error.value.language == japanese
    with pytest.raises(ModelsMissingError) as missing:
        choose_models(store, ModelRequest((japanese,), ENGLISH, text_only_without_voice=True, profile="balanced"))
    assert missing.value.chains[0].voice is None
    assert all(model.stage != "synthesis" for model in missing.value.missing)
