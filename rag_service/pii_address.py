"""Home addresses (ADDRESS) and the postal codes written beside them, on the folded text (pii_base.fold).

A grammar of Japanese addresses rather than a list: an optional prefecture, one to three municipalities (市, 区, 郡,
町, 村), the town part (Kyoto's 室町通三条上ル役行者町, Sapporo's 4条通, 大字, 字), then the numbers: 2丁目3番4号,
2丁156番地, 12地割87番地, 8丁目南3-11, 6番町975-2, 右1号 … and a building with its room. A town part followed by a
bare number (東町1344, 字具志頭471) is an address only after a prefecture, a label (住所, 自宅, 訪問先, 〒 …) or two
municipalities, since 「港区の病院に2」 is not one. A Kyoto street address may end at its direction (烏丸通御池上ル).
The building runs to the room as forms, clerks and nurses write it: joined (コーポ大手203, 日吉ﾋﾙｽﾞ203), after a space
when the name is a building's (katakana or 荘, 棟, 館 …: グリーンコート用賀 405, 三鷹マンション B棟 1203号室, 今池ガー
デンハイツ 7F 702, 長居ハイツ 3F), on the next line, or in its own labelled field. A name written right after the
address before 方 or 様方 (… 1-22-6 鈴木方) is the person the post goes through: a NAME.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_base import PiiSpan

_J = r"[一-龥々〆ヵヶぁ-んァ-ヶ-]"  # ー is folded to -
_PREF = r"(?:東京都|北海道|(?:京都|大阪)府|[一-龥]{2,3}県)"
_MUNI = r"(?:" + _J + r"{1,7}?[市区郡町村])"
_TOWN = r"(?:" + _J + r"|[東西南北]?\d+条)"
_UNIT = r"(?:丁目|丁|番地|番町|番|号|地割)"
_NUMBERS = (
    r"[東西南北]?\d+(?:" + _UNIT + r"|-\d+)(?:の?[東西南北右左]?\d+" + _UNIT + r"?|-\d+(?:号室?)?)*"
    r"(?![\d年月日時分秒歳才回%])"  # not 港区 2-3月に
)  # fmt: skip
_BARE = r"\d+(?:-\d+)*(?![\d年月日時分秒歳才人件回床階%A-Za-z.])"
# numbers in 漢数字 from 丁目 or 番地 on (西新宿二丁目八番一号, 巣鴨四丁目 三番 十二号, 中箕輪六十五番地の二)
_KNUM = r"[一二三四五六七八九十百〇]{1,4}"
_PART = r"(?:\d+|" + _KNUM + r")"
_KANJI_NUMBERS = (
    r"(?:" + _KNUM + r"丁目|" + _KNUM + r"番地)(?: ?" + _NUMBERS + r"|(?:(?: ?|の)" + _PART + r"(?:番地?|号)(?!目))*"
    r"(?:[の-]" + _PART + r"(?![番号]))?)"
)  # fmt: skip
# a building and its room, on the same line or on the next one
_KANA = r"ァ-ヶｦ-ﾟ"
_BUILDING_NAME = r"[一-龥" + _KANA + r"A-Za-z][一-龥々" + _KANA + r"A-Za-z・\d-]{0,16}"
_BUILDING_LIKE = r"(?=\S{0,17}?(?:[" + _KANA + r"]|荘|館|寮|住宅|団地|ビル|棟))"  # a building's name, not 外来 or 本館
_ROOM = (  # 2階, 7F 702, 24階 2401, B-203, 2-104, 302号室, 3B
    r"(?:\d{1,2}(?:F|階)(?! ?\d)"
    r"|(?:\d{1,2}(?:F|階) ?)?(?:[A-Za-z]-?)?\d{1,4}(?:-\d{1,4})?(?:号室?|[A-Za-z](?![A-Za-z]))?)"
)
_ROOM_END = r"(?=[\s、。,)(」』/]|$)"  # not インスリン 4単位, ヘルパー 2回
_SPACED_NAME = _BUILDING_NAME.replace("・", "・ぁ-ん")  # a building's name may hold kana (ドミール美しが丘 201)
_SPACED = (  # ハイツ桜木 402, 三鷹マンション B棟 1203号室; not a postal code after it
    _BUILDING_LIKE + _SPACED_NAME + r"(?: ?[A-Z\d]{1,2}号?棟)?(?<![\d-]) (?!\d{3}-\d{4})" + _ROOM + _ROOM_END
)
_JOINED = _BUILDING_NAME + _ROOM  # コーポ大手203, 経堂コーポ2C
_ROOM_ONLY = r"(?:" + _BUILDING_NAME + r" (?:\d{1,2}F ?)?\d{1,4}号室?|\d{1,4}号室)"  # ハイツ芝 305号室, 101号室 alone
# a building's name with no room, where the name says it is one (栄ハイツ, 都営梅島住宅) and the phrase ends there
_BUILDING_WORD = (
    r"(?:荘|寮|住宅|団地|ハイツ|コ-ポ|マンション|アパ-ト|レジデンス|ハウス|メゾン|パレス|コ-ト|ヒルズ|タワ-|ハイム|テラス"
    r"|ヴィラ|ドミ-ル|ﾊｲﾂ|ｺ-ﾎﾟ|ﾏﾝｼｮﾝ)"
)
_NAME_ONLY = r"(?=\S{0,17}?" + _BUILDING_WORD + r"(?:\s|[、。,)(」』/]|$))" + _SPACED_NAME + _BUILDING_WORD + _ROOM_END
_BUILDING = (
    r"(?: ?(?:" + _SPACED + "|" + _JOINED + "|" + _ROOM_ONLY + "|" + _NAME_ONLY + r")"
    r"|\n +(?:" + _SPACED + "|" + _JOINED + "|" + _ROOM_ONLY + r")|\n *" + _SPACED + r")?"
)
_LABEL = r"(?:住所|自宅|宅|現場|訪問先|送付先|配送先|退院先|転居先|連絡先|〒 ?\d{3}-?\d{4})[:：\s（(]*"

# the parts may be written with a space between them, as forms are typed (東京都 世田谷区 桜丘 3-12-5)
_ADDRESS = re.compile(
    r"(?:" + _PREF + r" ?)?(?:" + _MUNI + r" ?){1,3}" + _TOWN + r"{0,16}?(?: (?=\d+(?:-\d+){2}|\d+丁目))?"
    r"(?:" + _NUMBERS + "|" + _KANJI_NUMBERS + r")" + _BUILDING
)
_BARE_ADDRESS = re.compile(
    r"(" + _PREF + _MUNI + r"{1,3}|" + _MUNI + r"{2,3})" + _TOWN + r"{0,16}?" + _BARE + _BUILDING
)  # fmt: skip
_LABELLED_ADDRESS = re.compile(_LABEL + r"(" + _PREF + r"?" + _MUNI + r"{1,3}" + _TOWN + r"{0,16}?" + _BARE + ")")
# Kyoto: the street, the cross street and the direction (烏丸通御池上ル), with or without the town and number after it
_KYOTO = re.compile(
    _PREF + r"?" + _MUNI + r"{1,2}" + _J + r"{1,10}?通" + _J + r"{1,8}?(?:上る|下る|上ル|下ル|[東西]入ル?)"
    r"(?:" + _TOWN + r"{0,12}?(?:" + _NUMBERS + "|" + _BARE + r")" + _BUILDING + r"|" + _J + r"{1,8}?町(?![一-龥]))?"
)  # fmt: skip
_KYOTO_CUE = re.compile(r"通[^\n]{1,8}?(?:上[ルる]|下[ルる]|[東西]入)")
# an address in half-width kana, as a clerk's system prints it: 住所 ｵｵｻｶﾌ ｽｲﾀｼ ｾﾝﾘﾔﾏﾆｼ 2-4-6
_KANA_ADDRESS = re.compile(r"(?:住所|自宅)[:： ]*([ｦ-ﾟ]{2,}(?: ?[ｦ-ﾟ]+){0,6} ?\d+(?:-\d+){0,3})(?![\d-])")
# an address a form splits over labelled fields: （都道府県）：福岡県 （市区町村）：糟屋郡粕屋町 （番地）：…;
# a field's value runs to the end of its line or to the next label (建物名：グランシャリオ香椎 1104)
_FIELD_END = r"(?=[\s(]|$)"
_MORE_WORDS = r"(?: (?![^\s]*[:：])[^\s,、。:：（(]{1,20})*"
_FIELDS = re.compile(
    r"(?=[(都区市番町住方建])\(?(?:都道府県\)?[:：] ?(" + _PREF + r")" + _FIELD_END
    + r"|(?:区?市区?町村)\)?[:：] ?(" + _MUNI + r"{1,3})" + _FIELD_END
    + r"|(?:番地|町名番地|町域|住所2|方書|建物名?)\)?[:：] ?([^\s,、。:：]{1,24}" + _MORE_WORDS + ")"
    + r"|住所1\)?[:：] ?(" + _PREF + r"?" + _MUNI + r"{1,3}" + _J + r"{0,16})(?=\n|$))"
)  # fmt: skip
_FIELD_VALUE = re.compile(r"[\d" + _KANA + r"]")  # a field's value holds a number or a building's name, not （なし）
_POSTAL = re.compile(r"(?=\d)(?<![\d-])\d{3}-\d{4}(?![\d-])")


_MUNICIPALITY_THEN_DIGIT = re.compile(r"[市区郡町村][^\n]*?(?:\d|[一二三四五六七八九十](?:丁目|番地))")
# an organisation's name right before an address is where it is, not where a person lives: 警察署 生活安全課（…,
# 事業所：ケアプランあおば（…, ビジネスホテル浅草（…, 当院は…
_ORG = (
    r"(?:病院|医院|クリニック|診療所|センタ-|薬局|大学|事業所|役所|役場|保健所|施設|科|課|店|ホ-ム|苑|園|ホテル|旅館"
    r"|署|会社|法人|協会|学校|当院|本院|分院)"
)
_ORG_BEFORE = re.compile(_ORG + r"(?:[ :：]?[^\s、。,（(様宅家住所方:：]{1,14})?[（( :：]*$")
_ORG_AFTER = re.compile(
    r" ?[^\s、。,]{0,14}?(?:病院|医院|クリニック|診療所|本館|別館|号館|薬局|役所|役場|保健所|センタ-)"
)
_ORG_INSIDE = re.compile(r"病院|医院|クリニック|診療所|薬局|役所|役場|保健所")
# what stands before the address in the same run of letters is not part of it (当院は東京都…: 院は)
_PARTICLE = re.compile(r"[一-龥々ァ-ヶ][はをにへもで]")
_CARE_OF = re.compile(r" ?((?:(?!様)[一-龥々]){1,4}|[ァ-ヶ-]{2,8}) ?(?:様|さま)?方(?![一-龥々])")
_NOT_CARE_OF = frozenset("両一後前上下地他双先当遠片大味仕行処漢快東西南北朝夕親奥此彼貴")  # 一方, 夕方: words


def _trimmed(folded: str, span: PiiSpan) -> PiiSpan:
    text = folded[span.start : span.end]
    pref = re.search(_PREF, text)
    if pref and pref.start() > 0:
        return PiiSpan(span.start + pref.start(), span.end, span.type)
    first_digit = re.search(r"\d", text)
    head = text[: first_digit.start() if first_digit else len(text)]
    cut = [m.end() for m in _PARTICLE.finditer(head)]
    return PiiSpan(span.start + cut[-1], span.end, span.type) if cut else span


def _an_organisation(folded: str, span: PiiSpan) -> bool:
    return bool(
        _ORG_BEFORE.search(folded, max(0, span.start - 28), span.start)
        or _ORG_AFTER.match(folded, span.end)
        or _ORG_INSIDE.search(folded, span.start, span.end)
    )


def _care_of(folded: str, spans: Sequence[PiiSpan]) -> list[PiiSpan]:
    out = []
    for s in spans:
        m = _CARE_OF.match(folded, s.end)
        if m and not (len(m[1]) == 1 and m[1] in _NOT_CARE_OF):
            out.append(PiiSpan(m.start(1), m.end(1), "NAME"))
    return out


def addresses(folded: str) -> tuple[list[PiiSpan], list[PiiSpan]]:
    """Every home address and the name of a care-of (… 鈴木方) after one; and, apart, the addresses of organisations
    (東京都立墨東病院（東京都墨田区…）, …1-1 豊洲総合病院): where the hospital is, not where a person lives."""
    spans = [
        PiiSpan(m.start(g), m.end(g), "ADDRESS")
        for m in _FIELDS.finditer(folded)
        for g in [m.lastindex or 0]
        if g != 3 or _FIELD_VALUE.search(m[g])
    ]
    if _MUNICIPALITY_THEN_DIGIT.search(folded):  # the grammar's patterns only where they can match (speed)
        spans += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _ADDRESS.finditer(folded)]
        spans += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _BARE_ADDRESS.finditer(folded)]
        spans += [PiiSpan(m.start(1), m.end(1), "ADDRESS") for m in _LABELLED_ADDRESS.finditer(folded)]
    if _KYOTO_CUE.search(folded):
        spans += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _KYOTO.finditer(folded)]
    if "住所" in folded or "自宅" in folded:
        spans += [PiiSpan(m.start(1), m.end(1), "ADDRESS") for m in _KANA_ADDRESS.finditer(folded)]
    homes: list[PiiSpan] = []
    places: list[PiiSpan] = []
    for t in (_trimmed(folded, s) for s in spans):
        (places if _an_organisation(folded, t) else homes).append(t)
    return [*homes, *_care_of(folded, homes)], places


def not_an_institutions_postal(spans: Sequence[PiiSpan], places: Sequence[PiiSpan]) -> list[PiiSpan]:
    """`spans` less a postal code written right before an organisation's address (〒113-8655 東京都文京区本郷7-3-1
    …病院): it is the hospital's, unless a home address is found there too."""
    homes = [s for s in spans if s.type == "ADDRESS"]
    theirs = [p for p in places if not any(h.start < p.end and p.start < h.end for h in homes)]
    return [s for s in spans if s.type != "POSTAL" or not any(0 <= p.start - s.end <= 2 for p in theirs)]


def postal_beside(folded: str, spans: Sequence[PiiSpan]) -> list[PiiSpan]:
    """A postal code written without 〒 or a label, right before or after an address (… 302 812-0013)."""
    homes = [s for s in spans if s.type == "ADDRESS"]
    if not homes:
        return []
    out = []
    for m in _POSTAL.finditer(folded):
        if any(0 <= m.start() - h.end <= 2 or 0 <= h.start - m.end() <= 2 for h in homes):
            out.append(PiiSpan(m.start(), m.end(), "POSTAL"))
    return out
