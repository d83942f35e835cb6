"""Citation markers in Japanese answers: numbering, parsing, removing invented sources, order of first use."""

from __future__ import annotations

from datetime import date

import pytest

from rag_service.citations import citations_for, number_sources, parse_citations
from rag_service.types import Chunk, Edition, EditionStatus, Hit


def _hit(i: int) -> Hit:
    chunk = Chunk(
        edition_key=f"htn@{i}",
        edition=Edition(
            source_id="htn-2025",
            title="高血圧治療ガイドライン",
            publisher="日本高血圧学会",
            edition="2025年版",
            published=date(2025, 4, 1),
            status=EditionStatus.CURRENT,
            specialties=("循環器",),
        ),
        page_start=i,
        page_end=i,
        section_path=("第3章", f"CQ3-{i}"),
        text=f"本文{i}",
    )
    return Hit(chunk=chunk)


HITS = [_hit(i) for i in range(1, 6)]  # five sources


@pytest.mark.parametrize(
    ("answer", "text", "used", "invented"),
    [
        ("降圧目標は130/80mmHg未満です[1]。", "降圧目標は130/80mmHg未満です[1]。", (1,), ()),
        ("減塩が有効です[2,3]。", "減塩が有効です[2,3]。", (2, 3), ()),
        ("減塩が有効です[2, 3]。", "減塩が有効です[2,3]。", (2, 3), ()),
        ("減塩が有効です[3、2]。", "減塩が有効です[3,2]。", (3, 2), ()),
        ("HbA1c 7.0%未満を目標とする[1][3]。", "HbA1c 7.0%未満を目標とする[1][3]。", (1, 3), ()),
        ("２型糖尿病では［１］、メトホルミン［２，４］。", "２型糖尿病では[1]、メトホルミン[2,4]。", (1, 2, 4), ()),
        ("推奨される【5】。", "推奨される[5]。", (5,), ()),
        ("範囲で示す[1-3]。", "範囲で示す[1,2,3]。", (1, 2, 3), ()),
        # invented sources are removed from the text, valid ones kept
        ("130/80mmHg未満です[1]。根拠は[7]。", "130/80mmHg未満です[1]。根拠は。", (1,), (7,)),
        ("高齢者は140/90mmHg [9]。", "高齢者は140/90mmHg。", (), (9,)),
        ("減塩[2,7]と運動[0]。", "減塩[2]と運動。", (2,), (7, 0)),
        ("［６］と［１］", "と[1]", (1,), (6,)),
        # order of first use, repeated markers counted once
        ("まず[3]、次に[1]、再び[3]。", "まず[3]、次に[1]、再び[3]。", (3, 1), ()),
        # no markers, and brackets that are not citations
        ("資料に記載はありません。", "資料に記載はありません。", (), ()),
        ("[ans]a[/ans] と [2025年版] と [7.0%]", "[ans]a[/ans] と [2025年版] と [7.0%]", (), ()),
    ],
)
def test_parse_citations(answer: str, text: str, used: tuple[int, ...], invented: tuple[int, ...]) -> None:
    parsed = parse_citations(answer, len(HITS))
    assert parsed.text == text
    assert parsed.used == used
    assert parsed.invented == invented


def test_no_sources_means_every_marker_is_invented() -> None:
    parsed = parse_citations("閉経後骨粗鬆症には[1]。", 0)
    assert parsed.text == "閉経後骨粗鬆症には。"
    assert parsed.used == ()


def test_number_sources_is_one_based_in_rank_order() -> None:
    numbered = number_sources(HITS)
    assert [n for n, _ in numbered] == [1, 2, 3, 4, 5]
    assert numbered[0][1] is HITS[0]


def test_citations_point_at_the_cited_chunks_in_order_of_use() -> None:
    cites = citations_for(parse_citations("まず[4]、次に[2][9]。", len(HITS)).used, HITS)
    assert [(c.number, c.chunk.section_path[-1]) for c in cites] == [(4, "CQ3-4"), (2, "CQ3-2")]
