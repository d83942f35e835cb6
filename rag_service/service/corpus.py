"""What the index holds: its editions, an edition's outline as ingestion read it, the recommendations of the stored
outlines (never a PDF opened), and how the index differs from the manifest."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.manifest import file_sha256
from rag_service import wire
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.edition_diff import diff_recommendations, outline_recommendations
from rag_service.edition_diff import summary as diff_summary
from rag_service.errors import BadRequest, NotFound, RagError
from rag_service.outline import edition_outline
from rag_service.service.access import Caller
from rag_service.service.container import Container
from rag_service.service.convert import edition_fields, edition_out, recommendation_out, statement_change_out
from rag_service.types import Direction, Recommendation


def documents(c: Container, who: Caller) -> wire.DocumentsResponse:
    c.access.authorize(who, "search")
    entries = sorted(c.retriever.catalog().entries.values(), key=lambda e: e.source_id)
    return wire.DocumentsResponse(editions=[edition_out(e) for e in entries])


def _entry(c: Container, source_id: str) -> CatalogEntry:
    entry = c.retriever.catalog().entries.get(source_id)
    if entry is None:
        known = ", ".join(sorted(c.retriever.catalog().entries)[:8])
        raise NotFound(
            f"no edition {source_id!r} in the index (some there: {known or 'none'}): GET /v1/documents or "
            "`rag corpus status` lists them all"
        )
    return entry


def outline(c: Container, who: Caller, source_id: str) -> dict[str, Any]:
    """What ingestion read from one edition: section tree with pages, every recommendation with its own grade and
    pages, pages OCR'd and left out, text-quality scores. OutlineMissing for an edition ingested before outlines."""
    c.access.authorize(who, "search")
    return edition_outline(c.store, _entry(c, source_id))


def outline_response(c: Container, who: Caller, source_id: str) -> wire.OutlineResponse:
    """`outline` as the API and MCP send it (typed, with its schema)."""
    return wire.OutlineResponse.model_validate(outline(c, who, source_id))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


def _cq_matches(cq: str | None, wanted: str) -> bool:
    """`CQ2` matches CQ2 and its parts (CQ2-1, CQ2-2), not CQ20; full-width and spaces do not matter."""
    have = _fold(cq or "")
    return have == wanted or have.startswith(wanted + "-")


def _matches(rec: Recommendation, query: wire.RecommendationsQuery) -> bool:
    if query.cq and not _cq_matches(rec.cq, _fold(query.cq)):
        return False
    if query.q and _fold(query.q) not in _fold(rec.text or ""):
        return False
    if query.direction is not None and rec.grade.direction != Direction(query.direction.value):
        return False
    return query.strength is None or rec.grade.strength == query.strength


def recommendations(c: Container, who: Caller, query: wire.RecommendationsQuery) -> wire.RecommendationsResponse:
    """The recommendations of the indexed editions (current ones unless `status` says otherwise), each with its own
    grade and pages and its edition's citation fields, read from the outlines ingestion stored."""
    c.access.authorize(who, "search")
    statuses = {s.value for s in query.status}
    items: list[wire.ListedRecommendation] = []
    missing: list[str] = []
    for entry in sorted(c.retriever.catalog().entries.values(), key=lambda e: e.source_id):
        if entry.status.value not in statuses or (query.source_ids and entry.source_id not in query.source_ids):
            continue
        stored = c.store.read_outline(entry.edition_key)
        if stored is None:
            missing.append(entry.source_id)
            continue
        for doc in stored.get("recommendations", []):
            rec = Recommendation.from_doc(doc)
            if _matches(rec, query):
                out = recommendation_out(rec).model_dump()
                items.append(wire.ListedRecommendation(**edition_fields(entry.edition), **out,
                                                       section_path=list(doc.get("path", []))))  # fmt: skip
    return wire.RecommendationsResponse(recommendations=items, editions_without_outline=missing)


def changes(c: Container, who: Caller, source_id: str, since: str | None = None) -> wire.EditionChangesResponse:
    """What changed between an edition and an older one (`since`; default: the edition it `supersedes`), statement
    by statement: added, removed, regraded, reworded (with the text difference), moved; pages on both sides. Read
    from the two editions' stored outlines."""
    c.access.authorize(who, "search")
    new = _entry(c, source_id)
    older = since or new.edition.supersedes
    if older is None:
        raise BadRequest(
            f"{source_id} supersedes no edition in the manifest: name the edition to compare with (`since`)"
        )
    old = _entry(c, older)
    if old.source_id == new.source_id:
        raise BadRequest("an edition compared with itself has no changes: name an older edition (`since`)")
    found = diff_recommendations(
        outline_recommendations(edition_outline(c.store, old)), outline_recommendations(edition_outline(c.store, new))
    )
    return wire.EditionChangesResponse(
        edition=wire.EditionFields(**edition_fields(new.edition)),
        since=wire.EditionFields(**edition_fields(old.edition)),
        summary=wire.ChangeCounts(**diff_summary(found)),
        statements=[statement_change_out(s) for s in found],
    )


_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) → sha256, for the page view only


def cached_sha256(path: Path) -> str:
    """A source's sha256, read again only when its size or modification time changed."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        if len(_HASHES) > 100_000:
            _HASHES.clear()
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]


@dataclass(frozen=True)
class CorpusPlan:
    """The index's editions beside the manifest's, and what the next ingest would do; `problem` when the manifest
    cannot be read (the index's editions are still shown)."""

    catalog: Catalog
    manifest: Any  # ingestion.manifest.Manifest | None
    plan: Any  # ingestion.plan.Plan | None
    problem: str | None


def corpus_plan(c: Container, who: Caller, manifest: Path | None = None, cached_hash: bool = False) -> CorpusPlan:
    """`cached_hash`: hash each source again only when its size or time changed (a page view must not read
    gigabytes of PDFs each time); ingestion itself always reads the files."""
    from ingestion.run import plan_ingest

    c.access.authorize(who, None)
    hashed = cached_sha256 if cached_hash else file_sha256
    catalog = Catalog.from_doc(c.store.read_catalog())
    try:
        plan, found = plan_ingest(manifest or c.settings.manifest, c.store, c.settings, hashed)
    except RagError as e:
        return CorpusPlan(catalog, None, None, str(e))
    return CorpusPlan(catalog, found, plan, None)
