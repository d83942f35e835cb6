"""One search request, built and checked once: the HTTP routes, the CLI and the evaluation all make a `SearchQuery`
here and hand it to the Retriever (and through the answer and exam paths) unchanged. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from rag_service.errors import BadRequest
from rag_service.query_kind import QueryKind
from rag_service.settings import RetrievalSettings
from rag_service.types import EditionStatus

Leg = Literal["bm25", "bigram", "dense"]
Mode = Literal["hybrid", "bm25", "bigram", "dense"]


class BadQuery(BadRequest):
    """The request cannot be answered as asked (empty query, dense mode without an embedder, …): HTTP 422."""


class QueryTooLong(BadQuery):
    """The query is longer than RAG_RETRIEVAL__MAX_QUERY_CHARS: HTTP 413."""


@dataclass(frozen=True)
class Filters:
    source_ids: Sequence[str] | None = None
    specialties: Sequence[str] | None = None
    statuses: Sequence[EditionStatus] = (EditionStatus.CURRENT,)
    as_of: date | None = None  # the editions in force on that day, whatever their status now


def first_surrogate(text: str) -> int | None:
    """Where the first lone surrogate (U+D800–U+DFFF) is: JSON can carry one (`"\\ud800"`), no encoder can write it."""
    m = _SURROGATE.search(text)
    return m.start() if m else None


_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class SearchQuery:
    """What to search for and how. Make it with `SearchQuery.checked` (limits applied); `with_text` keeps the rest."""

    text: str
    top_k: int = 10
    mode: Mode = "hybrid"
    filters: Filters = field(default_factory=Filters)
    rerank: bool | None = None  # None: when a reranker is configured; True: required; False: off
    query_kind: QueryKind = "auto"  # see rag_service.query_kind

    @classmethod
    def checked(
        cls,
        text: str,
        limits: RetrievalSettings,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        rerank: bool | None = None,
        query_kind: QueryKind = "auto",
        what: str = "query",
    ) -> SearchQuery:
        """The one place a request's text and top_k are checked against the configured limits."""
        if not text.strip():
            raise BadQuery(f"the {what} is empty: send some Japanese text to search for")
        bad = first_surrogate(text)
        if bad is not None:
            raise BadQuery(
                f"the {what} holds a lone surrogate (U+{ord(text[bad]):04X} at character {bad}), which is not text: "
                "send valid UTF-8 (a JSON \\ud800-style escape must be half of a pair)"
            )
        if len(text) > limits.max_query_chars:
            raise QueryTooLong(
                f"{what} is {len(text)} characters; the limit is {limits.max_query_chars} "
                "(RAG_RETRIEVAL__MAX_QUERY_CHARS)"
            )
        k = top_k or limits.default_top_k
        if k > limits.max_top_k:
            raise BadQuery(f"top_k {k} is over the limit of {limits.max_top_k} (RAG_RETRIEVAL__MAX_TOP_K)")
        return cls(text, k, mode, filters or Filters(), rerank, query_kind)

    def with_text(self, text: str) -> SearchQuery:
        return replace(self, text=text)
