"""Home addresses (ADDRESS) and the postal codes written beside them, on the folded text (pii_base.fold).

A grammar of Japanese addresses rather than a list: an optional prefecture, one to three municipalities (市, 区, 郡,
町, 村), the town part (Kyoto's 室町通三条上ル役行者町, Sapporo's 4条通, 大字, 字), then the numbers: 2丁目3番4号,
2丁156番地, 12地割87番地, 8丁目南3-11, 6番町975-2, 右1号 … and a building with its room. A town part followed by a
bare number (東町1344, 字具志頭471) is an address only after a prefecture, a label (住所, 自宅, 訪問先, 〒 …) or two
municipalities, since 「港区の病院に2」 is not one.
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
)  # fmt: skip
_BARE = r"\d+(?:-\d+)*(?![\d年月日時分秒歳才人件回床階%A-Za-z.])"
# a building and its room (コーポ大手203, 経堂コーポ2C), on the same line or on the next one, indented
_BUILDING_NAME = r"[一-龥ァ-ヶA-Za-z][一-龥ァ-ヶA-Za-z・-]{0,14}"
_BUILDING = (  # コーポ大手203, ハイツ桜木 402号室, 経堂コーポ2C, 1205号室 alone
    r"(?:(?: ?|\n +)(?:" + _BUILDING_NAME + r"(?:\d{1,2}F ?)?\d{1,4}(?:号室?|[A-Za-z](?![A-Za-z]))?"
    r"|" + _BUILDING_NAME + r" (?:\d{1,2}F ?)?\d{1,4}号室?|\d{1,4}号室))?"
)
_LABEL = r"(?:住所|自宅|宅|現場|訪問先|送付先|配送先|退院先|転居先|連絡先|〒 ?\d{3}-?\d{4})[:：\s（(]*"

_ADDRESS = re.compile(_PREF + r"?" + _MUNI + r"{1,3}" + _TOWN + r"{0,16}?" + _NUMBERS + _BUILDING)
_BARE_ADDRESS = re.compile(
    r"(" + _PREF + _MUNI + r"{1,3}|" + _MUNI + r"{2,3})" + _TOWN + r"{0,16}?" + _BARE + _BUILDING
)  # fmt: skip
_LABELLED_ADDRESS = re.compile(_LABEL + r"(" + _PREF + r"?" + _MUNI + r"{1,3}" + _TOWN + r"{0,16}?" + _BARE + ")")
# an address a form splits over labelled fields: （都道府県）：福岡県 （市区町村）：糟屋郡粕屋町 （番地）：…
_FIELD_END = r"(?=[\s(]|$)"
_FIELDS = re.compile(
    r"(?=[(都区市番町住方建])\(?(?:都道府県\)?[:：] ?(" + _PREF + r")" + _FIELD_END
    + r"|(?:区?市区?町村)\)?[:：] ?(" + _MUNI + r"{1,3})" + _FIELD_END
    + r"|(?:番地|町名番地|町域|住所2|方書|建物名?)\)?[:：] ?([^\s,、。]{0,24}\d[^\s,、。]{0,12}))"
)  # fmt: skip
_POSTAL = re.compile(r"(?=\d)(?<![\d-])\d{3}-\d{4}(?![\d-])")


_MUNICIPALITY_THEN_DIGIT = re.compile(r"[市区郡町村][^\n]*?\d")
_ORG_BEFORE = re.compile(r"(?:病院|医院|クリニック|診療所|センタ-|薬局|大学|事業所|役所|役場|保健所|施設)[（( :：]*$")


def addresses(folded: str) -> list[PiiSpan]:
    """Every address, but not where an organisation's name stands right before it (東京都立墨東病院（東京都墨田区…）):
    that is where the hospital is, not where a person lives."""
    spans = [PiiSpan(m.start(m.lastindex or 0), m.end(m.lastindex or 0), "ADDRESS") for m in _FIELDS.finditer(folded)]
    if _MUNICIPALITY_THEN_DIGIT.search(folded):  # the grammar's patterns only where they can match (speed)
        spans += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _ADDRESS.finditer(folded)]
        spans += [PiiSpan(m.start(), m.end(), "ADDRESS") for m in _BARE_ADDRESS.finditer(folded)]
        spans += [PiiSpan(m.start(1), m.end(1), "ADDRESS") for m in _LABELLED_ADDRESS.finditer(folded)]
    return [s for s in spans if not _ORG_BEFORE.search(folded, max(0, s.start - 14), s.start)]


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
