"""Structured patient data: EMAIL, PHONE, POSTAL, PATIENT_ID, INSURANCE, MYNUMBER, ADDRESS by patterns with their
labels, and birth dates (DOB) by their cues, on a same-length folded copy of the text (offsets stay the input's)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.pii_base import SEP as _SEP
from rag_service.pii_base import PiiSpan

# --- structured types ------------------------------------------------------------------------------------------------

_J = r"[一-龥々〆ヵヶぁ-んァ-ヶー]"
_PREF = r"(?:東京都|北海道|(?:京都|大阪)府|[一-龥]{2,3}県)"
_KN = r"[〇一二三四五六七八九十]{1,4}"  # 漢数字 (read with kanjize when checked)
_DATE = (
    r"(?:(?:明治|大正|昭和|平成|令和|[MTSHR]) ?(?:\d{1,2}|元)年 ?\d{1,2}月 ?\d{1,2}日"
    r"|(?:明治|大正|昭和|平成|令和) ?(?:" + _KN + r"|元)年 ?" + _KN + r"月 ?" + _KN + r"日"
    r"|(?<![A-Za-z])[MTSHR]\.? ?(?:\d{1,2}|元)[./-]\d{1,2}[./-]\d{1,2}"
    r"|(?<!\d)(?:19|20)\d{2}(?:年 ?\d{1,2}月 ?\d{1,2}日|/\d{1,2}/\d{1,2}|-\d{1,2}-\d{1,2}|\.\d{1,2}\.\d{1,2}"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)))"
)
_ID_LABEL = (
    r"(?:患者ID|患者番号|カルテ(?:番号|No\.?)?|診察券(?:番号)?(?: ?No\.?)?|病歴番号|入院番号|利用者ID"
    r"|(?<![A-Za-z])(?:ID|MRN))"
)
_BARE_MYNUMBER = re.compile(r"(?<![\d-])(\d{4}[ -]\d{4}[ -]\d{4})(?![\d-])")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (
        "MYNUMBER",
        re.compile(r"(?:個人番号|マイナンバ-|[Mm]y ?[Nn]umber)[^\n]{0,14}?(?<!\d)(\d{4}[ -]?\d{4}[ -]?\d{4})(?!\d)"),
    ),
    ("MYNUMBER", _BARE_MYNUMBER),
    (
        "INSURANCE",
        re.compile(
            r"(?:被?保険者(?:証)?番号|保険証番号|公費負担者番号|受給者番号|負担者番号)[^\d\n]{0,3}?(\d[\d-]{3,11})(?!\d)"
        ),
    ),
    ("INSURANCE", re.compile(r"記号[・･/]番号" + _SEP + r"([^\s・･/、,]{1,8})[・･/ ](\d+)")),
    (
        "INSURANCE",
        re.compile(
            r"記号" + _SEP + r"([一-龥ぁ-んァ-ヶ\d][一-龥ぁ-んァ-ヶ\d-]{0,9}?)(?=[ 、,）)]|番号|$)"
            r"(?:[ 、,]*番号" + _SEP + r"(\d+))?"
        ),
    ),
    ("INSURANCE", re.compile(r"枝番" + _SEP + r"[（(]?(\d{1,3})(?!\d)")),
    ("PATIENT_ID", re.compile(_ID_LABEL + _SEP + r"([A-Za-z]{0,3}-?\d[\d-]{2,14}[A-Za-z]?)")),
    ("PATIENT_ID", re.compile(_ID_LABEL + r"[^\d\n]{1,8}?(\d{6,10})(?!\d)(?:(?:→|->|、| ?/ ?)(\d{6,10})(?!\d))?")),
    ("POSTAL", re.compile(r"(?:〒|郵便番号" + _SEP + r")\s?(\d{3}-?\d{4})(?!\d)")),
    (
        "PHONE",
        re.compile(
            r"(?<![\d-])((?:\+81[- ]?\(?0?\d{1,4}\)?|\(0\d{1,4}\)|0\d{1,4})[- ]?\(?\d{1,4}\)?[- ]?\d{3,4})(?![\d-])"
        ),
    ),
    (
        "ADDRESS",
        re.compile(
            _PREF + r"?(?:" + _J + r"{1,7}?[市区郡町村]){1,3}(?:" + _J + r"|\d+条)" + r"{0,8}?"
            r"\d+(?:丁目|番地|番|号|-\d+)(?:の?\d+(?:番地|番|号)?|-\d+)*"
            r"(?: ?[一-龥ァ-ヶA-Za-z][一-龥ァ-ヶA-Za-z-]{0,14}(?:\d{1,2}F ?)?\d{1,4}(?:号室?)?)?"  # ー is folded to -
        ),
    ),
]
_DOB_RE = re.compile(_DATE)
_DOB_BEFORE = re.compile(r"(?:生年月日|誕生日|DOB|[Dd]ate of [Bb]irth|[Bb]orn|生まれ)[^\n]{0,6}$")
_DOB_AGE_BEFORE = re.compile(r"\d{1,3}歳[ ）)、,]*$")
_DOB_AFTER = re.compile(r"^ ?(?:生|（\d{1,3}歳|\(\d{1,3}歳| 生)")
_AFTER_NAME = " 様さん氏殿（(、,/／|｜:：・\u3000"


def _phone_ok(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return 10 <= digits <= 11 or (value.startswith("+81") and 11 <= digits <= 12)


_OTHER_NUMBER = re.compile(r"(?<!個人)(?<!マイナ)(?:番号|No\.?|ID|#)" + _SEP + r" ?$")


def structured_spans(folded: str) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            groups = [i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)] or [0]
            for g in groups:
                if kind == "PHONE" and not _phone_ok(m.group(g)):
                    continue
                if pattern is _BARE_MYNUMBER and _OTHER_NUMBER.search(folded[max(0, m.start() - 12) : m.start()]):
                    continue  # 検体番号 1234 5678 9012: a labelled number of something else

                spans.append(PiiSpan(m.start(g), m.end(g), kind))
    return spans


def dates_of_birth(folded: str, names: Sequence[PiiSpan]) -> list[PiiSpan]:
    """A date is a birth date with a label before (生年月日, DOB), 生/（72歳 after it, or right after a name."""
    out = []
    for m in _DOB_RE.finditer(folded):
        before, after = folded[max(0, m.start() - 16) : m.start()], folded[m.end() : m.end() + 6]
        after_name = any(
            0 <= m.start() - n.end <= 6 and not folded[n.end : m.start()].strip(_AFTER_NAME) for n in names
        )
        if _DOB_BEFORE.search(before) or _DOB_AGE_BEFORE.search(before) or _DOB_AFTER.match(after) or after_name:
            out.append(PiiSpan(m.start(), m.end(), "DOB"))
    return out
