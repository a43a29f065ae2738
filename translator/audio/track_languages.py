"""The language tags of a container's tracks: ISO 639-2 codes for the app's languages.

Matroska takes the bibliographic form where one exists ("ger"), MP4 the terminology form ("deu"); players
read either and list the tracks by language.
"""

from __future__ import annotations

# The app's two-letter codes (ISO 639-1, and Whisper's "jw" for Javanese) in ISO 639-2's terminology form;
# the twenty languages whose bibliographic form differs have it in _BIBLIOGRAPHIC. Three-letter codes ("ast",
# "yue") are ISO 639-2 or 639-3 codes already.
_ISO639_2 = dict(
    pair.split(":")
    for pair in (  # noqa: SIM905 - a table, kept compact
        "af:afr sq:sqi am:amh ar:ara hy:hye as:asm az:aze ba:bak eu:eus be:bel bn:ben bs:bos br:bre bg:bul my:mya "
        "ca:cat ny:nya zh:zho hr:hrv cs:ces da:dan nl:nld en:eng eo:epo et:est fo:fao fi:fin fr:fra ff:ful gl:glg "
        "ka:kat de:deu el:ell gu:guj ht:hat ha:hau he:heb hi:hin hu:hun is:isl ig:ibo id:ind ga:gle it:ita ja:jpn "
        "jw:jav kn:kan kk:kaz km:khm rw:kin ko:kor ku:kur ky:kir lo:lao la:lat lv:lav ln:lin lt:lit lg:lug lb:ltz "
        "mk:mkd mg:mlg ms:msa ml:mal mt:mlt mi:mri mr:mar mn:mon ne:nep no:nor nn:nno oc:oci or:ori om:orm ps:pus "
        "fa:fas pl:pol pt:por pa:pan ro:ron ru:rus sa:san gd:gla sr:srp sn:sna sd:snd si:sin sk:slk sl:slv so:som "
        "st:sot es:spa su:sun sw:swa ss:ssw sv:swe tl:tgl tg:tgk ta:tam tt:tat te:tel th:tha bo:bod ti:tir tn:tsn "
        "tr:tur tk:tuk uk:ukr ur:urd ug:uig uz:uzb vi:vie cy:cym fy:fry wo:wol xh:xho yi:yid yo:yor zu:zul"
    ).split()
)
_BIBLIOGRAPHIC = dict(
    pair.split(":")
    for pair in (  # noqa: SIM905 - a table, kept compact
        "sq:alb hy:arm eu:baq my:bur zh:chi cs:cze nl:dut fr:fre ka:geo de:ger el:gre is:ice mk:mac ms:may mi:mao "
        "fa:per ro:rum sk:slo bo:tib cy:wel"
    ).split()
)


def track_language(code: str, container: str) -> str:
    """The ISO 639-2 code a container's `language` tag takes for the app's language `code`: the bibliographic
    form in Matroska ("ger"), the terminology form in MP4 ("deu"); three-letter codes pass as they are."""
    if container == "matroska" and code in _BIBLIOGRAPHIC:
        return _BIBLIOGRAPHIC[code]
    return _ISO639_2.get(code, code if len(code) == 3 else "und")
