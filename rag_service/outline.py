"""An edition's outline as ingestion wrote it (`ingestion.outline.build_outline`), read back from the store with the
catalog's own fields (title, edition, status: a metadata-only change does not rewrite the outline), and rendered for
a terminal. Reading never opens the source PDF."""

from __future__ import annotations

from typing import Any

from rag_service.catalog import CatalogEntry
from rag_service.errors import SourceError
from rag_service.store import SearchIndex
from rag_service.types import Grade, pages_label

OUTLINE_VERSION = 1


class OutlineMissing(SourceError):
    """The edition was ingested before outlines were kept (or its outline was lost)."""


def edition_outline(store: SearchIndex, entry: CatalogEntry) -> dict[str, Any]:
    """The stored outline of an active edition, with the catalog entry's fields. Raises OutlineMissing."""
    doc = store.read_outline(entry.edition_key)
    if doc is None:
        raise OutlineMissing(
            f"{entry.source_id}: no outline is stored for this edition (ingested by an older version): run "
            "`rag ingest` to re-read it"
        )
    return {
        "source_id": entry.source_id,
        "title": entry.edition.title,
        "edition": entry.edition.edition,
        "edition_key": entry.edition_key,
        "source": entry.source,
        "indexed_chunks": entry.chunks,
        "ingested_at": entry.ingested_at,
        **doc,
    }


def _grade(rec: dict[str, Any]) -> str:
    label = Grade.from_doc(rec.get("grade") or {}).label()
    return label or "grade not printed" if not rec.get("note") else f"no grade: {rec['note']}"


def outline_text(outline: dict[str, Any], max_sections: int = 200) -> str:
    """The outline for a terminal: pages OCR'd and left out, the section tree (indented by depth) with pages, and
    under each CQ its statements with their own pages and grades."""
    lines = [f"{outline['source_id']}: {outline['title']}（{outline['edition']}） {outline['pages']} pages, "
             f"{outline['chunks']} chunks (index: {outline['indexed_chunks']})"]  # fmt: skip
    if outline.get("ocr_pages"):
        lines.append(f"  pages read by OCR: {page_runs(outline['ocr_pages'])}")
    for item in outline.get("left_out", []):
        lines.append(f"  p.{item['page']} left out: {item['why']}")
    for s in outline["sections"][:max_sections]:
        depth = max(len(s["path"]) - 1, 0)
        label = s["path"][-1] if s["path"] else "(before the first heading)"
        lines.append(f"{'  ' * (depth + 1)}{label}  {pages_label(*s['pages'])}")
        for rec in s.get("recommendations", []):
            number = f"{rec['number']}. " if rec.get("number") else ""
            text = (rec.get("text") or "(no statement found)")[:80]
            where = pages_label(rec.get("page_start"), rec.get("page_end"))
            lines.append(f"{'  ' * (depth + 2)}推奨 {number}{text}  [{_grade(rec)}] {where}".rstrip())
    if len(outline["sections"]) > max_sections:
        lines.append(f"  … {len(outline['sections']) - max_sections} more sections (--json shows all)")
    return "\n".join(lines)


def page_runs(pages: list[int]) -> str:
    """`1–3, 7, 9–10`."""
    out: list[str] = []
    for p in sorted(pages):
        if out and out[-1].split("–")[-1] == str(p - 1):
            out[-1] = f"{out[-1].split('–')[0]}–{p}"
        else:
            out.append(str(p))
    return ", ".join(out)
