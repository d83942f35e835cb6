"""API keys, request limits, metrics, and the refusal to listen beyond loopback without keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.server import create_app
from rag_service.service.access import is_loopback
from rag_service.settings import Settings

KEY = "k-9f2c1d"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "var", embedder="none", api_keys=[KEY, "second-key"])
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"X-API-Key": "wrong"}, 401),
        ({"Authorization": f"Bearer {KEY}"}, 503),  # past auth: the index is empty, and it says so
        ({"X-API-Key": "second-key"}, 503),
    ],
)
def test_v1_needs_a_valid_key(client: TestClient, headers: dict[str, str], status: int) -> None:
    r = client.post("/v1/search", json={"query": "高血圧"}, headers=headers)
    assert r.status_code == status
    if status == 401:
        assert "API key" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/documents", headers=headers).status_code == (401 if status == 401 else 200)


def test_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_oversized_body_is_refused_with_the_limit(client: TestClient) -> None:
    r = client.post(
        "/v1/search",
        content=b'{"query": "' + "あ".encode() * 30_000 + b'"}',
        headers={"X-API-Key": KEY, "content-type": "application/json"},
    )
    assert r.status_code == 413 and "65536" in r.json()["detail"] and "RAG_MAX_BODY_BYTES" in r.json()["detail"]


def test_metrics_count_requests_per_route(client: TestClient) -> None:
    client.post("/v1/search", json={"query": "高血圧"})
    client.post("/v1/search", json={"query": "高血圧"}, headers={"X-API-Key": KEY})
    text = client.get("/metrics").text
    assert 'rag_requests_total{method="POST",route="/v1/search",status="401"} 1.0' in text
    assert 'rag_requests_total{method="POST",route="/v1/search",status="503"} 1.0' in text
    assert "rag_request_seconds_bucket" in text


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example", False),
    ],
)
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"RAG_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "rag_service.cli", "serve", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 1
    assert "RAG_API_KEYS" in r.stderr


def test_a_qdrant_outage_is_a_503_that_names_the_server(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    settings = Settings(data_dir=tmp_path, embedder="none", qdrant_url=f"http://127.0.0.1:{port}")
    with TestClient(create_app(settings)) as c:  # the service starts and says what is wrong
        r = c.post("/v1/search", json={"query": "高血圧", "mode": "bm25"})
        assert r.status_code == 503
        assert f"127.0.0.1:{port}" in r.json()["detail"] and "Traceback" not in r.text
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200
