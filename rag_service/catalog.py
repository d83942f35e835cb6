"""The catalog: which edition of each source is active in the index. Searches filter on it.

Ingestion writes a new edition's chunks first, then switches the catalog (one atomic write), then deletes
what no catalog entry references, so a crash never leaves a half-indexed edition visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from rag_service.types import Edition, EditionStatus

CATALOG_VERSION = 1


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One active edition: its `Edition` (by reference) and what ingestion made of it."""

    edition: Edition
    edition_key: str
    content_hash: str
    source: str
    chunks: int
    pages: int
    ingested_at: str

    @property
    def source_id(self) -> str:
        return self.edition.source_id

    @property
    def status(self) -> EditionStatus:
        return self.edition.status

    def to_doc(self) -> dict[str, Any]:
        """Flat, as catalog.json has always been: the edition's fields, then the entry's own."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "edition"}
        return {**self.edition.to_doc(), **own}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CatalogEntry:
        own = {f.name: doc[f.name] for f in fields(cls) if f.name != "edition"}
        return cls(edition=Edition.from_doc(doc), **own)


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
        published = {e.source_id: e for e in self.entries.values() if e.edition.published <= day}
        replaced = {e.edition.supersedes for e in published.values() if e.edition.supersedes}
        return sorted(e.edition_key for sid, e in published.items() if sid not in replaced)
