"""API keys with scopes and rate limits (request bodies are checked in `body_guard`)."""

from __future__ import annotations

import ipaddress
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SCOPES = ("search", "answer", "admin")


@dataclass(frozen=True)
class ApiKey:
    """A key, what it may do (`search`: search, documents, PII masking, feedback; `answer`: answer and exam;
    `admin`: ingestion jobs), and how many requests a minute it may make (None: no limit)."""

    id: str
    key: str = field(repr=False)
    scopes: frozenset[str] = frozenset(SCOPES)
    per_minute: int | None = None


def load_keys(env_keys: list[str], keys_file: Path | None, per_minute: int | None) -> list[ApiKey]:
    """RAG_API_KEYS (every scope, the default rate limit) plus RAG_API_KEYS_FILE, a YAML list of
    `{key, id?, scopes?, per_minute?}`. A malformed file is an error that names the entry."""
    from rag_service.api.request_log import key_id

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
    for i, entry in enumerate(entries, start=1):
        item: Any = entry
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or len(item["key"]) < 8:
            raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} needs `key` (at least 8 characters)")
        scopes = item.get("scopes", list(SCOPES))
        if not isinstance(scopes, list) or not set(scopes) <= set(SCOPES) or not scopes:
            raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} scopes must be some of {', '.join(SCOPES)}")
        limit = item.get("per_minute", per_minute)
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValueError(f"RAG_API_KEYS_FILE {keys_file}: entry {i} per_minute must be a whole number >= 1")
        keys.append(ApiKey(str(item.get("id") or key_id(item["key"])), item["key"], frozenset(scopes), limit))
    return keys


def find_key(presented: str | None, keys: list[ApiKey]) -> ApiKey | None:
    """The configured key that matches, compared in constant time against every one."""
    if not presented:
        return None
    found = None
    for k in keys:
        if secrets.compare_digest(presented.encode(), k.key.encode()):
            found = k
    return found


def key_is_valid(presented: str | None, keys: list[str]) -> bool:
    """Constant-time comparison against every configured key."""
    if not presented:
        return False
    return any(secrets.compare_digest(presented.encode(), k.encode()) for k in keys)


class RateLimiter:
    """A token bucket per key: `per_minute` requests, refilled evenly; `take` says how long to wait when empty."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: ApiKey, now: float | None = None) -> float:
        """0 when the request may go ahead (a token is used), else the seconds until the next token."""
        if key.per_minute is None:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = key.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key.id, (float(key.per_minute), now))
            tokens = min(float(key.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key.id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key.id] = (tokens, now)
            return (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def bearer_or_header(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None
