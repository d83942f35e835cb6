"""Jinja2 templates of the console (server-rendered: no front-end build; a little plain JavaScript in the pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(
    request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
