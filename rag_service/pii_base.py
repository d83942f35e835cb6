"""The masker's shared pieces: the types, their masks, spans, folding, and how overlapping spans resolve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TYPES = ("NAME", "PATIENT_ID", "DOB", "PHONE", "ADDRESS", "POSTAL", "EMAIL", "INSURANCE", "MYNUMBER")
MASKS = {
    "NAME": "［氏名］",
    "PATIENT_ID": "［患者ID］",
    "DOB": "［生年月日］",
    "PHONE": "［電話番号］",
    "ADDRESS": "［住所］",
    "POSTAL": "［郵便番号］",
    "EMAIL": "［メール］",
    "INSURANCE": "［保険番号］",
    "MYNUMBER": "［個人番号］",
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    start: int  # offsets into the input, as Python counts them (code points)
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class Masked:
    masked: str
    spans: list[PiiSpan]


# --- folding: same length as the input, so a match's offsets are the input's ------------------------------------

SEP = r"[:： #=]*"  # between a label and its value

_FOLD: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII
_FOLD.update({ord(c): "-" for c in "‐‑‒–—―−ーｰ－"})
_FOLD[0x3000] = " "


def fold(text: str) -> str:
    """Full-width ASCII to ASCII, dashes and ー to '-', the ideographic space to ' ': one code point for one."""
    out = text.translate(_FOLD)
    assert len(out) == len(text)
    return out


def words(text: str) -> list[str]:
    """Space-separated words (long Japanese word lists read better as one string)."""
    return text.split()


def alt(text: str) -> str:
    """A regex alternation of space-separated words (the longer first, so 患者氏名 wins over 患者)."""
    return "(?:" + "|".join(sorted(words(text), key=len, reverse=True)) + ")"


_PRIORITY = {t: i for i, t in enumerate(("EMAIL", "MYNUMBER", "INSURANCE", "PATIENT_ID", "POSTAL", "PHONE", "DOB",
                                         "ADDRESS", "NAME"))}  # fmt: skip


def resolve(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans: the longer wins an overlap, then the type that is more specific."""
    chosen: list[PiiSpan] = []
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), _PRIORITY[s.type], s.start)):
        if s.end > s.start and all(s.end <= c.start or s.start >= c.end for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)
