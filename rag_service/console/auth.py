"""Who is using the console: one sign-in with an API key, then a session cookie.

The cookie holds a random token; the service keeps token → caller (key id, scopes, limit) in memory
(`rag_service.service.access.Sessions`), so a restart signs everyone out and the key itself never travels again.
The cookie is HttpOnly and SameSite=Strict (a form on another site cannot post to the console with it: that is the
CSRF protection), and Secure under TLS. Without configured keys the service listens on loopback only and the console
needs no sign-in (every scope, like the API). What a caller may do is checked by the use case it calls.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from rag_service.errors import Forbidden, Unauthenticated
from rag_service.service import LOCAL, Caller, Container

COOKIE = "rag_console"


class NeedsSignIn(Exception):
    """Raised by a page dependency when there is no valid session: the console answers with the sign-in redirect."""


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def current_user(request: Request, c: ContainerDep) -> Caller:
    """For pages: the signed-in caller, or NeedsSignIn (redirect to the sign-in page)."""
    if c.access.open:
        request.state.console_user = LOCAL
        return LOCAL
    user = c.access.sessions.caller(request.cookies.get(COOKIE))
    if user is None:
        raise NeedsSignIn()
    request.state.key_id = user.id
    request.state.console_user = user  # for the error page's header
    return user


def api_user(request: Request, c: ContainerDep) -> Caller:
    """For images, events and form posts: 401 instead of a redirect."""
    try:
        return current_user(request, c)
    except NeedsSignIn:
        raise Unauthenticated("sign in to the console first (/console/signin)") from None


User = Annotated[Caller, Depends(current_user)]
ApiUser = Annotated[Caller, Depends(api_user)]


def same_origin(request: Request) -> None:
    """A POST from a page of another site is refused (403), keys or not: without keys the console is open on
    loopback, and a hostile page in the same browser could otherwise post to 127.0.0.1. Browsers send `Origin` with
    every POST (else `Referer`); a client that sends neither is not a browser following a form."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return
    own = request.headers.get("host", "")
    if claimed == "null" or urlsplit(claimed).netloc != own:
        raise Forbidden(f"a console form may only be posted from the console itself (Origin {claimed!r})")
