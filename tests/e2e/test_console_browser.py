"""The librarian's console in a real browser: headless Debian Chromium driven by Playwright, against the real app
served by uvicorn on 127.0.0.1 over a real index of the demo corpus, with API keys on.

One walk-through, as a librarian would do it: sign in with a key, retire an edition from the corpus page (the
manifest file is rewritten with its comments kept, the audit log says so, the index follows), search, open a hit,
and see the cited PDF page with the passage highlighted (pixels of the highlight colour counted in the image the
browser received, against the same page rendered without a highlight); a statute hit shows its article with the
passage marked; the streamed answer links each [n] to its hit. A second walk: filter the corpus, run an ingest that
adds a new edition superseding an old one (the drawn editions of `tests.pdf_gallery_minds`, which differ in every
way), read its summary, open what changed, and open a hit of the old edition to see what the current one recommends.

Screenshots go under the test's output folder; with CONSOLE_SCREENSHOTS=docs/console (`scripts/console_screenshots.sh`)
the second walk also writes the README's screenshots there, at 1280 and 800 wide.
"""

from __future__ import annotations

import json
import logging
import os
import re
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
from tests import pdf_gallery_minds as gallery
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
    entries = demo_entries(("demo-htn-2019", "demo-htn-2025", "law-19dc84fdb0"))
    manifest = write_manifest(tmp, entries + gallery.manifest_entries(tmp, new_edition=False))
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
    assert "このキーは使えません" in page.inner_text("[role=alert]")
    page.fill("#key", ADMIN_KEY)
    page.click("#signin")
    page.wait_for_selector("#editions")
    row = page.locator("tr[data-source='demo-htn-2019']")
    assert row.locator("td.status").get_attribute("data-status") == "superseded"
    assert "旧版（改訂済み）" in row.locator("td.status").inner_text()
    assert row.locator("td.diff").inner_text() == "変更なし"
    page.screenshot(path=str(shots / "corpus.png"), full_page=True)

    # retire the 2019 edition: the manifest is rewritten (comment kept), the audit log says who, the index follows
    row.locator("select[name=status]").select_option("retired")
    row.locator("button.set-status").click()
    page.wait_for_url("**/console/jobs/*", timeout=60_000)
    page.wait_for_selector("#summary", timeout=120_000)
    assert "高血圧診療ガイドライン（デモ・架空）（2019年版）" in page.inner_text("#summary-metadata_updated")
    page.goto(f"{base}/console")
    assert "廃止" in page.locator("tr[data-source='demo-htn-2019'] td.status").inner_text()
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
    assert "語" in hits.first.locator(".scores").inner_text() and "(#1)" in hits.first.locator(".scores").inner_text()
    assert all("（2019年版）" not in t for t in hits.locator(".cite").all_inner_texts())
    page.wait_for_function("document.getElementById('preview-image').naturalWidth > 0")
    assert amber_pixels(page.locator("#preview-image").screenshot()) > 500  # the top PDF hit's page, highlighted
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "search.png"))

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


def _shoot(page: Any, name: str, folder: Path | None) -> None:
    """The README's screenshots (CONSOLE_SCREENSHOTS): the page at 1280 and 800 wide, top of the page, as small
    palette PNGs."""
    if folder is None:
        return
    from PIL import Image

    size = page.viewport_size
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 1000})
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(150)  # one layout pass after the resize, not a wait for the server
        path = folder / f"{name}-{width}.png"
        page.screenshot(path=str(path))
        Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
    page.set_viewport_size(size)


def test_a_librarian_reads_what_changed_between_editions(
    browser: Any, served: tuple[str, Path, Settings], tmp_path: Path
) -> None:
    import yaml

    base, manifest, _ = served
    wanted = os.environ.get("CONSOLE_SCREENSHOTS")
    shots = Path(wanted) if wanted else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)

    # sign in, then filter the corpus by its publisher: one edition of the drawn guideline is indexed
    page.goto(f"{base}/console/signin")
    page.fill("#key", ADMIN_KEY)
    page.click("#signin")
    page.wait_for_selector("#editions")
    page.select_option("select[name=publisher]", "ギャラリー血液学会（架空）")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r"/console\?.*publisher="))
    rows = page.locator("#editions tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-source") == "itp-2020"
    assert "ITP診療ガイドライン（ギャラリー・架空）" in rows.first.inner_text()
    assert "のうち 1 版が該当" in page.inner_text("#count")
    _shoot(page, "corpus", shots)

    # the society publishes a new edition: the librarian adds it to the manifest (it supersedes the old one) …
    doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    drawn = {e["id"]: e for e in gallery.manifest_entries(manifest.parent)}
    doc["editions"] = [drawn.get(e["id"], e) for e in doc["editions"]] + [drawn["itp-2025"]]
    manifest.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    page.goto(f"{base}/console?diff=new")
    assert page.locator("#editions tbody tr").first.get_attribute("data-source") == "itp-2025"

    # … and runs the ingest: a progress bar, then a summary that stays, with what changed between the editions
    page.click("#run-ingest")
    page.wait_for_url("**/console/jobs/*")
    assert page.locator("#job-progress").count() == 1
    page.wait_for_selector("#summary", timeout=180_000)
    assert page.locator("#job-progress").get_attribute("value") == "100"
    assert "ITP診療ガイドライン（ギャラリー・架空）（2025年版）" in page.inner_text("#summary-added")
    assert "2020年版" in page.inner_text("#summary-metadata_updated")
    replaced = page.inner_text("#replacement-itp-2025")
    assert "を改訂した版です" in replaced and "推奨度の変更 2" in replaced and "CQ の移動 1" in replaced
    job_url = page.url
    _shoot(page, "ingest-summary", shots)
    page.reload()
    assert "2025年版" in page.inner_text("#summary-added")  # the summary is still there

    # the edition's page: what changed, statement by statement
    page.click("a.open-diff")
    page.wait_for_selector("#changes-list")
    assert "#changes" in page.url
    changes = page.locator("#changes-list")
    assert "2C・行うことを弱く推奨 → 1B・行うことを強く推奨" in changes.inner_text()
    assert "行わないことを弱く推奨" in changes.inner_text() and "CQ3 → CQ4" in changes.inner_text()
    assert changes.locator(".change[data-kind=added]").count() == 1
    assert changes.locator(".change[data-kind=removed]").count() == 1
    assert changes.locator("ins").count() >= 2 and changes.locator("del").count() >= 2
    _shoot(page, "edition-changes", shots)

    # a hit from the old edition says what the current edition now recommends
    page.goto(f"{base}/console/search")
    page.fill("#q", "出血症状のない患者の経過観察")
    page.select_option("#mode", "bm25")
    page.select_option("#source", "itp-2020")
    page.check("input[name=status][value=superseded]")
    page.uncheck("input[name=status][value=current]")
    page.click("#search")
    page.wait_for_selector(".hit")
    first = page.locator(".hit").first
    assert first.get_attribute("data-source") == "itp-2020"
    now = first.locator(".now")
    assert "現行の" in now.inner_text() and "2025年版" in now.inner_text()
    assert "経過観察を強く推奨する" in now.inner_text() and "1B・行うことを強く推奨" in now.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, "search-superseded", shots)
    first.locator("a.open-hit").click()
    page.wait_for_selector(".now")
    assert "経過観察を強く推奨する" in page.inner_text(".now")
    page.click(".now a.now-link")
    page.wait_for_selector("#edition-title")
    assert "2025年版" in page.inner_text("#edition-title")
    # an ingest with nothing to do says so on its page
    page.goto(f"{base}/console")
    page.click("#run-ingest")
    page.wait_for_url("**/console/jobs/*")
    page.wait_for_selector("#nothing", timeout=120_000)
    assert page.url != job_url
    page.screenshot(path=str(tmp_path / "nothing.png"))


def test_without_a_session_images_and_events_are_refused(served: tuple[str, Path, Settings]) -> None:
    import httpx

    base, _, _ = served
    with httpx.Client(base_url=base) as c:
        assert c.get("/console", follow_redirects=False).status_code == 303
        assert c.post("/console/ingest").status_code == 401
        assert c.get("/console/jobs/x/panel").status_code == 401
        assert c.post("/console/signin", data={"key": "wrong-key-123"}).status_code == 401
        r = c.post("/console/signin", data={"key": SEARCH_KEY}, follow_redirects=False)
        cookie = r.headers["set-cookie"].lower()
        assert r.status_code == 303 and "httponly" in cookie and "samesite=strict" in cookie
