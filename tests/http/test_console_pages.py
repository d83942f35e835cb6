"""The console's pages over HTTP (the app's lifespan runs; embedded store, real fugashi): the corpus table in Japanese
with titles for ids, filtered and paged by its URL; an ingest that adds a new edition superseding an old one, whose
job page keeps a summary (and the recommendation-level changes); an ingest with nothing to do still says so; the
edition's page with what changed (regraded 2C → 1B, for → against, reworded, moved, added, removed, pages on both
sides); a superseded hit saying what the current edition recommends; the search form's limits from the server and its
errors in Japanese. The two editions are the drawn ones of `tests.pdf_gallery_minds` (they differ in every way)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests import pdf_gallery_minds as g
from tests.conftest import demo_entries, write_manifest

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("console-pages")
    manifest = write_manifest(tmp, demo_entries(("law-19dc84fdb0",)) + g.manifest_entries(tmp, new_edition=False))
    settings = Settings(data_dir=tmp / "var", embedder="none", manifest=manifest)
    store = EdgeStore(settings.index_dir)
    run_ingest(settings, store, None, manifest, NullProgress())
    store.close()
    with TestClient(create_app(settings)) as c:
        yield c


def _finished(client: TestClient, location: str) -> str:
    assert re.fullmatch(r"/console/jobs/[0-9a-f]+", location), location
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        panel = client.get(location + "/panel", headers=HTML)
        assert panel.status_code == 200
        if 'data-state="running"' not in panel.text:
            return client.get(location, headers=HTML).text
        time.sleep(0.3)
    raise AssertionError("the ingestion job did not finish in 5 minutes")


def test_the_corpus_page_reads_as_japanese_with_titles(client: TestClient) -> None:
    page = client.get("/console", headers=HTML)
    assert page.status_code == 200
    row = re.search(r'<tr data-source="law-19dc84fdb0">.*?</tr>', page.text, re.S)
    assert row and "医師法" in row[0] and '<small class="id">law-19dc84fdb0</small>' in row[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', row[0])
    assert cells[0] == "–"  # a statute has no pages to count
    assert "サインアウト" not in page.text  # no keys: nobody signs in, nobody signs out
    assert "+00:00" not in page.text and re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}", page.text)
    for english in ("Status", "Chunks", "Search playground", "Mode", "Top k", "unchanged"):
        assert f">{english}<" not in page.text, english
    one = client.get("/console", params={"publisher": "e-Gov 法令データ（総務省）"}, headers=HTML).text
    assert 'data-source="law-19dc84fdb0"' in one and 'data-source="itp-2020"' not in one
    assert "全 2 版のうち 1 版が該当" in one
    none = client.get("/console", params={"status": "retired"}, headers=HTML).text
    assert "条件に合う版はありません" in none
    bad = client.get("/console", params={"since": "12/01/2026"}, headers=HTML).text
    assert "年-月-日 で入力してください" in bad
    assert page.text.index('data-source="itp-2020"') < page.text.index(
        'data-source="law-19dc84fdb0"'
    )  # by title: ITP, 医師法
    desc = client.get("/console", params={"sort": "title", "order": "desc"}, headers=HTML).text
    assert desc.index('data-source="law-19dc84fdb0"') < desc.index('data-source="itp-2020"')
    assert 'aria-sort="descending"' in desc


def test_an_ingest_that_replaces_an_edition_ends_in_a_summary_that_stays(client: TestClient) -> None:
    settings: Settings = client.app.state.container.settings  # type: ignore[attr-defined]
    folder = settings.manifest.parent
    write_manifest(folder, demo_entries(("law-19dc84fdb0",)) + g.manifest_entries(folder))
    started = client.post("/console/ingest", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert started.status_code == 303
    page = _finished(client, started.headers["location"])
    assert 'id="job-progress" max="100" value="100"' in page and "取り込みが完了しました" in page
    summary = page[page.index('id="summary"') :]
    assert re.search(r'id="summary-added"><a class="edition" href="/console/editions/itp-2025">ITP診療ガイドライン'
                     r"（ギャラリー・架空）（2025年版）</a>", summary)  # fmt: skip
    assert 'id="summary-metadata_updated"><a class="edition" href="/console/editions/itp-2020">' in summary
    assert re.search(r'id="summary-unchanged">1 版', summary)
    block = summary[summary.index('id="replacement-itp-2025"') :]
    assert "追加 1・削除 1・推奨度の変更 2・文言の変更 3・CQ の移動 1（変わらない推奨 1）" in block
    assert 'href="/console/editions/itp-2025#changes"' in block
    again = client.get(started.headers["location"], headers=HTML).text  # the summary is still there
    assert "ITP診療ガイドライン" in again[again.index('id="summary"') :]
    # the corpus page's audit log says it as sentences, with links
    audit = client.get("/console", headers=HTML).text
    audit = audit[audit.index('id="audit"') :]
    assert "コンソール（ローカル接続、キーなし）" in audit
    assert (
        'href="/console/editions/itp-2025">ITP診療ガイドライン（ギャラリー・架空）（2025年版）</a> を追加しました。'
        in audit
    )
    assert not re.search(r"\['|\{'|failed: \{\}", audit)
    # an ingest with nothing to do says so, and keeps saying it
    nothing = client.post("/console/ingest", headers={"origin": "http://testserver"}, follow_redirects=False)
    page = _finished(client, nothing.headers["location"])
    assert 'id="nothing"' in page and "マニフェストの 3 版はすべて索引と一致しています" in page
    assert client.get("/console", params={"finished": nothing.headers["location"].rsplit("/", 1)[1]},
                      follow_redirects=False).headers["location"] == nothing.headers["location"]  # fmt: skip


def test_the_edition_page_shows_what_changed(client: TestClient) -> None:
    page = client.get("/console/editions/itp-2025", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "ITP診療ガイドライン（ギャラリー・架空）（2025年版）" in text and "ギャラリー血液学会（架空）" in text
    assert 'id="edition-status">現行<' in text and re.search(r"<dd>\d+ ページ</dd>", text)
    changes = text[text.index('id="changes-list"') :]
    kinds = re.findall(r'<div class="change" data-kind="(\w+)" data-changes="([\w ]*)"', changes)
    assert sorted(kinds) == sorted([
        ("changed", "regraded reworded"), ("added", ""), ("changed", "regraded reworded"), ("changed", "reworded"),
        ("changed", "moved"), ("removed", ""), ("unchanged", ""),
    ])  # fmt: skip
    assert "2C・行うことを弱く推奨 → 1B・行うことを強く推奨" in changes
    assert "2C・行うことを弱く推奨 → 2C・行わないことを弱く推奨" in changes  # for → against
    assert "<ins>重い</ins>" in changes or re.search(r"<ins>[^<]*重い", changes)
    assert "CQ3 → CQ4" in changes and "脾臓摘出術" in changes
    assert len(re.findall(r'class="hint">p\.\d+', changes)) >= 10  # pages on both sides
    outline = text[text.index('id="outline"') :]
    assert "CQ4 二次治療に何を用いるか" in outline and "1A・行うことを強く推奨" in outline
    old = client.get("/console/editions/itp-2020", headers=HTML).text
    assert 'id="successor"><a class="edition" href="/console/editions/itp-2025">' in old
    assert client.get("/console/editions/no-such", headers=HTML).status_code == 404


def test_a_superseded_hit_says_what_is_recommended_now(client: TestClient) -> None:
    form = {"q": "出血症状のない患者の経過観察", "mode": "bm25", "source": "itp-2020", "status": ["superseded"],
            "top_k": "5"}  # fmt: skip
    page = client.post("/console/search", data=form, headers=HTML)
    assert page.status_code == 200, page.text[:500]
    hit = re.search(
        r'<div class="hit" data-chunk="([\w-]+)" data-source="itp-2020">.*?<div class="scores">', page.text, re.S
    )
    assert hit and 'data-now="itp-2025"' in hit[0] and "現行の" in hit[0]
    assert "血小板数にかかわらず経過観察を強く推奨する" in hit[0] and "1B・行うことを強く推奨" in hit[0]
    one = client.get(f"/console/hits/{hit[1]}", headers=HTML).text
    assert 'data-now="itp-2025"' in one and "経過観察を強く推奨する" in one
    statute = client.post("/console/search", data={"q": "異状死体の届出", "mode": "bm25", "top_k": "3"}, headers=HTML)
    cite = re.search(r'data-source="law-19dc84fdb0">.*?<div class="cite">(.*?)</div>', statute.text, re.S)
    assert cite and "p.1" not in cite[1]  # a text source has no pages


@pytest.mark.parametrize(
    ("form", "said"),
    [({"top_k": "80"}, "件数は 1 から 50 までの数で指定してください"), ({"q": " "}, "検索する文を入力してください"),
     ({"as_of": "06/01/2020"}, "年-月-日 で入力してください"),
     ({"mode": "dense"}, "意味（ベクトル）検索のモデルがありません")],
)  # fmt: skip
def test_search_errors_are_japanese_and_name_no_setting(client: TestClient, form: dict[str, str], said: str) -> None:
    page = client.post("/console/search", data={"q": "経過観察", "mode": "bm25", **form}, headers=HTML)
    assert page.status_code in (422, 400, 409) and said in page.text and "RAG_" not in page.text


def test_the_form_takes_its_limits_from_the_server(client: TestClient) -> None:
    page = client.get("/console/search", headers=HTML).text
    assert re.search(r'name="top_k" id="top_k" min="1" max="50"', page) and 'placeholder="YYYY-MM-DD"' in page
    assert "mm/dd/yyyy" not in page and 'type="date"' not in page
    day = client.post("/console/search", data={"q": "経過観察", "mode": "bm25", "as_of": "2021/6/1",
                                               "status": ["current", "superseded"]}, headers=HTML)  # fmt: skip
    assert day.status_code == 200 and 'data-source="itp-2020"' in day.text and 'data-source="itp-2025"' not in day.text
