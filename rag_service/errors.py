"""One small hierarchy of domain errors. `api/` maps them to HTTP in one place."""

from __future__ import annotations


class RagError(Exception):
    """Base class: every message says what went wrong and what to do."""


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
