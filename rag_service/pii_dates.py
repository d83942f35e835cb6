"""Birth dates (DOB) on the folded text: a date grammar (和暦 in digits or 漢数字, S58.10.10, H元年, 西暦 with any
separator or in 漢数字 (一九五二年四月十日), 1977年（昭和52年）8月14日, 19700302, 03/14/1971, 14 Feb 1962, July 4,
1992; a year and month alone, a year alone or a month and day alone) and the cues that make a date a birth date: a
label before it (生年月日, 生：, DOB), 生/生まれ/（72歳 after it, or its place in a person's record: right after the
name, the name's age or sex (小松 浩 64 19620515, ｲﾜﾓﾄ ｹﾝｼﾞ M 1966/02/06), or a number that follows the name (ﾆｼｶﾞｷ ﾋﾛｺ /
0034917 / 1939.10.04; 岸田 直美、個人番号 …、受診者番号 …、1975年11月5日). A date after a name that is followed by 薬局,
受診, 処方 … is the day of that, not a birth date. Partial dates need more: a year and month a label or 生, a year
alone a label, 生 or an era right after the name (新井 トシ子 昭和十六年), a month and day a label."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_base import PiiSpan

_KN = r"[〇一二三四五六七八九十]{1,4}"  # 漢数字
_ERA = r"(?:明治|大正|昭和|平成|令和)"
_ERA_YEAR = r"(?:(?:" + _ERA + r"|[MTSHR]) ?(?:\d{1,2}|元)|" + _ERA + r" ?" + _KN + r")年"  # 昭和52年, 昭和五十二年
_WEST_YEAR = r"(?:(?<!\d)(?:19|20)\d{2}|[一二][〇一二三四五六七八九]{3})年"  # 1977年, 一九七七年
# a year, with the other calendar's year in brackets after it: 1977年（昭和52年）, 昭和52年（1977年）
_YEAR = (
    r"(?=[\d明大昭平令MTSHR一二])(?:" + _WEST_YEAR + r"(?: ?\(" + _ERA_YEAR + r"\))?"
    r"|" + _ERA_YEAR + r"(?: ?\((?:19|20)\d{2}年?\))?)"
)
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (  # the lookahead first: most positions fail at once
    r"(?=[\d明大昭平令MTSHR一二JFMASOND])(?:" + _YEAR + r"の? ?(?:\d{1,2}|" + _KN + r")月 ?(?:\d{1,2}|" + _KN + r")日"
    r"|(?<![A-Za-z])[MTSHR]\.? ?(?:\d{1,2}|元)[./-]\d{1,2}[./-]\d{1,2}"
    r"|(?<!\d)(?:19|20)\d{2}(?:/\d{1,2}/\d{1,2}|-\d{1,2}-\d{1,2}|\.\d{1,2}\.\d{1,2}"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))"  # 19700302
    r"|(?<![\d/])\d{1,2}/\d{1,2}/(?:19|20)\d{2}(?!\d)"  # 03/14/1971
    r"|(?<!\d)\d{1,2} " + _MONTHS + r",? (?:19|20)\d{2}(?!\d)|" + _MONTHS + r" \d{1,2}, (?:19|20)\d{2}(?!\d))"
)
_DATE_RE = re.compile(_DATE)
_YEAR_MONTH = re.compile(_YEAR + r" ?(?:\d{1,2}|" + _KN + r")月(?! ?(?:\d|" + _KN + r"))")  # 2022年3月 (生)
_YEAR_ONLY = re.compile(_YEAR + r"(?! ?(?:\d|" + _KN + r")+月|[度代間内末始頃前後])")  # 昭和22年 (生)
_ERA_ONLY = re.compile(_ERA + r".*年")
_MONTH_DAY = re.compile(r"(?=\d)(?<![\d年/.-])\d{1,2}月 ?\d{1,2}日")  # 誕生日は 3月3日
_BEFORE = re.compile(
    r"(?:生年月日|誕生日|DOB|[Dd]ate of [Bb]irth|[Bb]orn|生まれ|(?<![一-龥])生[:：])"
    r"(?:[^\n]{0,6}|[^\n\d。]{0,12}|[^\n\d。]{0,10}。「)$"  # 生年月日をお伺いします。「昭和…
)
_AGE_BEFORE = re.compile(r"\d{1,3}歳[ ）)、,]*$")
_AFTER = re.compile(r"^ ?(?:生|（\d{1,3}歳|\(\d{1,3}歳| 生)")
_YEAR_AFTER = re.compile(r"^ ?生(?:まれ)?(?![一-龥])")
_SEP = r"[ 、,（()）/／|｜:：・—-]*"
# between a name and its birth date: an honorific, a short note in brackets, the person's sex and age
_BETWEEN = re.compile(
    _SEP + r"(?:(?:様|さん|さま|氏|殿|くん|ちゃん|君)" + _SEP + r")?(?:[（(][^（()）]{1,12}[）)]" + _SEP + r")?"
    r"(?:(?:男性|女性|[MF男女]|\d{1,3}(?:歳|才|y|yo)?)(?![A-Za-z])" + _SEP + r"){0,2}"
)
_FIELD_GAP = re.compile(r"[ 、,（()）/|:：・-]+(?:[^\d\n。、,]{1,8}[ :：]*)?")  # 、個人番号 : a labelled field
_DAY_OF_SOMETHING = re.compile(
    r"[^。\n/／|、,]{0,6}?(?:薬局|受診|来院|入院|退院|処方|調剤|手術|検査|再診|初診|予約|投与|実施|開始|終了|記入)"
)
_FIELD_TYPES = ("PATIENT_ID", "MYNUMBER", "INSURANCE", "PHONE")


def _anchors(folded: str, names: Sequence[PiiSpan], others: Sequence[PiiSpan]) -> list[PiiSpan]:
    """The names, and the numbers written in a row after a name (竹中 勝也 / 0034917; 岸田 直美、個人番号 …、受診者番号
    …): a date after any of them is in its place in the person's record."""
    out = list(names)
    for s in sorted(others, key=lambda s: s.start):
        if s.type in _FIELD_TYPES and any(
            0 <= s.start - a.end <= 12 and _FIELD_GAP.fullmatch(folded, a.end, s.start) for a in out
        ):
            out.append(s)
    return out


def _placed(folded: str, start: int, anchors: Sequence[PiiSpan]) -> bool:
    return any(0 <= start - a.end <= 24 and _BETWEEN.fullmatch(folded, a.end, start) for a in anchors)


def dates_of_birth(folded: str, names: Sequence[PiiSpan], others: Sequence[PiiSpan] = ()) -> list[PiiSpan]:
    """A date is a birth date with a label before (生年月日, DOB), 生/（72歳 after it, or in its place in a person's
    record (see the module's notes); a partial date needs more."""
    anchors = _anchors(folded, names, others)
    out = []
    for m in _DATE_RE.finditer(folded):
        before, after = folded[max(0, m.start() - 20) : m.start()], folded[m.end() : m.end() + 6]
        cued = bool(_BEFORE.search(before) or _AGE_BEFORE.search(before) or _AFTER.match(after))
        if cued or (not _DAY_OF_SOMETHING.match(folded, m.end()) and _placed(folded, m.start(), anchors)):
            out.append(PiiSpan(m.start(), m.end(), "DOB"))
    partial: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = [
        (_YEAR_MONTH, _AFTER),
        (_YEAR_ONLY, _YEAR_AFTER),
        (_MONTH_DAY, None),
    ]
    for pattern, cue_after in partial if "年" in folded or "月" in folded else ():
        for m in pattern.finditer(folded):
            labelled = _BEFORE.search(folded, max(0, m.start() - 20), m.start())
            era_placed = (  # 新井 トシ子 昭和十六年: an era's year right after the name
                pattern is _YEAR_ONLY
                and _ERA_ONLY.match(m[0])
                and _placed(folded, m.start(), names)
                and not _DAY_OF_SOMETHING.match(folded, m.end())
            )
            if labelled or (cue_after and cue_after.match(folded[m.end() : m.end() + 6])) or era_placed:
                out.append(PiiSpan(m.start(), m.end(), "DOB"))
    return out
