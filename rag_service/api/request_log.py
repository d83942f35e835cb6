"""Logs a hospital can keep: one JSON line per request, no patient data, no keys.

Each request gets an id (the caller's `X-Request-ID` when it is 1–64 characters of `[A-Za-z0-9._:-]`, else a new
one), echoed in the response. The line names the route template (never the raw path), status, latency, the stages'
timings, and the key's id (a hash prefix, never the key). Query text is left out unless `RAG_LOG_QUERIES=masked`,
and then only after the patient-data masker. `rag serve` formats every logger as JSON lines (`rag_service.logs`) and
turns uvicorn's access log off: this line is the access log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("rag.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    given = dict(headers).get(b"x-request-id", b"").decode("latin-1")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: the request id in `scope["state"]`, the `X-Request-ID` header out, one log line at the end.

    Routes add to the line through `request.state`: `key_id`, `stages` (ms), `log_query` (already masked).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(list(scope.get("headers") or []))
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            record: dict[str, Any] = {
                "request_id": rid,
                "method": scope.get("method"),
                "route": getattr(route, "path", "unmatched"),
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            for name in ("key_id", "stages", "log_query"):
                if state.get(name) is not None:
                    record[name] = state[name]
            log.info("request", extra={"fields": record})
