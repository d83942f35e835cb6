"""Liveness, readiness and the Prometheus metrics: no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from rag_service import service
from rag_service.api.deps import ContainerDep, MetricsDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics(m: MetricsDep) -> Response:
    return m.render()


@router.get("/readyz")
def readyz(c: ContainerDep) -> dict[str, Any]:
    """Ready: the index is open and the LLM answers (or none is configured); else 503 saying which is missing."""
    return service.readiness(c)
