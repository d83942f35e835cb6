"""Request bodies, checked before any route sees them: size (413) and JSON that no route can answer (422).

- **Size.** A body over `max_bytes` gets 413 with a message that names the limit, whether its length was declared
  (`Content-Length`) or it came chunked. A client that sends its whole body before reading (urllib, requests) would
  see a reset instead of the 413, so a body the client declared (up to `drain_bytes`) or chunked is read and dropped
  first, for at most `drain_seconds`; a declared length over `drain_bytes` (`Content-Length: 1000000000000`) is
  answered at once.
- **JSON that is not JSON.** Python's parser accepts `NaN`, `Infinity` and `1e999` (→ inf), which RFC 8259 does not;
  a validation error would echo them and then fail to serialise (a 500). A lone surrogate (`"\\ud800"`) is valid
  JSON but no encoder can write it. Both get 422 naming the field (`filters.source_ids[0]`), for every route at once.

The body is at most `max_bytes` (64 KiB by default), so it is read whole and handed on unchanged.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotFinite:
    def __init__(self, literal: str) -> None:
        self.literal = literal


def _number(literal: str) -> float | _NotFinite:
    value = float(literal)
    return value if math.isfinite(value) else _NotFinite(literal)


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _first_bad(doc: Any, where: str = "") -> str | None:
    """What is wrong with the first bad value in a parsed body, with its field, or None."""
    if isinstance(doc, _NotFinite):
        return f"`{where or 'body'}` is {doc.literal}, which JSON does not allow: send a finite number"
    if isinstance(doc, str):
        m = _SURROGATE.search(doc)
        if m is None:
            return None
        return (
            f"`{where or 'body'}` holds a lone surrogate (U+{ord(m.group(0)):04X} at character {m.start()}), which is "
            "not text: send valid UTF-8 (a JSON \\ud800-style escape must be half of a pair)"
        )
    items: list[tuple[str | int, Any]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if _SURROGATE.search(key):
                return f"a field name in `{where or 'body'}` holds a lone surrogate: send valid UTF-8"
            items.append((key, value))
    elif isinstance(doc, list):
        items = list(enumerate(doc))
    for key, value in items:
        found = _first_bad(value, _path(where, key))
        if found:
            return found
    return None


def json_problem(body: bytes) -> str | None:
    """Why a JSON body cannot be answered (non-finite number, lone surrogate), or None. A body that does not parse
    at all is left to the route (FastAPI says where it breaks)."""
    try:
        doc = json.loads(body, parse_constant=_NotFinite, parse_float=_number)
    except (ValueError, RecursionError):
        return None
    return _first_bad(doc)


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
    return b"json" in content_type


class BodyGuard:
    """ASGI middleware: see the module's docstring."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, drain_bytes: int = 32 * 1024 * 1024, drain_seconds: float = 10.0
    ) -> None:
        self.app, self.max_bytes, self.drain_bytes, self.drain_seconds = app, max_bytes, drain_bytes, drain_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            if int(declared) <= self.drain_bytes:
                await self._drain(receive, 0)
            await self._reply(send, 413, self._too_large())
            return
        messages: list[Message] = []
        seen, more = 0, True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if seen > self.max_bytes:
                if more:
                    await self._drain(receive, seen)
                await self._reply(send, 413, self._too_large())
                return
        if _is_json(scope) and seen:
            problem = json_problem(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"))
            if problem:
                await self._reply(send, 422, {"detail": problem, "error": "BadJson"})
                return
        await self.app(scope, _replay(messages, receive), send)

    def _too_large(self) -> dict[str, str]:
        return {
            "detail": f"request body is over the limit of {self.max_bytes} bytes (RAG_MAX_BODY_BYTES)",
            "error": "RequestTooLarge",
        }

    async def _drain(self, receive: Receive, seen: int) -> None:
        """Read and drop what the client is sending, up to `drain_bytes` and `drain_seconds`."""
        with anyio.move_on_after(self.drain_seconds):
            while seen <= self.drain_bytes:
                message = await receive()
                if message["type"] != "http.request":
                    return
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return

    async def _reply(self, send: Send, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        if status == 413:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The body's messages once, then the client's own (a disconnect, while a response streams)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
