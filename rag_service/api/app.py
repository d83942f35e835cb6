"""The HTTP API on an app: its routers, and the one place domain errors become HTTP statuses (`install`).

Every error body is `{"detail": what went wrong and what to do, "error": the error's name}`: 401 with
`WWW-Authenticate`, 429 with `Retry-After`, 503 for what may come back (the index, Qdrant, the LLM), never a stack
trace. The app itself (lifespan, console, MCP, middleware) is composed in `rag_service.server`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag_service.api import admin_routes, answer_routes, chat_routes, health, safety_routes, search_routes
from rag_service.errors import RagError, RateLimited, Unauthenticated
from rag_service.service.access import retry_after
from rag_service.service.statuses import status_of


def error_response(exc: RagError) -> JSONResponse:
    """The error's status (`rag_service.service.statuses`), with its message and name."""
    status = status_of(exc)
    headers = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = retry_after(exc.retry_after_s)
    body = {"detail": str(exc), "error": type(exc).__name__}
    return JSONResponse(status_code=status, content=body, headers=headers)


def install(app: FastAPI) -> None:
    """Mount the API's routers on `app` and map domain errors to HTTP for every route that lets one through."""
    for module in (health, search_routes, answer_routes, chat_routes, safety_routes, admin_routes):
        app.include_router(module.router)

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RagError)
        return error_response(exc)

    async def not_text(request: Request, exc: Exception) -> JSONResponse:  # a lone surrogate that got past the checks
        detail = "the request holds a lone surrogate (\\ud800-style escape without its pair): send valid UTF-8 text"
        return JSONResponse(status_code=422, content={"detail": detail, "error": "BadText"})

    app.add_exception_handler(UnicodeEncodeError, not_text)
    app.add_exception_handler(RagError, on_error)
