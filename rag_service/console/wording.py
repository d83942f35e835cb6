"""What the console says, in Japanese, about what ingestion and the librarians did: an ingestion event (from the job
API's JSON) and an audit-log record each become one readable sentence. Never a Python repr of a list or a dict."""

from __future__ import annotations

from typing import Any

from rag_service.outline import page_runs


def _pages(pages: list[int]) -> str:
    return f"{len(pages)} ページ（{page_runs(pages)}）"


def event_line(e: dict[str, Any]) -> str:
    """One ingestion event (`ingestion.events.event_doc`) as a sentence."""
    sid, kind = e.get("source_id", ""), e.get("type")
    if kind == "edition_started":
        return f"{sid}（{e['title']}）の読み込みを始めました"
    if kind == "pages_read":
        parts = [f"{sid}: {e['pages']} ページを読みました"]
        if e.get("ocr_pages"):
            parts.append(f"OCR で読んだページ {_pages(e['ocr_pages'])}")
        for item in e.get("left_out", []):
            parts.append(f"p.{item['page']} は索引に入れません（{item['why']}）")
        return "。".join(parts) + "。"
    if kind == "chunks_written":
        return f"{sid}: {e['chunks']} チャンクを書き込みました。"
    if kind == "edition_finished":
        done = "追加しました" if e["outcome"] == "added" else "入れ替えました"
        extra = f"、OCR {e['ocr_pages']} ページ" if e["ocr_pages"] else ""
        extra += f"、除外 {e['left_out']} ページ" if e["left_out"] else ""
        return f"{sid} を{done}（{e['chunks']} チャンク、{e['pages']} ページ{extra}）。検索できます。"
    if kind == "edition_failed":
        return f"{sid} は取り込めませんでした: {e['reason']}"
    if kind == "run_finished":
        return f"完了: {_counts(e)}（{e['chunks_written']} チャンク、{e['seconds']} 秒）。"
    return _plain(e)


_COUNTS = (("added", "追加"), ("replaced", "入れ替え"), ("metadata_updated", "メタデータ更新"), ("removed", "削除"),
           ("failed", "失敗"), ("unchanged", "変更なし"))  # fmt: skip


def _counts(e: dict[str, Any]) -> str:
    return "、".join(f"{label} {e[key]} 版" for key, label in _COUNTS if e.get(key))


def _ids(values: Any) -> str:
    return "、".join(str(v) for v in values)


def _ingest_line(a: dict[str, Any]) -> str:
    parts = [f"{label}: {_ids(a[key])}" for key, label in _COUNTS[:4] if a.get(key)]
    parts += [f"{sid} は失敗（{why}）" for sid, why in (a.get("failed") or {}).items()]
    if a.get("chunks_written"):
        parts.append(f"{a['chunks_written']} チャンクを書き込み")
    parts += [f"{sid} の OCR {_pages(pages)}" for sid, pages in (a.get("ocr_pages") or {}).items()]
    parts += [f"{sid} で除外 {len(items)} ページ" for sid, items in (a.get("left_out") or {}).items()]
    if a.get("garbage_collected"):
        parts.append(f"参照のない点 {a['garbage_collected']} 件を削除")
    if not parts:
        parts.append(f"変更なし（{len(a.get('unchanged') or [])} 版は索引と一致）")
    seconds = f"（{a['seconds']} 秒）" if "seconds" in a else ""
    return "、".join(parts) + seconds


def audit_line(a: dict[str, Any]) -> str:
    """One audit-log record (`ingestion.audit`) as a sentence: what was done (who and when are columns of their own)."""
    action = a.get("action") or "ingest"
    if action == "ingest":
        return _ingest_line(a)
    if action == "status":
        return f"{a['source_id']} の status を {a['from']} から {a['to']} に変更（manifest: {a.get('manifest', '')}）"
    if action == "snapshot":
        return f"スナップショットを作成: {a.get('path', '')}"
    return _plain({k: v for k, v in a.items() if k not in ("at", "action", "via", "user", "host", "pid")})


def _plain(doc: dict[str, Any]) -> str:
    """A record of a kind not known here: its fields as `name: value`, lists and maps written out, not as reprs."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "; ".join(f"{k} {value(x)}" for k, x in v.items())
        if isinstance(v, list | tuple):
            return "、".join(value(x) for x in v)
        return str(v)

    return "; ".join(f"{k}: {value(v)}" for k, v in doc.items())
