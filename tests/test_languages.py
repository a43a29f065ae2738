"""Tests for translator.languages, the table of language codes."""

from __future__ import annotations

import dataclasses
import re

import pytest

from translator.languages import (
    LANGUAGES,
    Language,
    UnknownLanguageError,
    find_language,
    language_for_flores,
    language_for_piper_locale,
    language_for_whisper,
)

# Whisper's LANGUAGES (openai/whisper tokenizer.py): code -> name, yue included.
WHISPER_LANGUAGES = {
    "en": "english", "zh": "chinese", "de": "german", "es": "spanish", "ru": "russian",
    "ko": "korean", "fr": "french", "ja": "japanese", "pt": "portuguese", "tr": "turkish",
    "pl": "polish", "ca": "catalan", "nl": "dutch", "ar": "arabic", "sv": "swedish",
    "it": "italian", "id": "indonesian", "hi": "hindi", "fi": "finnish", "vi": "vietnamese",
    "he": "hebrew", "uk": "ukrainian", "el": "greek", "ms": "malay", "cs": "czech",
    "ro": "romanian", "da": "danish", "hu": "hungarian", "ta": "tamil", "no": "norwegian",
    "th": "thai", "ur": "urdu", "hr": "croatian", "bg": "bulgarian", "lt": "lithuanian",
    "la": "latin", "mi": "maori", "ml": "malayalam", "cy": "welsh", "sk": "slovak",
    "te": "telugu", "fa": "persian", "lv": "latvian", "bn": "bengali", "sr": "serbian",
    "az": "azerbaijani", "sl": "slovenian", "kn": "kannada", "et": "estonian",
    "mk": "macedonian", "br": "breton", "eu": "basque", "is": "icelandic", "hy": "armenian",
    "ne": "nepali", "mn": "mongolian", "bs": "bosnian", "kk": "kazakh", "sq": "albanian",
    "sw": "swahili", "gl": "galician", "mr": "marathi", "pa": "punjabi", "si": "sinhala",
    "km": "khmer", "sn": "shona", "yo": "yoruba", "so": "somali", "af": "afrikaans",
    "oc": "occitan", "ka": "georgian", "be": "belarusian", "tg": "tajik", "sd": "sindhi",
    "gu": "gujarati", "am": "amharic", "yi": "yiddish", "lo": "lao", "uz": "uzbek",
    "fo": "faroese", "ht": "haitian creole", "ps": "pashto", "tk": "turkmen",
    "nn": "nynorsk", "mt": "maltese", "sa": "sanskrit", "lb": "luxembourgish",
    "my": "myanmar", "bo": "tibetan", "tl": "tagalog", "mg": "malagasy", "as": "assamese",
    "tt": "tatar", "haw": "hawaiian", "ln": "lingala", "ha": "hausa", "ba": "bashkir",
    "jw": "javanese", "su": "sundanese", "yue": "cantonese",
}  # fmt: skip

# Whisper's extra TO_LANGUAGE_CODE aliases.
WHISPER_ALIASES = {
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht",
    "letzeburgesch": "lb", "pushto": "ps", "panjabi": "pa", "moldavian": "ro",
    "moldovan": "ro", "sinhalese": "si", "castilian": "es", "mandarin": "zh",
}  # fmt: skip

# NLLB-200's language codes (FLORES-200).
NLLB_CODES = {
    "ace_Arab", "ace_Latn", "acm_Arab", "acq_Arab", "aeb_Arab", "afr_Latn", "ajp_Arab",
    "aka_Latn", "amh_Ethi", "apc_Arab", "arb_Arab", "ars_Arab", "ary_Arab", "arz_Arab",
    "asm_Beng", "ast_Latn", "awa_Deva", "ayr_Latn", "azb_Arab", "azj_Latn", "bak_Cyrl",
    "bam_Latn", "ban_Latn", "bel_Cyrl", "bem_Latn", "ben_Beng", "bho_Deva", "bjn_Arab",
    "bjn_Latn", "bod_Tibt", "bos_Latn", "bug_Latn", "bul_Cyrl", "cat_Latn", "ceb_Latn",
    "ces_Latn", "cjk_Latn", "ckb_Arab", "crh_Latn", "cym_Latn", "dan_Latn", "deu_Latn",
    "dik_Latn", "dyu_Latn", "dzo_Tibt", "ell_Grek", "eng_Latn", "epo_Latn", "est_Latn",
    "eus_Latn", "ewe_Latn", "fao_Latn", "pes_Arab", "fij_Latn", "fin_Latn", "fon_Latn",
    "fra_Latn", "fur_Latn", "fuv_Latn", "gla_Latn", "gle_Latn", "glg_Latn", "grn_Latn",
    "guj_Gujr", "hat_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hne_Deva", "hrv_Latn",
    "hun_Latn", "hye_Armn", "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn", "ita_Latn",
    "jav_Latn", "jpn_Jpan", "kab_Latn", "kac_Latn", "kam_Latn", "kan_Knda", "kas_Arab",
    "kas_Deva", "kat_Geor", "knc_Arab", "knc_Latn", "kaz_Cyrl", "kbp_Latn", "kea_Latn",
    "khm_Khmr", "kik_Latn", "kin_Latn", "kir_Cyrl", "kmb_Latn", "kon_Latn", "kor_Hang",
    "kmr_Latn", "lao_Laoo", "lvs_Latn", "lij_Latn", "lim_Latn", "lin_Latn", "lit_Latn",
    "lmo_Latn", "ltg_Latn", "ltz_Latn", "lua_Latn", "lug_Latn", "luo_Latn", "lus_Latn",
    "mag_Deva", "mai_Deva", "mal_Mlym", "mar_Deva", "min_Latn", "mkd_Cyrl", "plt_Latn",
    "mlt_Latn", "mni_Beng", "khk_Cyrl", "mos_Latn", "mri_Latn", "zsm_Latn", "mya_Mymr",
    "nld_Latn", "nno_Latn", "nob_Latn", "npi_Deva", "nso_Latn", "nus_Latn", "nya_Latn",
    "oci_Latn", "gaz_Latn", "ory_Orya", "pag_Latn", "pan_Guru", "pap_Latn", "pol_Latn",
    "por_Latn", "prs_Arab", "pbt_Arab", "quy_Latn", "ron_Latn", "run_Latn", "rus_Cyrl",
    "sag_Latn", "san_Deva", "sat_Beng", "scn_Latn", "shn_Mymr", "sin_Sinh", "slk_Latn",
    "slv_Latn", "smo_Latn", "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn", "spa_Latn",
    "als_Latn", "srd_Latn", "srp_Cyrl", "ssw_Latn", "sun_Latn", "swe_Latn", "swh_Latn",
    "szl_Latn", "tam_Taml", "tat_Cyrl", "tel_Telu", "tgk_Cyrl", "tgl_Latn", "tha_Thai",
    "tir_Ethi", "taq_Latn", "taq_Tfng", "tpi_Latn", "tsn_Latn", "tso_Latn", "tuk_Latn",
    "tum_Latn", "tur_Latn", "twi_Latn", "tzm_Tfng", "uig_Arab", "ukr_Cyrl", "umb_Latn",
    "urd_Arab", "uzn_Latn", "vec_Latn", "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn",
    "ydd_Hebr", "yor_Latn", "yue_Hant", "zho_Hans", "zho_Hant", "zul_Latn",
}  # fmt: skip

# M2M-100's 100 language codes.
M2M_CODES = {
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb",
    "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga",
    "gd", "gl", "gu", "ha", "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "ilo", "is",
    "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt", "lv",
    "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or", "pa",
    "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su",
    "sv", "sw", "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi",
    "yo", "zh", "zu",
}  # fmt: skip

# Locales of the rhasspy/piper-voices voices.
PIPER_LOCALES = {
    "ar_JO", "bg_BG", "ca_ES", "cs_CZ", "cy_GB", "da_DK", "de_DE", "el_GR", "en_GB",
    "en_US", "es_AR", "es_ES", "es_MX", "eu_ES", "fa_IR", "fi_FI", "fr_FR", "hi_IN",
    "hu_HU", "id_ID", "is_IS", "it_IT", "ka_GE", "kk_KZ", "ku_TR", "lb_LU", "lv_LV",
    "ml_IN", "ne_NP", "nl_BE", "nl_NL", "no_NO", "pl_PL", "pt_BR", "pt_PT", "ro_RO",
    "ru_RU", "sk_SK", "sl_SI", "sq_AL", "sr_RS", "sv_SE", "sw_CD", "te_IN", "tr_TR",
    "uk_UA", "ur_PK", "vi_VN", "zh_CN",
}  # fmt: skip


def _column(field: str) -> list[str]:
    """Every non-empty value of one Language field, in table order."""
    return [value for language in LANGUAGES if (value := getattr(language, field))]


@pytest.mark.parametrize(
    ("spellings", "code"),
    [
        (["de", "DE", " de ", "deu_Latn", "DEU_LATN", "__de__", "de_DE", "de-DE", "de_de",
          "German", "german", "  GERMAN\n"], "de"),
        (["jw", "jv", "__jv__", "jav_Latn", "Javanese"], "jw"),
        (["en", "eng_Latn", "__en__", "en_US", "en_GB", "en-gb", "English"], "en"),
        (["pt", "por_Latn", "pt_BR", "pt-PT", "Portuguese"], "pt"),
        (["zh", "zho_Hans", "__zh__", "zh_CN", "Chinese", "mandarin"], "zh"),
        (["yue", "yue_Hant", "Cantonese"], "yue"),
        (["no", "nob_Latn", "__no__", "no_NO", "Norwegian"], "no"),
        (["nn", "nno_Latn", "Nynorsk", "Norwegian Nynorsk"], "nn"),
        (["my", "mya_Mymr", "Burmese", "Myanmar"], "my"),
        (["ht", "hat_Latn", "Haitian Creole", "Haitian"], "ht"),
        (["nso", "ns", "__ns__", "nso_Latn", "Northern Sotho"], "nso"),
        (["ga", "gle_Latn", "__ga__", "Irish"], "ga"),
        (["de_AT", "de-CH"], "de"),
        (["fr_CA", "fr-be"], "fr"),
    ],
)  # fmt: skip
def test_find_language_accepts_every_spelling(spellings: list[str], code: str) -> None:
    for spelling in spellings:
        assert find_language(spelling).code == code, spelling


@pytest.mark.parametrize(("code", "name"), WHISPER_LANGUAGES.items())
def test_every_whisper_language_is_present(code: str, name: str) -> None:
    language = language_for_whisper(code)
    assert language.whisper == code
    assert language.code == code
    assert find_language(code) is language
    assert find_language(name) is language


def test_whisper_codes_are_exactly_whispers() -> None:
    assert len(WHISPER_LANGUAGES) == 100
    assert set(_column("whisper")) == set(WHISPER_LANGUAGES)


@pytest.mark.parametrize(("alias", "code"), WHISPER_ALIASES.items())
def test_whisper_aliases(alias: str, code: str) -> None:
    assert find_language(alias).code == code


@pytest.mark.parametrize(
    "text",
    ["xx", "", "   ", "klingon", "deu_Latx", "__xx__", "xx_XX", "de\nfr", "de_DEU"],
)
def test_unknown_language_has_a_one_line_hint(text: str) -> None:
    with pytest.raises(UnknownLanguageError) as caught:
        find_language(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("unknown language ")
    assert "'translator languages'" in message


def test_unknown_language_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'German'"):
        find_language("xx")


def test_language_for_whisper() -> None:
    assert language_for_whisper("jw").name == "Javanese"
    assert language_for_whisper("yue").flores == "yue_Hant"
    for code in ["jv", "ga", "xx", "deu_Latn", "German"]:
        with pytest.raises(UnknownLanguageError, match="Whisper language code"):
            language_for_whisper(code)


def test_language_for_flores() -> None:
    assert language_for_flores("deu_Latn").code == "de"
    assert language_for_flores("zsm_Latn").code == "ms"
    assert language_for_flores("pes_Arab").code == "fa"
    for code in ["de", "xxx_Latn", "German"]:
        with pytest.raises(UnknownLanguageError, match="FLORES-200 code"):
            language_for_flores(code)


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ("de_DE", "de"),
        ("en_GB", "en"),
        ("en-US", "en"),
        ("pt_pt", "pt"),
        ("sw_CD", "sw"),
        ("de_AT", "de"),
        ("es_CO", "es"),
        ("ga_IE", "ga"),
        ("de", "de"),
    ],
)
def test_language_for_piper_locale(locale: str, code: str) -> None:
    assert language_for_piper_locale(locale).code == code


@pytest.mark.parametrize("locale", ["xx_XX", "", "German"])
def test_language_for_piper_locale_unknown(locale: str) -> None:
    with pytest.raises(UnknownLanguageError, match="Piper locale"):
        language_for_piper_locale(locale)


@pytest.mark.parametrize("field", ["code", "whisper", "flores", "m2m"])
def test_no_two_languages_share_a_code(field: str) -> None:
    values = _column(field)
    assert len(values) == len(set(values))


def test_no_two_languages_share_a_name_or_locale() -> None:
    names = [language.name.casefold() for language in LANGUAGES]
    assert len(names) == len(set(names))
    locales = [locale for language in LANGUAGES for locale in language.piper_locales]
    assert len(locales) == len(set(locales))


def test_languages_are_sorted_by_name() -> None:
    names = [language.name for language in LANGUAGES]
    assert names == sorted(names)


def test_code_is_whisper_code_when_whisper_has_one() -> None:
    for language in LANGUAGES:
        assert language.code == language.code.strip().lower()
        if language.whisper is not None:
            assert language.code == language.whisper


def test_flores_codes_are_nllb_codes() -> None:
    pattern = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
    for code in _column("flores"):
        assert pattern.match(code), code
        assert code in NLLB_CODES, code


def test_m2m_codes_are_exactly_m2m_100s() -> None:
    assert len(M2M_CODES) == 100
    assert set(_column("m2m")) == M2M_CODES


def test_piper_locales() -> None:
    pattern = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")
    locales = [locale for language in LANGUAGES for locale in language.piper_locales]
    for locale in locales:
        assert pattern.match(locale), locale
    assert set(locales) == PIPER_LOCALES
    for language in LANGUAGES:
        for locale in language.piper_locales:
            assert locale.split("_")[0] == language.code


@pytest.mark.parametrize(("code", "first"), [("en", "en_US"), ("pt", "pt_BR"), ("es", "es_ES"), ("nl", "nl_NL")])
def test_most_common_piper_locale_comes_first(code: str, first: str) -> None:
    assert find_language(code).piper_locales[0] == first


def test_languages_nllb_or_m2m_lack() -> None:
    assert find_language("la").flores is None
    assert find_language("la").m2m is None
    assert find_language("haw").flores is None
    assert find_language("br").flores is None
    assert find_language("br").m2m == "br"
    assert find_language("fy").flores is None
    assert find_language("fy").whisper is None
    assert find_language("ky").m2m is None
    assert find_language("ku").flores == "kmr_Latn"


def test_iso639_3() -> None:
    assert find_language("de").iso639_3 == "deu"
    assert find_language("ms").iso639_3 == "zsm"
    assert find_language("la").iso639_3 is None


def test_language_is_frozen() -> None:
    language = find_language("de")
    assert isinstance(language, Language)
    with pytest.raises(dataclasses.FrozenInstanceError):
        language.name = "Deutsch"  # type: ignore[misc]
