"""The librarian's console in a real browser: headless Debian Chromium driven by Playwright, against the real app
served by uvicorn on 127.0.0.1 over a real index of the demo corpus, with API keys on.

One walk-through, as a librarian would do it: sign in with a key, retire an edition from the corpus page (the
manifest file is rewritten with its comments kept, the audit log says so, the index follows), search, open a hit,
and see the cited PDF page with the passage highlighted (pixels of the highlight colour counted in the image the
browser received, against the same page rendered without a highlight); a statute hit shows its article with the
passage marked; the streamed answer links each [n] to its hit. Screenshots go under the test's output folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from ingestion.progress import NullProgress
from ingestion.run import run_ingest
from rag_service.logs import JsonFormatter
from rag_service.server import create_app
from rag_service.settings import Settings
from rag_service.store import EdgeStore
from tests.conftest import demo_entries, write_manifest
from tests.local_server import serve_in_thread
from tests.rule_llm import RuleLLM

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ADMIN_KEY = "console-admin-key-0123456789"
SEARCH_KEY = "console-search-key-0123456789"
COMMENT = "# 病院のガイドライン台帳 (the librarian's own comment: it must survive the console's edit)\n"


def amber_pixels(png: bytes) -> int:
    """Pixels of the highlight colour (amber at 0.45 over white paper: about (255, 232, 140))."""
    pix = pymupdf.Pixmap(png)
    if pix.alpha:
        pix = pymupdf.Pixmap(pix, 0)
    data, n = pix.samples, pix.n
    count = 0
    for i in range(0, len(data), n):
        r, g, b = data[i], data[i + 1], data[i + 2]
        count += r >= 245 and 218 <= g <= 245 and 115 <= b <= 165
    return count


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing: scripts/setup.sh dev installs it (apt-get)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Settings]]:
    tmp = tmp_path_factory.mktemp("console")
    manifest = write_manifest(tmp, demo_entries(("demo-htn-2019", "demo-htn-2025", "law-19dc84fdb0")))
    manifest.write_text(COMMENT + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    keys = tmp / "keys.yaml"
    keys.write_text(
        f"- {{key: {ADMIN_KEY}, id: librarian}}\n- {{key: {SEARCH_KEY}, id: clinician, scopes: [search]}}\n"
    )
    with RuleLLM(keyword="減塩") as llm:
        settings = Settings(
            data_dir=tmp / "var", embedder="none", manifest=manifest, api_keys_file=keys,
            llm_base_url=f"http://127.0.0.1:{llm.port}/v1", llm_model="rule",
        )  # fmt: skip
        store = EdgeStore(settings.index_dir)
        run_ingest(settings, store, None, manifest, NullProgress())
        store.close()
        with serve_in_thread(create_app(settings)) as port:
            yield f"http://127.0.0.1:{port}", manifest, settings


def test_a_librarian_retires_an_edition_searches_and_sees_the_highlighted_page(
    browser: Any, served: tuple[str, Path, Settings], tmp_path: Path
) -> None:
    base, manifest, settings = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1400, "height": 1250})

    # a page without a session goes to the sign-in page; a wrong key is refused with a message
    page.goto(f"{base}/console")
    assert page.url.endswith("/console/signin")
    page.fill("#key", "not-a-key-at-all")
    page.click("#signin")
    assert "invalid key" in page.inner_text("[role=alert]")
    page.fill("#key", ADMIN_KEY)
    page.click("#signin")
    page.wait_for_selector("#editions")
    row = page.locator("tr[data-source='demo-htn-2019']")
    assert "superseded" in row.locator("td.status").inner_text()
    assert row.locator("td.diff").inner_text() == "unchanged"
    page.screenshot(path=str(shots / "corpus.png"), full_page=True)

    # retire the 2019 edition: the manifest is rewritten (comment kept), the audit log says who, the index follows
    row.locator("select[name=status]").select_option("retired")
    row.locator("button.set-status").click()
    page.wait_for_url("**/console?finished=*", timeout=60_000)
    assert "retired" in page.locator("tr[data-source='demo-htn-2019'] td.status").inner_text()
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and "status: retired" in text and text.count("status: superseded") == 0
    first_audit = page.locator("#audit tbody tr").first.inner_text()
    assert "librarian" in first_audit
    audit = [json.loads(line) for line in settings.audit_log_path.read_text(encoding="utf-8").splitlines()]
    assert {"action": "status", "source_id": "demo-htn-2019", "from": "superseded", "to": "retired"}.items() <= (
        audit[-2].items()
    )
    assert audit[-1]["action"] == "ingest" and audit[-1]["metadata_updated"] == ["demo-htn-2019"]

    # search: hits with their citation and every leg's score and rank; the retired edition is not among them
    page.goto(f"{base}/console/search")
    page.fill("#q", "高血圧患者に減塩指導は推奨されるか")
    page.click("#search")
    page.wait_for_selector(".hit")
    hits = page.locator(".hit")
    assert "CQ3-1" in hits.first.inner_text() and "2025年版" in hits.first.inner_text()
    assert "bm25" in hits.first.locator(".scores").inner_text() and "(#1)" in hits.first.locator(".scores").inner_text()
    assert all("（2019年版）" not in t for t in hits.locator(".cite").all_inner_texts())
    page.wait_for_function("document.getElementById('preview-image').naturalWidth > 0")
    assert amber_pixels(page.locator("#preview-image").screenshot()) > 500  # the top PDF hit's page, highlighted
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "search.png"))  # the README's screenshot (docs/console-search.png)

    # the streamed answer links [n] to its hit
    page.click("#ask")
    page.wait_for_selector("#answer a[href^='/console/hits/']", timeout=30_000)
    assert page.locator("#answer-citations li").count() >= 1

    # open the hit: its PDF page, the passage highlighted in the image the browser shows
    hits.first.locator("a.open-hit").click()
    image = page.locator("#page-image")
    image.wait_for()
    page.wait_for_function("document.getElementById('page-image').naturalWidth > 0")
    page.screenshot(path=str(shots / "hit.png"), full_page=True)
    response = page.request.get(base + image.get_attribute("src"))  # the same image, with the session cookie
    assert response.status == 200 and int(response.headers["x-highlight-boxes"]) >= 2
    highlighted = amber_pixels(response.body())
    plain_doc = pymupdf.open(manifest.parent / "guidelines" / "demo_htn_2025.pdf")
    page_no = int(image.get_attribute("src").rsplit("=", 1)[1])
    plain = amber_pixels(plain_doc[page_no - 1].get_pixmap(dpi=110).tobytes("png"))
    assert plain == 0 and highlighted > 5_000, (plain, highlighted)
    shown = image.screenshot(path=str(shots / "page-image.png"))
    assert amber_pixels(shown) > 1_000  # what the browser painted, not only what it fetched
    print(f"screenshots: {shots}")


def test_a_statute_hit_shows_its_article_with_the_passage_marked(
    browser: Any, served: tuple[str, Path, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """…and the query a clinician typed (a patient's name in it) is not in the service's log."""
    caplog.set_level(logging.INFO, logger="rag.access")
    base, _, _ = served
    page = browser.new_page()
    page.goto(f"{base}/console/signin")
    page.fill("#key", SEARCH_KEY)
    page.click("#signin")
    page.wait_for_selector("#editions")
    assert page.locator("#run-ingest").count() == 0  # a search-only key sees no write actions
    refused = page.request.post(f"{base}/console/ingest")
    assert refused.status == 403
    page.goto(f"{base}/console/search")
    page.fill("#q", "山田太郎さんの死体を検案して異状があると認めたときの届出")
    page.click("#search")
    page.locator(".hit a.open-hit").filter(has_text="医師法").first.click()
    page.wait_for_selector("#unit-text mark")
    assert "異状" in page.inner_text("#unit-text mark")
    # the lines `rag serve` writes
    logged = [JsonFormatter().format(r) for r in caplog.records if r.name == "rag.access"]
    assert any("/console/search" in line for line in logged)  # the search was logged …
    assert not any("山田" in line or "異状" in line for line in logged)  # … without its text


def test_without_a_session_images_and_events_are_refused(served: tuple[str, Path, Settings]) -> None:
    import httpx

    base, _, _ = served
    with httpx.Client(base_url=base) as c:
        assert c.get("/console", follow_redirects=False).status_code == 303
        assert c.post("/console/ingest").status_code == 401
        assert c.get("/console/jobs/x/events").status_code == 401
        assert c.post("/console/signin", data={"key": "wrong-key-123"}).status_code == 401
        r = c.post("/console/signin", data={"key": SEARCH_KEY}, follow_redirects=False)
        cookie = r.headers["set-cookie"].lower()
        assert r.status_code == 303 and "httponly" in cookie and "samesite=strict" in cookie
