"""Property-based fuzzing of every route from the service's own OpenAPI schema (schemathesis), with and without API
keys: whatever the body, headers or path, the answer is never a 5xx. A real uvicorn server on 127.0.0.1 over a real
index, and an OpenAI-compatible endpoint started in the test for the answer routes (the boundary we do not own)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from rag_service.server import create_app  # noqa: E402
from rag_service.settings import Settings  # noqa: E402
from tests.http.test_answer_api import ScriptedLLM  # noqa: E402
from tests.local_server import serve_in_thread  # noqa: E402

KEY = "k-fuzz-all-scopes"


@pytest.fixture(scope="module", params=["no keys", "keys"])
def api_schema(
    request: pytest.FixtureRequest, law_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "var"
    shutil.copytree(law_index[0], data_dir)
    with ScriptedLLM() as llm:
        s = Settings(
            data_dir=data_dir,
            embedder="none",
            manifest=law_index[1],
            api_keys=[KEY] if request.param == "keys" else [],
            llm_base_url=f"http://127.0.0.1:{llm.port}/v1",
            llm_timeout_s=5,
        )
        with serve_in_thread(create_app(s)) as port:
            schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
            yield schema, ({"X-API-Key": KEY} if request.param == "keys" else {})


def test_no_route_answers_5xx(api_schema: tuple[Any, dict[str, str]]) -> None:
    schema, headers = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # every route of the schema, not a sample
    failures: list[str] = []
    served: set[str] = set()  # /v1 routes that answered 2xx at least once: the keys (or none) were accepted
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def run(case: Any) -> None:
            response = case.call(headers=headers, timeout=30)
            if response.status_code < 300 and case.path.startswith("/v1/") and "admin" not in case.path:
                served.add(case.path)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        run()
    assert not failures, failures[:5]
    assert {"/v1/search", "/v1/pii/mask", "/v1/documents"} <= served, served


_POISON = ("NaN", "Infinity", "-Infinity", "1e999")
_MARK = "\x00poison\x00"


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every value's path in a JSON document (the containers' too: a whole list or object can be replaced)."""
    if path:
        yield path
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield from _paths(value, (*path, key))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replaced(doc[path[0]], path[1:], value)
    return copy


def poisoned(body: Any) -> Iterator[tuple[str, bytes]]:
    """The body with each field in turn set to NaN / ±Infinity / 1e999 (raw JSON, as Python's parser reads it) and,
    for text fields, holding a lone surrogate."""
    for path in _paths(body):
        where = ".".join(map(str, path))
        for literal in _POISON:
            raw = json.dumps(_replaced(body, path, _MARK)).replace(json.dumps(_MARK), literal)
            yield f"{where}={literal}", raw.encode()
        value = _at(body, path)
        if isinstance(value, str):
            raw = json.dumps(_replaced(body, path, value + "\ud800"))  # ensure_ascii writes the escape "\ud800"
            yield f"{where}=lone surrogate", raw.encode()


def test_non_finite_numbers_and_lone_surrogates_in_any_field_are_never_a_5xx(
    api_schema: tuple[Any, dict[str, str]],
) -> None:
    """Bodies the schema allows, with each field in turn made NaN, Infinity, 1e999 or a string with a lone
    surrogate: a 422 that names the problem (a validation error that echoed the value used to fail to serialise)."""
    schema, headers = api_schema
    posts = [r.ok() for r in schema.get_all_operations() if r.ok().method.upper() == "POST"]
    assert len(posts) >= 8
    failures: list[str] = []
    answered: dict[int, int] = {}
    with httpx.Client(base_url=schema.get_base_url(), timeout=30) as client:
        for op in posts:

            @given(case=op.as_strategy())
            @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                      derandomize=True)  # fmt: skip
            def run(case: Any) -> None:
                if not isinstance(case.body, dict):
                    return
                for what, raw in poisoned(case.body):
                    r = client.post(
                        case.formatted_path, content=raw, headers={**headers, "content-type": "application/json"}
                    )
                    answered[r.status_code] = answered.get(r.status_code, 0) + 1
                    if r.status_code != 422 or "BadJson" not in r.text:
                        failures.append(f"POST {case.formatted_path} {what}: {r.status_code} {r.text[:160]}")

            run()
    assert sum(answered.values()) >= 100 and not failures, (answered, failures[:5])
