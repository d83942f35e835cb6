"""Sentence-aware chunking of sections: sizes in characters, cuts only between fugashi tokens.

Pure apart from the tokeniser: spans are [start, end) offsets into the section text, so every chunk
is a slice of it and its page span follows from the section's page offsets.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Sequence

from rag_service.ja_text import token_spans
from rag_service.types import Chunk, Edition, Section

Span = tuple[int, int]

_OPEN = "「『（(【［[〈《〔"
_CLOSE = "」』）)】］]〉》〕"
_ENDERS = "。！？!?"


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str) -> list[Span]:
    """Sentence spans: a break after 。！？ and at line ends, never inside 「」『』（）; blank lines always break."""
    spans: list[Span] = []
    depth, start, n = 0, 0, len(text)
    for i, ch in enumerate(text):
        cut: int | None = None
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in _ENDERS and depth == 0:
            cut = i + 1
        elif ch == "\n":
            paragraph_break = i + 1 < n and text[i + 1] == "\n"
            if paragraph_break:
                depth = 0  # an unclosed bracket must not swallow the rest of the section
            if depth == 0:
                cut = i
        if cut is not None:
            span = _trimmed(text, start, cut)
            if span:
                spans.append(span)
            start = cut
    tail = _trimmed(text, start, n)
    if tail:
        spans.append(tail)
    return spans


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than the budget between tokens (a single over-long token is cut hard)."""
    start, end = span
    pieces: list[Span] = []
    piece_start = start
    for tok in token_spans(text[start:end]):
        tok_start, tok_end = start + tok.start, start + tok.end
        if tok_end - piece_start > max_chars and tok_start > piece_start:
            pieces.append((piece_start, tok_start))
            piece_start = tok_start
        while tok_end - piece_start > max_chars:  # one token longer than the budget
            pieces.append((piece_start, piece_start + max_chars))
            piece_start += max_chars
    if end > piece_start:
        pieces.append((piece_start, end))
    return [t for p in pieces if (t := _trimmed(text, *p))]


def _cut_at(spans: list[Span], breaks: Sequence[int]) -> list[Span]:
    """Sentence spans cut at every break offset inside them (a statement may start mid-line)."""
    out: list[Span] = []
    for a, b in spans:
        cuts = [a, *sorted(x for x in set(breaks) if a < x < b), b]
        out += [(x, y) for x, y in itertools.pairwise(cuts) if y > x]
    return out


def chunk_spans(text: str, max_chars: int, overlap_sentences: int, breaks: Sequence[int] = ()) -> list[Span]:
    """Pack sentences into chunks of at most `max_chars`, repeating up to `overlap_sentences` of the previous one.

    At a `breaks` offset (where a recommendation's statement starts or its grade line ends) a chunk always ends and
    nothing is repeated into the next one: a chunk never starts with the previous statement's grade line."""
    pieces: list[Span] = []
    for span in split_sentences(text):
        pieces.extend([span] if span[1] - span[0] <= max_chars else _split_long(text, span, max_chars))
    pieces = [p for s in _cut_at(pieces, breaks) if (p := _trimmed(text, *s))]
    hard = set(breaks)
    chunks: list[Span] = []
    current: list[Span] = []
    for piece in pieces:
        if current and any(current[-1][1] <= b <= piece[0] for b in hard):
            chunks.append((current[0][0], current[-1][1]))
            current = []
        elif current and piece[1] - current[0][0] > max_chars:
            chunks.append((current[0][0], current[-1][1]))
            tail = current[-overlap_sentences:] if overlap_sentences else []
            # keep the overlap only while it leaves room for new text
            while tail and (piece[1] - tail[0][0] > max_chars or tail[-1][1] - tail[0][0] > max_chars // 2):
                tail = tail[1:]
            current = tail
        current.append(piece)
    if current:
        chunks.append((current[0][0], current[-1][1]))
    return chunks


def page_span(section: Section, start: int, end: int) -> tuple[int, int]:
    """1-based first and last page of text[start:end] inside the section."""
    if not section.page_offsets:
        return section.page_start, section.page_end
    offsets = [o for o, _ in section.page_offsets]
    pages = [p for _, p in section.page_offsets]

    def page_at(pos: int) -> int:
        i = bisect_right(offsets, pos) - 1
        return pages[max(i, 0)]

    return page_at(start), page_at(max(start, end - 1))


def chunk_section(
    edition: Edition, edition_key: str, section: Section, max_chars: int, overlap_sentences: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    spans = section.recommendation_spans
    breaks = [x for a, b in spans for x in (a, b)]
    if breaks and "。" not in section.text[: breaks[0]]:
        breaks = breaks[1:]  # only the heading (and a label) before the first statement: they go with it
    for start, end in chunk_spans(section.text, max_chars, overlap_sentences, breaks):
        p0, p1 = page_span(section, start, end)
        held = tuple(r for r, (a, b) in zip(section.recommendations, spans, strict=True) if a < end and start < b)
        chunks.append(
            Chunk(
                edition_key=edition_key,
                edition=edition,
                page_start=p0,
                page_end=p1,
                section_path=section.path,
                text=section.text[start:end],
                unit_id=section.unit_id,
                recommendations=held,
            )
        )
    return chunks


def chunk_edition(
    edition: Edition, edition_key: str, sections: Sequence[Section], max_chars: int, overlap_sentences: int
) -> list[Chunk]:
    """All chunks of an edition in document order; a chunk never spans two sections."""
    return [c for s in sections for c in chunk_section(edition, edition_key, s, max_chars, overlap_sentences)]
