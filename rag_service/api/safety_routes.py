"""POST /v1/pii/mask (the masker, for other hospital apps) and POST /v1/feedback (clinicians' judgements)."""

from __future__ import annotations

from fastapi import APIRouter

from rag_service import service
from rag_service.api.deps import CallerDep, ContainerDep
from rag_service.wire import FeedbackRequest, FeedbackResponse, PiiMaskRequest, PiiMaskResponse

router = APIRouter(prefix="/v1", tags=["safety"])


@router.post("/pii/mask", response_model=PiiMaskResponse)
def pii_mask(body: PiiMaskRequest, c: ContainerDep, who: CallerDep) -> PiiMaskResponse:
    """Patient data in Japanese clinical text replaced by typed masks (［氏名］, ［電話番号］ …), with the spans found
    (offsets into the input as Python counts them: code points)."""
    return service.mask_pii(c, who, body)


@router.post("/feedback", response_model=FeedbackResponse, status_code=201)
def feedback(body: FeedbackRequest, c: ContainerDep, who: CallerDep) -> FeedbackResponse:
    """A clinician's judgement of a hit or an answer, kept (masked) for `rag eval export-qrels`."""
    return service.feedback(c, who, body)
