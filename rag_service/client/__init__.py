"""A typed client of the HTTP API (httpx), sync and async: the results are the API's own response schemas.

    with RagClient("http://127.0.0.1:8000", api_key="…") as rag:
        for hit in rag.search("異状死体の届出", top_k=3).hits:
            print(hit.citation.title, hit.citation.page_start, hit.text[:40])

A shell like api/ and cli/: it imports the API's schemas.
"""

from rag_service.client.aio import AsyncRagClient
from rag_service.client.calls import AnswerDelta, ApiError, ApiUnavailable
from rag_service.client.sync import RagClient

__all__ = ["AnswerDelta", "ApiError", "ApiUnavailable", "AsyncRagClient", "RagClient"]
