"""`rag corpus diff` for a terminal: what changed between two editions, one block per statement that changed."""

from __future__ import annotations

from rag_service.wire import EditionChangesResponse, RecommendationOut, StatementChangeOut

_KIND = {"added": "追加", "removed": "削除", "changed": "変更", "unchanged": "変更なし"}
_WHAT = {"regraded": "推奨度", "reworded": "文言", "moved": "CQ"}


def _where(rec: RecommendationOut | None) -> str:
    if rec is None:
        return "-"
    pages = f"p.{rec.page_start}" + (f"–{rec.page_end}" if rec.page_end and rec.page_end != rec.page_start else "")
    number = f" {rec.number}." if rec.number else ""
    return f"{rec.cq or ''}{number} {pages if rec.page_start else ''}".strip()


def _diff_line(s: StatementChangeOut) -> str:
    """The text difference inline: [-deleted-]{+inserted+}."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[t.op].format(t.text) for t in s.text_diff)


def changes_text(doc: EditionChangesResponse) -> str:
    c = doc.summary
    lines = [
        f"{doc.since.title}（{doc.since.edition}） → {doc.edition.title}（{doc.edition.edition}）",
        f"  追加 {c.added} · 削除 {c.removed} · 変更 {c.changed}"
        f"（推奨度 {c.regraded}, 文言 {c.reworded}, CQ {c.moved}） · 変更なし {c.unchanged}",
    ]
    for s in doc.statements:
        if s.kind == "unchanged":
            continue
        what = "・".join(_WHAT[w] for w in s.changes)
        head = f"[{_KIND[s.kind]}{'：' + what if what else ''}] {_where(s.old)} → {_where(s.new)}"
        lines.append(head)
        if s.old and s.new and "regraded" in s.changes:
            lines.append(f"    推奨度: {s.old.grade or '記載なし'} → {s.new.grade or '記載なし'}")
        if s.text_diff:
            lines.append(f"    {_diff_line(s)}")
        else:
            rec = s.new or s.old
            if rec is not None:
                lines.append(f"    {rec.text}  [{rec.grade or '推奨度の記載なし'}]")
    return "\n".join(lines)
