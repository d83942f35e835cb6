"""The service's version, as installed (the API's OpenAPI document and the MCP server report it)."""

from __future__ import annotations

import importlib.metadata
from functools import lru_cache


@lru_cache(maxsize=1)
def service_version() -> str:
    try:
        return importlib.metadata.version("jp-guideline-rag")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
