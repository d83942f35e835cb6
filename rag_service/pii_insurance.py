"""Insurance identifiers (INSURANCE) on the folded text (pii_base.fold): 保険者番号, 記号, 番号, 枝番, 被保険者番号,
公費負担者番号 and 受給者番号, each its own span.

Labels as forms and clerks write them (保険者番号, 保険者, 被保番号, 保険証は, 公費, 受給者, 医療証), an insurer's name
before its number (協会けんぽ 01130146, 後期 39133210), 記号 in digits, kanji or kana (練馬あ, 記号欄「いしかわ3」), the
fields of one card written in a row after its first number (保険証 01184753/東京1/332, 国保 290304 ふじ 40021,
後期 39133210-00311894), and a 公費 pair with no label: an 8-digit 公費負担者番号 and the 7-digit 受給者番号 after it
(54393640 1422351).
"""

from __future__ import annotations

import re

from rag_service.pii_base import SEP, PiiSpan

_INSURER = (
    r"(?:協会けんぽ|全国健康保険協会|国保|国民健康保険|後期(?:高齢者?(?:医療)?)?|健保組合|健康保険組合"
    r"|共済組合?|船員保険)"
)
_LABEL = r"(?:(?:被保険者|被保|保険者|保険証|公費負担者|負担者|受給者|医療証)(?:証)?番号)"
# labels clerks shorten (保険者 06047096, 保険証は 31205859, 公費 15375090, 受給者 1758234): a value of 6 to 8 digits
_SHORT_LABEL = r"(?:被保険者|保険者|保険証|公費|受給者(?:証)?|医療証)"
_UNITS = r"年月日歳度円件名%割人回点"
_MARK = r"[一-龥ぁ-んァ-ヶｦ-ﾟ\d]"  # 記号 in digits, kanji or kana (練馬あ, ﾄﾁｷﾞ)
_OPEN = r"(?:欄)?[:： #=「『]*"  # 記号欄「いしかわ3」
PATTERNS: list[re.Pattern[str]] = [
    re.compile(_LABEL + r"[^\d\n]{0,3}?(\d[\d-]{3,11})(?!\d)"),
    re.compile(_LABEL + r"[^\d\n]{4,14}?(?<!\d)(\d{6,8})(?![\d年月日歳])"),  # 受給者番号の誤り。正：
    re.compile(_SHORT_LABEL + r"(?!番号)[^\d\n]{0,3}?(?<!\d)(\d{6,8})(?![\d.,-]|[" + _UNITS + r"])"),
    re.compile(_INSURER + r"[^\d\n]{0,4}?(?<!\d)(\d{8}|\d{6})(?!\d)"),  # 協会けんぽ 01130146
    re.compile(  # 記号・番号・枝番 20381・704・00
        r"記号[・･/]番号(?:[・･/]枝番)?" + SEP + r"([^\s・･/、,]{1,8})[・･/ ](\d+)(?:[・･/ ](\d{1,3})(?!\d))?"
    ),
    re.compile(r"記号" + SEP + r"(" + _MARK + r"[^\s、,]{0,9}(?: " + _MARK + r"[^\s、,]{0,9})+) 番号" + SEP + r"(\d+)"),
    re.compile(
        r"記号" + _OPEN + r"(?!番号)(" + _MARK + r"[一-龥ぁ-んァ-ヶｦ-ﾟ\d-]{0,9}?)(?=[ 、,）)」』]|番号|$)"
        r"(?:[ 、,」』]*番号" + _OPEN + r"(\d+))?"
    ),
    re.compile(r"枝番" + SEP + r"[（(]?(\d{1,3})(?!\d)"),
    re.compile(  # a 公費 pair: 負担者番号 and 受給者番号 (not a date and a number: 20261130 1234567)
        r"(?=\d)(?<![\d-])(?!(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
        r"(\d{8})(?: ?/ ?| )(\d{7})(?![\d.,-]|[" + _UNITS + r"])"
    ),
]

# after a card's first number, its other fields in a row: 01184753/東京1/332, 290304 ふじ 40021, 39133210-00311894
_FIELD_SEP = r"(?: ?[/・･] ?| |-)"
_NUMBER_FIELD = re.compile(_FIELD_SEP + r"(\d{1,8})(?![\d-])")
_MARK_FIELD = re.compile(  # a 記号 in kanji alone only between slashes (/東京/); with spaces it holds kana or a digit
    r"(?: ?[/・･] ?(?!記号|番号|枝番)([一-龥ぁ-んァ-ヶ]{1,4}\d{0,4}|\d{1,5}) ?[/・･] ?"
    r"| (?!記号|番号|枝番)([一-龥]{0,3}[ぁ-んァ-ヶ][一-龥ぁ-んァ-ヶ]{1,3}\d{0,4}|[一-龥]{1,4}\d{1,4}|\d{1,5}) )"
    r"(\d{1,8})(?![\d.,-]| ?[" + _UNITS + r"])"
)
_NEXT_VALUE = re.compile(r"(?: |→|->|、|,|/|[正誤新旧][:：]?)+(\d[\d-]{3,11})(?![\d-])")  # 正：0381264 誤：0381246


def card_fields(folded: str, first: PiiSpan) -> list[PiiSpan]:
    """The fields written after a card's first number (保険者番号): a 記号 and a 番号, or one more number."""
    if m := _MARK_FIELD.match(folded, first.end):
        mark = 1 if m.group(1) else 2
        return [PiiSpan(m.start(mark), m.end(mark), "INSURANCE"), PiiSpan(m.start(3), m.end(3), "INSURANCE")]
    m = _NUMBER_FIELD.match(folded, first.end)
    if m and len(m.group(1)) >= 6 and folded[first.end] in "/・･-":  # 39133210-00311894, 88116728/4134045
        return [PiiSpan(m.start(1), m.end(1), "INSURANCE")]
    return []


def continued(folded: str, span: PiiSpan) -> list[PiiSpan]:
    """A labelled value's list goes on with values of the same length: 4471102→4471120, 正：0381264 誤：0381246."""
    out = [span]
    while (m := _NEXT_VALUE.match(folded, out[-1].end)) and len(m.group(1)) == out[-1].end - out[-1].start:
        out.append(PiiSpan(m.start(1), m.end(1), span.type))
    return out[1:]


def insurance_spans(folded: str) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    for pattern in PATTERNS:
        for m in pattern.finditer(folded):
            groups = [i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)]
            spans += [PiiSpan(m.start(g), m.end(g), "INSURANCE") for g in groups]
            last = spans[-1]
            spans += continued(folded, last)
            if len(groups) == 1 and last.end - last.start in (6, 8):
                spans += card_fields(folded, last)
    return spans
