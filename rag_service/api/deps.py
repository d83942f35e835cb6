"""Request dependencies, in one place (the FastAPI full-stack template's `api/deps.py`): the container the lifespan
opened, who is calling (from the request's key or the admin token), the request log's query note.

Each is `async def`: they do no I/O, and FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
dependency per request (four on `/v1/search`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from rag_service.api.metrics import Metrics
from rag_service.service import Caller, Container, Note
from rag_service.service.access import presented_key


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _known(request: Request, who: Caller) -> Caller:
    if who.keyed:
        request.state.key_id = who.id  # the request log names the key's id, never the key
    return who


async def get_caller(
    request: Request,
    c: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Caller:
    """The caller the request's key names (401 when keys are configured and none matches)."""
    return _known(request, c.access.identify(presented_key(authorization, x_api_key)))


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_admin(
    request: Request,
    c: ContainerDep,
    x_admin_token: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Caller:
    """The admin token from server.json (what `rag ingest` sends), or a key (its `admin` scope checked later)."""
    return _known(request, c.access.identify_admin(x_admin_token, presented_key(authorization, x_api_key)))


AdminDep = Annotated[Caller, Depends(get_admin)]


async def get_note(request: Request) -> Note:
    """Where a use case puts the (masked) query for this request's log line."""

    def note(text: str) -> None:
        request.state.log_query = text

    return note


NoteDep = Annotated[Note, Depends(get_note)]


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
