"""The app `rag serve` runs: the lifespan opens the container once (index, embedder, reranker, LLM) and announces
the process in server.json; the API, the console and MCP are mounted on it, each with its own error mapping; the
request log and the body guard wrap them all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from rag_service.api import app as api
from rag_service.api.body_guard import BodyGuard
from rag_service.api.metrics import Metrics, install_metrics
from rag_service.api.request_log import RequestLog
from rag_service.console import signin as console
from rag_service.handoff import remove_server_file, write_server_file
from rag_service.mcp_tools.http import install_mcp
from rag_service.service import Access, Container, load_keys, open_container
from rag_service.settings import Settings
from rag_service.version import service_version


def create_app(settings: Settings) -> FastAPI:
    """The service for `settings` (`rag serve` passes its options in them). Keys are read now: a malformed keys file
    fails here, before anything is opened; the index and the LLM are opened by the lifespan."""
    access = Access(load_keys(settings.api_keys, settings.api_keys_file, settings.rate_limit_per_minute))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # IndexMismatchError says to re-index; a Qdrant outage is logged and every route answers 503 until it is back
        c = open_container(settings, llm=True, access=access, serving=True)
        app.state.container = c
        if settings.qdrant_url is None:
            write_server_file(settings, access.admin_token)
        try:
            async with mcp.session_manager.run():  # the MCP endpoint's sessions (streamable HTTP at /mcp)
                yield
        finally:
            if settings.qdrant_url is None:
                remove_server_file(settings)
            c.close()

    app = FastAPI(
        title="Japanese clinical guideline retrieval",
        version=service_version(),
        description="Hybrid BM25 + dense search over Japanese clinical guidelines, with citations.",
        lifespan=lifespan,
    )
    metrics = Metrics()
    app.state.metrics = metrics
    api.install(app)
    console.install(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        """A browser that opens the server's address lands on the librarian's console (apps use /v1, /docs)."""
        return RedirectResponse("/console", status_code=307)

    def container() -> Container:
        c: Container = app.state.container
        return c

    mcp = install_mcp(app, settings, access, container)
    install_metrics(app, metrics)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)  # 413 over the limit; 422 for NaN, lone surrogates
    app.add_middleware(RequestLog)  # outermost: every response carries X-Request-ID, every request one log line
    return app
