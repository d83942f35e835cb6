"""A typed client of the HTTP API (httpx), sync and async: the results are the wire's own response models.

    with RagClient("http://127.0.0.1:8000", api_key="…") as rag:
        for hit in rag.search("異状死体の届出", top_k=3).hits:
            print(hit.citation.title, hit.citation.page_start, hit.text[:40])

It imports only the wire models (`rag_service.wire`, pydantic) and httpx, never the server. Its modules load on first
use (haystack's `LazyImport` pattern): `import rag_service.client` costs nothing until a name is taken from it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag_service.client.aio import AsyncRagClient
    from rag_service.client.calls import ApiError, ApiUnavailable
    from rag_service.client.sync import RagClient
    from rag_service.wire import AnswerDelta

__all__ = ["AnswerDelta", "ApiError", "ApiUnavailable", "AsyncRagClient", "RagClient"]
_WHERE = {
    "AnswerDelta": "rag_service.wire",
    "ApiError": "rag_service.client.calls",
    "ApiUnavailable": "rag_service.client.calls",
    "AsyncRagClient": "rag_service.client.aio",
    "RagClient": "rag_service.client.sync",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
