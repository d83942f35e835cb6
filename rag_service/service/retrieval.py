"""Search and what a hit leads to: the chunk again, its page rendered with the passage highlighted, the passage in its
unit (a text source), and whether the service is ready."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag_service import wire
from rag_service.errors import BadRequest, Conflict, NotFound, NotReady, RagError
from rag_service.page_image import PageImage, passage_spans, render_page
from rag_service.pii import mask_text
from rag_service.service.access import Caller
from rag_service.service.container import Container
from rag_service.service.convert import hit_out, search_query
from rag_service.supersession import NowRecommended
from rag_service.types import Chunk, Hit

Note = Callable[[str], None] | None  # a front door's request log: gets the query, masked, when it may keep one


def noted(c: Container, text: str, note: Note) -> None:
    """The query for a front door's log: only with RAG_LOG_QUERIES=masked, and only masked."""
    if note is not None and c.settings.log_queries == "masked":
        note(mask_text(text))


def search(c: Container, who: Caller, req: wire.SearchRequest, note: Note = None) -> wire.SearchResponse:
    """Hits with their citations and every leg's score and rank."""
    c.access.authorize(who, "search")
    q = search_query(req, c.settings.retrieval)
    noted(c, q.text, note)
    c.require_index()
    result = c.retriever.search(q)
    hits = [hit_out(h, now(c, h.chunk)) for h in result.hits]
    return wire.SearchResponse(hits=hits, timings_ms=result.timings_ms, query_kind=result.query_kind)


def now(c: Container, found: Chunk) -> NowRecommended | None:
    """For a chunk of a superseded edition: what the edition in force recommends for its statements."""
    return c.supersession.now(c.retriever.catalog(), found)


def active_chunk(c: Container, chunk_id: str) -> Chunk:
    found = c.retriever.get_chunk(chunk_id) if c.index_ready() else None
    if found is None:
        raise NotFound(f"no chunk {chunk_id!r} in an active edition: chunk ids come from search hits")
    return found


def chunk(c: Container, who: Caller, chunk_id: str) -> wire.HitOut:
    """One chunk with its citation (a search hit's `chunk_id`), without scores."""
    c.access.authorize(who, "search")
    found = active_chunk(c, chunk_id)
    return hit_out(Hit(chunk=found), now(c, found))


def _render(c: Container, found: Chunk, page: int | None, dpi: int) -> PageImage:
    from ingestion.ocr import ocr_textpage, tessdata
    from ingestion.outline import source_path

    entry = c.retriever.catalog().entries.get(found.edition.source_id)
    path = source_path(c.settings, entry) if entry else None
    if path is None or path.suffix.lower() != ".pdf":
        raise Conflict("this chunk's source is not a PDF: its text is the whole citation (GET /v1/chunks/ID)")
    if page is not None and not found.page_start <= page <= found.page_end:
        raise BadRequest(f"page {page} is outside the chunk's pages {found.page_start}–{found.page_end}")
    folder = tessdata() if found.ocr else None
    ocr = (lambda pg: ocr_textpage(pg, folder)) if folder else None  # an OCR'd page: its text positions again
    return render_page(path, found, page, dpi, ocr)


def page_image(c: Container, who: Caller, chunk_id: str, page: int | None = None, dpi: int = 110) -> PageImage:
    """The chunk's PDF page with its passage highlighted (an OCR'd page is read again to find it)."""
    c.access.authorize(who, "search")
    return _render(c, active_chunk(c, chunk_id), page, dpi)


@dataclass(frozen=True)
class CitedPage:
    """A chunk with its citation and, for a PDF source, its first page rendered (else `why` there is none)."""

    hit: wire.HitOut
    image: PageImage | None
    why: str | None = None


def cited_page(c: Container, who: Caller, chunk_id: str, dpi: int = 110) -> CitedPage:
    c.access.authorize(who, "search")
    found = active_chunk(c, chunk_id)
    try:
        return CitedPage(hit_out(Hit(chunk=found)), _render(c, found, None, dpi))
    except RagError as e:  # not a PDF, or the file is gone: the text is the whole citation
        return CitedPage(hit_out(Hit(chunk=found)), None, str(e))


@dataclass(frozen=True)
class CitedPassage:
    """A hit shown on its own: the chunk with its citation, whether its source is a PDF (its pages can be rendered),
    and otherwise its unit's text with the passage marked (None when the source is gone)."""

    hit: wire.HitOut
    pdf: bool
    pages: list[int]
    spans: list[tuple[str, bool]] | None


def cited_passage(c: Container, who: Caller, chunk_id: str) -> CitedPassage:
    c.access.authorize(who, "search")
    found = active_chunk(c, chunk_id)
    entry = c.retriever.catalog().entries.get(found.edition.source_id)
    pdf = entry is not None and entry.source.lower().endswith(".pdf")
    pages = list(range(found.page_start, found.page_end + 1))
    return CitedPassage(hit_out(Hit(chunk=found), now(c, found)), pdf, pages, None if pdf else _unit_text(c, found))


def _unit_text(c: Container, found: Chunk) -> list[tuple[str, bool]] | None:
    """The chunk's unit (a .jsonl row, a text section) with the passage marked; None when the source is gone."""
    from ingestion.outline import source_path
    from ingestion.sources import read_source

    entry = c.retriever.catalog().entries.get(found.edition.source_id)
    if entry is None:
        return None
    try:
        doc = read_source(source_path(c.settings, entry), ocr=False)
    except RagError:
        return None
    same = [s for s in doc.sections if (s.unit_id == found.unit_id if found.unit_id else s.path == found.section_path)]
    if not same:
        return None
    best = max(same, key=lambda s: found.text[:40] in s.text)  # a text source may repeat a heading path
    return passage_spans(best.text, found.text)


def readiness(c: Container) -> dict[str, Any]:
    """Ready when the index is open and the LLM, if one is configured, answers (NotReady says which is missing)."""
    if not c.index_ready():
        raise NotReady("the index is empty: run `rag ingest`")
    llm = "not configured"
    if c.llm is not None:
        llm = "reachable" if c.llm.ping() else "unreachable"
        if llm == "unreachable":
            raise NotReady("the LLM does not answer: check RAG_LLM_BASE_URL")
    return {"status": "ready", "embedder": c.embedder.id if c.embedder else "none", "llm": llm}
