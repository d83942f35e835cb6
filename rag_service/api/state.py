"""What the lifespan opens once and the routes share: store, embedder, retriever, ingestion jobs."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.progress import CounterProgress
from ingestion.run import outcome_doc, run_ingest
from rag_service.api.metrics import Metrics
from rag_service.dense import Embedder
from rag_service.embedded_llm import EmbeddedLLM
from rag_service.errors import RagError
from rag_service.index import open_existing
from rag_service.llm import LLMClient
from rag_service.retrieve import Retriever
from rag_service.settings import Settings
from rag_service.store import VectorStore


@dataclass
class Job:
    id: str
    progress: CounterProgress
    state: str = "running"
    result: dict[str, object] | None = None
    error: str | None = None


@dataclass
class ServiceState:
    settings: Settings
    store: VectorStore
    embedder: Embedder | None
    retriever: Retriever
    metrics: Metrics = field(default_factory=Metrics)
    llm: LLMClient | None = None
    embedded_llm: EmbeddedLLM | None = None
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jobs: dict[str, Job] = field(default_factory=dict)
    _ingest_lock: threading.Lock = field(default_factory=threading.Lock)
    _open_lock: threading.Lock = field(default_factory=threading.Lock)

    def index_ready(self) -> bool:
        """Open the index if it has appeared since start-up; False when there is none yet.

        A store outage raises BackendUnavailable (503 with what to check), never a stack trace.
        """
        if self.store.meta is not None:
            return True
        if self._ingest_lock.locked():  # the first ingestion is creating the index right now
            return False
        with self._open_lock:
            if self.store.meta is None and self.store.read_meta() is not None:
                open_existing(self.store, self.embedder)
        return self.store.meta is not None

    def lock_for_snapshot(self) -> bool:
        """Hold off ingestion while a snapshot is copied; False when a job is running."""
        return self._ingest_lock.acquire(blocking=False)

    def unlock_after_snapshot(self) -> None:
        self._ingest_lock.release()

    def start_ingest(self, manifest: Path, dry_run: bool, actor: str = "admin token (server.json)") -> Job | None:
        """Run ingestion in this process (it holds the store); None when a job is already running."""
        if not self._ingest_lock.acquire(blocking=False):
            return None
        job = Job(id=uuid.uuid4().hex[:12], progress=CounterProgress())
        self.jobs[job.id] = job

        def work() -> None:
            try:
                outcome = run_ingest(
                    self.settings,
                    self.store,
                    self.embedder,
                    manifest,
                    job.progress,
                    dry_run=dry_run,
                    via=f"server, {actor}",
                )
                job.result = outcome_doc(outcome)
                job.state = "done"
            except RagError as e:
                job.error, job.state = str(e), "failed"
            except Exception as e:
                job.error, job.state = f"{type(e).__name__}: {e}", "failed"
            finally:
                self._ingest_lock.release()

        threading.Thread(target=work, name=f"ingest-{job.id}", daemon=True).start()
        return job
