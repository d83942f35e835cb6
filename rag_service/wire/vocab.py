"""The words the wire shares with the core, spelled out again so that the wire needs only pydantic: edition statuses,
recommendation directions, search modes and query kinds. `tests/unit/test_architecture.py` checks that they match
the core's (`rag_service.types`, `rag_service.query`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class EditionStatus(StrEnum):
    """Where an edition stands in its guideline's life."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


class Direction(StrEnum):
    """Which way a recommendation points."""

    FOR = "for"
    AGAINST = "against"
    NONE = "none"


Mode = Literal["hybrid", "bm25", "bigram", "dense"]
QueryKind = Literal["auto", "plain", "exam"]
Scope = Literal["search", "answer", "admin"]
