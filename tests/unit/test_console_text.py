"""The console's words and the pure pieces of its pages: every message key a template or a module uses is in the
catalogue (so an English catalogue can follow key by key), times in the reader's zone, the dates a librarian types,
and the corpus table's filters, sorts and pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rag_service.console.corpus_table import Row, TableQuery, select
from rag_service.console.formatting import page_runs, parse_day
from rag_service.console.messages import CATALOGUES, ConsoleText
from rag_service.settings import Settings

CONSOLE = Path(__file__).resolve().parents[2] / "rag_service" / "console"
USED = re.compile(r"""\bt(?:\.raw)?\(\s*["']([a-z_]+(?:\.[a-z_0-9-]+)+)["']""")
ALLOWED_LATIN = {"HTTP", "Tesseract", "JSONL", "bigram", "admin", "UTF", "source", "corpus", "outline", "text"}
PREFIXED = re.compile(r"""\bt(?:\.raw)?\(\s*["']([a-z_]+(?:\.[a-z_0-9-]+)*\.)["']\s*~""")


def test_every_key_used_is_in_every_catalogue() -> None:
    used: set[str] = set()
    prefixes: set[str] = set()
    for path in [*CONSOLE.glob("*.py"), *(CONSOLE / "templates").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(USED.findall(text))
        prefixes |= set(PREFIXED.findall(text))
    assert len(used) > 100
    for name, catalogue in CATALOGUES.items():
        assert not sorted(used - set(catalogue)), name
        for prefix in prefixes:  # t("job.stage." ~ stage): at least one key under each prefix
            assert any(k.startswith(prefix) for k in catalogue), (name, prefix)


def test_no_message_names_a_setting_or_speaks_english() -> None:
    for key, text in CATALOGUES["ja"].items():
        assert "RAG_" not in text, key
        words = re.findall(r"[A-Za-z]{4,}", re.sub(r"<[^>]+>|\{[a-z_]+[^}]*\}|\.[a-z]+\b", "", text))
        assert set(words) <= ALLOWED_LATIN, (key, words)


def test_a_value_is_escaped_but_a_link_is_not() -> None:
    t = ConsoleText()
    assert str(t("edition.name", title="<b>x</b>", edition="2025")) == "&lt;b&gt;x&lt;/b&gt;（2025）"


@pytest.mark.parametrize(
    ("zone", "want"),
    [("Asia/Tokyo", "2026年12月2日 18:35"), ("UTC", "2026年12月2日 9:35"), ("America/New_York", "2026年12月2日 4:35")],
)
def test_times_are_shown_in_the_readers_zone(zone: str, want: str) -> None:
    t = ConsoleText(tz=ZoneInfo(zone))
    assert t.time("2026-12-02T09:35:27+00:00") == want
    assert "+00:00" not in t.time("2026-12-02T09:35:27+00:00")


def test_the_zone_is_a_setting_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().timezone == ZoneInfo("Asia/Tokyo")
    monkeypatch.setenv("RAG_TIMEZONE", "Europe/Paris")
    assert Settings().timezone == ZoneInfo("Europe/Paris")
    monkeypatch.setenv("RAG_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        Settings()


@pytest.mark.parametrize(
    ("typed", "day"),
    [("2020-06-01", date(2020, 6, 1)), ("2020/6/1", date(2020, 6, 1)), ("２０２０年６月１日", date(2020, 6, 1)),
     (" 2020.06.01 ", date(2020, 6, 1)), ("", None)],
)  # fmt: skip
def test_days_as_a_librarian_types_them(typed: str, day: date | None) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["06/01/2020", "mm/dd/yyyy", "2020-13-01", "昨日"])
def test_what_is_not_a_day_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)


def test_page_runs() -> None:
    assert page_runs([9, 1, 2, 3, 7, 10]) == "1–3、7、9–10"


def _row(i: int, **over: object) -> Row:
    doc: dict[str, object] = dict(
        source_id=f"law-{i:04d}", title=f"法律{i:03d}", publisher="e-Gov", edition="現行",
        published=date(2000 + i % 20, 1, 1), status="current", indexed_status="current", pages=1, chunks=i,
        ingested_at=f"2026-11-{1 + i % 28:02d}T00:00:00+00:00",
        content_hash="x", diff="unchanged", specialties=("法規",), pdf=False,
    )  # fmt: skip
    doc.update(over)
    return Row(**doc)  # type: ignore[arg-type]


def test_the_corpus_table_filters_sorts_and_pages() -> None:
    tz = ZoneInfo("Asia/Tokyo")
    rows = [_row(i) for i in range(60)] + [
        _row(100, title="高血圧診療ガイドライン", publisher="高血圧学会", specialties=("循環器",), status="superseded",
             pdf=True, pages=40, ingested_at="2026-12-01T16:00:00+00:00"),  # 12月2日 01:00 in Tokyo
    ]  # fmt: skip
    first = select(rows, TableQuery(), tz)
    assert (first.total, first.matched, first.pages, len(first.rows)) == (61, 61, 3, 25)
    last = select(rows, TableQuery(page=9), tz)  # past the end: the last page
    assert last.page == 3 and len(last.rows) == 11 and last.first == 51
    assert [r.source_id for r in select(rows, TableQuery(publisher="高血圧学会"), tz).rows] == ["law-0100"]
    assert select(rows, TableQuery(specialty="循環器"), tz).matched == 1
    assert select(rows, TableQuery(status="superseded"), tz).matched == 1
    assert (
        select(rows, TableQuery(q="ｋｏｕ"), tz).matched == 0 and select(rows, TableQuery(q="高血圧"), tz).matched == 1
    )
    since = select(rows, TableQuery(since=date(2026, 12, 2)), tz)  # a day in the reader's zone
    assert [r.source_id for r in since.rows] == ["law-0100"]
    by_chunks = select(rows, TableQuery(sort="chunks", desc=True), tz)
    assert [r.chunks for r in by_chunks.rows[:3]] == [100, 59, 58]
    by_pages = select(rows, TableQuery(sort="pages"), tz)  # only PDFs have pages; the rest come last
    assert by_pages.rows[0].source_id == "law-0100"
    assert TableQuery(publisher="高血圧学会", page=2).params(page=1) == {"publisher": "高血圧学会"}


def test_a_finished_jobs_summary_says_what_failed_and_what_was_read_by_ocr() -> None:
    from rag_service.console.jobs import bars, overall, summary
    from rag_service.console.templating import templates
    from rag_service.console.wording import EditionName, edition_ref
    from rag_service.wire import JobOut

    t = ConsoleText()
    names = {"scan-2024": EditionName("スキャンした手引き", "第1版"),
             "htn-2025": EditionName("高血圧ガイド", "2025年版")}  # fmt: skip
    report = {"added": ["scan-2024"], "replaced": [], "metadata_updated": [], "removed": ["gone-1"],
              "unchanged": ["a", "b", "c"], "failed": {"htn-2025": "htn.pdf: the PDF is encrypted: ask the publisher"},
              "ocr_pages": {"scan-2024": [1, 2, 3, 5]},
              "left_out": {"scan-2024": [{"page": 4, "why": "no text layer"}]},
              "chunks_written": 7, "garbage_collected": 0}  # fmt: skip
    progress = {"totals": {"documents": 2, "chunks": 7}, "done": {"documents": 2, "chunks": 7}, "events": []}
    job = JobOut.model_validate({"id": "j1", "state": "done", "progress": progress, "result": {"report": report}})
    half = {**progress, "done": {"documents": 1}}
    running = JobOut.model_validate({"id": "j0", "state": "running", "progress": half})
    assert overall(running) == 25 and [b.percent for b in bars(running)] == [50, 0] and overall(job) == 100
    found = summary(None, None, job, t, names)  # type: ignore[arg-type]  # no edition here supersedes another
    assert found is not None and found["unchanged"] == 3 and found["changed"]
    html = templates.env.get_template("job_panel.html").render(
        t=t, job=job, bars=bars(job), overall=overall(job), summary=found, lines=[],
        ref=lambda sid: edition_ref(t, names, sid),
    )  # fmt: skip
    failed = html[html.index('id="summary-failed"') :]
    assert "高血圧ガイド（2025年版）</a>: PDF にパスワードがかかっています" in failed
    assert "スキャンした手引き（第1版）</a>: 4 ページ（1–3、5）" in html[html.index('id="summary-ocr"') :]
    assert "p.4: 文字情報がありません" in html[html.index('id="summary-left-out"') :]
    assert '<code>gone-1</code>' in html[html.index('id="summary-removed"') :]  # removed: no title left to show
    assert 'id="nothing"' not in html
