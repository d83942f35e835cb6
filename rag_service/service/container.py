"""What the service is made of, built once at start-up and handed to every use case: settings, the index (store,
embedder, reranker) and its retriever, the LLM, who may call (keys, admin token, rate limiter, console sessions) and
the ingestion jobs. `rag serve`'s app, `rag mcp` and the CLI's in-process commands each open one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rag_service.dense import Embedder
from rag_service.embedded_llm import EmbeddedLLM, start_embedded_llm
from rag_service.errors import NotReady
from rag_service.index import open_existing, open_for_search
from rag_service.llm import LLMClient, OpenAICompatClient
from rag_service.retrieve import Retriever
from rag_service.service.access import Access
from rag_service.service.jobs import IngestJobs
from rag_service.settings import Settings
from rag_service.store import Backend, open_store
from rag_service.supersession import Supersession

log = logging.getLogger(__name__)
NO_INDEX = "the index is empty: run `rag ingest` first"
NO_LLM = "no LLM is configured: set RAG_LLM_BASE_URL (and RAG_LLM_MODEL), or run `rag serve --embedded-llm`"


@dataclass
class Container:
    settings: Settings
    store: Backend
    embedder: Embedder | None
    retriever: Retriever
    access: Access
    jobs: IngestJobs = field(default_factory=IngestJobs)
    llm: LLMClient | None = None
    embedded_llm: EmbeddedLLM | None = None
    _open_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    supersession: Supersession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.supersession = Supersession(self.store)

    def index_ready(self) -> bool:
        """Open the index if it has appeared since start-up; False when there is none yet. A store outage raises
        BackendUnavailable (503 with what to check), never a stack trace."""
        if self.store.meta is not None:
            return True
        if self.jobs.running:  # the first ingestion is creating the index right now
            return False
        with self._open_lock:
            if self.store.meta is None and self.store.read_meta() is not None:
                open_existing(self.store, self.embedder)
        return self.store.meta is not None

    def require_index(self) -> None:
        if not self.index_ready():
            raise NotReady(NO_INDEX)

    def require_llm(self) -> LLMClient:
        if self.llm is None:
            raise NotReady(NO_LLM)
        return self.llm

    def close(self) -> None:
        if isinstance(self.llm, OpenAICompatClient):
            self.llm.close()
        if self.embedded_llm is not None:
            self.embedded_llm.stop()
        self.store.close()


def _open_llm(c: Container) -> None:
    """The OpenAI-compatible client: the configured server, or the embedded CPU generator (plumbing only)."""
    s = c.settings
    if s.llm_embedded:
        embedded = start_embedded_llm(s.models_dir, threads=s.llm_threads)
        c.embedded_llm = embedded
        c.llm = OpenAICompatClient(embedded.base_url, embedded.model, timeout=s.llm_timeout_s)
        log.warning(
            "embedded generator %s at %s: for trying the plumbing, not for answers", embedded.model, embedded.base_url
        )
    elif s.llm_base_url:
        c.llm = OpenAICompatClient(s.llm_base_url, s.llm_model, s.llm_api_key, timeout=s.llm_timeout_s)


def open_container(
    settings: Settings, *, models: bool = True, llm: bool = False, access: Access | None = None, serving: bool = False
) -> Container:
    """`models`: the embedder and reranker loaded and the index opened (searching needs them; reading the catalog,
    outlines and recommendations does not, and then the embedded store's lock is not taken). `llm`: start the LLM
    client. `access`: who may call (default: no keys, every caller the local user: a CLI command, `rag mcp`; the
    served app passes the configured keys). `serving`: warm the embedder now, and let a Qdrant outage at start-up be
    logged (every route answers 503 until it is back) instead of failing."""
    access = access or Access([])
    if models:
        index = open_for_search(settings, warm=serving, tolerate_outage=serving)
        store, embedder, reranker = index.store, index.embedder, index.reranker
    else:
        store, embedder, reranker = open_store(settings), None, None
    c = Container(settings, store, embedder, Retriever(store, embedder, settings, reranker), access)
    if llm:
        try:
            _open_llm(c)
        except BaseException:
            c.close()
            raise
    if serving:
        summary = {
            "embedder": embedder.id if embedder else "none",
            "reranker": reranker is not None,
            "llm": c.llm.model if c.llm else None,
            "keys": len(access.keys),
            "index": store.meta is not None,
        }
        log.info("service opened", extra={"fields": summary})
    return c


@contextmanager
def opened(
    settings: Settings, *, models: bool = True, llm: bool = False, access: Access | None = None
) -> Iterator[Container]:
    c = open_container(settings, models=models, llm=llm, access=access)
    try:
        yield c
    finally:
        c.close()
