"""The HTTP API: app factory, dependencies, routes, schemas."""

from rag_service.api.app import create_app

__all__ = ["create_app"]
