"""The HTTP status of each domain error, in one place: the API's JSON errors and the console's error pages answer
the same error with the same status."""

from __future__ import annotations

from rag_service.errors import (
    BackendUnavailable,
    BadRequest,
    Conflict,
    DiskFullError,
    Forbidden,
    IndexMismatchError,
    LLMRequestError,
    NotFound,
    RagError,
    RateLimited,
    SourceError,
    StoreLockedError,
    Unauthenticated,
)
from rag_service.query import QueryTooLong

STATUS: dict[type[RagError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    IndexMismatchError: 409,  # the index was built otherwise: re-index
    SourceError: 409,  # a source (a cited PDF) cannot be read as the index says
    QueryTooLong: 413,
    BadRequest: 422,
    RateLimited: 429,
    LLMRequestError: 502,
    StoreLockedError: 503,
    BackendUnavailable: 503,  # and NotReady: no index yet, no LLM configured
    DiskFullError: 507,
    RagError: 500,
}


def status_of(exc: RagError) -> int:
    """The status of the most specific class in `STATUS`."""
    return next(code for cls, code in STATUS.items() if isinstance(exc, cls))
