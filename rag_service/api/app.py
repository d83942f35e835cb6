"""App factory: the lifespan opens the store and the embedder once; errors map to HTTP in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag_service.api.answer_routes import answers
from rag_service.api.body_guard import BodyGuard
from rag_service.api.chat_routes import chat
from rag_service.api.handoff import remove_server_file, write_server_file
from rag_service.api.mcp_server import install_mcp
from rag_service.api.metrics import Metrics, install_metrics
from rag_service.api.request_log import RequestLog
from rag_service.api.routes import admin, router, v1
from rag_service.api.safety_routes import safety
from rag_service.api.security import RateLimiter, load_keys
from rag_service.api.state import ServiceState
from rag_service.console.signin import install as install_console
from rag_service.embedded_llm import start_embedded_llm
from rag_service.errors import BackendUnavailable, IndexMismatchError, LLMRequestError, RagError, StoreLockedError
from rag_service.index import open_for_search
from rag_service.llm import OpenAICompatClient
from rag_service.query import BadQuery, QueryTooLong
from rag_service.retrieve import Retriever
from rag_service.settings import Settings

log = logging.getLogger(__name__)


def _open_state(settings: Settings, metrics: Metrics) -> ServiceState:
    # IndexMismatchError says to re-index; a Qdrant outage is logged and every route answers 503 until it is back
    index = open_for_search(settings, warm=True, tolerate_outage=True)
    return ServiceState(
        settings=settings,
        store=index.store,
        embedder=index.embedder,
        retriever=Retriever(index.store, index.embedder, settings, index.reranker),
        metrics=metrics,
    )


def _open_llm(state: ServiceState) -> None:
    """The OpenAI-compatible client: the configured server, or the embedded CPU generator (plumbing only)."""
    s = state.settings
    if s.llm_embedded:
        embedded = start_embedded_llm(s.models_dir, threads=s.llm_threads)
        state.embedded_llm = embedded
        state.llm = OpenAICompatClient(embedded.base_url, embedded.model, timeout=s.llm_timeout_s)
        log.warning(
            "embedded generator %s at %s: for trying the plumbing, not for answers", embedded.model, embedded.base_url
        )
    elif s.llm_base_url:
        state.llm = OpenAICompatClient(s.llm_base_url, s.llm_model, s.llm_api_key, timeout=s.llm_timeout_s)


def _close(state: ServiceState) -> None:
    if isinstance(state.llm, OpenAICompatClient):
        state.llm.close()
    if state.embedded_llm is not None:
        state.embedded_llm.stop()
    state.store.close()


@contextmanager
def service_state(settings: Settings) -> Iterator[ServiceState]:
    """What the lifespan opens (index, embedder, LLM), for a process without the HTTP app: `rag mcp` over stdio."""
    state = _open_state(settings, Metrics())
    try:
        _open_llm(state)
        yield state
    finally:
        _close(state)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = _open_state(settings, app.state.metrics)
        app.state.svc = state
        try:
            _open_llm(state)
        except BaseException:
            _close(state)
            raise
        if settings.qdrant_url is None:
            write_server_file(settings, state.admin_token)
        try:
            async with mcp.session_manager.run():  # the MCP endpoint's sessions (streamable HTTP at /mcp)
                yield
        finally:
            if settings.qdrant_url is None:
                remove_server_file(settings)
            _close(state)

    app = FastAPI(
        title="Japanese clinical guideline retrieval",
        version="0.1.0",
        description="Hybrid BM25 + dense search over Japanese clinical guidelines, with citations.",
        lifespan=lifespan,
    )
    metrics = Metrics()
    app.state.metrics = metrics
    app.state.keys = load_keys(settings.api_keys, settings.api_keys_file, settings.rate_limit_per_minute)
    app.state.limiter = RateLimiter()
    for r in (router, v1, answers, chat, safety, admin):
        app.include_router(r)
    install_console(app)
    mcp = install_mcp(app, settings)
    install_metrics(app, metrics)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)  # 413 over the limit; 422 for NaN, lone surrogates
    app.add_middleware(RequestLog)  # outermost: every response carries X-Request-ID, every request one log line
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    def handler(status: int):
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse(status_code=status, content={"detail": str(exc), "error": type(exc).__name__})

        return handle

    async def not_text(request: Request, exc: Exception) -> JSONResponse:  # a lone surrogate that got past the checks
        detail = "the request holds a lone surrogate (\\ud800-style escape without its pair): send valid UTF-8 text"
        return JSONResponse(status_code=422, content={"detail": detail, "error": "BadText"})

    app.add_exception_handler(UnicodeEncodeError, not_text)
    app.add_exception_handler(QueryTooLong, handler(413))
    app.add_exception_handler(BadQuery, handler(422))
    app.add_exception_handler(IndexMismatchError, handler(409))
    app.add_exception_handler(StoreLockedError, handler(503))
    app.add_exception_handler(BackendUnavailable, handler(503))
    app.add_exception_handler(LLMRequestError, handler(502))
    app.add_exception_handler(RagError, handler(500))
