"""The catalog: which edition of each source is active in the index. Searches filter on it.

Ingestion writes a new edition's chunks first, then switches the catalog (one atomic write), then deletes
what no catalog entry references, so a crash never leaves a half-indexed edition visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from rag_service.types import EditionStatus

CATALOG_VERSION = 1


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    source_id: str
    edition_key: str
    content_hash: str
    title: str
    publisher: str
    edition: str
    published: date
    status: EditionStatus
    specialties: tuple[str, ...]
    supersedes: str | None
    source: str
    chunks: int
    pages: int
    ingested_at: str

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["published"] = self.published.isoformat()
        doc["status"] = self.status.value
        doc["specialties"] = list(self.specialties)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CatalogEntry:
        return cls(
            **{
                **doc,
                "published": date.fromisoformat(doc["published"]),
                "status": EditionStatus(doc["status"]),
                "specialties": tuple(doc.get("specialties", ())),
            }
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: dict[str, CatalogEntry]

    @classmethod
    def empty(cls) -> Catalog:
        return cls({})

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Catalog:
        if not doc:
            return cls.empty()
        return cls({k: CatalogEntry.from_doc(v) for k, v in doc.get("editions", {}).items()})

    def to_doc(self) -> dict[str, Any]:
        return {"version": CATALOG_VERSION, "editions": {k: v.to_doc() for k, v in sorted(self.entries.items())}}

    def with_entry(self, entry: CatalogEntry) -> Catalog:
        return Catalog({**self.entries, entry.source_id: entry})

    def without(self, source_id: str) -> Catalog:
        return Catalog({k: v for k, v in self.entries.items() if k != source_id})

    def edition_keys(self) -> list[str]:
        return sorted(e.edition_key for e in self.entries.values())

    def keys_with_status(self, statuses: Iterable[EditionStatus]) -> list[str]:
        wanted = set(statuses)
        return sorted(e.edition_key for e in self.entries.values() if e.status in wanted)

    def keys_as_of(self, day: date) -> list[str]:
        """Editions in force on `day`: published by then and not yet superseded by an edition published by then."""
        published = {e.source_id: e for e in self.entries.values() if e.published <= day}
        replaced = {e.supersedes for e in published.values() if e.supersedes}
        return sorted(e.edition_key for sid, e in published.items() if sid not in replaced)
