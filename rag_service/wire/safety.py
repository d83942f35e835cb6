"""Patient data masking and clinicians' feedback."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PiiMaskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=20_000, description="Japanese clinical text (a note, a letter, a question).")


class PiiSpanOut(BaseModel):
    start: int = Field(description="Offset of the first character (code points, as Python counts them).")
    end: int = Field(description="Offset after the last character.")
    type: Literal["NAME", "PATIENT_ID", "DOB", "PHONE", "ADDRESS", "POSTAL", "EMAIL", "INSURANCE", "MYNUMBER"]


class PiiMaskResponse(BaseModel):
    masked: str = Field(description="The text with each span replaced by its typed mask (［氏名］, ［電話番号］ …).")
    spans: list[PiiSpanOut]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: Literal["hit", "answer"] = Field(description="What is judged: one search hit, or an answer.")
    helpful: bool
    request_id: str | None = Field(
        None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The judged response's X-Request-ID."
    )
    chunk_id: str | None = Field(None, max_length=200, description="For a hit: its `chunk_id`.")
    query: str | None = Field(
        None, max_length=2_000, description="The question asked; stored masked (patient data replaced)."
    )
    reason: str | None = Field(None, max_length=1_000, description="Why, in a few words; stored masked.")


class FeedbackResponse(BaseModel):
    id: str
    query: str | None = Field(description="The query as stored (masked).")
    reason: str | None = Field(description="The reason as stored (masked).")
