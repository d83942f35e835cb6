"""What ingestion read from an edition's source, written once beside the index (the edition's outline): the section
tree with pages, every recommendation with its own grade and pages, the pages OCR'd, the pages left out and why, and
each page's text-quality score. `ingestion.index_writer` stores it under the edition key before the catalog switch
that activates the edition; `rag_service.outline` reads it back for `rag corpus show`, the outline route, the
console and MCP, so no read opens the PDF again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingestion.sources import SourceDocument
from rag_service.catalog import CatalogEntry
from rag_service.outline import OUTLINE_VERSION
from rag_service.settings import Settings
from rag_service.types import Chunk, Section


def source_path(settings: Settings, entry: CatalogEntry) -> Path:
    """Where an edition's source file is on this machine (a path relative to the manifest's folder)."""
    path = Path(entry.source)
    if path.is_absolute() or path.exists():
        return path
    return settings.manifest.parent / entry.source


def _section(s: Section) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": list(s.path), "pages": [s.page_start, s.page_end], "chars": len(s.text)}
    if s.unit_id:
        doc["unit_id"] = s.unit_id
    if s.recommendations:
        doc["recommendations"] = [r.to_doc() for r in s.recommendations]
    return doc


def _notes(sections: Sequence[Section]) -> list[str]:
    """What a librarian should check: statements whose grade was left empty, and why."""
    return [
        f"{' > '.join(s.path)}: statement {r.number or '?'} — {r.note}"
        for s in sections
        for r in s.recommendations
        if r.note
    ]


def build_outline(doc: SourceDocument, chunks: Sequence[Chunk]) -> dict[str, Any]:
    """The outline of one edition as ingestion read it (pure): JSON-able, versioned."""
    sections = [_section(s) for s in doc.sections]
    return {
        "version": OUTLINE_VERSION,
        "pages": doc.pages,
        "chunks": len(chunks),
        "ocr_pages": list(doc.ocr_pages),
        "left_out": [{"page": p, "why": why} for p, why in doc.left_out],
        "unusable_pages": list(doc.unusable_pages),
        "empty_pages": list(doc.empty_pages),
        "quality": [{"page": q.page, "chars": q.chars, "plausible": round(q.plausible, 4)} for q in doc.quality],
        "sections": sections,
        "recommendations": [{**r, "path": s["path"]} for s in sections for r in s.get("recommendations", [])],
        "notes": _notes(doc.sections),
    }
