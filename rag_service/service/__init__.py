"""The service layer: every use case written once, as a function of the `Container` (what the service is made of)
and a `Caller` (who asks), raising only domain errors (`rag_service.errors`). The HTTP API, the MCP tools, the
console and the CLI are thin adapters over these functions, each mapping the errors in one place.

Adding something every front door offers: a use case here (and its wire models in `rag_service.wire`), then one
adapter per door."""

from rag_service.service.access import LOCAL, Access, ApiKey, Caller, load_keys
from rag_service.service.admin import audit, job, job_watch, set_status, snapshot, start_ingest
from rag_service.service.answering import Answered, AnswerStream, answer, exam, stream
from rag_service.service.container import Container, open_container, opened
from rag_service.service.corpus import (
    CorpusPlan,
    changes,
    corpus_plan,
    documents,
    outline,
    outline_response,
    recommendations,
)
from rag_service.service.retrieval import (
    CitedPage,
    CitedPassage,
    Note,
    chunk,
    cited_page,
    cited_passage,
    page_image,
    readiness,
    search,
)
from rag_service.service.safety import feedback, mask_pii

__all__ = [
    "LOCAL",
    "Access",
    "AnswerStream",
    "Answered",
    "ApiKey",
    "Caller",
    "CitedPage",
    "CitedPassage",
    "Container",
    "CorpusPlan",
    "Note",
    "answer",
    "audit",
    "changes",
    "chunk",
    "cited_page",
    "cited_passage",
    "corpus_plan",
    "documents",
    "exam",
    "feedback",
    "job",
    "job_watch",
    "load_keys",
    "mask_pii",
    "open_container",
    "opened",
    "outline",
    "outline_response",
    "page_image",
    "readiness",
    "recommendations",
    "search",
    "set_status",
    "snapshot",
    "start_ingest",
    "stream",
]
