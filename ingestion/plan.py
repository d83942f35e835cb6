"""Pure planning: compare the manifest with the catalog and decide what ingestion must do."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields

from ingestion.manifest import ManifestEntry
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.types import Edition

# Bump when extraction, normalisation, structure or chunking change what a source turns into.
# 2: font-size headings; 3: two columns, table rows, recommendation tables, GPS, nesting; 4: one recommendation per
# statement with its own grade, pages and direction, chunks cut at statements, outlines kept, text hygiene
PIPELINE_REVISION = 4


def pipeline_fingerprint(max_chars: int, overlap_sentences: int, tokenizer: str, k1: float, b: float) -> str:
    doc = {
        "rev": PIPELINE_REVISION,
        "max_chars": max_chars,
        "overlap": overlap_sentences,
        "tok": tokenizer,
        "k1": k1,
        "b": b,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:12]


def content_hash(file_sha256: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{file_sha256}:{fingerprint}".encode()).hexdigest()


def edition_key(source_id: str, content_hash_: str) -> str:
    return f"{source_id}@{content_hash_[:16]}"


def metadata_changes(entry: ManifestEntry, current: CatalogEntry) -> dict[str, object]:
    """Citation fields whose value in the manifest differs from what the index holds: name → new value."""
    new, old = entry.to_edition(), current.edition
    return {f.name: getattr(new, f.name) for f in fields(Edition) if getattr(new, f.name) != getattr(old, f.name)}


@dataclass(frozen=True)
class Plan:
    """What one ingestion run will do; empty means the index already matches the manifest."""

    ingest: list[tuple[ManifestEntry, str]] = field(default_factory=list)  # (entry, content hash): new or changed
    update_metadata: list[tuple[ManifestEntry, dict[str, object]]] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # source ids no longer in the manifest
    unchanged: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.ingest or self.update_metadata or self.remove)


def make_plan(entries: list[ManifestEntry], hashes: dict[str, str], catalog: Catalog) -> Plan:
    """`hashes` maps entry id → content hash of its source under the current pipeline."""
    plan = Plan()
    for entry in entries:
        current = catalog.entries.get(entry.id)
        if current is None or current.content_hash != hashes[entry.id]:
            plan.ingest.append((entry, hashes[entry.id]))
            continue
        changes = metadata_changes(entry, current)
        if changes:
            plan.update_metadata.append((entry, changes))
        else:
            plan.unchanged.append(entry.id)
    wanted = {e.id for e in entries}
    plan.remove.extend(sorted(sid for sid in catalog.entries if sid not in wanted))
    return plan
