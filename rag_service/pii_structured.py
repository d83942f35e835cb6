"""Structured patient data: EMAIL, PHONE, POSTAL, PATIENT_ID, INSURANCE, MYNUMBER, ADDRESS by patterns with their
labels, and birth dates (DOB) by their cues, on a same-length folded copy of the text (offsets stay the input's)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_address import addresses, postal_beside
from rag_service.pii_base import SEP, PiiSpan

# --- structured types ------------------------------------------------------------------------------------------------

_ID_LABEL = (
    r"(?:患者ID|患者番号|カルテ(?:番号|No\.?)?|診察券(?:番号)?(?: ?No\.?)?|病歴番号|入院番号|利用者ID|受診者番号"
    r"|受付番号(?=" + SEP + r"(?:[A-Za-z]|\d{5}))|(?<![A-Za-z])(?:ID|MRN))"  # 受付番号 0153: a queue ticket of the day
)
_IDSEP = r"[:： #=】\]]*"  # 【入院番号】H25-004518
_INSURER = (
    r"(?:協会けんぽ|全国健康保険協会|国保|国民健康保険|後期高齢者?(?:医療)?|健保組合|健康保険組合|共済組合?|船員保険)"
)
_INS_LABEL = r"(?:被?保険者(?:証)?番号|保険証番号|公費負担者番号|受給者番号|負担者番号)"
_MARK = r"[一-龥ぁ-んァ-ヶｦ-ﾟ\d]"  # 記号 in digits, kanji or kana (練馬あ, ﾄﾁｷﾞ)
_BARE_MYNUMBER = re.compile(r"(?<![\d-])(\d{4}[ -]\d{4}[ -]\d{4})(?![\d-])")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (
        "MYNUMBER",
        re.compile(r"(?:個人番号|マイナンバ-|[Mm]y ?[Nn]umber)[^\n。]{0,24}?(?<!\d)(\d{4}[ -]?\d{4}[ -]?\d{4})(?!\d)"),
    ),
    ("MYNUMBER", _BARE_MYNUMBER),
    ("INSURANCE", re.compile(_INS_LABEL + r"[^\d\n]{0,3}?(\d[\d-]{3,11})(?!\d)")),
    ("INSURANCE", re.compile(_INS_LABEL + r"[^\d\n]{4,14}?(?<!\d)(\d{6,8})(?![\d年月日歳])")),  # 受給者番号の誤り。正：
    ("INSURANCE", re.compile(_INSURER + r"[^\d\n]{0,4}?(?<!\d)(\d{8}|\d{6})(?!\d)")),  # 協会けんぽ 01130146
    (
        "INSURANCE",  # 記号・番号・枝番 20381・704・00
        re.compile(
            r"記号[・･/]番号(?:[・･/]枝番)?" + SEP + r"([^\s・･/、,]{1,8})[・･/ ](\d+)(?:[・･/ ](\d{1,3})(?!\d))?"
        ),
    ),
    (
        "INSURANCE",
        re.compile(
            r"記号" + SEP + r"(" + _MARK + r"[^\s、,]{0,9}(?: " + _MARK + r"[^\s、,]{0,9})+) 番号" + SEP + r"(\d+)"
        ),
    ),
    (
        "INSURANCE",
        re.compile(
            r"記号" + SEP + r"(" + _MARK + r"[一-龥ぁ-んァ-ヶｦ-ﾟ\d-]{0,9}?)(?=[ 、,）)]|番号|$)"
            r"(?:[ 、,]*番号" + SEP + r"(\d+))?"
        ),
    ),
    ("INSURANCE", re.compile(r"枝番" + SEP + r"[（(]?(\d{1,3})(?!\d)")),
    ("PATIENT_ID", re.compile(_ID_LABEL + _IDSEP + r"([A-Za-z]{0,3}-?\d[\d-]{2,14}[A-Za-z]?)")),
    ("PATIENT_ID", re.compile(_ID_LABEL + r"[^\d\n]{1,8}?(\d{6,10})(?!\d)")),
    ("POSTAL", re.compile(r"(?:〒|郵便番号" + SEP + r")\s?(\d{3}-?\d{4})(?!\d)")),
    (
        "PHONE",
        re.compile(
            r"(?<![\d-])((?:\+81[- ]?\(?0?\d{1,4}\)?|\(0\d{1,4}\)|0\d{1,4})[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}"
            r"(?: ?(?:内線|ext\.?) ?\d{1,5})?)(?![\d-])"  # 06-6945-2210 内線215
        ),
    ),
]


_NOT_A_PHONE_LABEL = re.compile(r"(?<!電話)(?<!携帯)(?<!連絡先)(?:番号|No\.?|ID|#)" + SEP + r" ?$")


def _phone_ok(value: str, before: str) -> bool:
    """10 or 11 digits (12 with +81), and a number written without separators is no phone number where its label
    says it numbers something else (処方箋番号 0012345678)."""
    digits = sum(c.isdigit() for c in re.split(r"内線|ext", value)[0])
    if value.isdigit() and _NOT_A_PHONE_LABEL.search(before):
        return False
    return 10 <= digits <= 11 or (value.startswith("+81") and 11 <= digits <= 12)


_OTHER_NUMBER = re.compile(r"(?<!個人)(?<!マイナ)(?:番号|No\.?|ID|#)" + SEP + r" ?$")


_NEXT_VALUE = re.compile(r"(?: |→|->|、|,|/|[正誤新旧][:：]?)+(\d[\d-]{3,11})(?![\d-])")  # 正：0381264 誤：0381246


def _continued(folded: str, span: PiiSpan) -> list[PiiSpan]:
    """A labelled value's list goes on with values of the same length: 4471102→4471120, 正：0381264 誤：0381246."""
    out = [span]
    while (m := _NEXT_VALUE.match(folded, out[-1].end)) and len(m.group(1)) == out[-1].end - out[-1].start:
        out.append(PiiSpan(m.start(1), m.end(1), span.type))
    return out[1:]


def structured_spans(folded: str) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            groups = [i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)] or [0]
            for g in groups:
                if kind == "PHONE" and not _phone_ok(m.group(g), folded[max(0, m.start() - 12) : m.start()]):
                    continue
                if pattern is _BARE_MYNUMBER and _OTHER_NUMBER.search(folded[max(0, m.start() - 12) : m.start()]):
                    continue  # 検体番号 1234 5678 9012: a labelled number of something else
                spans.append(PiiSpan(m.start(g), m.end(g), kind))
                if kind in ("PATIENT_ID", "INSURANCE") and g == groups[-1]:
                    spans += _continued(folded, spans[-1])
    spans += addresses(folded)
    return [*spans, *postal_beside(folded, spans)]


_BARE_ID = re.compile(r"(?<![\d.,/-])\d{6,10}(?![\d.,/-])")
_ID_AFTER_NAME = re.compile(r" ?(?:様|さん|さま|氏|殿|くん|ちゃん)? ?[（(/／|｜:：、]? ?")
_ID_BEFORE_NAME = re.compile(r" ?[/／|｜:：]? ?")
_COMPACT_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_LEADING_ZERO_ID = re.compile(r"(?<![\w.,/:-])0\d{6,8}(?![\w.,/:-])")  # 0034917, 00771903: a record number
_NOT_A_PATIENT_NUMBER = re.compile(
    r"(?:検体|Lot|LOT|ロット|オ-ダ-|処方箋|領収書|伝票|請求|手術|インシデント|記録票|保険者|記号|番号|No\.?|#)[^\n\d]{0,4}$"
)


def ids_beside_names(folded: str, names: Sequence[PiiSpan], spans: Sequence[PiiSpan]) -> list[PiiSpan]:
    """A bare number of 6 to 10 digits written right beside a name is the person's record number (竹中 勝也（00820144）,
    1183302 浜口 様, ﾆｼｶﾞｷ ﾋﾛｺ / 0034917); and a 7- to 9-digit number that starts with 0 is one wherever it stands,
    unless a label says it numbers something else (検体, Lot, オーダー …)."""
    taken = [(s.start, s.end) for s in spans]
    out = []
    for m in _BARE_ID.finditer(folded):
        if any(a < m.end() and m.start() < b for a, b in taken) or _COMPACT_DATE.fullmatch(m.group(0)):
            continue
        beside = any(
            (0 <= m.start() - n.end <= 8 and _ID_AFTER_NAME.fullmatch(folded[n.end : m.start()]))
            or (0 <= n.start - m.end() <= 3 and _ID_BEFORE_NAME.fullmatch(folded[m.end() : n.start]))
            for n in names
        )
        labelled_other = _NOT_A_PATIENT_NUMBER.search(folded[max(0, m.start() - 12) : m.start()])
        if (beside or _LEADING_ZERO_ID.fullmatch(folded, m.start(), m.end())) and not labelled_other:
            out.append(PiiSpan(m.start(), m.end(), "PATIENT_ID"))
    return out
