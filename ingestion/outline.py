"""What the pipeline extracted from an edition, for the librarian to check at a glance after adding a guideline:
the section tree with pages, every CQ and its recommendation (text, strength, certainty, pages), the chunk count,
and the pages that had no usable text. Rebuilt from the edition's source exactly as ingestion reads it (the same
code), so it shows what the index holds without reading the index."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ingestion.chunking import chunk_edition
from ingestion.sources import read_source
from rag_service.catalog import CatalogEntry
from rag_service.errors import SourceError
from rag_service.settings import Settings


def source_path(settings: Settings, entry: CatalogEntry) -> Path:
    path = Path(entry.source)
    if path.is_absolute() or path.exists():
        return path
    return settings.manifest.parent / entry.source


def edition_outline(settings: Settings, entry: CatalogEntry) -> dict[str, Any]:
    path = source_path(settings, entry)
    if not path.exists():
        raise SourceError(f"{entry.source_id}: its source {path} is not on this machine (moved since ingestion?)")
    doc = read_source(path)
    c = settings.chunking
    chunks = chunk_edition(entry.edition, entry.edition_key, doc.sections, c.max_chars, c.overlap_sentences)
    sections: list[dict[str, Any]] = [
        {
            "path": list(s.path),
            "pages": [s.page_start, s.page_end],
            "chars": len(s.text),
            **({"unit_id": s.unit_id} if s.unit_id else {}),
            **({"recommendations": [asdict(r) for r in s.recommendations]} if s.recommendations else {}),
        }
        for s in doc.sections
    ]
    return {
        "source_id": entry.source_id,
        "title": entry.edition.title,
        "edition": entry.edition.edition,
        "source": str(path),
        "pages": doc.pages,
        "chunks": len(chunks),
        "indexed_chunks": entry.chunks,
        "unusable_pages": list(doc.unusable_pages),
        "empty_pages": list(doc.empty_pages),
        "sections": sections,
        "recommendations": [{**r, "pages": s["pages"]} for s in sections for r in s.get("recommendations", [])],
    }


def outline_text(outline: dict[str, Any], max_sections: int = 200) -> str:
    """The outline for a terminal: the section tree (indented by depth) with pages, CQs with their grades."""
    lines = [f"{outline['source_id']}: {outline['title']}（{outline['edition']}） {outline['pages']} pages, "
             f"{outline['chunks']} chunks (index: {outline['indexed_chunks']})"]  # fmt: skip
    if outline["unusable_pages"]:
        lines.append(f"  pages with an unusable text layer (not indexed): {outline['unusable_pages']}")
    if outline["empty_pages"]:
        lines.append(f"  pages without text: {outline['empty_pages']}")
    for s in outline["sections"][:max_sections]:
        depth = max(len(s["path"]) - 1, 0)
        label = s["path"][-1] if s["path"] else "(before the first heading)"
        p0, p1 = s["pages"]
        lines.append(f"{'  ' * (depth + 1)}{label}  p.{p0}" + (f"–{p1}" if p1 != p0 else ""))
        for rec in s.get("recommendations", []):
            strength = f"推奨クラス {rec['rec_class']}" if rec["rec_class"] else f"推奨の強さ {rec['strength'] or '?'}"
            grade = f"{strength}, エビデンスの確実性 {rec['certainty'] or '?'}"
            if rec.get("good_practice"):
                grade = "Good Practice Statement"
            lines.append(f"{'  ' * (depth + 2)}推奨: {(rec['text'] or '(no statement found)')[:80]}  [{grade}]")
    if len(outline["sections"]) > max_sections:
        lines.append(f"  … {len(outline['sections']) - max_sections} more sections (--json shows all)")
    return "\n".join(lines)
