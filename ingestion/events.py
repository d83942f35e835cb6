"""What happens during an ingestion run, as typed records: each output renders them in its own way (bars and plain
lines on a terminal, `ingestion.progress.line`; JSON in the job API, `event_doc`; a Japanese sentence in the console
and its audit view, `rag_service.console.wording`), and edition-level ones become one JSON log line each. Never a
string with terminal markup."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal

log = logging.getLogger("ingestion.events")
log.addHandler(logging.NullHandler())  # a process that configures no logging (the CLI) shows the events its own way


@dataclass(frozen=True)
class PageLeftOut:
    page: int
    why: str


@dataclass(frozen=True)
class EditionStarted:
    type: ClassVar[str] = "edition_started"
    source_id: str
    title: str


@dataclass(frozen=True)
class PagesRead:
    """The source was read: how many pages, which were read by OCR, which were left out and why."""

    type: ClassVar[str] = "pages_read"
    source_id: str
    pages: int
    ocr_pages: tuple[int, ...] = ()
    left_out: tuple[PageLeftOut, ...] = ()


@dataclass(frozen=True)
class ChunksWritten:
    type: ClassVar[str] = "chunks_written"
    source_id: str
    chunks: int


@dataclass(frozen=True)
class EditionFinished:
    """The edition is searchable (the catalog switched to it)."""

    type: ClassVar[str] = "edition_finished"
    source_id: str
    outcome: Literal["added", "replaced"]
    chunks: int
    pages: int
    ocr_pages: int
    left_out: int


@dataclass(frozen=True)
class EditionFailed:
    """The edition was not indexed (the others go on); `reason` says why and what to do."""

    type: ClassVar[str] = "edition_failed"
    source_id: str
    reason: str


@dataclass(frozen=True)
class RunFinished:
    type: ClassVar[str] = "run_finished"
    added: int
    replaced: int
    metadata_updated: int
    removed: int
    unchanged: int
    failed: int
    chunks_written: int
    garbage_collected: int
    seconds: float


IngestEvent = EditionStarted | PagesRead | ChunksWritten | EditionFinished | EditionFailed | RunFinished
_TYPES: dict[str, type[Any]] = {
    cls.type: cls for cls in (EditionStarted, PagesRead, ChunksWritten, EditionFinished, EditionFailed, RunFinished)
}


def event_doc(event: IngestEvent) -> dict[str, Any]:
    """JSON-able: `{"type": "pages_read", "source_id": …, …}` (the job API's and the console's shape)."""
    return {"type": event.type, **asdict(event)}


def event_from_doc(doc: dict[str, Any]) -> IngestEvent:
    """Read back `event_doc` (what `rag ingest` receives from a server that runs its job)."""
    cls = _TYPES[doc["type"]]
    values = {f.name: doc[f.name] for f in fields(cls) if f.name in doc}
    if cls is PagesRead:
        values["ocr_pages"] = tuple(values.get("ocr_pages", ()))
        values["left_out"] = tuple(PageLeftOut(int(x["page"]), str(x["why"])) for x in values.get("left_out", ()))
    event: IngestEvent = cls(**values)
    return event


def log_event(event: IngestEvent) -> None:
    """One JSON log line per edition (finished or failed; pages left out) and per run: the fields, never a sentence."""
    fields = {"fields": event_doc(event)}
    if isinstance(event, EditionFailed):
        log.warning("edition %s failed", event.source_id, extra=fields)
    elif isinstance(event, PagesRead) and event.left_out:
        log.warning("edition %s: %d pages left out", event.source_id, len(event.left_out), extra=fields)
    elif isinstance(event, EditionFinished):
        log.info("edition %s %s", event.source_id, event.outcome, extra=fields)
    elif isinstance(event, RunFinished):
        log.info("ingestion finished", extra=fields)
