"""Pure: the corpus table. Every edition of the manifest beside the index (and the indexed ones the manifest no longer
lists), filtered (a word in the title or id, publisher, specialty, status, what the next ingest does, ingested since a
day in the reader's zone), sorted by any column, one page at a time. The query is the page's URL query, so a filter
survives paging and a filtered view can be bookmarked."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rag_service.catalog import Catalog
from rag_service.console.formatting import as_datetime, day_start
from rag_service.console.wording import EditionName

if TYPE_CHECKING:
    from ingestion.manifest import Manifest
    from ingestion.plan import Plan

PER_PAGE = 25
DIFFS = ("new", "changed", "metadata-only", "removed", "unchanged")


@dataclass(frozen=True)
class Row:
    """One line of the corpus table: the edition as the manifest declares it and as the index holds it."""

    source_id: str
    title: str
    publisher: str
    edition: str
    published: date
    status: str  # in the manifest (what the next ingest makes it)
    indexed_status: str | None  # in the index now
    pages: int | None
    chunks: int | None
    ingested_at: str | None
    content_hash: str | None
    diff: str  # new | changed | metadata-only | removed | unchanged
    changed_fields: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    pdf: bool = True  # a text or .jsonl source has no pages to count
    supersedes: str | None = None

    @property
    def indexed(self) -> bool:
        return self.indexed_status is not None


def corpus_rows(catalog: Catalog, manifest: Manifest | None, plan: Plan | None) -> list[Row]:
    """The manifest's editions (with what the next ingest would do to each) and the indexed ones it no longer lists.
    Without a readable manifest, the index's editions alone (diff "unchanged")."""
    rows: list[Row] = []
    ingest = {e.id for e, _ in plan.ingest} if plan else set()
    meta = {e.id: tuple(sorted(changes)) for e, changes in plan.update_metadata} if plan else {}
    for m in manifest.entries if manifest else ():
        cur = catalog.entries.get(m.id)
        diff = ("changed" if cur else "new") if m.id in ingest else "metadata-only" if m.id in meta else "unchanged"
        rows.append(Row(
            m.id, m.title, m.publisher, m.edition, m.published, m.status.value,
            cur.status.value if cur else None, cur.pages if cur else None, cur.chunks if cur else None,
            cur.ingested_at if cur else None, cur.content_hash[:12] if cur else None, diff, meta.get(m.id, ()),
            tuple(m.specialties), m.source.lower().endswith(".pdf"), m.supersedes,
        ))  # fmt: skip
    listed = {r.source_id for r in rows}
    for sid, cur in sorted(catalog.entries.items()):
        if sid not in listed:
            ed = cur.edition
            rows.append(Row(
                sid, ed.title, ed.publisher, ed.edition, ed.published, ed.status.value, ed.status.value,
                cur.pages, cur.chunks, cur.ingested_at, cur.content_hash[:12], "removed" if manifest else "unchanged",
                (), ed.specialties, cur.source.lower().endswith(".pdf"), ed.supersedes,
            ))  # fmt: skip
    return rows


def names_of(catalog: Catalog, manifest: Manifest | None = None) -> dict[str, EditionName]:
    """Every edition's title and label, from the index and the manifest (the manifest's words win: they are what
    the next ingest writes)."""
    names = {sid: EditionName(e.edition.title, e.edition.edition, e.edition.supersedes)
             for sid, e in catalog.entries.items()}  # fmt: skip
    for m in manifest.entries if manifest else ():
        names[m.id] = EditionName(m.title, m.edition, m.supersedes)
    return names


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("\u3000", "")


@dataclass(frozen=True)
class TableQuery:
    """What the reader asked for: filters (empty: no condition), a sort column and direction, a page (1-based)."""

    q: str = ""
    publisher: str = ""
    specialty: str = ""
    status: str = ""
    diff: str = ""
    since: date | None = None  # ingested (or re-ingested) on or after this day, in the reader's zone
    sort: str = "title"
    desc: bool = False
    page: int = 1

    def params(self, **over: Any) -> dict[str, str]:
        """The URL query of this view, with `over` changed (a sort link, the next page); defaults left out."""
        q = replace(self, **over)
        out = {"q": q.q, "publisher": q.publisher, "specialty": q.specialty, "status": q.status, "diff": q.diff,
               "since": q.since.isoformat() if q.since else "", "sort": "" if q.sort == "title" else q.sort,
               "order": "desc" if q.desc else "", "page": "" if q.page == 1 else str(q.page)}  # fmt: skip
        return {k: v for k, v in out.items() if v}

    @property
    def filtered(self) -> bool:
        return any((self.q, self.publisher, self.specialty, self.status, self.diff, self.since))


def _ingested(row: Row) -> datetime | None:
    return as_datetime(row.ingested_at) if row.ingested_at else None


def keep(row: Row, query: TableQuery, tz: ZoneInfo) -> bool:
    if query.q and _fold(query.q) not in _fold(f"{row.title} {row.source_id} {row.edition}"):
        return False
    if query.publisher and row.publisher != query.publisher:
        return False
    if query.specialty and query.specialty not in row.specialties:
        return False
    if query.status and query.status not in (row.status, row.indexed_status):
        return False
    if query.diff and row.diff != query.diff:
        return False
    if query.since is not None:
        when = _ingested(row)
        return when is not None and when >= day_start(query.since, tz)
    return True


def _sort_key(column: str) -> Any:
    def key(row: Row) -> tuple[Any, ...]:
        value: Any = {
            "title": (_fold(row.title), _fold(row.edition)),
            "publisher": _fold(row.publisher),
            "edition": _fold(row.edition),
            "published": row.published,
            "status": row.status,
            "pages": row.pages if row.pdf else None,
            "chunks": row.chunks,
            "ingested": _ingested(row),
            "diff": DIFFS.index(row.diff) if row.diff in DIFFS else len(DIFFS),
        }[column]
        return (value is None, value if value is not None else 0, _fold(row.title), row.source_id)

    return key


SORTS = ("title", "publisher", "edition", "published", "status", "pages", "chunks", "ingested", "diff")


@dataclass(frozen=True)
class TablePage:
    rows: list[Row]
    total: int  # editions in the corpus
    matched: int  # editions the filters keep
    page: int
    pages: int
    first: int  # 1-based position of the first row shown (0 when none)
    publishers: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)

    @property
    def links(self) -> list[int | None]:
        """The pages the pager links: all of a few; else the first, the last and three each side (None: a gap)."""
        if self.pages <= 12:
            return list(range(1, self.pages + 1))
        near = {1, self.pages, *range(max(1, self.page - 3), min(self.pages, self.page + 3) + 1)}
        out: list[int | None] = []
        for p in sorted(near):
            if out and out[-1] is not None and p > out[-1] + 1:
                out.append(None)
            out.append(p)
        return out


def select(rows: list[Row], query: TableQuery, tz: ZoneInfo, per_page: int = PER_PAGE) -> TablePage:
    """Filter, sort (rows without a value last, in either direction), and cut one page (a page past the end shows
    the last)."""
    kept = [r for r in rows if keep(r, query, tz)]
    column = query.sort if query.sort in SORTS else "title"
    present = sorted((r for r in kept if _sort_key(column)(r)[0] is False), key=_sort_key(column), reverse=query.desc)
    absent = sorted((r for r in kept if _sort_key(column)(r)[0] is True), key=_sort_key(column))
    ordered = present + absent
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(query.page, 1), pages)
    start = (page - 1) * per_page
    return TablePage(
        ordered[start : start + per_page], len(rows), len(ordered), page, pages, start + 1 if ordered else 0,
        sorted({r.publisher for r in rows}), sorted({s for r in rows for s in r.specialties}),
    )  # fmt: skip
