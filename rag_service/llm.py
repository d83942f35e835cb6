"""An OpenAI-compatible chat client over httpx (vLLM in production, the embedded llama.cpp server in tests).

Errors: connection failures, timeouts and 5xx answers raise `BackendUnavailable` (retryable: the API maps it to
503) with the URL and what to check; 4xx answers raise `RagError` with the server's own message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import httpx

from rag_service.errors import BackendUnavailable, LLMRequestError, RagError

Message = dict[str, str]


class LLMClient(Protocol):
    """What the answer and exam code need from a generator."""

    @property
    def model(self) -> str: ...

    def complete(
        self,
        messages: Sequence[Message],
        temperature: float = 0.0,
        max_tokens: int = 512,
        n: int = 1,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> list[str]: ...

    def stream(
        self,
        messages: Sequence[Message],
        temperature: float = 0.0,
        max_tokens: int = 512,
        seed: int | None = None,
    ) -> Iterator[str]: ...

    def ping(self) -> bool: ...


def _root(base_url: str) -> str:
    """`http://h:8000`, `http://h:8000/` and `http://h:8000/v1` all name the same server."""
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def _server_message(response: httpx.Response) -> str:
    """The `error.message` of an OpenAI-style error body, else the body itself (shortened)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return json.dumps(body, ensure_ascii=False)[:500]


class OpenAICompatClient:
    """Sync chat client for `/v1/chat/completions`; `transport` lets tests stand in for the remote server."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = _root(base_url)
        self._model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)
        self._n_supported: bool | None = None  # learnt on the first n > 1 request
        self._usage = threading.local()  # tokens this thread's requests used since its last `take_usage`

    @property
    def model(self) -> str:
        return self._model

    def take_usage(self) -> dict[str, int] | None:
        """Prompt and completion tokens this thread's requests used since the last call (as the server reported
        them), then start counting again; None when the server reported none."""
        usage: dict[str, int] | None = getattr(self._usage, "value", None)
        self._usage.value = None
        return usage

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenAICompatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests -------------------------------------------------------------------------------------------

    def _body(
        self,
        messages: Sequence[Message],
        temperature: float,
        max_tokens: int,
        seed: int | None,
        response_format: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": list(messages),
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if seed is not None:
            body["seed"] = seed
        if response_format is not None:  # OpenAI's structured output: vLLM and llama.cpp honour a JSON schema
            body["response_format"] = response_format
        return body

    def _unavailable(self, what: str) -> BackendUnavailable:
        return BackendUnavailable(
            f"the LLM server at {self.base_url} {what}: check that it is running and reachable, "
            "and that RAG_LLM_BASE_URL (and RAG_LLM_MODEL) name it"
        )

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 500:
            raise self._unavailable(f"answered {response.status_code} ({_server_message(response)})")
        if response.status_code >= 400:
            raise LLMRequestError(
                f"the LLM server at {self.base_url} refused the request ({response.status_code}): "
                f"{_server_message(response)}",
                response.status_code,
            )

    def _count(self, data: dict[str, Any]) -> None:
        usage = data.get("usage")
        if not isinstance(usage, dict):
            return
        total = getattr(self._usage, "value", None) or {"prompt_tokens": 0, "completion_tokens": 0}
        for key in ("prompt_tokens", "completion_tokens"):
            if isinstance(usage.get(key), int):
                total[key] += usage[key]
        self._usage.value = total

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post("/v1/chat/completions", json=body)
        except httpx.TimeoutException as e:
            raise self._unavailable(f"did not answer in time ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise self._unavailable(f"cannot be reached ({e})") from e
        self._check(response)
        try:
            data = response.json()
        except ValueError as e:
            raise self._unavailable("sent a body that is not JSON") from e
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise self._unavailable("sent an answer without `choices`")
        self._count(data)
        return data

    @staticmethod
    def _texts(data: dict[str, Any]) -> list[str]:
        choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
        return [(c.get("message") or {}).get("content") or "" for c in choices]

    def complete(
        self,
        messages: Sequence[Message],
        temperature: float = 0.0,
        max_tokens: int = 512,
        n: int = 1,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> list[str]:
        """`n` completions (constrained to `response_format` when given). Where the server rejects (4xx) or ignores
        `n` (llama.cpp allows only 1), one request
        per completion, with seeds seed, seed+1, … so the samples differ; the client remembers which it was."""
        if n < 1:
            raise ValueError("n must be at least 1")
        texts: list[str] = []
        if n > 1 and self._n_supported is not False:
            try:
                body = self._body(messages, temperature, max_tokens, seed, response_format)
                texts = self._texts(self._post({**body, "n": n}))
                self._n_supported = len(texts) >= n
            except BackendUnavailable:
                raise
            except RagError:  # a 4xx for `n` itself (llama.cpp); a 4xx for anything else comes back below
                self._n_supported = False
        while len(texts) < n:
            s = None if seed is None else seed + len(texts)
            body = self._body(messages, temperature, max_tokens, s, response_format)
            texts.extend(self._texts(self._post(body))[:1])
        return texts[:n]

    def stream(
        self,
        messages: Sequence[Message],
        temperature: float = 0.0,
        max_tokens: int = 512,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Text deltas from the server-sent events (`data: {...}` lines, ended by `data: [DONE]`)."""
        body = {**self._body(messages, temperature, max_tokens, seed), "stream": True}
        try:
            with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(response)
                for line in response.iter_lines():
                    delta = self._delta(line)
                    if delta is None:
                        return
                    if delta:
                        yield delta
        except httpx.TimeoutException as e:
            raise self._unavailable(f"did not answer in time ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise self._unavailable(f"cannot be reached ({e})") from e

    def _delta(self, line: str) -> str | None:
        """The text of one SSE line ('' for comments, role-only or empty events); None at `[DONE]`."""
        if not line.startswith("data:"):
            return ""
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            return None
        try:
            event = json.loads(payload)
        except ValueError as e:
            raise self._unavailable(f"sent a stream event that is not JSON: {payload[:200]!r}") from e
        if isinstance(event, dict) and "error" in event:
            raise self._unavailable(f"failed while streaming ({json.dumps(event['error'], ensure_ascii=False)})")
        choices = event.get("choices") or [] if isinstance(event, dict) else []
        if not choices:
            return ""
        return (choices[0].get("delta") or {}).get("content") or ""

    def ping(self, timeout: float = 2.0) -> bool:
        """True when `/health` or `/v1/models` answers 2xx within `timeout` seconds; never raises."""
        for path in ("/health", "/v1/models"):
            try:
                if self._http.get(path, timeout=timeout).is_success:
                    return True
            except httpx.HTTPError:
                continue
        return False
