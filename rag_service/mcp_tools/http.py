"""MCP over streamable HTTP at `/mcp` on the service's app: the same API keys as the routes (401 without one, before
the SDK sees the request), each tool's scope and the key's rate limit checked by the use case it calls."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.mcpserver import Context, MCPServer
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rag_service.errors import Unauthenticated
from rag_service.mcp_tools.server import GetContainer, build_mcp
from rag_service.service import LOCAL, Access, Caller
from rag_service.service.access import presented_key
from rag_service.settings import Settings


def request_caller(access: Access) -> Callable[[Context], Caller]:
    """Who calls a tool over HTTP: the request's key (the local user when the service runs without keys)."""

    def identify(ctx: Context) -> Caller:
        headers = getattr(ctx.request_context.request, "headers", None)
        if headers is None:
            return LOCAL
        return access.identify(presented_key(headers.get("authorization"), headers.get("x-api-key")))

    return identify


class _KeyRequired:
    """The `/mcp` endpoint refuses a request without a configured key (401) before the SDK sees it."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            h = Headers(scope=scope)
            try:
                self.access.identify(presented_key(h.get("authorization"), h.get("x-api-key")))
            except Unauthenticated as e:
                body = {"detail": str(e), "error": "Unauthorized"}
                await JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_mcp(app: Starlette, settings: Settings, access: Access, get: GetContainer) -> MCPServer:
    """Streamable HTTP at `/mcp` on `app`, behind its keys; the lifespan must run `server.session_manager.run()`."""
    server = build_mcp(get, settings, request_caller(access))
    http = server.streamable_http_app(streamable_http_path="/mcp", host=settings.host)
    endpoint = _KeyRequired(http, access)
    app.router.routes.append(Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    return server
