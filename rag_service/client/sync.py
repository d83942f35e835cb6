"""The blocking client: `RagClient(base_url, api_key)`; every method returns the API's own response schema."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal, TypeVar

import httpx

from rag_service.client.calls import (
    CONNECT_ERRORS,
    Call,
    Calls,
    Filters,
    Mode,
    Policy,
    QueryKind,
    SseReader,
    stream_item,
)
from rag_service.wire import (
    AnswerDelta,
    AnswerResponse,
    Direction,
    DocumentsResponse,
    EditionChangesResponse,
    EditionStatus,
    ExamResponse,
    FeedbackResponse,
    HitOut,
    JobOut,
    OutlineResponse,
    PiiMaskResponse,
    RecommendationsResponse,
    SearchResponse,
)

T = TypeVar("T")


class RagClient:
    """The API over a blocking httpx client; thread-safe; use as a context manager or call `close`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        admin_token: str | None = None,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = Policy(base_url, api_key, admin_token, retries, backoff_s, max_wait_s, timeout_s)
        self._http = httpx.Client(
            base_url=self.policy.base_url, headers=self.policy.headers, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> RagClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _response(self, call: Call[Any], stream: bool = False) -> httpx.Response:
        url = self.policy.base_url + call.path
        attempt = 0
        while True:
            wait: float | None
            try:
                request = self._http.build_request(call.method, call.path, json=call.body, params=call.params)
                response = self._http.send(request, stream=stream)
            except CONNECT_ERRORS as e:
                wait = self.policy.after_error(call, attempt, url, e)
            else:
                wait = self.policy.after(call, attempt, response)
                if wait is None:
                    return response
                response.close()
            time.sleep(wait)
            attempt += 1

    def _send(self, call: Call[T]) -> T:
        return self.policy.result(call, self._response(call))

    def search(
        self,
        query: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters = None,
        rerank: bool | None = None,
        query_kind: QueryKind = "auto",
    ) -> SearchResponse:
        """`POST /v1/search`: hits with citations and per-leg scores."""
        return self._send(Calls.search(query, top_k, mode, filters, rerank, query_kind))

    def answer(
        self,
        question: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters = None,
        include_sources: bool = False,
    ) -> AnswerResponse:
        """`POST /v1/answer`: the cited answer (or an abstention) in one response."""
        return self._send(Calls.answer(question, top_k, mode, filters, include_sources))

    def answer_stream(
        self,
        question: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters = None,
        include_sources: bool = False,
    ) -> Iterator[AnswerDelta | AnswerResponse]:
        """`POST /v1/answer` with `stream`: `AnswerDelta`s as the model writes, then the `AnswerResponse`."""
        call = Calls.answer(question, top_k, mode, filters, include_sources, stream=True)
        response = self._response(call, stream=True)
        try:
            if not response.is_success:
                response.read()
                raise self.policy.error(response)
            reader = SseReader()
            for line in response.iter_lines():
                event = reader.feed(line)
                if event is not None:
                    yield stream_item(*event, url=str(response.request.url))
        finally:
            response.close()

    def exam(self, question: str, choices: dict[str, str], **options: Any) -> ExamResponse:
        """`POST /v1/exam`; `options` as in `ExamRequest` (n_select, votes, no_rag, top_k, mode, filters)."""
        return self._send(Calls.exam(question, choices, **options))

    def documents(self) -> DocumentsResponse:
        return self._send(Calls.documents())

    def outline(self, source_id: str) -> OutlineResponse:
        return self._send(Calls.outline(source_id))

    def changes(self, source_id: str, since: str | None = None) -> EditionChangesResponse:
        """What changed since an older edition (default: the one it supersedes), statement by statement."""
        return self._send(Calls.changes(source_id, since))

    def chunk(self, chunk_id: str) -> HitOut:
        """One chunk (a hit's `chunk_id`) with its citation."""
        return self._send(Calls.chunk(chunk_id))

    def chunk_page(self, chunk_id: str, page: int | None = None, dpi: int = 110) -> bytes:
        """The chunk's PDF page as PNG bytes, the passage highlighted (ApiError 409 for a non-PDF source)."""
        return self._send(Calls.chunk_page(chunk_id, page, dpi))

    def pii_mask(self, text: str) -> PiiMaskResponse:
        return self._send(Calls.pii_mask(text))

    def feedback(self, target: Literal["hit", "answer"], helpful: bool, **fields: Any) -> FeedbackResponse:
        return self._send(Calls.feedback(target, helpful, **fields))

    def recommendations(
        self,
        source_ids: list[str] | None = None,
        cq: str | None = None,
        q: str | None = None,
        direction: Direction | str | None = None,
        strength: int | None = None,
        status: list[EditionStatus] | list[str] | None = None,
    ) -> RecommendationsResponse:
        """`GET /v1/recommendations`: the indexed guidelines' recommendations with their own grades and pages,
        filtered by edition, CQ (`CQ2` takes CQ2-1, CQ2-2 …), text, direction, strength (current editions unless
        `status` says otherwise)."""
        return self._send(Calls.recommendations(source_ids, cq, q, direction, strength, status))

    def ingest(self, manifest: str | None = None, dry_run: bool = False) -> JobOut:
        """`POST /v1/admin/ingest` (admin token or a key with the `admin` scope): the job, running."""
        return self._send(Calls.ingest(manifest, dry_run))

    def job(self, job_id: str) -> JobOut:
        """`GET /v1/admin/jobs/{id}`: state, counters, typed events so far, and the result when done."""
        return self._send(Calls.job(job_id))

    def snapshot(self, name: str) -> dict[str, Any]:
        """`POST /v1/admin/snapshot`: a snapshot of the embedded index, under the server's RAG_DATA_DIR/snapshots."""
        return self._send(Calls.snapshot(name))

    def health(self) -> dict[str, Any]:
        return self._send(Calls.health())

    def ready(self) -> dict[str, Any]:
        """`GET /readyz`; raises `ApiUnavailable` (no retry) with the reason when the service is not ready."""
        return self._send(Calls.ready())
