"""Pure citation handling: number the hits as sources [1]..[n], parse the markers a model wrote, drop invented ones.

Markers recognised: `[1]`, `[1,2]`, `[1, 2]`, `[1、2]`, `[1-3]` (a range), `[1][3]`, full-width `［１］`, `［１，２］`
and `【1】`. A marker that points at no provided source is removed from the answer; a marker that mixes valid and
invalid numbers keeps the valid ones. Every kept marker is rewritten in one canonical half-width form (`[1,2]`), so
clients parse one shape.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag_service.types import Chunk, Hit

_DIGITS = "0-9０-９"
_SEP = r"[,，、・\s]"
_RANGE = r"[-‐－–—~〜～]"
_MARKER = re.compile(
    rf"[\[［【]\s*([{_DIGITS}]+(?:\s*{_RANGE}\s*[{_DIGITS}]+)?(?:{_SEP}*[{_DIGITS}]+"
    rf"(?:\s*{_RANGE}\s*[{_DIGITS}]+)?)*)\s*[\]］】]"
)
_NUMBER_OR_RANGE = re.compile(rf"([{_DIGITS}]+)(?:\s*{_RANGE}\s*([{_DIGITS}]+))?")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
MAX_RANGE = 50  # `[1-9999]` is not a citation


@dataclass(frozen=True, slots=True)
class Citation:
    """Source number `number` in the prompt, and the chunk it stands for (all the provenance a client needs)."""

    number: int
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class ParsedCitations:
    """The answer with invented markers removed, the valid numbers in order of first use, and what was dropped."""

    text: str
    used: tuple[int, ...]
    invented: tuple[int, ...]


def number_sources(hits: Sequence[Hit]) -> list[tuple[int, Hit]]:
    """The hits as numbered sources, 1-based, in rank order."""
    return list(enumerate(hits, start=1))


def _numbers(inner: str) -> list[int]:
    """`1,2` → [1, 2]; `１－３` → [1, 2, 3]; an absurd range keeps only its ends."""
    out: list[int] = []
    for m in _NUMBER_OR_RANGE.finditer(inner):
        start = int(m.group(1).translate(_FULL_WIDTH))
        end = int(m.group(2).translate(_FULL_WIDTH)) if m.group(2) else start
        if start <= end and end - start <= MAX_RANGE:
            out.extend(range(start, end + 1))
        else:
            out.extend((start, end))
    return out


def _tidy(text: str) -> str:
    """Spaces left where a marker was removed: before punctuation or doubled."""
    text = re.sub(r"[ \t]+([。、，,.!?！？)）])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def parse_citations(answer: str, n_sources: int) -> ParsedCitations:
    """Keep markers that point at sources 1..n_sources, remove the rest, list the used numbers by first use."""
    used: list[int] = []
    invented: list[int] = []

    def replace(m: re.Match[str]) -> str:
        keep: list[int] = []
        for n in _numbers(m.group(1)):
            if 1 <= n <= n_sources:
                if n not in keep:
                    keep.append(n)
                if n not in used:
                    used.append(n)
            elif n not in invented:
                invented.append(n)
        return "[" + ",".join(map(str, keep)) + "]" if keep else ""

    text = _MARKER.sub(replace, answer)
    return ParsedCitations(text=_tidy(text) if invented else text, used=tuple(used), invented=tuple(invented))


def citations_for(used: Sequence[int], hits: Sequence[Hit]) -> list[Citation]:
    """The Citation of each used source number, in the order given; numbers outside the hits are skipped."""
    return [Citation(n, hits[n - 1].chunk) for n in used if 1 <= n <= len(hits)]
