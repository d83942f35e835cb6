"""Who is calling and what they may do, for every front door: API keys with scopes and a rate limit, the admin token
that `rag serve` writes into server.json, and the console's sessions. Each door identifies its caller in its own way
(headers, a cookie, the local user); `Access.authorize` is the one check of a scope and the rate limit."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rag_service.errors import Forbidden, RateLimited, Unauthenticated

SCOPES = ("search", "answer", "admin")
NO_KEY = "a valid API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`"
NO_ADMIN = (
    "admin token missing or wrong: `rag ingest` reads it from RAG_DATA_DIR/server.json (or use a key with the admin "
    "scope)"
)
SESSION_SECONDS = 8 * 3600


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def key_id(key: str) -> str:
    """A stable, non-reversible name for an API key in logs and the audit log."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ApiKey:
    """A key, what it may do (`search`: search, documents, recommendations, PII masking, feedback; `answer`: answer
    and exam; `admin`: ingestion jobs and snapshots), and how many requests a minute it may make (None: no limit)."""

    id: str
    key: str = field(repr=False)
    scopes: frozenset[str] = frozenset(SCOPES)
    per_minute: int | None = None


@dataclass(frozen=True)
class Caller:
    """Who is asking, as a front door identified them: a key (by its id, never the key), the admin token, a console
    session, or the local user of a service without keys (loopback only) or of a CLI command."""

    id: str
    scopes: frozenset[str] = frozenset(SCOPES)
    per_minute: int | None = None
    keyed: bool = False  # identified by an API key: its id goes into the request log and the feedback file

    @property
    def key_id(self) -> str | None:
        return self.id if self.keyed else None

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def of_key(cls, key: ApiKey) -> Caller:
        return cls(key.id, key.scopes, key.per_minute, keyed=True)


LOCAL = Caller("local (no keys: loopback only)")
ADMIN_TOKEN = Caller("admin token (server.json)", frozenset({"admin"}))


def load_keys(env_keys: list[str], keys_file: Path | None, per_minute: int | None) -> list[ApiKey]:
    """RAG_API_KEYS (every scope, the default rate limit) plus RAG_API_KEYS_FILE, a YAML list of
    `{key, id?, scopes?, per_minute?}`. A malformed file is an error that names the entry."""
    keys = [ApiKey(key_id(k), k, frozenset(SCOPES), per_minute) for k in env_keys]
    if keys_file is None:
        return keys
    try:
        doc = yaml.safe_load(keys_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: cannot be read ({e})") from e
    entries = doc.get("keys") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: expected a list of keys (or `keys:` with a list)")
    return keys + [_key_entry(keys_file, i, entry, per_minute) for i, entry in enumerate(entries, start=1)]


def _key_entry(keys_file: Path, i: int, entry: Any, per_minute: int | None) -> ApiKey:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or len(entry["key"]) < 8:
        raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} needs `key` (at least 8 characters)")
    scopes = entry.get("scopes", list(SCOPES))
    if not isinstance(scopes, list) or not set(scopes) <= set(SCOPES) or not scopes:
        raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} scopes must be some of {', '.join(SCOPES)}")
    limit = entry.get("per_minute", per_minute)
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} per_minute must be a whole number >= 1")
    return ApiKey(str(entry.get("id") or key_id(entry["key"])), entry["key"], frozenset(scopes), limit)


def find_key(presented: str | None, keys: list[ApiKey]) -> ApiKey | None:
    """The configured key that matches, compared in constant time against every one."""
    if not presented:
        return None
    found = None
    for k in keys:
        if secrets.compare_digest(presented.encode(), k.key.encode()):
            found = k
    return found


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key an HTTP request carries: `X-API-Key`, else `Authorization: Bearer …` (the API's and /mcp's)."""
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class RateLimiter:
    """A token bucket per caller: `per_minute` requests, refilled evenly; `take` says how long to wait when empty."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # caller id -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, name: str, per_minute: int | None, now: float | None = None) -> float:
        """0 when the request may go ahead (a token is used), else the seconds until the next token."""
        if per_minute is None:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(name, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1.0 - tokens) / rate


class Sessions:
    """Console sessions: a random token → (caller, expiry), in memory (a restart signs everyone out)."""

    def __init__(self) -> None:
        self._by_token: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def start(self, caller: Caller) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._by_token = {t: v for t, v in self._by_token.items() if v[1] > now}  # drop expired ones
            self._by_token[token] = (caller, now + SESSION_SECONDS)
        return token

    def caller(self, token: str | None) -> Caller | None:
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


class Access:
    """The keys, the admin token, the rate limiter and the console's sessions of one serving process."""

    def __init__(self, keys: list[ApiKey], admin_token: str | None = None) -> None:
        self.keys = keys
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.limiter = RateLimiter()
        self.sessions = Sessions()

    @property
    def open(self) -> bool:
        """No keys are configured: the service listens on loopback only and every caller is the local user."""
        return not self.keys

    def identify(self, presented: str | None) -> Caller:
        """The caller a presented key names (Unauthenticated when keys are required and none matches)."""
        if self.open:
            return LOCAL
        key = find_key(presented, self.keys)
        if key is None:
            raise Unauthenticated(NO_KEY)
        return Caller.of_key(key)

    def identify_admin(self, token: str | None, presented: str | None) -> Caller:
        """The admin token from server.json (what `rag ingest` sends), or a key (authorized for `admin` later)."""
        if token is not None and secrets.compare_digest(token.encode(), self.admin_token.encode()):
            return ADMIN_TOKEN
        if self.keys and presented:
            return self.identify(presented)
        raise Unauthenticated(NO_ADMIN)

    def authorize(self, caller: Caller, scope: str | None) -> None:
        """The one check of every use case: the caller holds `scope` (None: any signed-in caller, as for the
        console's corpus page) and is under its rate limit."""
        if scope is not None and not caller.may(scope):
            raise Forbidden(
                f"this key ({caller.id}) may not use `{scope}`; its scopes: {', '.join(sorted(caller.scopes))}"
            )
        wait = self.limiter.take(caller.id, caller.per_minute)
        if wait:
            raise RateLimited(
                f"this key ({caller.id}) is over its limit of {caller.per_minute} requests a minute: retry in "
                f"{retry_after(wait)} s",
                wait,
            )

    def sign_in(self, presented: str) -> str | None:
        """A console session token for a valid key, else None."""
        key = find_key(presented.strip(), self.keys)
        return self.sessions.start(Caller.of_key(key)) if key is not None else None

    def throttle(self, name: str, per_minute: int) -> float:
        """Seconds to wait before `name` (a client address trying to sign in) may try again; 0: go ahead."""
        return self.limiter.take(name, per_minute)
