"""The console's error mapping, in one place: a page without a session goes to the sign-in page; a domain error is
the error page for a browser and `{detail, error}` JSON for the pages' scripts (`ConsoleRoute`, every console
route's class); an HTTP error of the framework on a console page (a path that does not exist) is the error page too."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag_service.console.auth import NeedsSignIn
from rag_service.console.templating import render, text_of
from rag_service.errors import RagError, RateLimited
from rag_service.service.access import retry_after
from rag_service.service.statuses import status_of

_SETTING = re.compile(r"\s*\(?\b(?:RAG_[A-Z0-9_]+|--[a-z-]+)(?:=[^\s,;:)]*)?\)?")


def reader_detail(detail: str) -> str:
    """The service's own message, kept as the technical detail, without the settings it names (a librarian cannot
    change them; the operator reads the service's log)."""
    return _SETTING.sub("", detail).strip()


def _page(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The error page: what happened in the reader's words (by status), the service's message as the detail."""
    user = getattr(request.state, "console_user", None)
    t = text_of(request)
    key = f"error.{status}"
    if status == 422 and "status must be one of" in detail:
        key = "error.status_value"
    message = t.raw(key) if key in t.messages else t.raw("error.500" if status >= 500 else "error.400")
    return render(request, "error.html", status_code=status, user=user, status=status, message=message,
                  detail=reader_detail(detail), headers=headers)  # fmt: skip


def _browser(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def error_response(request: Request, exc: RagError) -> Response:
    status = status_of(exc)
    headers = {"Retry-After": retry_after(exc.retry_after_s)} if isinstance(exc, RateLimited) else {}
    if _browser(request):
        return _page(request, status, str(exc), headers)
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status, headers=headers)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NeedsSignIn:
                return RedirectResponse("/console/signin", status_code=303)
            except RagError as e:
                return error_response(request, e)

        return handle


def install_http_errors(app: FastAPI) -> None:
    """A framework HTTP error (no such console path, a wrong method) reaches a browser on a console page as the
    error page; everything else gets FastAPI's JSON."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/console") and _browser(request):
            return _page(request, exc.status_code, str(exc.detail))
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
