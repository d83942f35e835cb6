"""What the sync and async clients share: each request built and each response read once (`Call`, `Calls`), the
retry rules (`Policy`), the server-sent events reader and the errors. Only the sending differs between them.

Imports only the wire models (`rag_service.wire`) and httpx: an app that calls the service loads none of the server.

A 503 (the index, Qdrant or the LLM is not there yet) or a connection that cannot be made is retried with
exponential backoff, at most `retries` times; a 429 or 503 that says `Retry-After` waits that long (never more than
`max_wait_s`: a longer wait raises at once). Any other answer outside 2xx raises `ApiError` with the server's
`detail` message.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from rag_service.wire import (
    AnswerDelta,
    AnswerRequest,
    AnswerResponse,
    Direction,
    DocumentsResponse,
    EditionChangesResponse,
    EditionStatus,
    ExamRequest,
    ExamResponse,
    FeedbackRequest,
    FeedbackResponse,
    HitOut,
    IngestRequest,
    JobOut,
    Mode,
    OutlineResponse,
    PiiMaskRequest,
    PiiMaskResponse,
    QueryKind,
    RecommendationsResponse,
    SearchFilters,
    SearchRequest,
    SearchResponse,
    SnapshotRequest,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Filters = SearchFilters | dict[str, Any] | None


class ApiError(Exception):
    """The service answered outside 2xx (or, as `ApiUnavailable`, could not be reached): `detail` is its message."""

    def __init__(self, url: str, status: int | None, detail: str, error: str | None = None) -> None:
        self.url, self.status, self.detail, self.error = url, status, detail, error
        super().__init__(f"{url} answered {status}: {detail}" if status else f"{url}: {detail}")


class ApiUnavailable(ApiError):
    """503 after every retry, or no connection: retryable later."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request, and how its response becomes a typed result."""

    method: str
    path: str
    parse: Callable[[Any], T]
    body: dict[str, Any] | None = None
    retry: bool = True
    params: dict[str, Any] | None = None
    raw: bool = False  # `parse` gets the response's bytes (an image), not its JSON


def _model(cls: type[M]) -> Callable[[Any], M]:
    return cls.model_validate


def _as_dict(doc: Any) -> dict[str, Any]:
    return dict(doc)


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _filters(filters: Filters) -> SearchFilters:
    if filters is None:
        return SearchFilters()
    return filters if isinstance(filters, SearchFilters) else SearchFilters.model_validate(filters)


def _detail(response: httpx.Response) -> tuple[str, str | None]:
    """The server's `detail` (a validation error's fields joined into one line) and its `error` name."""
    try:
        doc = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase, None
    detail = doc.get("detail") if isinstance(doc, dict) else None
    if isinstance(detail, list):  # FastAPI's 422: [{loc, msg, ...}]
        parts = [f"{'.'.join(str(p) for p in d.get('loc', ()))}: {d.get('msg')}" for d in detail if isinstance(d, dict)]
        return "; ".join(parts) or str(detail), "ValidationError"
    if detail is None:
        return json.dumps(doc, ensure_ascii=False)[:300], None
    return str(detail), doc.get("error")


def retry_after_s(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (a number, or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class Policy:
    """What the two clients share: base URL, headers, retry rules, and the request/response code."""

    base_url: str
    api_key: str | None = None
    admin_token: str | None = None  # the token `rag serve` writes into server.json (for the admin calls)
    retries: int = 3
    backoff_s: float = 0.5
    max_wait_s: float = 30.0
    timeout_s: float = 120.0
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        if self.admin_token:
            self.headers["X-Admin-Token"] = self.admin_token

    def _wait(self, attempt: int, told: float | None) -> float | None:
        """Seconds to wait before try `attempt + 1` (Retry-After when told, else exponential), or None: give up."""
        if attempt >= self.retries or (told is not None and told > self.max_wait_s):
            return None
        return told if told is not None else float(min(self.max_wait_s, self.backoff_s * 2**attempt))

    def after(self, call: Call[Any], attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before sending `call` again, or None: this response is the answer."""
        if not call.retry or response.status_code not in (429, 503):
            return None
        return self._wait(attempt, retry_after_s(response))

    def after_error(self, call: Call[Any], attempt: int, url: str, e: httpx.TransportError) -> float:
        """Seconds to wait before trying to connect again; raises `ApiUnavailable` when the tries are spent."""
        wait = self._wait(attempt, None) if call.retry else None
        if wait is None:
            raise ApiUnavailable(url, None, f"cannot be reached ({type(e).__name__}: {e}): is `rag serve` running?")
        return wait

    def result(self, call: Call[T], response: httpx.Response) -> T:
        if response.is_success:
            return call.parse(response.content if call.raw else response.json())
        raise self.error(response)

    def error(self, response: httpx.Response) -> ApiError:
        detail, error = _detail(response)
        url = str(response.request.url)
        if response.status_code == 503:
            return ApiUnavailable(url, 503, detail, error)
        return ApiError(url, response.status_code, detail, error)


CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)  # the request never reached the server: safe to resend


class Calls:
    """The requests of the API, built once for both clients."""

    @staticmethod
    def search(
        query: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters = None,
        rerank: bool | None = None,
        query_kind: QueryKind = "auto",
    ) -> Call[SearchResponse]:
        req = SearchRequest(
            query=query, top_k=top_k, mode=mode, filters=_filters(filters), rerank=rerank, query_kind=query_kind
        )
        return Call("POST", "/v1/search", _model(SearchResponse), _body(req))

    @staticmethod
    def answer(
        question: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters = None,
        include_sources: bool = False,
        stream: bool = False,
    ) -> Call[AnswerResponse]:
        req = AnswerRequest(
            question=question,
            top_k=top_k,
            mode=mode,
            filters=_filters(filters),
            include_sources=include_sources,
            stream=stream,
        )
        return Call("POST", "/v1/answer", _model(AnswerResponse), _body(req))

    @staticmethod
    def exam(question: str, choices: dict[str, str], **options: Any) -> Call[ExamResponse]:
        """`options`: n_select, votes, no_rag, top_k, mode, filters (as in `ExamRequest`)."""
        req = ExamRequest(question=question, choices=choices, **options)
        return Call("POST", "/v1/exam", _model(ExamResponse), _body(req))

    @staticmethod
    def documents() -> Call[DocumentsResponse]:
        return Call("GET", "/v1/documents", _model(DocumentsResponse))

    @staticmethod
    def outline(source_id: str) -> Call[OutlineResponse]:
        return Call("GET", f"/v1/documents/{quote(source_id, safe='')}/outline", _model(OutlineResponse))

    @staticmethod
    def changes(source_id: str, since: str | None = None) -> Call[EditionChangesResponse]:
        """What changed since an older edition (default: the one it supersedes), statement by statement."""
        params = {"since": since} if since else {}
        path = f"/v1/documents/{quote(source_id, safe='')}/changes"
        return Call("GET", path, _model(EditionChangesResponse), params=params)

    @staticmethod
    def chunk(chunk_id: str) -> Call[HitOut]:
        return Call("GET", f"/v1/chunks/{quote(chunk_id, safe='')}", _model(HitOut))

    @staticmethod
    def chunk_page(chunk_id: str, page: int | None = None, dpi: int = 110) -> Call[bytes]:
        """PNG bytes of the chunk's PDF page, the passage highlighted."""
        params = {"dpi": dpi, **({"page": page} if page is not None else {})}
        return Call("GET", f"/v1/chunks/{quote(chunk_id, safe='')}/page.png", bytes, params=params, raw=True)

    @staticmethod
    def pii_mask(text: str) -> Call[PiiMaskResponse]:
        return Call("POST", "/v1/pii/mask", _model(PiiMaskResponse), _body(PiiMaskRequest(text=text)))

    @staticmethod
    def feedback(target: Literal["hit", "answer"], helpful: bool, **fields: Any) -> Call[FeedbackResponse]:
        """`fields`: request_id, chunk_id, query, reason (as in `FeedbackRequest`)."""
        req = FeedbackRequest(target=target, helpful=helpful, **fields)
        return Call("POST", "/v1/feedback", _model(FeedbackResponse), _body(req))

    @staticmethod
    def recommendations(
        source_ids: list[str] | None = None,
        cq: str | None = None,
        q: str | None = None,
        direction: Direction | str | None = None,
        strength: int | None = None,
        status: list[EditionStatus] | list[str] | None = None,
    ) -> Call[RecommendationsResponse]:
        """`GET /v1/recommendations`: repeated `source_id` and `status` parameters; unset ones are not sent."""
        params: dict[str, Any] = {"source_id": source_ids, "cq": cq, "q": q, "strength": strength, "status": status}
        params["direction"] = str(direction) if direction is not None else None
        sent = {k: v for k, v in params.items() if v is not None}
        return Call("GET", "/v1/recommendations", _model(RecommendationsResponse), params=sent)

    @staticmethod
    def ingest(manifest: str | None = None, dry_run: bool = False) -> Call[JobOut]:
        """Start an ingestion job on the server (a path on the server's machine; default its RAG_MANIFEST)."""
        body = _body(IngestRequest(manifest=manifest, dry_run=dry_run))
        return Call("POST", "/v1/admin/ingest", _model(JobOut), body, retry=False)

    @staticmethod
    def job(job_id: str) -> Call[JobOut]:
        return Call("GET", f"/v1/admin/jobs/{quote(job_id, safe='')}", _model(JobOut))

    @staticmethod
    def snapshot(name: str) -> Call[dict[str, Any]]:
        """A snapshot of the embedded index written under the server's RAG_DATA_DIR/snapshots/`name`."""
        body = _body(SnapshotRequest(name=name))
        return Call("POST", "/v1/admin/snapshot", _as_dict, body, retry=False)

    @staticmethod
    def health() -> Call[dict[str, Any]]:
        return Call("GET", "/healthz", _as_dict)

    @staticmethod
    def ready() -> Call[dict[str, Any]]:
        return Call("GET", "/readyz", _as_dict, retry=False)  # "not ready" is the answer, not a reason to wait


class SseReader:
    """Server-sent events line by line: `feed` returns (event, data) when a blank line ends one."""

    def __init__(self) -> None:
        self.event: str = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        if not line:
            done = (self.event, "\n".join(self.data)) if self.data else None
            self.event, self.data = "message", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        return None


def stream_item(event: str, data: str, url: str) -> AnswerDelta | AnswerResponse:
    if event == "delta":
        return AnswerDelta.model_validate_json(data)
    if event == "done":
        return AnswerResponse.model_validate_json(data)
    doc = json.loads(data) if data.startswith("{") else {"detail": data}
    raise ApiError(url, 200, str(doc.get("detail")), doc.get("error"))  # an error after the headers were sent
