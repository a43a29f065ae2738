"""Planning from the catalog: the profiles, what `auto` means on this machine, whole chains, and sizes.

`plan_chain(catalog, source, target, profile)` picks a whole chain for a language pair: the
profile's Whisper model, a direct OPUS-MT model for the pair where one exists (else the
profile's first multilingual model that covers the pair) and a voice for the target. A pair that
cannot be served raises `UnsupportedPairError` naming the stage and the model that would serve it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.catalog import AUTO, VOICE_QUALITIES, Catalog, CatalogModel, Profile

# The profiles a person can name: the catalog's three, and auto (chosen by hardware).
PROFILE_CHOICES = ("fast", "balanced", "accurate", AUTO)


class UnsupportedPairError(TranslatorError):
    """No model of some stage serves a language pair under a profile.

    stage: the stage at fault; alternative: a catalog model of that stage that would serve the pair
    (None when no model in the catalog does), for the caller to offer in its own words.
    """

    def __init__(self, stage: str, message: str, alternative: str | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.alternative = alternative


class NoVoiceError(TranslatorError):
    """Speech is wanted in `language` and no voice speaks it; the caller adds how to go on without speech."""

    def __init__(self, language: Language, message: str) -> None:
        super().__init__(message)
        self.language = language


@dataclass(frozen=True)
class ChainPlan:
    """The models that serve one language pair under one profile.

    voice is None when no voice speaks the target (text and subtitles only); notes say so, and
    name licence restrictions, in one line each.
    """

    profile: str
    source: Language | None
    target: Language
    recognition: CatalogModel
    translation: CatalogModel
    voice: CatalogModel | None
    notes: tuple[str, ...]

    @property
    def models(self) -> tuple[CatalogModel, ...]:
        return tuple(model for model in (self.recognition, self.translation, self.voice) if model is not None)

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(model.id for model in self.models)

    @property
    def size(self) -> int | None:
        """Bytes to download for the whole chain; None when some file's size is not known."""
        sizes = [model.size for model in self.models]
        return None if None in sizes else sum(size for size in sizes if size is not None)


@dataclass(frozen=True)
class Hardware:
    """What `auto` looks at: CUDA devices CTranslate2 sees, and the machine's memory (None: unknown)."""

    cuda_devices: int
    memory_bytes: int | None


_GIB = 1 << 30


def detect_hardware() -> Hardware:
    """This machine's CUDA devices (as CTranslate2 sees them) and physical memory."""
    import ctranslate2

    memory = None
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf: memory stays unknown
        memory = None
    return Hardware(ctranslate2.get_cuda_device_count(), memory)


def auto_profile(hardware: Hardware) -> str:
    """The profile `auto` means on this hardware.

    A CUDA GPU with 8 GiB of memory or more in the machine: accurate (Whisper large-v3 and NLLB-1.3B
    need a GPU to keep up). Otherwise 6 GiB or more (or unknown): balanced, which peaks near 1.4 GB
    on a CPU. Less: fast.
    """
    memory = hardware.memory_bytes
    if hardware.cuda_devices > 0 and (memory is None or memory >= 8 * _GIB):
        return "accurate"
    if memory is None or memory >= 6 * _GIB:
        return "balanced"
    return "fast"


def resolve_profile(catalog: Catalog, name: str, hardware: Hardware | None = None) -> Profile:
    """The profile called `name`; "auto" picks one for `hardware` (detected when None)."""
    if name == AUTO:
        name = auto_profile(hardware if hardware is not None else detect_hardware())
    return catalog.profile(name)


def plan_chain(catalog: Catalog, source: Language | None, target: Language, profile: Profile | str = AUTO) -> ChainPlan:
    """Choose the recognition, translation and voice models for `source` (None: detected) -> `target`.

    Raises `UnsupportedPairError` naming the stage that has no model, and what would serve it.
    """
    if isinstance(profile, str):
        profile = resolve_profile(catalog, profile)
    recognition = _recognition(catalog, profile, source)
    translation = _translation(catalog, profile, source, target)
    voice = _voice(catalog, profile, target)
    notes = [f"{model.name}: {model.licence}" for model in (recognition, translation) if model.non_commercial]
    if voice is None:
        notes.append(f"no voice speaks {target.name}: text and subtitles only")
    return ChainPlan(profile.name, source, target, recognition, translation, voice, tuple(notes))


def _recognition(catalog: Catalog, profile: Profile, source: Language | None) -> CatalogModel:
    model = catalog.get(profile.recognition)
    if source is None or source in model.sources:
        return model
    others = [other.id for other in catalog.stage("recognition") if source in other.sources]
    if not others:
        raise UnsupportedPairError("recognition", f"no recognition model hears {source.name}: Whisper does not know it")
    raise UnsupportedPairError(
        "recognition",
        f"recognition: {model.id} (profile {profile.name}) does not hear {source.name}; {' or '.join(others)} does",
        others[0],
    )


def _translation(catalog: Catalog, profile: Profile, source: Language | None, target: Language) -> CatalogModel:
    if source is not None and source != target:
        for model in catalog.stage("translation"):
            if model.family == "opus-mt" and source in model.sources and target in model.targets:
                return model
    for model_id in profile.translation:
        model = catalog.get(model_id)
        if model.translates(source, target):
            return model
    pair = f"{source.name} into {target.name}" if source is not None else f"into {target.name}"
    others = [model.id for model in catalog.stage("translation") if model.translates(source, target)]
    if not others:
        raise UnsupportedPairError("translation", f"no translation model in the catalog translates {pair}")
    raise UnsupportedPairError(
        "translation",
        f"translation: no model of profile {profile.name} translates {pair}; {' or '.join(others)} does",
        others[0],
    )


def _voice(catalog: Catalog, profile: Profile, target: Language) -> CatalogModel | None:
    voices = catalog.voices_for(target)
    if not voices:
        return None
    locales = list(target.piper_locales)

    def rank(voice: CatalogModel) -> tuple[int, int, bool, bool, str]:
        # The accent the table lists first (most speakers) before quality: a Spaniard wants es_ES
        # at medium quality rather than es_MX at high.
        quality = voice.quality or ""
        return (
            locales.index(voice.locale) if voice.locale in locales else len(locales),
            profile.voice_quality.index(quality) if quality in profile.voice_quality else len(VOICE_QUALITIES),
            not voice.preferred,
            (voice.speakers or 1) > 1,  # one speaker: no speaker to choose
            voice.id,
        )

    return min(voices, key=rank)


def coverage(catalog: Catalog) -> dict[str, int]:
    """Figures for the catalog's reach: languages heard, pairs translated (direct and any), voices."""
    heard = {language for model in catalog.stage("recognition") for language in model.sources}
    pairs = {
        (source, target)
        for model in catalog.stage("translation")
        for source in model.sources
        for target in model.targets
        if source != target
    }
    direct = {
        (source, target)
        for model in catalog.stage("translation")
        if model.family == "opus-mt"
        for source in model.sources
        for target in model.targets
    }
    voices = catalog.stage("synthesis")
    spoken = {language for voice in voices for language in voice.targets}
    targets = {target for _, target in pairs}
    return {
        "recognition_models": len(catalog.stage("recognition")),
        "recognition_languages": len(heard),
        "translation_models": len(catalog.stage("translation")),
        "translation_languages": len({language for pair in pairs for language in pair}),
        "translation_pairs": len(pairs),
        "direct_pairs": len(direct),
        "voices": len(voices),
        "voice_locales": len({voice.locale for voice in voices}),
        "voice_languages": len(spoken),
        "targets_without_voice": len(targets - spoken),
        "speech_to_speech_pairs": len({(s, t) for s, t in pairs if s in heard and t in spoken}),
    }


def describe_size(size: int | None) -> str:
    """A size for people: "1.2 GB", "483 MB", or "size unknown"."""
    if size is None:
        return "size unknown"
    if size >= 10**9:
        return f"{size / 10**9:.1f} GB"
    if size >= 10**6:
        return f"{size / 10**6:.0f} MB"
    return f"{max(size / 10**3, 1):.0f} kB"


def describe_total(models: Iterable[CatalogModel]) -> str:
    """The download size of several models: "1.2 GB", or "at least 221 MB" when some size is unknown."""
    sizes = [model.size for model in models]
    known = sum(size for size in sizes if size is not None)
    return describe_size(known) if None not in sizes else f"at least {describe_size(known)}"


def languages_text(languages: Sequence[Language], limit: int = 6) -> str:
    """A short list of language codes: "en, de, fr (+97)"."""
    codes = [language.code for language in languages]
    shown = ", ".join(codes[:limit])
    return shown + (f" (+{len(codes) - limit})" if len(codes) > limit else "")
