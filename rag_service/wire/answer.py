"""Answers and exam mode: requests, the cited answer, the streamed pieces of one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from rag_service.wire.search import CitationOut, SearchFilters
from rag_service.wire.vocab import Mode


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="The question, in Japanese.")
    top_k: int | None = Field(None, ge=1, description="Sources given to the model (default RAG_ANSWER__TOP_K).")
    mode: Mode = "hybrid"
    filters: SearchFilters = Field(default_factory=SearchFilters)
    stream: bool = Field(False, description="Server-sent events: `delta` events, then one `done` event.")
    include_sources: bool = Field(
        False, description="Also return every numbered source the model saw (`sources`), cited or not: for evaluation."
    )


class CitationRef(BaseModel):
    """Source [number] of the prompt: the chunk it stands for and its citation."""

    number: int
    chunk_id: str
    text: str
    citation: CitationOut


class AnswerResponse(BaseModel):
    answer: str
    citations: list[CitationRef]
    abstained: bool
    reason: str | None = None
    sources: list[CitationRef] | None = Field(None, description="With `include_sources`: source [n] is sources[n-1].")


class AnswerDelta(BaseModel):
    """A piece of the answer as the model writes it (the final `AnswerResponse` has invented markers removed)."""

    model_config = ConfigDict(frozen=True)

    text: str


class ExamRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    choices: dict[str, str] = Field(description="Letters a–e (or fewer) → choice text.", min_length=2, max_length=10)
    n_select: int | None = Field(
        None, ge=1, le=10, description="Letters to choose; inferred from 「2つ選べ」 if unset."
    )
    votes: int = Field(
        1, ge=1, description="Samples to draw; the majority answer wins (at most RAG_ANSWER__MAX_VOTES)."
    )
    no_rag: bool = Field(False, description="Closed-book baseline through the same path: no retrieval.")
    top_k: int | None = Field(None, ge=1)
    mode: Mode = Field("hybrid", description="How the question and its choices are searched (as in /v1/search).")
    filters: SearchFilters = Field(default_factory=SearchFilters)


class ExamResponse(BaseModel):
    answer_letters: str
    votes: list[str]
    citations: list[CitationRef]
    raw: list[str]
    sources: list[str] = Field(
        default_factory=list, description="Unit (or chunk) ids of the numbered sources the model saw, in order."
    )
    fallback_parsed: int = Field(0, description="Samples read by the text parser instead of the JSON schema.")
    usage: dict[str, int] | None = Field(
        None, description="Prompt and completion tokens the LLM server reported for this question (all votes)."
    )
