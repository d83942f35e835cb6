"""The console over HTTP without a browser: a cross-site form post is refused (the console of a key-less,
loopback-only service would otherwise take posts from any page open in the same browser), errors reach a browser
as a page, and no form input gives a server error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag_service.server import create_app
from rag_service.settings import Settings

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def client(law_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("console-http") / "var"
    shutil.copytree(law_index[0], data_dir)
    with TestClient(create_app(Settings(data_dir=data_dir, embedder="none", manifest=law_index[1]))) as c:
        yield c


def test_without_keys_the_console_needs_no_sign_in(client: TestClient) -> None:
    page = client.get("/console", headers=HTML)
    assert page.status_code == 200 and "law-19dc84fdb0" in page.text and "医師法" in page.text


def test_a_post_from_another_site_is_refused_and_starts_nothing(client: TestClient) -> None:
    jobs = dict(client.app.state.container.jobs.jobs)  # type: ignore[attr-defined]
    for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example"):
        r = client.post("/console/ingest", headers={"origin": origin}, follow_redirects=False)
        assert r.status_code == 403 and "posted from the console itself" in r.json()["detail"]
    r = client.post("/console/editions/law-19dc84fdb0/status", data={"status": "retired"},
                    headers={"referer": "http://evil.example/page"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert client.app.state.container.jobs.jobs == jobs  # type: ignore[attr-defined]
    assert "status: retired" not in client.app.state.container.settings.manifest.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    own = client.post("/console/ingest", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"].startswith("/console/jobs/")


def test_errors_reach_a_browser_as_a_page_and_an_app_as_json(client: TestClient) -> None:
    page = client.get("/console/hits/not-a-chunk", headers=HTML)
    assert page.status_code == 404 and 'role="alert"' in page.text and "見つかりません" in page.text
    assert "chunk ids come from search hits" in page.text  # the service's own words, as the detail
    api = client.get("/console/hits/not-a-chunk")
    assert api.status_code == 404 and "chunk ids come from search hits" in api.json()["detail"]
    bad = client.post("/console/editions/law-19dc84fdb0/status", data={"status": "gone"}, headers=HTML)
    assert bad.status_code == 422 and "「現行」「旧版（改訂済み）」「廃止」のどれか" in bad.text


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=300),
    mode=st.sampled_from(["hybrid", "bm25", "bigram", "dense", "", "x"]),
    status=st.lists(st.text(max_size=12), max_size=3),
    as_of=st.one_of(st.just(""), st.dates().map(str), st.text(max_size=12)),
    top_k=st.one_of(st.integers(-5, 200).map(str), st.text(max_size=4)),
    source=st.text(max_size=20),
)
def test_no_search_form_input_gives_a_server_error(
    client: TestClient, q: str, mode: str, status: list[str], as_of: str, top_k: str, source: str
) -> None:
    form = {"q": q, "mode": mode, "status": status, "as_of": as_of, "top_k": top_k, "source": source}
    r = client.post("/console/search", data=form, headers=HTML)
    assert r.status_code < 500, (form, r.text[:300])


def test_sign_in_tries_are_limited_per_client(client: TestClient) -> None:
    codes = [client.post("/console/signin", data={"key": f"guess-{i:04d}"}).status_code for i in range(11)]
    assert codes[:10] == [401] * 10
    last = client.post("/console/signin", data={"key": "guess-last"}, headers=HTML)
    assert last.status_code == 429 and int(last.headers["retry-after"]) >= 1 and "秒後にもう一度" in last.text
