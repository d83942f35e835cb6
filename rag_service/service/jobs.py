"""Ingestion jobs run by the serving process (it holds the embedded store): one at a time, in a thread, with their
counters and typed events kept for the job API and the console. A snapshot holds ingestion off while it copies."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from ingestion.progress import CounterProgress
from rag_service.errors import Conflict, RagError

JobState = Literal["running", "done", "failed"]
log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    progress: CounterProgress = field(default_factory=CounterProgress)
    state: JobState = "running"
    result: dict[str, object] | None = None
    error: str | None = None


class IngestJobs:
    """The jobs of one serving process; `busy` is held while a job (or a snapshot) uses the store."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._busy = threading.Lock()

    @property
    def running(self) -> bool:
        return self._busy.locked()

    def current(self) -> Job | None:
        return next((j for j in self.jobs.values() if j.state == "running"), None)

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def start(self, work: Callable[[CounterProgress], dict[str, object]]) -> Job:
        """Run `work` in a thread with a fresh progress; Conflict when a job (or a snapshot) holds the store."""
        if not self._busy.acquire(blocking=False):
            raise Conflict("an ingestion job is already running: wait for it to finish")
        job = Job(id=uuid.uuid4().hex[:12])
        self.jobs[job.id] = job

        def run() -> None:
            try:
                job.result = work(job.progress)
                job.state = "done"
            except RagError as e:
                job.error, job.state = str(e), "failed"
            except Exception as e:
                job.error, job.state = f"{type(e).__name__}: {e}", "failed"
                log.exception("ingestion job %s failed", job.id)  # the type only reaches the JSON log
            finally:
                self._busy.release()
            log.info("ingestion job %s %s", job.id, job.state, extra={"fields": {"job": job.id, "state": job.state}})

        log.info("ingestion job %s started", job.id, extra={"fields": {"job": job.id}})
        threading.Thread(target=run, name=f"ingest-{job.id}", daemon=True).start()
        return job

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold ingestion off (a snapshot is being copied); Conflict when a job is running."""
        if not self._busy.acquire(blocking=False):
            raise Conflict("an ingestion job is running: take the snapshot when it has finished")
        try:
            yield
        finally:
            self._busy.release()
