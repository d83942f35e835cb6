"""Chunk ⇄ store payload, and the text each retrieval leg sees. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rag_service.types import Chunk, Edition, Recommendation


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see: the guideline title and section path give the body its context."""
    head = " ".join((chunk.edition.title, *chunk.section_path))
    return f"{head}\n{chunk.text}"


def chunk_to_payload(chunk: Chunk) -> dict[str, Any]:
    """The one place a chunk is flattened for the store: the edition's fields at the top level (the store filters
    on `source_id`, `status`, `specialties`, `published`), then the chunk's own."""
    return {
        **chunk.edition.to_doc(),
        "chunk_id": chunk.chunk_id,
        "edition_key": chunk.edition_key,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "section_path": list(chunk.section_path),
        "unit_id": chunk.unit_id,
        "text": chunk.text,
        "recommendations": [r.to_doc() for r in chunk.recommendations],
        "ocr": chunk.ocr,
    }


def payload_to_chunk(payload: dict[str, Any]) -> Chunk:
    """The one place a stored payload becomes a chunk again."""
    recs = payload.get("recommendations")
    if recs is None:  # an index written before recommendations became a list
        recs = [payload["recommendation"]] if payload.get("recommendation") else []
    return Chunk(
        edition_key=payload["edition_key"],
        edition=Edition.from_doc(payload),
        page_start=int(payload["page_start"]),
        page_end=int(payload["page_end"]),
        section_path=tuple(payload.get("section_path") or ()),
        text=payload["text"],
        unit_id=payload.get("unit_id"),
        recommendations=tuple(Recommendation.from_doc(r) for r in recs),
        chunk_id=payload["chunk_id"],
        ocr=bool(payload.get("ocr", False)),
    )


def metadata_payload(edition: Edition, changed: Iterable[str]) -> dict[str, Any]:
    """Payload fields to overwrite on an edition's points when only its manifest metadata changed."""
    doc = edition.to_doc()
    return {name: doc[name] for name in changed}
