"""Birth dates (DOB) on the folded text: a date grammar (和暦 in digits or 漢数字, S58.10.10, H元年, 西暦 with any
separator, 19700302, 03/14/1971, and a year and month alone: 2022年3月) and the cues that make a date a birth date: a
label before it (生年月日, DOB), 生/生まれ/（72歳 after it, or its place right after the person's name or the ID that
follows the name (ﾆｼｶﾞｷ ﾋﾛｺ / 0034917 / 1939.10.04). A date after a name that is followed by 薬局, 受診, 処方 … is the
day of that, not a birth date."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_base import PiiSpan

_KN = r"[〇一二三四五六七八九十]{1,4}"  # 漢数字
_ERA = r"(?:明治|大正|昭和|平成|令和)"
_DATE = (
    r"(?:(?:" + _ERA + r"|[MTSHR]) ?(?:\d{1,2}|元)年 ?\d{1,2}月 ?\d{1,2}日"
    r"|" + _ERA + r" ?(?:" + _KN + r"|元)年 ?" + _KN + r"月 ?" + _KN + r"日"
    r"|(?<![A-Za-z])[MTSHR]\.? ?(?:\d{1,2}|元)[./-]\d{1,2}[./-]\d{1,2}"
    r"|(?<!\d)(?:19|20)\d{2}(?:年 ?\d{1,2}月 ?\d{1,2}日|/\d{1,2}/\d{1,2}|-\d{1,2}-\d{1,2}|\.\d{1,2}\.\d{1,2}"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))"
    r"|(?<![\d/])\d{1,2}/\d{1,2}/(?:19|20)\d{2}(?!\d))"  # 03/14/1971
)
_DATE_RE = re.compile(_DATE)
# a year and month with no day: a birth date only with a label or 生 (2022年3月生), never by place alone
_YEAR_MONTH = re.compile(r"(?:(?:" + _ERA + r"|[MTSHR]) ?(?:\d{1,2}|元)|(?<!\d)(?:19|20)\d{2})年 ?\d{1,2}月(?! ?\d)")
_BEFORE = re.compile(r"(?:生年月日|誕生日|DOB|[Dd]ate of [Bb]irth|[Bb]orn|生まれ)[^\n]{0,6}$")
_AGE_BEFORE = re.compile(r"\d{1,3}歳[ ）)、,]*$")
_AFTER = re.compile(r"^ ?(?:生|（\d{1,3}歳|\(\d{1,3}歳| 生)")
_BETWEEN = re.compile(r"[ 、,（(/／|｜:：・—-]*(?:様|さん|さま|氏|殿|くん|ちゃん|君)?[ 、,（(/／|｜:：・—-]*")
_ID_BETWEEN = re.compile(r"[ 、,（()）/／|｜:：・—-]*")
_DAY_OF_SOMETHING = re.compile(
    r"[^。\n/／|、,]{0,6}?(?:薬局|受診|来院|入院|退院|処方|調剤|手術|検査|再診|初診|予約|投与|実施|開始|終了|記入)"
)


def _anchors(folded: str, names: Sequence[PiiSpan], others: Sequence[PiiSpan]) -> list[PiiSpan]:
    """The names, and the IDs written right after a name (竹中 勝也 / 0034917): a date after either is in place."""
    out = list(names)
    for s in sorted(others, key=lambda s: s.start):
        if s.type == "PATIENT_ID" and any(
            0 <= s.start - a.end <= 8 and _ID_BETWEEN.fullmatch(folded[a.end : s.start]) for a in out
        ):
            out.append(s)
    return out


def dates_of_birth(folded: str, names: Sequence[PiiSpan], others: Sequence[PiiSpan] = ()) -> list[PiiSpan]:
    """A date is a birth date with a label before (生年月日, DOB), 生/（72歳 after it, or right after a name (or the ID
    after a name)."""
    anchors = _anchors(folded, names, others)
    out = []
    for m in _DATE_RE.finditer(folded):
        before, after = folded[max(0, m.start() - 16) : m.start()], folded[m.end() : m.end() + 6]
        cued = bool(_BEFORE.search(before) or _AGE_BEFORE.search(before) or _AFTER.match(after))
        placed = not _DAY_OF_SOMETHING.match(folded, m.end()) and any(
            0 <= m.start() - a.end <= 8 and _BETWEEN.fullmatch(folded[a.end : m.start()]) for a in anchors
        )
        if cued or placed:
            out.append(PiiSpan(m.start(), m.end(), "DOB"))
    for m in _YEAR_MONTH.finditer(folded):
        if _BEFORE.search(folded[max(0, m.start() - 16) : m.start()]) or _AFTER.match(folded[m.end() : m.end() + 6]):
            out.append(PiiSpan(m.start(), m.end(), "DOB"))
    return out
