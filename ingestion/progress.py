"""Progress of an ingestion run: a tiny protocol (counters for bars, typed events), a terminal renderer for the CLI,
counters and an event list for the server's job API."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol

from ingestion.events import (
    ChunksWritten,
    EditionFailed,
    EditionFinished,
    EditionStarted,
    IngestEvent,
    PagesRead,
    RunFinished,
    event_doc,
    log_event,
)

if TYPE_CHECKING:
    from rich.progress import TaskID


class ProgressSink(Protocol):
    def total(self, kind: str, n: int) -> None: ...
    def advance(self, kind: str, n: int = 1) -> None: ...
    def event(self, event: IngestEvent) -> None: ...


def emit(sink: ProgressSink, event: IngestEvent) -> None:
    """Hand an event to the run's progress sink, and to the JSON log when it is edition-level."""
    sink.event(event)
    log_event(event)


class NullProgress:
    def total(self, kind: str, n: int) -> None:
        pass

    def advance(self, kind: str, n: int = 1) -> None:
        pass

    def event(self, event: IngestEvent) -> None:
        pass


class CounterProgress:
    """Thread-safe counters and the events so far, which the serving process exposes while it runs a job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.events: list[IngestEvent] = []

    def total(self, kind: str, n: int) -> None:
        with self._lock:
            self.totals[kind] = self.totals.get(kind, 0) + n

    def advance(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.done[kind] = self.done.get(kind, 0) + n

    def event(self, event: IngestEvent) -> None:
        with self._lock:
            self.events.append(event)

    def snapshot(self) -> dict[str, Any]:
        """`{totals, done, events}` with each event as JSON (`event_doc`)."""
        with self._lock:
            events = [event_doc(e) for e in self.events]
            return {"totals": dict(self.totals), "done": dict(self.done), "events": events}


def _pages(pages: tuple[int, ...]) -> str:
    from rag_service.outline import page_runs

    return page_runs(list(pages))


def lines(event: IngestEvent) -> list[tuple[str, str | None]]:
    """What a terminal shows for an event: (plain text, style) lines; none for the events the bars already show."""
    match event:
        case PagesRead(source_id=sid, ocr_pages=ocr, left_out=left):
            out: list[tuple[str, str | None]] = []
            if ocr:
                out.append((f"{sid}: {len(ocr)} pages read by OCR ({_pages(ocr)})", None))
            out += [(f"{sid}: p.{p.page} left out: {p.why}", "yellow") for p in left]
            return out
        case EditionFailed(source_id=sid, reason=reason):
            return [(f"FAILED {sid}: {reason}", "red")]
        case EditionStarted() | ChunksWritten() | EditionFinished() | RunFinished():
            return []
    return []


def plain_lines(event: IngestEvent, position: str = "") -> list[str]:
    """What a log (stderr not a terminal) shows besides `lines`, where a terminal has bars: one line as each edition
    starts (`position`: `[3/12] `) and one as it becomes searchable, so a long first ingest is never silent."""
    match event:
        case EditionStarted(source_id=sid, title=title):
            return [f"{position}{sid}: reading {title} …"]
        case EditionFinished(source_id=sid, outcome=outcome, chunks=chunks, pages=pages, ocr_pages=ocr):
            by_ocr = f", {ocr} by OCR" if ocr else ""
            return [f"{sid}: {outcome}, {chunks} chunks from {pages} pages{by_ocr}"]
    return []


class RichProgress:
    """On a terminal: bars for documents, pages and chunks (stderr), each event's lines printed above them. When
    stderr is not a terminal (a log file, CI): no bars, the events' lines as plain text."""

    def __init__(self, force_terminal: bool | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._console = Console(stderr=True, force_terminal=force_terminal, highlight=False)
        self.bars = self._console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
            disable=not self.bars,
        )
        self._tasks: dict[str, TaskID] = {}
        self._totals: dict[str, int] = {}
        self._started = 0  # editions started (the plain lines' `[n/N]`)

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def _task(self, kind: str) -> TaskID:
        if kind not in self._tasks:
            self._tasks[kind] = self._progress.add_task(kind, total=0)
        return self._tasks[kind]

    def total(self, kind: str, n: int) -> None:
        self._totals[kind] = self._totals.get(kind, 0) + n
        self._progress.update(self._task(kind), total=self._totals[kind])

    def advance(self, kind: str, n: int = 1) -> None:
        self._progress.advance(self._task(kind), n)

    def event(self, event: IngestEvent) -> None:
        from rich.text import Text

        if self.bars:
            for text, style in lines(event):
                self._progress.console.print(Text(text, style=style or ""))
            return
        if isinstance(event, EditionStarted):
            self._started += 1
        position = f"[{self._started}/{self._totals.get('documents', 0)}] "
        for text in [*plain_lines(event, position), *(text for text, _ in lines(event))]:
            print(text, file=sys.stderr, flush=True)
