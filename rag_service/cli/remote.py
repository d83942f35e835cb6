"""The CLI's side of the hand-off: when `rag serve` holds the embedded store (its server.json says so), `rag ingest`
and `rag snapshot create` ask it through the typed client with its admin token, and show its job's progress here."""

from __future__ import annotations

import time
from typing import Any

from ingestion.events import event_from_doc
from ingestion.progress import ProgressSink
from rag_service.client import ApiUnavailable, RagClient
from rag_service.errors import BackendUnavailable, RagError
from rag_service.handoff import ServerInfo
from rag_service.wire import JobOut


def _client(server: ServerInfo, timeout_s: float) -> RagClient:
    return RagClient(server.url, admin_token=server.admin_token, timeout_s=timeout_s, retries=2)


def _unavailable(server: ServerInfo, e: Exception) -> BackendUnavailable:
    return BackendUnavailable(
        f"`rag serve` (pid {server.pid}) holds the index but did not answer at {server.url}: {e}. "
        "Check that it is healthy, or stop it and run the command again."
    )


class _Replay:
    """The server's counters and events, replayed into this terminal's progress as they arrive."""

    def __init__(self, progress: ProgressSink) -> None:
        self.progress, self.events = progress, 0
        self.seen: dict[str, dict[str, int]] = {"totals": {}, "done": {}}

    def __call__(self, job: JobOut) -> None:
        p = job.progress
        for part, counts, fn in (("totals", p.totals, self.progress.total), ("done", p.done, self.progress.advance)):
            for kind, value in counts.items():
                if delta := value - self.seen[part].get(kind, 0):
                    fn(kind, delta)
                    self.seen[part][kind] = value
        for event in p.events[self.events :]:
            self.progress.event(event_from_doc(event.model_dump(mode="json")))
        self.events = len(p.events)


def ingest_via_server(
    server: ServerInfo, manifest: str, dry_run: bool, progress: ProgressSink, poll_s: float = 0.5
) -> dict[str, Any]:
    """Start the job on the server and follow its progress; the job's result (as `rag ingest --json` prints it)."""
    replay = _Replay(progress)
    try:
        with _client(server, 30.0) as rag:
            job = rag.ingest(manifest, dry_run)
            while True:
                replay(job)
                if job.state != "running":
                    break
                time.sleep(poll_s)
                job = rag.job(job.id)
    except ApiUnavailable as e:
        raise _unavailable(server, e) from e
    if job.state == "failed" or job.result is None:
        raise RagError(f"ingestion failed on the server: {job.error}")
    return job.result


def snapshot_via_server(server: ServerInfo, name: str) -> dict[str, Any]:
    """The server writes the snapshot under its RAG_DATA_DIR/snapshots/`name` and says where."""
    try:
        with _client(server, 3600.0) as rag:
            return rag.snapshot(name)
    except ApiUnavailable as e:
        raise _unavailable(server, e) from e
