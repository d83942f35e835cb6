"""What travels between the service and its callers: request and response models that need only pydantic, shared
by the server (`rag_service.api`, MCP, the console) and the typed client (`rag_service.client`). Internal types
(`rag_service.types`) become these in `rag_service.service.convert` only."""

from rag_service.wire.admin import (
    ChunksWritten,
    EditionFailed,
    EditionFinished,
    EditionStarted,
    IngestEvent,
    IngestRequest,
    JobOut,
    JobProgress,
    PageLeftOut,
    PagesRead,
    RunFinished,
    SnapshotRequest,
)
from rag_service.wire.answer import (
    AnswerDelta,
    AnswerRequest,
    AnswerResponse,
    CitationRef,
    ExamRequest,
    ExamResponse,
)
from rag_service.wire.corpus import (
    DocumentsResponse,
    EditionOut,
    ListedRecommendation,
    RecommendationsQuery,
    RecommendationsResponse,
)
from rag_service.wire.safety import FeedbackRequest, FeedbackResponse, PiiMaskRequest, PiiMaskResponse, PiiSpanOut
from rag_service.wire.search import (
    CitationOut,
    EditionFields,
    HitOut,
    LegScoreOut,
    RecommendationOut,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)
from rag_service.wire.vocab import Direction, EditionStatus, Mode, QueryKind, Scope

__all__ = [
    "AnswerDelta",
    "AnswerRequest",
    "AnswerResponse",
    "ChunksWritten",
    "CitationOut",
    "CitationRef",
    "Direction",
    "DocumentsResponse",
    "EditionFailed",
    "EditionFields",
    "EditionFinished",
    "EditionOut",
    "EditionStarted",
    "EditionStatus",
    "ExamRequest",
    "ExamResponse",
    "FeedbackRequest",
    "FeedbackResponse",
    "HitOut",
    "IngestEvent",
    "IngestRequest",
    "JobOut",
    "JobProgress",
    "LegScoreOut",
    "ListedRecommendation",
    "Mode",
    "PageLeftOut",
    "PagesRead",
    "PiiMaskRequest",
    "PiiMaskResponse",
    "PiiSpanOut",
    "QueryKind",
    "RecommendationOut",
    "RecommendationsQuery",
    "RecommendationsResponse",
    "RunFinished",
    "Scope",
    "SearchFilters",
    "SearchRequest",
    "SearchResponse",
    "SnapshotRequest",
]
