"""POST /v1/pii/mask (the masker, for other hospital apps) and POST /v1/feedback (clinicians' judgements)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from rag_service.api.routes import State, require_key
from rag_service.api.schemas import FeedbackRequest, FeedbackResponse, PiiMaskRequest, PiiMaskResponse, PiiSpanOut
from rag_service.feedback import append_feedback, feedback_record
from rag_service.pii import mask
from rag_service.query import first_surrogate

safety = APIRouter(prefix="/v1", dependencies=[Depends(require_key)], tags=["safety"])


def _text_ok(text: str | None, what: str) -> None:
    bad = first_surrogate(text) if text else None
    if bad is not None:
        raise HTTPException(422, f"the {what} holds a lone surrogate at character {bad}: send valid UTF-8 text")


@safety.post("/pii/mask", response_model=PiiMaskResponse)
def pii_mask(body: PiiMaskRequest) -> PiiMaskResponse:
    """Patient data in Japanese clinical text replaced by typed masks (［氏名］, ［電話番号］ …), with the spans found
    (offsets into the input as Python counts them: code points)."""
    _text_ok(body.text, "text")
    result = mask(body.text)
    return PiiMaskResponse(
        masked=result.masked, spans=[PiiSpanOut(start=s.start, end=s.end, type=s.type) for s in result.spans]
    )


@safety.post("/feedback", response_model=FeedbackResponse, status_code=201)
def feedback(body: FeedbackRequest, state: State, request: Request) -> FeedbackResponse:
    """A clinician's judgement of a hit or an answer, kept (masked) for `rag eval export-qrels`."""
    _text_ok(body.query, "query")
    _text_ok(body.reason, "reason")
    if body.target == "hit" and not body.chunk_id:
        raise HTTPException(422, "a judgement of a hit needs its `chunk_id` (from the search response)")
    record = feedback_record(
        body.target,
        body.helpful,
        body.request_id,
        body.chunk_id,
        body.query,
        body.reason,
        getattr(request.state, "key_id", None),
    )
    append_feedback(state.settings.feedback_path, record)
    return FeedbackResponse(id=record["id"], query=record["query"], reason=record["reason"])
