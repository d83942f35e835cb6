"""An app factory for uvicorn's `--factory` (several workers): settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from rag_service.api.app import create_app
from rag_service.settings import Settings


def app_factory() -> FastAPI:
    return create_app(Settings())
