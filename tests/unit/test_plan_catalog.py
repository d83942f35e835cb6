"""Planning an ingestion run against the catalog, and which editions a search may see."""

from __future__ import annotations

from datetime import date

from ingestion.manifest import ManifestEntry
from ingestion.plan import content_hash, make_plan, pipeline_fingerprint
from rag_service.catalog import Catalog, CatalogEntry
from rag_service.types import EditionStatus


def entry(
    sid: str,
    status: str = "current",
    published: str = "2025-04-01",
    supersedes: str | None = None,
    title: str = "高血圧治療ガイドライン",
) -> ManifestEntry:
    return ManifestEntry.model_validate(
        {
            "id": sid,
            "title": title,
            "publisher": "日本高血圧学会",
            "edition": "2025年版",
            "published": published,
            "status": status,
            "supersedes": supersedes,
            "source": f"{sid}.pdf",
        }
    )


def catalog_entry(e: ManifestEntry, chash: str) -> CatalogEntry:
    return CatalogEntry(
        edition=e.to_edition(),
        edition_key=f"{e.id}@{chash[:16]}",
        content_hash=chash,
        source=e.source,
        chunks=3,
        pages=2,
        ingested_at="2026-01-01T00:00:00+00:00",
    )


def test_plan_new_changed_metadata_removed_unchanged() -> None:
    a, b, c, d = entry("a"), entry("b"), entry("c"), entry("d")
    catalog = Catalog.empty()
    for e in (a, b, c):
        catalog = catalog.with_entry(catalog_entry(e, "h-" + e.id))
    catalog = catalog.with_entry(catalog_entry(entry("gone"), "h-gone"))
    b_retired = entry("b", status="retired")
    c_changed = c
    plan = make_plan([a, b_retired, c_changed, d], {"a": "h-a", "b": "h-b", "c": "NEW", "d": "h-d"}, catalog)
    assert [x.id for x, _ in plan.ingest] == ["c", "d"]
    assert [(x.id, ch) for x, ch in plan.update_metadata] == [("b", {"status": EditionStatus.RETIRED})]
    assert plan.remove == ["gone"]
    assert plan.unchanged == ["a"]
    assert not plan.is_empty


def test_an_index_that_matches_gives_an_empty_plan() -> None:
    a = entry("a")
    plan = make_plan([a], {"a": "h"}, Catalog.empty().with_entry(catalog_entry(a, "h")))
    assert plan.is_empty and plan.unchanged == ["a"]


def test_content_hash_follows_file_and_pipeline() -> None:
    fp1 = pipeline_fingerprint(400, 1, "fugashi-x", 1.2, 0.75)
    fp2 = pipeline_fingerprint(300, 1, "fugashi-x", 1.2, 0.75)
    assert content_hash("f", fp1) == content_hash("f", fp1)
    assert content_hash("f", fp1) != content_hash("f", fp2)
    assert content_hash("f", fp1) != content_hash("g", fp1)


def test_as_of_picks_the_edition_in_force() -> None:
    old = catalog_entry(entry("htn-2019", status="superseded", published="2019-04-01"), "h1")
    new = catalog_entry(entry("htn-2025", published="2025-04-01", supersedes="htn-2019"), "h2")
    law = catalog_entry(entry("law", published="2013-12-01"), "h3")
    cat = Catalog.empty().with_entry(old).with_entry(new).with_entry(law)
    assert cat.keys_as_of(date(2018, 1, 1)) == [law.edition_key]
    assert cat.keys_as_of(date(2020, 6, 1)) == sorted([old.edition_key, law.edition_key])
    assert cat.keys_as_of(date(2025, 4, 1)) == sorted([new.edition_key, law.edition_key])
    assert cat.keys_with_status([EditionStatus.CURRENT]) == sorted([new.edition_key, law.edition_key])


def test_catalog_round_trips_through_json_doc() -> None:
    e = catalog_entry(entry("a"), "h")
    cat = Catalog.empty().with_entry(e)
    assert Catalog.from_doc(cat.to_doc()) == cat
    assert Catalog.from_doc(None) == Catalog.empty()
