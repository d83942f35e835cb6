"""Structured patient data: EMAIL, PHONE, POSTAL, PATIENT_ID, INSURANCE, MYNUMBER, ADDRESS by patterns with their
labels, on a same-length folded copy of the text (offsets stay the input's). Record numbers are in pii_ids, insurance
numbers in pii_insurance, addresses in pii_address."""

from __future__ import annotations

import re

from rag_service.pii_address import addresses, postal_beside
from rag_service.pii_base import SEP, PiiSpan
from rag_service.pii_ids import OTHER_NUMBER
from rag_service.pii_ids import PATTERNS as ID_PATTERNS
from rag_service.pii_insurance import continued, insurance_spans

# 12 digits with no label (grouped 4-4-4 or not at all) are a My Number unless a label says otherwise
_BARE_MYNUMBER = re.compile(r"(?=\d)(?<![\dA-Za-z-])(\d{4}[ -]?\d{4}[ -]?\d{4})(?![\dA-Za-z-])")
_MYNUMBER_CUE = r"(?:個人番号|マイナンバ-|マイナ(?:保険証|カ-ド)|[Mm]y ?[Nn]umber)"  # マイナ保険証 … カード券面の番号
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (  # 12 digits in any groups (994-046-661-651), up to 24 characters after the cue in one sentence
        "MYNUMBER",
        re.compile(_MYNUMBER_CUE + r"[^\n。]{0,24}?(?<!\d)(\d(?:[ -]?\d){11})(?!\d)"),
    ),
    ("MYNUMBER", _BARE_MYNUMBER),
    *(("PATIENT_ID", p) for p in ID_PATTERNS),
    ("POSTAL", re.compile(r"(?:〒|郵便番号" + SEP + r")\s?(\d{3}-?\d{4})(?!\d)")),
    (
        "PHONE",
        re.compile(
            r"(?=[\d+(])(?<![\d-])((?:\+81[- ]?\(?0?\d{1,4}\)?|\(0\d{1,4}\)|0\d{1,4})[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}"
            r"(?: ?(?:内線|ext\.?) ?\d{1,5})?)(?![\d-]|/\d)"  # 06-6945-2210 内線215; not 0087-33 1990/1/30
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


_COMPACT_DATETIME = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{4}")  # 202612010730


def structured_spans(folded: str) -> list[PiiSpan]:
    spans = insurance_spans(folded)
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            groups = [i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)] or [0]
            for g in groups:
                if kind == "PHONE" and not _phone_ok(m.group(g), folded[max(0, m.start() - 12) : m.start()]):
                    continue
                if pattern is _BARE_MYNUMBER and (
                    OTHER_NUMBER.search(folded, max(0, m.start() - 12), m.start()) or _COMPACT_DATETIME.fullmatch(m[1])
                ):
                    continue  # 検体番号 1234 5678 9012: a labelled number of something else
                spans.append(PiiSpan(m.start(g), m.end(g), kind))
                if kind == "PATIENT_ID" and g == groups[-1]:
                    spans += continued(folded, spans[-1])
    spans += addresses(folded)
    return [*spans, *postal_beside(folded, spans)]
