"""Chunk ⇄ store payload, and the text each retrieval leg sees. Pure."""

from __future__ import annotations

from datetime import date
from typing import Any

from rag_service.types import Chunk, EditionStatus, Recommendation


def index_text(chunk: Chunk) -> str:
    """What BM25 and the embedder see: the guideline title and section path give the body its context."""
    head = " ".join((chunk.title, *chunk.section_path))
    return f"{head}\n{chunk.text}"


def chunk_to_payload(chunk: Chunk) -> dict[str, Any]:
    rec = chunk.recommendation
    return {
        "chunk_id": chunk.chunk_id,
        "edition_key": chunk.edition_key,
        "source_id": chunk.source_id,
        "title": chunk.title,
        "publisher": chunk.publisher,
        "edition": chunk.edition,
        "published": chunk.published.isoformat(),
        "status": chunk.status.value,
        "specialties": list(chunk.specialties),
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "section_path": list(chunk.section_path),
        "unit_id": chunk.unit_id,
        "text": chunk.text,
        "recommendation": None
        if rec is None
        else {"cq": rec.cq, "text": rec.text, "strength": rec.strength, "certainty": rec.certainty},
    }


def payload_to_chunk(payload: dict[str, Any]) -> Chunk:
    rec = payload.get("recommendation")
    return Chunk(
        edition_key=payload["edition_key"],
        source_id=payload["source_id"],
        title=payload["title"],
        publisher=payload["publisher"],
        edition=payload["edition"],
        published=date.fromisoformat(payload["published"]),
        status=EditionStatus(payload["status"]),
        specialties=tuple(payload.get("specialties") or ()),
        page_start=int(payload["page_start"]),
        page_end=int(payload["page_end"]),
        section_path=tuple(payload.get("section_path") or ()),
        text=payload["text"],
        unit_id=payload.get("unit_id"),
        recommendation=None if not rec else Recommendation(**rec),
        chunk_id=payload["chunk_id"],
    )


def metadata_payload(changes: dict[str, object]) -> dict[str, Any]:
    """Payload fields to overwrite on an edition's points when only its manifest metadata changed."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "supersedes":
            continue  # lives in the catalog only
        if isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, EditionStatus):
            out[name] = value.value
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out
