"""Pure pieces of the console: the corpus table against the manifest, and a unit's text with the passage marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.manifest import Manifest, ManifestEntry
from ingestion.plan import make_plan
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.console.corpus import corpus_rows
from rag_service.page_image import passage_spans


def entry(sid: str, **over: object) -> ManifestEntry:
    doc = {"id": sid, "title": "高血圧治療ガイドライン", "publisher": "日本高血圧学会", "edition": "2025年版",
           "published": "2025-04-01", "source": f"{sid}.pdf", **over}  # fmt: skip
    return ManifestEntry.model_validate(doc)


def indexed(m: ManifestEntry, content_hash: str) -> CatalogEntry:
    return CatalogEntry(m.to_edition(), f"{m.id}@{content_hash[:16]}", content_hash, m.source, 12, 5, "2026-11-01")


def test_every_difference_against_the_manifest_is_named() -> None:
    same, changed, meta, gone = entry("same"), entry("changed"), entry("meta"), entry("gone")
    catalog = Catalog({e.id: indexed(e, "a" * 64) for e in (same, changed, meta, gone)})
    listed = (same, changed, entry("meta", status="superseded", title="高血圧治療ガイドライン（改訂）"), entry("new"))
    hashes = {"same": "a" * 64, "changed": "b" * 64, "meta": "a" * 64, "new": "c" * 64}
    plan = make_plan(list(listed), hashes, catalog)
    rows = {r.source_id: r for r in corpus_rows(catalog, Manifest(path=Path("m.yaml"), entries=listed), plan)}
    assert {k: r.diff for k, r in rows.items()} == {
        "same": "unchanged", "changed": "changed", "meta": "metadata-only", "new": "new", "gone": "removed",
    }  # fmt: skip
    assert rows["meta"].changed_fields == ("status", "title")
    assert (rows["meta"].status, rows["meta"].indexed_status) == ("superseded", "current")
    assert rows["new"].chunks is None and rows["same"].chunks == 12 and rows["same"].content_hash == "a" * 12


def test_without_a_readable_manifest_the_index_alone_is_shown() -> None:
    catalog = Catalog({"x": indexed(entry("x"), "d" * 64)})
    assert [(r.source_id, r.diff) for r in corpus_rows(catalog, None, None)] == [("x", "unchanged")]


def test_the_passage_is_marked_in_its_unit() -> None:
    article = (
        "第二十一条 医師は、死体又は妊娠四月以上の死産児を検案して異状があると認めたときは、"
        "二十四時間以内に所轄警察署に届け出なければならない。"
    )
    spans = passage_spans(article, "異状があると認めたときは、二十四時間以内に所轄警察署に届け出なければならない。")
    assert [m for _, m in spans] == [False, True] and "".join(t for t, _ in spans) == article
    # a passage that is not verbatim (joined lines, a folded character) is aligned; short coincidences are not marked
    spans = passage_spans(article, "二十四時間以内に\n所轄警察署に届け出なければならない")
    marked = "".join(t for t, m in spans if m)
    assert "所轄警察署に届け出なければならない" in marked and "医師" not in marked


def test_the_corpus_page_hashes_a_source_again_only_when_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from rag_service.service import corpus

    reads: list[Path] = []
    real = corpus.file_sha256
    monkeypatch.setattr(corpus, "file_sha256", lambda p: reads.append(p) or real(p))
    pdf = tmp_path / "guideline.pdf"
    pdf.write_bytes(b"%PDF-1.7 first edition")
    first = corpus.cached_sha256(pdf)
    assert corpus.cached_sha256(pdf) == first and len(reads) == 1  # the second view reads nothing
    pdf.write_bytes(b"%PDF-1.7 second edition!")  # a replaced file: new size and time
    os.utime(pdf, ns=(1, 1))
    assert corpus.cached_sha256(pdf) != first and len(reads) == 2
