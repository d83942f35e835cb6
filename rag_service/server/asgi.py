"""An app factory for running the service under an ASGI server of your own (`uvicorn --factory
rag_service.server.asgi:app_factory`): settings come from the environment. `rag serve` builds its app directly."""

from __future__ import annotations

from fastapi import FastAPI

from rag_service.server.app import create_app
from rag_service.settings import Settings


def app_factory() -> FastAPI:
    return create_app(Settings())
