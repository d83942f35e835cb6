"""What the current edition now recommends for a statement cited from a superseded one.

A hit from a superseded edition (found by an `as_of` search or a status filter) holds the statements it was cut
from; following the manifest's `supersedes` chain in the catalog to the newest edition, each statement is paired with
its counterpart there (`rag_service.edition_diff`, over the two editions' stored outlines), so a citation can say
"now: 1B・行うことを強く推奨 (p.12)", "reworded", or "no longer in the current edition". Diffs are cached per pair of
edition keys (an edition key changes whenever an edition is re-ingested).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rag_service.catalog import Catalog, CatalogEntry
from rag_service.edition_diff import StatementChange, diff_recommendations, outline_recommendations
from rag_service.errors import SourceError
from rag_service.outline import edition_outline
from rag_service.store import SearchIndex
from rag_service.types import Chunk, EditionStatus, Recommendation


@dataclass(frozen=True, slots=True)
class NowRecommended:
    """The edition in force that replaced a cited one, and for each cited statement what became of it there."""

    current: CatalogEntry
    statements: tuple[StatementChange, ...]  # `old` is the cited statement; `new` its counterpart, or None


def newest_successor(catalog: Catalog, source_id: str) -> CatalogEntry | None:
    """The newest edition down the `supersedes` chain from `source_id` (None when nothing supersedes it)."""
    by_predecessor = {e.edition.supersedes: e for e in catalog.entries.values() if e.edition.supersedes}
    found: CatalogEntry | None = None
    seen = {source_id}
    while (nxt := by_predecessor.get(source_id)) is not None and nxt.source_id not in seen:
        found, source_id = nxt, nxt.source_id
        seen.add(source_id)
    return found


def _same(a: Recommendation, b: Recommendation) -> bool:
    return (a.cq, a.number, a.text) == (b.cq, b.number, b.text)


class Supersession:
    """Pairs a superseded citation's statements with the current edition's, from the stored outlines (cached)."""

    def __init__(self, store: SearchIndex) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._diffs: dict[tuple[str, str], list[StatementChange]] = {}

    def _diff(self, old: CatalogEntry, new: CatalogEntry) -> list[StatementChange]:
        key = (old.edition_key, new.edition_key)
        with self._lock:
            if key in self._diffs:
                return self._diffs[key]
        before = outline_recommendations(edition_outline(self._store, old))
        after = outline_recommendations(edition_outline(self._store, new))
        changes = diff_recommendations(before, after)
        with self._lock:
            if len(self._diffs) > 256:
                self._diffs.clear()
            self._diffs[key] = changes
        return changes

    def now(self, catalog: Catalog, chunk: Chunk) -> NowRecommended | None:
        """For a chunk of a superseded edition that holds statements: the current edition and each statement's
        counterpart; None otherwise (or when an outline is missing: nothing is guessed)."""
        if chunk.edition.status is not EditionStatus.SUPERSEDED or not chunk.recommendations:
            return None
        old = catalog.entries.get(chunk.edition.source_id)
        new = newest_successor(catalog, chunk.edition.source_id)
        if old is None or new is None:
            return None
        try:
            changes = self._diff(old, new)
        except SourceError:
            return None
        cited = [next((c for c in changes if c.old and _same(c.old, r)), None) for r in chunk.recommendations]
        return NowRecommended(new, tuple(c for c in cited if c is not None))
