"""Exam-style queries: a question stem plus option lines (a–e), as national-exam questions are written. Pure.

Such a query is searched as several: the whole question with the instruction boilerplate stripped
(「正しいのはどれか」「2つ選べ」 say nothing about the topic), and the stem with each option on its own, so an
option that names the deciding statute or recommendation is not drowned by the other four. The Retriever
merges each leg's rankings over the sub-queries (best score per chunk) before fusing the legs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag_service.ja_text import normalize_chars

QueryKind = Literal["auto", "plain", "exam"]

_OPTION = re.compile(r"^\s*[(\[]?([a-eA-E])[)\].:、]\s*(\S.*)$")
_INSTRUCTION = re.compile(
    r"(?:(?:最も|特に)?(?:正しい|誤っている|誤り|適切な|適切でない|不適切な|妥当な|妥当でない)(?:もの)?)?"
    r"(?:の?は)?(?:どれ|いくつ)か[。.?]?"
    r"|[0-9一二三]つ選べ[。.]?|すべて選べ[。.]?"
)
MIN_OPTIONS = 3


@dataclass(frozen=True)
class ExamQuery:
    stem: str  # the question without its instruction boilerplate
    options: tuple[str, ...]


def parse_exam(text: str) -> ExamQuery | None:
    """A stem followed by at least three option lines `a: …` (also `a.`, `(a)`, full-width): else None."""
    stem_lines: list[str] = []
    options: list[str] = []
    for line in normalize_chars(text).split("\n"):
        m = _OPTION.match(line)
        if m:
            options.append(m.group(2).strip())
        elif options:
            options[-1] = f"{options[-1]} {line.strip()}".strip()  # a wrapped option line
        elif line.strip():
            stem_lines.append(line.strip())
    if len(options) < MIN_OPTIONS or not stem_lines:
        return None
    return ExamQuery(strip_instructions(" ".join(stem_lines)), tuple(options))


def strip_instructions(text: str) -> str:
    """The question without 「…はどれか」「2つ選べ」; the text itself when nothing else would be left."""
    stripped = _INSTRUCTION.sub(" ", text).strip()
    return stripped or text.strip()


def resolve_kind(text: str, kind: QueryKind) -> Literal["plain", "exam"]:
    """`auto`: exam when the text parses as a stem with options."""
    if kind == "auto":
        return "exam" if parse_exam(text) is not None else "plain"
    return kind


def sub_queries(text: str, kind: Literal["plain", "exam"]) -> list[str]:
    """The texts to search: the text itself, or for an exam question the cleaned whole and stem + each option."""
    exam = parse_exam(text) if kind == "exam" else None
    if exam is None:
        return [text]
    whole = "\n".join([exam.stem, *exam.options])
    return [whole, *(f"{exam.stem}\n{option}" for option in exam.options)]
