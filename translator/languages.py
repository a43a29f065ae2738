"""The one table of languages: Whisper, NLLB-200 (FLORES-200), M2M-100 and Piper codes.

Every other module asks this one how a language is spelled for a given model,
and turns what the user typed into a :class:`Language` with :func:`find_language`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "LANGUAGES",
    "Language",
    "UnknownLanguageError",
    "find_language",
    "language_for_flores",
    "language_for_piper_locale",
    "language_for_whisper",
]

_LIST_HINT = "(run 'translator languages' for the list)"


@dataclass(frozen=True)
class Language:
    """One language and its code for each model family."""

    code: str
    name: str
    whisper: str | None
    flores: str | None
    m2m: str | None
    piper_locales: tuple[str, ...]

    @property
    def iso639_3(self) -> str | None:
        """ISO 639-3 code taken from the FLORES-200 code ("deu"), None without one."""
        return self.flores.split("_", 1)[0] if self.flores else None


class UnknownLanguageError(ValueError):
    """A language code or name that the table does not know."""


# code, English name, Whisper, FLORES-200 (NLLB-200), M2M-100, Piper locales (most common first)
LANGUAGES: tuple[Language, ...] = tuple(
    sorted(
        (
            Language("af", "Afrikaans", "af", "afr_Latn", "af", ()),
            Language("sq", "Albanian", "sq", "als_Latn", "sq", ("sq_AL",)),
            Language("am", "Amharic", "am", "amh_Ethi", "am", ()),
            Language("ar", "Arabic", "ar", "arb_Arab", "ar", ("ar_JO",)),
            Language("hy", "Armenian", "hy", "hye_Armn", "hy", ()),
            Language("as", "Assamese", "as", "asm_Beng", None, ()),
            Language("ast", "Asturian", None, "ast_Latn", "ast", ()),
            Language("az", "Azerbaijani", "az", "azj_Latn", "az", ()),
            Language("ba", "Bashkir", "ba", "bak_Cyrl", "ba", ()),
            Language("eu", "Basque", "eu", "eus_Latn", None, ("eu_ES",)),
            Language("be", "Belarusian", "be", "bel_Cyrl", "be", ()),
            Language("bn", "Bengali", "bn", "ben_Beng", "bn", ()),
            Language("bs", "Bosnian", "bs", "bos_Latn", "bs", ()),
            Language("br", "Breton", "br", None, "br", ()),
            Language("bg", "Bulgarian", "bg", "bul_Cyrl", "bg", ("bg_BG",)),
            Language("my", "Burmese", "my", "mya_Mymr", "my", ()),
            Language("yue", "Cantonese", "yue", "yue_Hant", None, ()),
            Language("ca", "Catalan", "ca", "cat_Latn", "ca", ("ca_ES",)),
            Language("ceb", "Cebuano", None, "ceb_Latn", "ceb", ()),
            Language("ny", "Chichewa", None, "nya_Latn", None, ()),
            Language("zh", "Chinese", "zh", "zho_Hans", "zh", ("zh_CN",)),
            Language("hr", "Croatian", "hr", "hrv_Latn", "hr", ()),
            Language("cs", "Czech", "cs", "ces_Latn", "cs", ("cs_CZ",)),
            Language("da", "Danish", "da", "dan_Latn", "da", ("da_DK",)),
            Language("nl", "Dutch", "nl", "nld_Latn", "nl", ("nl_NL", "nl_BE")),
            Language("en", "English", "en", "eng_Latn", "en", ("en_US", "en_GB")),
            Language("eo", "Esperanto", None, "epo_Latn", None, ()),
            Language("et", "Estonian", "et", "est_Latn", "et", ()),
            Language("fo", "Faroese", "fo", "fao_Latn", None, ()),
            Language("fi", "Finnish", "fi", "fin_Latn", "fi", ("fi_FI",)),
            Language("fr", "French", "fr", "fra_Latn", "fr", ("fr_FR",)),
            Language("ff", "Fula", None, "fuv_Latn", "ff", ()),
            Language("gl", "Galician", "gl", "glg_Latn", "gl", ()),
            Language("ka", "Georgian", "ka", "kat_Geor", "ka", ("ka_GE",)),
            Language("de", "German", "de", "deu_Latn", "de", ("de_DE",)),
            Language("el", "Greek", "el", "ell_Grek", "el", ("el_GR",)),
            Language("gu", "Gujarati", "gu", "guj_Gujr", "gu", ()),
            Language("ht", "Haitian Creole", "ht", "hat_Latn", "ht", ()),
            Language("ha", "Hausa", "ha", "hau_Latn", "ha", ()),
            Language("haw", "Hawaiian", "haw", None, None, ()),
            Language("he", "Hebrew", "he", "heb_Hebr", "he", ()),
            Language("hi", "Hindi", "hi", "hin_Deva", "hi", ("hi_IN",)),
            Language("hu", "Hungarian", "hu", "hun_Latn", "hu", ("hu_HU",)),
            Language("is", "Icelandic", "is", "isl_Latn", "is", ("is_IS",)),
            Language("ig", "Igbo", None, "ibo_Latn", "ig", ()),
            Language("ilo", "Ilocano", None, "ilo_Latn", "ilo", ()),
            Language("id", "Indonesian", "id", "ind_Latn", "id", ("id_ID",)),
            Language("ga", "Irish", None, "gle_Latn", "ga", ()),
            Language("it", "Italian", "it", "ita_Latn", "it", ("it_IT",)),
            Language("ja", "Japanese", "ja", "jpn_Jpan", "ja", ()),
            Language("jw", "Javanese", "jw", "jav_Latn", "jv", ()),
            Language("kn", "Kannada", "kn", "kan_Knda", "kn", ()),
            Language("kk", "Kazakh", "kk", "kaz_Cyrl", "kk", ("kk_KZ",)),
            Language("km", "Khmer", "km", "khm_Khmr", "km", ()),
            Language("rw", "Kinyarwanda", None, "kin_Latn", None, ()),
            Language("ko", "Korean", "ko", "kor_Hang", "ko", ()),
            Language("ku", "Kurdish (Kurmanji)", None, "kmr_Latn", None, ("ku_TR",)),
            Language("ky", "Kyrgyz", None, "kir_Cyrl", None, ()),
            Language("lo", "Lao", "lo", "lao_Laoo", "lo", ()),
            Language("la", "Latin", "la", None, None, ()),
            Language("lv", "Latvian", "lv", "lvs_Latn", "lv", ("lv_LV",)),
            Language("ln", "Lingala", "ln", "lin_Latn", "ln", ()),
            Language("lt", "Lithuanian", "lt", "lit_Latn", "lt", ()),
            Language("lg", "Luganda", None, "lug_Latn", "lg", ()),
            Language("lb", "Luxembourgish", "lb", "ltz_Latn", "lb", ("lb_LU",)),
            Language("mk", "Macedonian", "mk", "mkd_Cyrl", "mk", ()),
            Language("mg", "Malagasy", "mg", "plt_Latn", "mg", ()),
            Language("ms", "Malay", "ms", "zsm_Latn", "ms", ()),
            Language("ml", "Malayalam", "ml", "mal_Mlym", "ml", ("ml_IN",)),
            Language("mt", "Maltese", "mt", "mlt_Latn", None, ()),
            Language("mi", "Maori", "mi", "mri_Latn", None, ()),
            Language("mr", "Marathi", "mr", "mar_Deva", "mr", ()),
            Language("mn", "Mongolian", "mn", "khk_Cyrl", "mn", ()),
            Language("ne", "Nepali", "ne", "npi_Deva", "ne", ("ne_NP",)),
            Language("nso", "Northern Sotho", None, "nso_Latn", "ns", ()),
            Language("no", "Norwegian", "no", "nob_Latn", "no", ("no_NO",)),
            Language("nn", "Norwegian Nynorsk", "nn", "nno_Latn", None, ()),
            Language("oc", "Occitan", "oc", "oci_Latn", "oc", ()),
            Language("or", "Odia", None, "ory_Orya", "or", ()),
            Language("om", "Oromo", None, "gaz_Latn", None, ()),
            Language("ps", "Pashto", "ps", "pbt_Arab", "ps", ()),
            Language("fa", "Persian", "fa", "pes_Arab", "fa", ("fa_IR",)),
            Language("pl", "Polish", "pl", "pol_Latn", "pl", ("pl_PL",)),
            Language("pt", "Portuguese", "pt", "por_Latn", "pt", ("pt_BR", "pt_PT")),
            Language("pa", "Punjabi", "pa", "pan_Guru", "pa", ()),
            Language("ro", "Romanian", "ro", "ron_Latn", "ro", ("ro_RO",)),
            Language("ru", "Russian", "ru", "rus_Cyrl", "ru", ("ru_RU",)),
            Language("sa", "Sanskrit", "sa", "san_Deva", None, ()),
            Language("gd", "Scottish Gaelic", None, "gla_Latn", "gd", ()),
            Language("sr", "Serbian", "sr", "srp_Cyrl", "sr", ("sr_RS",)),
            Language("sn", "Shona", "sn", "sna_Latn", None, ()),
            Language("sd", "Sindhi", "sd", "snd_Arab", "sd", ()),
            Language("si", "Sinhala", "si", "sin_Sinh", "si", ()),
            Language("sk", "Slovak", "sk", "slk_Latn", "sk", ("sk_SK",)),
            Language("sl", "Slovenian", "sl", "slv_Latn", "sl", ("sl_SI",)),
            Language("so", "Somali", "so", "som_Latn", "so", ()),
            Language("st", "Southern Sotho", None, "sot_Latn", None, ()),
            Language("es", "Spanish", "es", "spa_Latn", "es", ("es_ES", "es_MX", "es_AR")),
            Language("su", "Sundanese", "su", "sun_Latn", "su", ()),
            Language("sw", "Swahili", "sw", "swh_Latn", "sw", ("sw_CD",)),
            Language("ss", "Swati", None, "ssw_Latn", "ss", ()),
            Language("sv", "Swedish", "sv", "swe_Latn", "sv", ("sv_SE",)),
            Language("tl", "Tagalog", "tl", "tgl_Latn", "tl", ()),
            Language("tg", "Tajik", "tg", "tgk_Cyrl", None, ()),
            Language("ta", "Tamil", "ta", "tam_Taml", "ta", ()),
            Language("tt", "Tatar", "tt", "tat_Cyrl", None, ()),
            Language("te", "Telugu", "te", "tel_Telu", None, ("te_IN",)),
            Language("th", "Thai", "th", "tha_Thai", "th", ()),
            Language("bo", "Tibetan", "bo", "bod_Tibt", None, ()),
            Language("ti", "Tigrinya", None, "tir_Ethi", None, ()),
            Language("tn", "Tswana", None, "tsn_Latn", "tn", ()),
            Language("tr", "Turkish", "tr", "tur_Latn", "tr", ("tr_TR",)),
            Language("tk", "Turkmen", "tk", "tuk_Latn", None, ()),
            Language("uk", "Ukrainian", "uk", "ukr_Cyrl", "uk", ("uk_UA",)),
            Language("ur", "Urdu", "ur", "urd_Arab", "ur", ("ur_PK",)),
            Language("ug", "Uyghur", None, "uig_Arab", None, ()),
            Language("uz", "Uzbek", "uz", "uzn_Latn", "uz", ()),
            Language("vi", "Vietnamese", "vi", "vie_Latn", "vi", ("vi_VN",)),
            Language("cy", "Welsh", "cy", "cym_Latn", "cy", ("cy_GB",)),
            Language("fy", "Western Frisian", None, None, "fy", ()),
            Language("wo", "Wolof", None, "wol_Latn", "wo", ()),
            Language("xh", "Xhosa", None, "xho_Latn", "xh", ()),
            Language("yi", "Yiddish", "yi", "ydd_Hebr", "yi", ()),
            Language("yo", "Yoruba", "yo", "yor_Latn", "yo", ()),
            Language("zu", "Zulu", None, "zul_Latn", "zu", ()),
        ),
        key=lambda language: language.name,
    )
)

# Names Whisper accepts (its LANGUAGES names and TO_LANGUAGE_CODE aliases) that
# differ from the English names above, mapped to canonical codes.
_WHISPER_NAME_ALIASES: dict[str, str] = {
    "burmese": "my",
    "castilian": "es",
    "flemish": "nl",
    "haitian": "ht",
    "letzeburgesch": "lb",
    "mandarin": "zh",
    "moldavian": "ro",
    "moldovan": "ro",
    "myanmar": "my",
    "nynorsk": "nn",
    "panjabi": "pa",
    "pushto": "ps",
    "sinhalese": "si",
    "valencian": "ca",
}

_LOCALE_RE = re.compile(r"([a-z]{2,3})[_-][a-z]{2}")  # on casefolded text


def _index(pairs: Iterable[tuple[str, Language]]) -> dict[str, Language]:
    """Build a lookup dict, refusing a key that two languages both claim."""
    index: dict[str, Language] = {}
    for key, language in pairs:
        if index.setdefault(key, language) is not language:
            raise ValueError(f"language key {key!r} claimed by both {index[key].name} and {language.name}")
    return index


_BY_CODE = _index((language.code, language) for language in LANGUAGES)
_BY_WHISPER = _index((language.whisper, language) for language in LANGUAGES if language.whisper)
_BY_FLORES = _index((language.flores, language) for language in LANGUAGES if language.flores)
_BY_M2M = _index((language.m2m, language) for language in LANGUAGES if language.m2m)
_BY_PIPER = _index((locale, language) for language in LANGUAGES for locale in language.piper_locales)
_BY_ANY = _index(
    [
        *((language.code, language) for language in LANGUAGES),
        *((language.name.casefold(), language) for language in LANGUAGES),
        *((code, language) for code, language in _BY_WHISPER.items()),
        *((code.casefold(), language) for code, language in _BY_FLORES.items()),
        *((language.iso639_3, language) for language in LANGUAGES if language.iso639_3),
        *((code, language) for code, language in _BY_M2M.items()),
        *((f"__{code}__", language) for code, language in _BY_M2M.items()),
        *((locale.casefold(), language) for locale, language in _BY_PIPER.items()),
        *((locale.casefold().replace("_", "-"), language) for locale, language in _BY_PIPER.items()),
        *((alias, _BY_CODE[code]) for alias, code in _WHISPER_NAME_ALIASES.items()),
    ]
)


def _unknown(what: str, value: str, example: str) -> UnknownLanguageError:
    """The one-line error for a lookup that found nothing."""
    return UnknownLanguageError(f"unknown {what} {value!r}: use {example} {_LIST_HINT}")


def find_language(text: str) -> Language:
    """Find a language from any spelling a user might type.

    Accepts, ignoring case and surrounding whitespace: the canonical or Whisper
    code ("de", "jw"), a FLORES-200 code ("deu_Latn"), an M2M-100 code or token
    ("jv", "__jv__"), a Piper locale ("de_DE", "de-DE"; an unlisted one such as
    "de_AT" by its language part), the English name ("german") and Whisper's own
    names and aliases ("myanmar", "castilian").
    """
    key = text.strip().casefold()
    language = _BY_ANY.get(key)
    if language is None and (match := _LOCALE_RE.fullmatch(key)):
        language = _BY_CODE.get(match[1])
    if language is None:
        raise _unknown("language", text, "a code such as 'de' or a name such as 'German'")
    return language


def language_for_whisper(code: str) -> Language:
    """The language for an exact Whisper language code ("de", "jw")."""
    try:
        return _BY_WHISPER[code]
    except KeyError:
        raise _unknown("Whisper language code", code, "one such as 'de' or 'jw'") from None


def language_for_flores(code: str) -> Language:
    """The language for an exact FLORES-200 code as NLLB-200 uses it ("deu_Latn")."""
    try:
        return _BY_FLORES[code]
    except KeyError:
        raise _unknown("FLORES-200 code", code, "one such as 'deu_Latn'") from None


def language_for_piper_locale(locale: str) -> Language:
    """The language for a Piper voice locale ("de_DE" or "de-DE").

    A locale not in the table is matched by its language part, so "de_AT" gives German.
    """
    lang, _, country = locale.strip().replace("-", "_").partition("_")
    language = _BY_PIPER.get(f"{lang.lower()}_{country.upper()}") or _BY_CODE.get(lang.lower())
    if language is None:
        raise _unknown("Piper locale", locale, "one such as 'de_DE'")
    return language
