"""Read one manifest source into sections, by file type. Thin I/O around pdf.py and structure.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ingestion.normalize import normalize_text
from ingestion.pdf import extract_pdf
from ingestion.structure import split_sections, split_text_sections
from ingestion.text_quality import PageQuality
from rag_service.errors import SourceError
from rag_service.types import Section


@dataclass(frozen=True, slots=True)
class SourceDocument:
    sections: tuple[Section, ...]
    pages: int
    unusable_pages: tuple[int, ...] = ()  # a text layer that is not text (not indexed; needs OCR)
    empty_pages: tuple[int, ...] = ()  # no text (image-only or blank)
    ocr_pages: tuple[int, ...] = ()  # read by OCR
    left_out: tuple[tuple[int, str], ...] = ()  # (page, why) for pages with content that is not indexed
    quality: tuple[PageQuality, ...] = ()  # each page's text-quality score (PDFs)


def _jsonl_sections(path: Path) -> list[Section]:
    """One section per row `{doc_id?, title?, chapter?, text, ...}`: each row a citable unit."""
    sections: list[Section] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise SourceError(f"{path}:{lineno}: not valid JSON ({e.msg}): fix or remove that line") from e
            if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
                raise SourceError(f"{path}:{lineno}: each row needs a non-empty string field `text`")
            unit_id = str(row["doc_id"]) if row.get("doc_id") is not None else f"{path.stem}:{lineno}"
            path_parts = tuple(str(row[k]) for k in ("chapter", "title") if row.get(k))
            sections.append(
                Section(path=path_parts, text=normalize_text(row["text"]), page_start=1, page_end=1, unit_id=unit_id)
            )
    if not sections:
        raise SourceError(f"{path}: no rows with text")
    return sections


def read_source(path: Path, ocr: bool = True) -> SourceDocument:
    """Sections of a .pdf, .txt/.md or .jsonl source. Raises SourceError (PdfExtractionError for PDFs)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        pdf = extract_pdf(path, ocr=ocr)
        pdf_sections = tuple(split_sections(pdf.pages))
        return SourceDocument(
            pdf_sections, len(pdf.pages), pdf.unusable_pages, pdf.empty_pages, pdf.ocr_pages, pdf.left_out, pdf.quality
        )
    if suffix in (".txt", ".md"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SourceError(f"{path}: cannot read as UTF-8 text ({e}): convert it to UTF-8") from e
        sections = split_text_sections(normalize_text(text))
        if not sections:
            raise SourceError(f"{path}: the file has no text")
        return SourceDocument(tuple(sections), 1)
    if suffix == ".jsonl":
        return SourceDocument(tuple(_jsonl_sections(path)), 1)
    raise SourceError(f"{path}: unsupported source type {suffix!r} (use .pdf, .txt, .md or .jsonl)")
