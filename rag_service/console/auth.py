"""Who is using the console: one sign-in with an API key, then a session cookie.

The cookie holds a random token; the server keeps token → (key id, scopes, expiry) in memory, so a restart signs
everyone out and the key itself never travels again. The cookie is HttpOnly and SameSite=Strict (a form on another
site cannot post to the console with it: that is the CSRF protection), and Secure under TLS. Without configured
keys the service listens on loopback only and the console needs no sign-in (every scope, like the API).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from rag_service.api.security import SCOPES, ApiKey, find_key

COOKIE = "rag_console"
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class ConsoleUser:
    id: str  # the key's id (a hash prefix), never the key
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


LOCAL_USER = ConsoleUser("console (no keys: loopback only)", frozenset(SCOPES))


class NeedsSignIn(Exception):
    """Raised by a page dependency when there is no valid session: the app answers with the sign-in redirect."""


class Sessions:
    def __init__(self) -> None:
        self._by_token: dict[str, tuple[ConsoleUser, float]] = {}
        self._lock = threading.Lock()

    def start(self, key: ApiKey) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._by_token = {t: v for t, v in self._by_token.items() if v[1] > now}  # drop expired ones
            self._by_token[token] = (ConsoleUser(key.id, key.scopes), now + SESSION_SECONDS)
        return token

    def user(self, token: str | None) -> ConsoleUser | None:
        if not token:
            return None
        with self._lock:
            found = self._by_token.get(token)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)


def sessions(request: Request) -> Sessions:
    found: Sessions | None = getattr(request.app.state, "console_sessions", None)
    if found is None:
        found = request.app.state.console_sessions = Sessions()
    return found


def sign_in(request: Request, presented: str) -> str | None:
    """A session token for a valid key, else None."""
    key = find_key(presented.strip(), request.app.state.keys)
    return sessions(request).start(key) if key is not None else None


def current_user(request: Request) -> ConsoleUser:
    """For pages: the signed-in user, or NeedsSignIn (redirect to the sign-in page)."""
    if not request.app.state.keys:
        request.state.console_user = LOCAL_USER
        return LOCAL_USER
    user = sessions(request).user(request.cookies.get(COOKIE))
    if user is None:
        raise NeedsSignIn()
    request.state.key_id = user.id
    request.state.console_user = user  # for the error page's header
    return user


def api_user(request: Request) -> ConsoleUser:
    """For images, events and form posts: 401 instead of a redirect."""
    try:
        return current_user(request)
    except NeedsSignIn:
        raise HTTPException(401, "sign in to the console first (/console/signin)") from None


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
        raise HTTPException(403, f"a console form may only be posted from the console itself (Origin {claimed!r})")


def require(user: ConsoleUser, scope: str) -> None:
    if not user.may(scope):
        raise HTTPException(403, f"this key ({user.id}) may not use {scope} actions; sign in with a key that may")
