"""Ingestion events are typed records that each output renders its own way: JSON for the job API (read back the same
by `rag ingest` when a server ran the job), plain lines on a terminal, a Japanese sentence in the console. No Rich
markup, no Python repr of a list or a dict reaches JSON or the console."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr

import pytest

from ingestion.events import (
    ChunksWritten,
    EditionFailed,
    EditionFinished,
    EditionStarted,
    IngestEvent,
    PageLeftOut,
    PagesRead,
    RunFinished,
    event_doc,
    event_from_doc,
)
from ingestion.progress import CounterProgress, RichProgress, lines
from rag_service.console.messages import ConsoleText
from rag_service.console.wording import EditionName, audit_line, event_line
from rag_service.wire import JobOut

EVENTS: list[IngestEvent] = [
    EditionStarted("htn-2025", "高血圧診療ガイドライン"),
    PagesRead("htn-2025", 5, (1, 2, 3, 5), (PageLeftOut(4, "図のみのページ（文字なし）"),)),
    ChunksWritten("htn-2025", 12),
    EditionFinished("htn-2025", "replaced", 12, 5, 4, 1),
    EditionFailed("dm-2024", "dm.pdf: the PDF is encrypted: ask the publisher for an unprotected copy"),
    RunFinished(0, 1, 0, 0, 3, 1, 12, 0, 2.5),
]
MARKUP = re.compile(r"\[/?(red|yellow|bold|green)\]")
REPR = re.compile(r"\['|\{'|\(\d+, ")  # ['a'], {'page': …}, (4, '…')


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_json_round_trip_and_the_job_model(event: IngestEvent) -> None:
    doc = event_doc(event)
    assert doc["type"] == event.type and event_from_doc(json.loads(json.dumps(doc))) == event
    assert not MARKUP.search(json.dumps(doc, ensure_ascii=False))


def test_the_job_api_carries_the_events_typed() -> None:
    progress = CounterProgress()
    progress.total("documents", 2)
    for e in EVENTS:
        progress.event(e)
    job = JobOut.model_validate({"id": "j", "state": "running", "progress": progress.snapshot()})
    assert [e.type for e in job.progress.events] == [e.type for e in EVENTS]
    pages = job.progress.events[1]
    assert pages.type == "pages_read" and pages.left_out[0].page == 4 and pages.ocr_pages == [1, 2, 3, 5]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_the_console_says_it_in_japanese(event: IngestEvent) -> None:
    line = event_line(ConsoleText(), event_doc(event), {})
    assert line and not MARKUP.search(line) and not REPR.search(line)
    assert re.search(r"[ぁ-んァ-ン一-龥]", line), line


def test_the_terminal_gets_plain_lines_when_it_is_not_a_terminal() -> None:
    assert lines(EVENTS[1]) == [
        ("htn-2025: 4 pages read by OCR (1–3, 5)", None),
        ("htn-2025: p.4 left out: 図のみのページ（文字なし）", "yellow"),
    ]
    assert lines(EVENTS[0]) == [] and lines(EVENTS[4])[0][1] == "red"
    captured = io.StringIO()
    with redirect_stderr(captured):
        bar = RichProgress()
        with bar:
            bar.total("documents", 1)
            for e in EVENTS:
                bar.event(e)
    text = captured.getvalue()
    assert not bar.bars and "htn-2025: p.4 left out" in text and "FAILED dm-2024" in text
    assert not MARKUP.search(text) and "━" not in text  # no bar drawn into a log


def test_audit_records_read_as_sentences() -> None:
    t = ConsoleText()
    names = {"htn-2025": EditionName("高血圧診療ガイドライン", "2025年版"), "a": EditionName("糖尿病ガイド", "第2版")}
    ingest = {"at": "2026-12-01T10:00:00+00:00", "action": "ingest", "via": "console, librarian", "added": ["a"],
              "replaced": ["htn-2025"], "metadata_updated": [], "removed": [], "unchanged": ["b", "c"],
              "failed": {"dm-2024": "dm.pdf: the PDF is encrypted: ask for an unprotected copy"},
              "garbage_collected": 0, "chunks_written": 12,
              "ocr_pages": {"htn-2025": [1, 2, 3]}, "left_out": {"htn-2025": [{"page": 4, "why": "図のみ"}]},
              "seconds": 2.5}  # fmt: skip
    line = str(audit_line(t, ingest, names))
    assert '<a class="edition" href="/console/editions/a">糖尿病ガイド（第2版）</a> を追加しました。' in line
    assert "高血圧診療ガイドライン（2025年版）</a> を新しい内容に入れ替えました。" in line
    assert "<code>dm-2024</code> は取り込めませんでした。PDF にパスワード" in line  # an id only when no title is known
    assert "の 3 ページ（1–3）を OCR で読みました。" in line and "1 ページ（4）を索引に入れませんでした" in line
    assert not REPR.search(line) and "unchanged" not in line
    status = {"action": "status", "source_id": "htn-2025", "from": "superseded", "to": "retired", "manifest": "m.yaml"}
    assert "の状態を「旧版（改訂済み）」から「廃止」に変更し" in str(audit_line(t, status, names))
    assert str(audit_line(t, {"action": "reindex", "editions": ["a"]}, names)) == "「reindex」を行いました。"
    nothing = str(audit_line(t, {"action": "ingest", "unchanged": [f"e{i}" for i in range(99)]}, names))
    assert nothing.startswith("変更はありませんでした（99 版は索引と一致）") and "e1" not in nothing


def test_who_did_it_reads_naturally() -> None:
    from rag_service.console.wording import audit_who

    t = ConsoleText()
    assert (
        str(audit_who(t, {"via": "console, local (no keys: loopback only)"})) == "コンソール（ローカル接続、キーなし）"
    )
    assert str(audit_who(t, {"via": "server, librarian"})) == "librarian（HTTP API）"
    assert str(audit_who(t, {"user": "kana", "host": "lib-01"})) == "rag コマンド（kana@lib-01）"


def test_the_json_log_gets_one_line_per_edition(caplog: pytest.LogCaptureFixture) -> None:
    from ingestion.progress import NullProgress, emit
    from rag_service.logs import JsonFormatter

    caplog.set_level("INFO", logger="ingestion.events")
    for e in EVENTS:
        emit(NullProgress(), e)
    logged = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "ingestion.events"]
    assert [(x["level"], x["type"]) for x in logged] == [
        ("warning", "pages_read"),  # pages left out
        ("info", "edition_finished"),
        ("warning", "edition_failed"),
        ("info", "run_finished"),
    ]
    finished = logged[1]
    assert finished["message"] == "edition htn-2025 replaced" and (finished["chunks"], finished["left_out"]) == (12, 1)
