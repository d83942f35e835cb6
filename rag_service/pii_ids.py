"""A patient's record numbers (PATIENT_ID) on the folded text (pii_base.fold): a value after its label (カルテ番号,
利用者番号, 介護記録番号, 受付番号, リストバンド …), a number written right beside the person's name or birth date
(竹中 勝也（00820144）, 0066-4101 野中 涼, 石原 咲 H12/4/4 T-00772), a 0-led number of 5 to 9 digits anywhere, and a
near copy of a value already found (a register's duplicate, a label's typo: 004521 … 004512), unless a label says it
numbers something else (検体番号, Lot, レセプト番号 …)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_base import PiiSpan

# 受付番号 is masked whatever its value: the day's queue ticket (0153) is the patient's too, for that day
_LABEL = (
    r"(?=[患カ診病入外受利介薬仮本リネ識IM])(?:患者(?:ID|番号|コ-ド)|カルテ(?:番号|No\.?)?|診察券(?:番号)?(?: ?No\.?)?"
    r"|病歴番号|入院番号|外来番号|受診者番号|受付番号|利用者(?:番号|ID|コ-ド)|介護記録番号|薬歴(?:番号|ID)|(?:仮|本)登録(?:番号)?"
    r"|(?:リスト|ネ-ム|識別)バンド|(?<![A-Za-z])(?:ID|MRN))"
)
_SEP = r"[:： #=】\]]*"  # 【入院番号】H25-004518
_VALUE = r"(?:[A-Za-z]{1,3}-?|\d{1,4}[A-Za-z]{1,3}-?)?\d[\d-]{2,14}[A-Za-z]?"  # K24-001187, 26K-01139, P0221937
PATTERNS = [
    re.compile(_LABEL + _SEP + r"(" + _VALUE + r")"),
    re.compile(_LABEL + r"[^\d\n]{1,8}?(\d{6,10})(?!\d)"),
    re.compile(r"(?:患者|利用者) ([A-Z]{1,3}-\d{3,8})(?![\w-])"),  # 透析患者 HD-0412
]

# labels of numbers that are not a patient's: 検体番号, Lot, レセプト番号 (a number after a bare 番号 is still one)
OTHER_NUMBER = re.compile(
    r"(?:検体|Lot|LOT|ロット|オ-ダ-|処方箋|領収書|伝票|請求|手術|インシデント|記録票|保険者|記号|レセプト|紹介状|文書|品番"
    r"|製造|シリアル|医療券|接種券|JAN|YJ|コ-ド|会計|連絡票|ブロック|内線|[一-龥ァ-ヶA-Za-z-]番号|No\.?|#)[^\n\d]{0,4}$"
)
_BARE = re.compile(
    r"(?=[\dA-Z])(?<![\d.,-])(?<!\d/)"
    r"(?:\d{6,10}(?![\d.,/-])|\d{5}(?![\w.,/-])"  # 6 to 10 digits, or 5 with nothing joined
    r"|\d{2,5}-\d{2,7}(?![\w.,/-])|[A-Z]{1,3}-?\d{4,10}(?![\w.,/-]))"  # 0066-4101; A00782, T-00772
)
_AFTER_ANCHOR = re.compile(r" ?(?:様|さん|さま|氏|殿|くん|ちゃん)? ?[（(/|:：、]? ?")
_BEFORE_ANCHOR = re.compile(r" ?[/|:：（(]? ?")
_COMPACT_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])")
_LEADING_ZERO = re.compile(r"(?<![\w.,/:-])0\d{4,8}(?![\w.,/:-])")  # 0034917, 00217: a record number


def _enough_digits(value: str) -> bool:
    return sum(c.isdigit() for c in value) >= (5 if value.isdigit() else 6 if value[0].isdigit() else 4)


def _beside(folded: str, start: int, end: int, anchors: Sequence[PiiSpan]) -> bool:
    return any(
        (0 <= start - a.end <= 8 and _AFTER_ANCHOR.fullmatch(folded, a.end, start))
        or (0 <= a.start - end <= 3 and _BEFORE_ANCHOR.fullmatch(folded, end, a.start))
        for a in anchors
    )


def ids_beside(folded: str, anchors: Sequence[PiiSpan], taken: Sequence[PiiSpan]) -> list[PiiSpan]:
    """A bare number written right beside a person's name or birth date is the person's record number (竹中 勝也
    （00820144）, 1183302 浜口 様, ﾆｼｶﾞｷ ﾋﾛｺ / 0034917, 石原 咲 H12/4/4 T-00772); and a 0-led number of 5 to 9 digits
    is one wherever it stands; neither where a label says it numbers something else (検体, Lot, オーダー …)."""
    spans = [(s.start, s.end) for s in taken]
    out = []
    for m in _BARE.finditer(folded):
        start, end = m.span()
        value = m.group(0)
        zero_led = value[0] == "0" and _LEADING_ZERO.fullmatch(folded, start, end)
        if not (zero_led or _beside(folded, start, end, anchors)):
            continue  # the cheap test first: most numbers are neither
        if any(a < end and start < b for a, b in spans) or _COMPACT_DATE.fullmatch(value):
            continue
        if _enough_digits(value) and not OTHER_NUMBER.search(folded, max(0, start - 12), start):
            out.append(PiiSpan(start, end, "PATIENT_ID"))
    return out


_ECHO_TYPES = ("PATIENT_ID", "INSURANCE", "MYNUMBER", "DOB", "PHONE")


_TOKEN = re.compile(r"(?<![A-Za-z\d./:-])[A-Za-z\d](?:[A-Za-z\d./:-]*[A-Za-z\d])?")
_DIGIT_OR_LETTER = str.maketrans(
    "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "9" * 10 + "A" * 52
)


def _copy_of(token: str, found: dict[str, str]) -> str | None:
    """The type of the value `token` is a near copy of: the same length and shape, the first half the same."""
    for value, kind in found.items():
        half = (len(value) + 1) // 2
        same_start = len(token) == len(value) and token[:half] == value[:half] and token != value
        if same_start and token.translate(_DIGIT_OR_LETTER) == value.translate(_DIGIT_OR_LETTER):
            return kind
    return None


def near_copies(folded: str, spans: Sequence[PiiSpan]) -> list[PiiSpan]:
    """A value written again with a digit or two changed (a duplicate in a register, a typo on a label, 正/誤 on a form:
    004521 … 004512, 1961/08/21 → 1961/08/12) is the same kind of value."""
    found = {
        folded[s.start : s.end]: s.type
        for s in spans
        if s.type in _ECHO_TYPES and s.end - s.start >= 5 and folded[s.start : s.end].isascii()
    }
    if not found:
        return []
    taken = [(s.start, s.end) for s in spans]
    out = []
    for m in _TOKEN.finditer(folded):
        kind = _copy_of(m.group(0), found)
        if kind and not any(a < m.end() and m.start() < b for a, b in taken):
            out.append(PiiSpan(m.start(), m.end(), kind))
    return out
