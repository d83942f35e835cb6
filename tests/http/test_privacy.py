"""Patient data never leaves: a request full of patient details, an OpenAI-compatible endpoint started in the test that
records what it receives, and then the logs, /metrics, the audit log, the feedback file and the LLM's inbox are
searched for every detail. Also: request ids, scoped keys, rate limits, the masker's API, and bad text."""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.logs import JsonFormatter
from rag_service.server import create_app
from rag_service.service.access import key_id
from rag_service.settings import Settings
from tests.http.test_answer_api import ScriptedLLM
from tests.local_server import serve_in_thread

KEY, SEARCH_ONLY = "k-privacy-all-1", "k-search-only-2"
DETAILS = ("山田 太郎", "昭和45年3月2日", "090-1234-5678", "A-20231145", "世田谷区池尻2丁目3番4号", "taro@example.jp")
QUESTION = (
    f"患者 {DETAILS[0]} 様（{DETAILS[1]}生、カルテ番号 {DETAILS[3]}、TEL {DETAILS[2]}、住所 東京都{DETAILS[4]}、"
    f"{DETAILS[5]}）。医師が死体を検案して異状を認めたとき、何時間以内に警察署に届け出なければならないか。"
)


@pytest.fixture
def service(law_index: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[ScriptedLLM, TestClient, Settings]]:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    keys_file = tmp_path / "keys.yaml"
    keys_file.write_text(
        f"- {{id: search-app, key: {SEARCH_ONLY}, scopes: [search], per_minute: 3}}\n", encoding="utf-8"
    )
    with ScriptedLLM() as llm:
        settings = Settings(
            data_dir=data_dir,
            embedder="none",
            manifest=law_index[1],
            api_keys=[KEY],
            api_keys_file=keys_file,
            log_queries="masked",
            llm_base_url=f"http://127.0.0.1:{llm.port}/v1",
        )
        with TestClient(create_app(settings)) as client:
            yield llm, client, settings


def _log_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    fmt = JsonFormatter()
    return [json.loads(fmt.format(r)) for r in caplog.records if r.name == "rag.access"]


def test_patient_details_stay_out_of_logs_metrics_audit_feedback_and_the_prompt(
    service: tuple[ScriptedLLM, TestClient, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    llm, client, settings = service
    caplog.set_level(logging.INFO, logger="rag.access")
    auth = {"Authorization": f"Bearer {KEY}"}
    llm.replies = ["医師は24時間以内に所轄警察署に届け出なければならない[1]。"]
    answer = client.post("/v1/answer", json={"question": QUESTION}, headers={**auth, "X-Request-ID": "req-42"})
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "req-42"
    assert answer.json()["abstained"] is False

    search = client.post("/v1/search", json={"query": QUESTION, "top_k": 5}, headers=auth)
    assert search.status_code == 200
    found = [h["citation"] for h in search.json()["hits"]]
    assert any(c["title"] == "医師法" and "第二十一条" in " ".join(c["section_path"]) for c in found), found

    fb = client.post(
        "/v1/feedback",
        json={"target": "hit", "chunk_id": search.json()["hits"][0]["chunk_id"], "helpful": True, "query": QUESTION,
              "request_id": search.headers["x-request-id"], "reason": f"{DETAILS[0]}さんの件で役立った"},
        headers=auth,
    )  # fmt: skip
    assert fb.status_code == 201 and "［氏名］" in fb.json()["query"]
    job = client.post("/v1/admin/ingest", json={}, headers=auth)  # an admin action by key: audited with its id
    assert job.status_code == 202, job.text
    while client.get(f"/v1/admin/jobs/{job.json()['id']}", headers=auth).json()["state"] == "running":
        pass

    sent = json.dumps(llm.requests, ensure_ascii=False)
    logs = json.dumps(_log_lines(caplog), ensure_ascii=False)
    metrics = client.get("/metrics").text
    audit = settings.audit_log_path.read_text(encoding="utf-8")
    feedback = settings.feedback_path.read_text(encoding="utf-8")
    for where, text in (("LLM", sent), ("logs", logs), ("metrics", metrics), ("audit", audit), ("feedback", feedback)):
        leaked = [d for d in DETAILS if d in text or d.replace(" ", "") in text]
        assert not leaked, f"{where} holds {leaked}"
    assert (
        "［氏名］" in sent and "［電話番号］" in sent and "［住所］" in sent
    )  # masked, not dropped: the question stays
    assert KEY not in logs + audit + feedback and key_id(KEY) in logs and key_id(KEY) in audit
    lines = _log_lines(caplog)
    first = next(line for line in lines if line["request_id"] == "req-42")
    assert first["route"] == "/v1/answer" and first["status"] == 200 and "［氏名］" in str(first["log_query"])


def test_query_text_is_not_logged_by_default(
    law_index: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(law_index[0], data_dir)
    caplog.set_level(logging.INFO, logger="rag.access")
    with TestClient(create_app(Settings(data_dir=data_dir, embedder="none"))) as client:
        r = client.post("/v1/search", json={"query": "医師法の届出"}, headers={"X-Request-ID": "not valid!"})
    lines = _log_lines(caplog)
    assert r.status_code == 200 and len(r.headers["x-request-id"]) == 32  # an invalid id is replaced, not echoed
    assert lines and "log_query" not in lines[-1] and "医師法" not in json.dumps(lines, ensure_ascii=False)
    assert lines[-1]["stages"] and lines[-1]["route"] == "/v1/search"


def test_scopes_and_rate_limits(service: tuple[ScriptedLLM, TestClient, Settings]) -> None:
    _, client, _ = service
    search_key = {"X-API-Key": SEARCH_ONLY}
    r = client.post("/v1/answer", json={"question": "届出の期限は"}, headers=search_key)
    assert r.status_code == 403 and "search-app" in r.json()["detail"] and "answer" in r.json()["detail"]
    assert client.post("/v1/admin/ingest", json={}, headers=search_key).status_code == 403  # may search, not ingest
    codes = [client.post("/v1/search", json={"query": "医師法"}, headers=search_key).status_code for _ in range(3)]
    assert codes == [200, 200, 200]  # 3 a minute (a refused scope does not use one)
    limited = client.post("/v1/search", json={"query": "医師法"}, headers=search_key)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "3 requests a minute" in limited.json()["detail"]
    assert client.post("/v1/search", json={"query": "医師法"}, headers={"X-API-Key": KEY}).status_code == 200


def test_a_malformed_keys_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "keys.yaml"
    bad.write_text("- {key: short}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="entry 1 needs `key`"):
        create_app(Settings(data_dir=tmp_path / "var", embedder="none", api_keys_file=bad))
    bad.write_text("- {key: long-enough-key, scopes: [everything]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="scopes must be some of search, answer, admin"):
        create_app(Settings(data_dir=tmp_path / "var", embedder="none", api_keys_file=bad))


def test_mask_api_offsets_are_into_the_input(service: tuple[ScriptedLLM, TestClient, Settings]) -> None:
    _, client, _ = service
    text = "紹介患者：ｽｽﾞｷ ﾊﾅｺ 様、TEL ０３－１２３４－５６７８。橋本病とバセドウ病の鑑別。"
    r = client.post("/v1/pii/mask", json={"text": text}, headers={"X-API-Key": SEARCH_ONLY})
    body = r.json()
    assert r.status_code == 200 and "橋本病とバセドウ病" in body["masked"]
    assert [(text[s["start"] : s["end"]], s["type"]) for s in body["spans"]] == [
        ("ｽｽﾞｷ ﾊﾅｺ", "NAME"),
        ("０３－１２３４－５６７８", "PHONE"),
    ]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/v1/search", '{"query": "高血圧\\ud800"}'),
        ("/v1/answer", '{"question": "\\udc00届出"}'),
        ("/v1/exam", '{"question": "正しいのは\\ud800", "choices": {"a": "甲", "b": "乙"}}'),
        ("/v1/pii/mask", '{"text": "山田\\ud800"}'),
        ("/v1/feedback", '{"target": "answer", "helpful": true, "query": "\\ud800"}'),
        ("/v1/search", '{"query": "医師法", "filters": {"source_ids": ["law\\ud800"]}}'),
        ("/v1/search", '{"query": "医師法", "filters": {"specialties": ["\\udfff"]}}'),
        ("/v1/answer", '{"question": "届出", "filters": {"source_ids": ["\\ud800"]}}'),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "届出\\ud800の期限"}]}'),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": [{"type": "text", "text": "\\ud800"}]}]}'),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": "届出"}], "stream": true, '
            '"filters": {"specialties": ["\\ud800"]}}',
        ),
    ],
)
def test_a_lone_surrogate_is_a_422_not_a_500(
    service: tuple[ScriptedLLM, TestClient, Settings], route: str, body: str
) -> None:
    _, client, _ = service
    r = client.post(route, content=body.encode(), headers={"X-API-Key": KEY, "content-type": "application/json"})
    assert r.status_code == 422 and "surrogate" in r.text


def test_a_2mb_body_from_urllib_gets_the_413(tmp_path: Path) -> None:
    """urllib sends the whole body before it reads: the server must read (and drop) it, then answer."""
    app = create_app(Settings(data_dir=tmp_path / "var", embedder="none"))
    body = json.dumps({"query": "あ" * 700_000}).encode()  # ~2 MB of UTF-8
    with serve_in_thread(app) as port:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/search", data=body, headers={"content-type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert "RAG_MAX_BODY_BYTES" in json.loads(caught.value.read())["detail"]


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "医師法", "top_k": NaN}',
        '{"query": "医師法", "top_k": Infinity}',
        '{"query": "医師法", "top_k": 1e999}',
        '{"query": -Infinity}',
    ],
)
def test_non_finite_numbers_are_a_422_that_names_the_field(
    service: tuple[ScriptedLLM, TestClient, Settings], body: str
) -> None:
    """Python's JSON parser reads NaN, Infinity and 1e999 (→ inf); the validation error echoed them and could not be
    written (a 500)."""
    _, client, _ = service
    r = client.post("/v1/search", content=body.encode(), headers={"X-API-Key": KEY, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "BadJson"
    assert ("`top_k`" if "top_k" in body else "`query`") in r.json()["detail"]


def test_a_2mb_chunked_body_gets_the_413(tmp_path: Path) -> None:
    """No Content-Length: the body arrives in chunks and passes the limit on the way (it was a 400)."""
    app = create_app(Settings(data_dir=tmp_path / "var", embedder="none"))
    body = json.dumps({"query": "あ" * 700_000}).encode()
    with serve_in_thread(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
        conn.request(
            "POST", "/v1/search", body=pieces, headers={"content-type": "application/json"}, encode_chunked=True
        )
        r = conn.getresponse()
        assert r.status == 413 and "RAG_MAX_BODY_BYTES" in json.loads(r.read())["detail"]
        conn.close()


def test_a_huge_declared_length_is_answered_at_once(tmp_path: Path) -> None:
    """`Content-Length: 1000000000000` and no body: the 413 comes back without waiting for a body that will not come
    (it held the connection until the client gave up)."""
    app = create_app(Settings(data_dir=tmp_path / "var", embedder="none"))
    with serve_in_thread(app) as port, socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(
            b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"Content-Length: 1000000000000\r\n\r\n"
        )
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413")
