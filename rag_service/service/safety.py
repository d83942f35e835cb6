"""Patient data masked for other hospital apps, and clinicians' judgements kept (masked) as evaluation data."""

from __future__ import annotations

from rag_service import wire
from rag_service.errors import BadRequest
from rag_service.feedback import append_feedback, feedback_record
from rag_service.pii import mask
from rag_service.query import first_surrogate
from rag_service.service.access import Caller
from rag_service.service.container import Container


def _text_ok(text: str | None, what: str) -> None:
    bad = first_surrogate(text) if text else None
    if bad is not None:
        raise BadRequest(f"the {what} holds a lone surrogate at character {bad}: send valid UTF-8 text")


def mask_pii(c: Container, who: Caller, req: wire.PiiMaskRequest) -> wire.PiiMaskResponse:
    """Typed masks (［氏名］, ［電話番号］ …) and the spans found (offsets as Python counts them: code points)."""
    c.access.authorize(who, "search")
    _text_ok(req.text, "text")
    result = mask(req.text)
    spans = [wire.PiiSpanOut.model_validate({"start": s.start, "end": s.end, "type": s.type}) for s in result.spans]
    return wire.PiiMaskResponse(masked=result.masked, spans=spans)


def feedback(c: Container, who: Caller, req: wire.FeedbackRequest) -> wire.FeedbackResponse:
    """A clinician's judgement of a hit or an answer, kept (masked) for `rag eval export-qrels`."""
    c.access.authorize(who, "search")
    _text_ok(req.query, "query")
    _text_ok(req.reason, "reason")
    if req.target == "hit" and not req.chunk_id:
        raise BadRequest("a judgement of a hit needs its `chunk_id` (from the search response)")
    record = feedback_record(req.target, req.helpful, req.request_id, req.chunk_id, req.query, req.reason, who.key_id)
    append_feedback(c.settings.feedback_path, record)
    return wire.FeedbackResponse(id=record["id"], query=record["query"], reason=record["reason"])
