"""Property-based fuzzing of every route from the service's own OpenAPI schema (schemathesis), with and without API
keys: whatever the body, headers or path, the answer is never a 5xx. A real uvicorn server on 127.0.0.1 over a real
index, and an OpenAI-compatible endpoint started in the test for the answer routes (the boundary we do not own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from rag_service.api import create_app  # noqa: E402
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
