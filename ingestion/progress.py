"""Progress reporting for ingestion: a tiny protocol, a rich bar for the CLI, counters for the server."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID


class ProgressSink(Protocol):
    def total(self, kind: str, n: int) -> None: ...
    def advance(self, kind: str, n: int = 1) -> None: ...
    def note(self, message: str) -> None: ...


class NullProgress:
    def total(self, kind: str, n: int) -> None:
        pass

    def advance(self, kind: str, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass


class CounterProgress:
    """Thread-safe counters that the serving process exposes while it runs an ingestion job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.messages: list[str] = []

    def total(self, kind: str, n: int) -> None:
        with self._lock:
            self.totals[kind] = self.totals.get(kind, 0) + n

    def advance(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.done[kind] = self.done.get(kind, 0) + n

    def note(self, message: str) -> None:
        with self._lock:
            self.messages.append(message)

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"totals": dict(self.totals), "done": dict(self.done), "messages": list(self.messages)}


class RichProgress:
    """Bars for documents, pages and chunks on the terminal (stderr)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._totals: dict[str, int] = {}

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

    def note(self, message: str) -> None:
        self._progress.console.print(message)
