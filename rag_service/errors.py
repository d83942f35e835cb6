"""One small hierarchy of domain errors. Each front door maps them in one place: the HTTP API in
`rag_service/api/app.py`, MCP tools in `rag_service/mcp_tools/server.py`, the console's error page in
`rag_service/console/errors.py`, the CLI's exit codes in `rag_service/cli/app.py`."""

from __future__ import annotations


class RagError(Exception):
    """Base class: every message says what went wrong and what to do."""


class BadRequest(RagError):
    """The request cannot be answered as sent: the message names the field, the limit or the fix (HTTP 422)."""


class ManifestError(RagError):
    """The manifest is invalid: names the file, the entry and the field."""

    def __init__(self, path: str, message: str, entry: str | None = None, field: str | None = None) -> None:
        self.path, self.entry, self.field = path, entry, field
        where = path
        if entry is not None:
            where += f", entry {entry}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class SourceError(RagError):
    """A source file cannot be read or yields no text; its edition fails, the others go on."""


class PdfExtractionError(SourceError):
    """A PDF is encrypted, corrupt, empty or has no text layer."""


class IndexMismatchError(RagError):
    """The index was built with another embedder, dimension or tokeniser."""


class StoreLockedError(RagError):
    """Another process holds the embedded store."""


class BackendUnavailable(RagError):
    """A backend (Qdrant server, LLM) cannot be reached; retryable."""


class LLMRequestError(RagError):
    """The LLM server refused a request (4xx): not retryable as is."""

    def __init__(self, message: str, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(message)


class DiskFullError(RagError):
    """Too little free space under RAG_DATA_DIR to write the next edition safely; what is written stays consistent."""


class NotFound(RagError):
    """The thing asked for (an edition, a chunk, a job) is not there; the message says where to find valid ids."""


class Conflict(RagError):
    """The request cannot be done in the service's present state (a job already running, a source that is not a
    PDF, an outline written by an older version): it may succeed later or in another way, not as sent again now."""


class NotReady(BackendUnavailable):
    """The service cannot answer yet: the index is empty, or no LLM is configured; the message says what to do."""


class Unauthenticated(RagError):
    """No valid credentials came with the request (an API key, the admin token, a console session)."""


class Forbidden(RagError):
    """The caller is known but may not do this (a key's scopes, a form posted from another site)."""


class RateLimited(RagError):
    """The caller's key is over its limit of requests a minute; `retry_after_s` says when the next one may go."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)
