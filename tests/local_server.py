"""An ASGI app served by uvicorn in a thread on 127.0.0.1 (a free port), for tests that need a real HTTP server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, start_timeout_s: float = 60.0) -> Iterator[int]:
    """Serve `app` until the block ends; yields the port (the server has started when the block begins)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class ServedAPI:
    """Base of the test endpoints that stand in for a remote LLM: `with X() as x:` serves it, `x.port` is its port.
    A subclass builds its FastAPI app and calls `self.serve(app)` in `__init__`."""

    port: int

    def serve(self, app: Any) -> None:
        self._serving = serve_in_thread(app)

    def __enter__(self) -> Any:
        self.port = self._serving.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.__exit__(None, None, None)


def mcp_tool(url: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Call one tool of the MCP server at `url` (streamable HTTP, no key) with the SDK's client; its structured
    content (the call must succeed)."""
    import asyncio

    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def call() -> dict[str, Any]:
        http = httpx2.AsyncClient()
        async with http, Client(streamable_http_client(url, http_client=http)) as mcp:
            result = await mcp.call_tool(name, args)
        assert not result.is_error, result
        return result.structured_content or {}

    return asyncio.run(call())
