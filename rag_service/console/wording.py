"""What the console says about what ingestion and the librarians did: an ingestion event (the job API's typed JSON)
and an audit-log record each become sentences from the message catalogue, naming editions by their title (a link to
the edition's page), never by a hash id alone and never as a Python repr; who did it, readably; why a page was left
out or an edition failed, in the reader's language (the ingestion's own message stays beside it as the detail)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from rag_service.console.messages import ConsoleText
from rag_service.service.access import ADMIN_TOKEN, LOCAL

MAX_LISTED = 6  # editions named in one sentence; the rest are counted (「ほか 93 版」)


@dataclass(frozen=True)
class EditionName:
    title: str
    edition: str
    supersedes: str | None = None


Names = Mapping[str, EditionName]


def edition_url(source_id: str) -> str:
    return f"/console/editions/{quote(source_id, safe='')}"


def edition_ref(t: ConsoleText, names: Names, source_id: str, link: bool = True) -> Markup:
    """An edition as a reader knows it: 「高血圧診療ガイドライン（2025年版）」 linked to its page; the id when unknown
    (an edition removed from the index)."""
    found = names.get(source_id)
    if found is None:
        return t("edition.unknown", id=source_id)
    text = t("edition.name", title=found.title, edition=found.edition)
    if not link:
        return text
    return Markup('<a class="edition" href="{}">{}</a>').format(edition_url(source_id), text)


def edition_list(t: ConsoleText, names: Names, ids: list[str]) -> Markup:
    shown = [edition_ref(t, names, sid) for sid in ids[:MAX_LISTED]]
    if len(ids) > MAX_LISTED:
        shown.append(t("edition.more", n=len(ids) - MAX_LISTED))
    return t.join(shown)


_WHY = {
    "its text layer is not text (mis-encoded fonts)": "why.not_text",
    "a page image with no text layer (a scan)": "why.scan",
    "no text layer": "why.no_layer",
    "OCR is off (RAG_OCR=off)": "why.ocr_off",
    "OCR gave no readable text either": "why.ocr_unreadable",
}


def left_out_reason(t: ConsoleText, why: str) -> str:
    """`its text layer is not text (mis-encoded fonts): OCR is off (RAG_OCR=off)` → the catalogue's words for each
    part (an unknown part is kept as it is)."""
    parts = []
    for part in why.split(": "):
        key = "why.ocr_missing" if part.startswith("OCR is not installed") else _WHY.get(part)
        parts.append(t.raw(key) if key else part)
    return t.raw("sep.reason").join(parts)


_FAILURES = (
    ("file not found", "fail.missing"),
    ("not a readable PDF", "fail.unreadable"),
    ("is encrypted", "fail.encrypted"),
    ("has no pages", "fail.no_pages"),
    ("reading stopped after", "fail.too_slow"),
    ("has no text layer", "fail.image_only"),
    ("the text layer is not text", "fail.not_text"),
    ("OCR failed", "fail.ocr"),
    ("no text to index", "fail.no_text"),
    ("the file has no text", "fail.no_text"),
    ("no rows with text", "fail.no_text"),
    ("not valid JSON", "fail.jsonl"),
    ("needs a non-empty string field", "fail.jsonl"),
    ("cannot read as UTF-8", "fail.encoding"),
    ("unsupported source type", "fail.type"),
)


def failure_reason(t: ConsoleText, reason: str) -> str:
    """Why an edition failed, in the reader's words (the ingestion's message, with its path, is the detail)."""
    key = next((k for phrase, k in _FAILURES if phrase in reason), None)
    return t.raw(key) if key else t.raw("fail.other")


def event_line(t: ConsoleText, e: dict[str, Any], names: Names) -> Markup:
    """One ingestion event (`ingestion.events.event_doc`) as a sentence."""
    kind, sid = e.get("type"), e.get("source_id", "")
    if sid and sid not in names and e.get("title"):
        names = {**names, sid: EditionName(e["title"], "")}
    ed = edition_ref(t, names, sid, link=False) if sid else Markup("")
    if kind == "edition_started":
        return t("event.started", edition=ed)
    if kind == "pages_read":
        parts = [t("event.pages", edition=ed, pages=e["pages"])]
        if e.get("ocr_pages"):
            parts.append(t("event.ocr", n=len(e["ocr_pages"]), runs=t.runs(e["ocr_pages"])))
        parts += [t("event.left_out", page=i["page"], why=left_out_reason(t, i["why"])) for i in e.get("left_out", [])]
        return Markup("").join(parts)
    if kind == "chunks_written":
        return t("event.chunks", edition=ed, chunks=e["chunks"])
    if kind == "edition_finished":
        extra = t("event.extra_ocr", n=e["ocr_pages"]) if e["ocr_pages"] else Markup("")
        extra += t("event.extra_left_out", n=e["left_out"]) if e["left_out"] else Markup("")
        key = "event.added" if e["outcome"] == "added" else "event.replaced"
        return t(key, edition=ed, chunks=e["chunks"], pages=e["pages"], extra=extra)
    if kind == "edition_failed":
        return t("event.failed", edition=ed, why=failure_reason(t, e["reason"]))
    if kind == "run_finished":
        counts = t.join([t("count." + key, n=e[key]) for key in COUNTED if e.get(key)])
        if not any(e.get(key) for key in COUNTED if key != "unchanged"):
            return t("event.run_nothing", n=e.get("unchanged", 0), seconds=e["seconds"])
        return t("event.run", counts=counts, chunks=e["chunks_written"], seconds=e["seconds"])
    return Markup(t.raw("event.unknown"))


COUNTED = ("added", "replaced", "metadata_updated", "removed", "failed", "unchanged")


def _ingest_line(t: ConsoleText, a: dict[str, Any], names: Names) -> Markup:
    parts = [t(f"audit.{key}", editions=edition_list(t, names, list(a[key])))
             for key in ("added", "replaced", "metadata_updated", "removed") if a.get(key)]  # fmt: skip
    parts += [t("audit.failed", edition=edition_ref(t, names, sid), why=failure_reason(t, why))
              for sid, why in (a.get("failed") or {}).items()]  # fmt: skip
    parts += [t("audit.ocr", edition=edition_ref(t, names, sid), n=len(pages), runs=t.runs(pages))
              for sid, pages in (a.get("ocr_pages") or {}).items()]  # fmt: skip
    parts += [t("audit.left_out", edition=edition_ref(t, names, sid), n=len(items),
                runs=t.runs([i["page"] for i in items]))
              for sid, items in (a.get("left_out") or {}).items()]  # fmt: skip
    if a.get("garbage_collected"):
        parts.append(t("audit.collected", n=a["garbage_collected"]))
    if not parts:
        parts.append(t("audit.nothing", n=len(a.get("unchanged") or [])))
    if a.get("chunks_written") or "seconds" in a:
        parts.append(t("audit.took", chunks=a.get("chunks_written", 0), seconds=a.get("seconds", 0)))
    return Markup("").join(parts)


def audit_line(t: ConsoleText, a: dict[str, Any], names: Names) -> Markup:
    """One audit-log record (`ingestion.audit`) as sentences: what was done (who and when are columns of their own)."""
    action = a.get("action") or "ingest"
    if action == "ingest":
        return _ingest_line(t, a, names)
    if action == "status":
        old, new = t.label("status", a.get("from")), t.label("status", a.get("to"))
        return t("audit.status", edition=edition_ref(t, names, a.get("source_id", "")), old=old, new=new)
    if action == "snapshot":
        return t("audit.snapshot", path=a.get("path", ""))
    return t("audit.other", action=action)


def audit_action(t: ConsoleText, a: dict[str, Any]) -> str:
    return t.label("action", a.get("action") or "ingest")


_VIA = re.compile(r"^(?P<door>[a-z]+), (?P<who>.+)$")


def audit_who(t: ConsoleText, a: dict[str, Any]) -> Markup:
    """Who did it, readably: a key's name and the door it came through, this server's own user without keys, the
    `rag` command on the server (its admin token), or a command run on a machine (its user and host)."""
    via = str(a.get("via") or "cli")
    m = _VIA.match(via)
    if m is None:
        return t("who.cli", user=a.get("user", "?"), host=a.get("host", "?"))
    door = t.label("door", m["door"])
    if m["who"] == LOCAL.id:
        return t("who.local", door=door)
    if m["who"] == ADMIN_TOKEN.id:
        return t("who.admin_token", host=a.get("host", "?"))
    return t("who.key", id=m["who"], door=door)
