"""Jinja2 templates of the console (server-rendered: no front-end build; a little plain JavaScript in the pages).
Every page gets `t`, the message catalogue in the configured language and time zone (`RAG_CONSOLE_LOCALE`,
`RAG_TIMEZONE`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from rag_service.console.messages import ConsoleText, console_text
from rag_service.service import LOCAL

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def text_of(request: Request) -> ConsoleText:
    """The catalogue for this service's settings (the default, Japanese in Asia/Tokyo, before the container opens)."""
    container = getattr(request.app.state, "container", None)
    if container is None:
        return console_text("ja", ZoneInfo("Asia/Tokyo"))
    return console_text(container.settings.console_locale, container.settings.timezone)


def render(
    request: Request, name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("t", text_of(request))
    context.setdefault("local_user", LOCAL)  # without keys: no sign-in, so no sign-out
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
