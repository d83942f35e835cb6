"""Build the repository's demo corpus from ../shared/data (run from the project root).

- 97 Japanese health laws (e-Gov, as of 2013-12; statutes are not copyrighted, Copyright Act Art. 13):
  one .jsonl per law under corpora/laws/, each article a citable unit.
- MedTxt-CR case reports (CC-BY-4.0) under corpora/case_reports/.
- The project's own fictional guideline PDFs under corpora/guidelines/ (see corpora/tools/make_guideline_pdf.py).

Writes corpora/manifest.yaml. The outputs are committed; re-run only to refresh them.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
KEEP = ("doc_id", "title", "chapter", "law", "article", "caption", "text")


def _specialties(law: str) -> list[str]:
    tags = ["法規"]
    rules = {
        "感染症": ("感染", "予防接種", "検疫", "狂犬病", "インフルエンザ", "肝炎", "ハンセン"),
        "薬事": ("薬", "麻薬", "あへん", "大麻", "覚せい剤", "毒物", "血液製剤"),
        "医療職": (
            "医師法",
            "看護師",
            "技師",
            "療法士",
            "衛生士",
            "救命士",
            "薬剤師法",
            "視能訓練士",
            "整復師",
            "装具士",
            "聴覚士",
            "はり師",
            "栄養士",
        ),
        "精神保健": ("精神", "心神喪失"),
        "公衆衛生": ("健康増進", "地域保健", "食品", "水道", "廃棄物", "衛生", "墓地", "がん対策", "喫煙", "飲酒"),
        "医療提供体制": ("医療法", "臓器", "再生医療", "救急", "死因", "解剖", "献体"),
    }
    tags += [tag for tag, words in rules.items() if any(w in law for w in words)]
    return tags


def build_laws(shared: Path, out_dir: Path) -> list[dict[str, object]]:
    by_law: dict[str, list[dict[str, object]]] = defaultdict(list)
    law_key: dict[str, str] = {}
    with (shared / "corpus" / "egov_health_laws_2013.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            by_law[row["law"]].append({k: row[k] for k in KEEP if row.get(k)})
            law_key[row["law"]] = row["doc_id"].rsplit("-", 1)[0].removeprefix("egov-")
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for law in sorted(by_law, key=lambda name: law_key[name]):
        key = law_key[law]
        path = out_dir / f"{key}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for row in by_law[law]:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        entries.append(
            {
                "id": f"law-{key}",
                "title": law,
                "publisher": "e-Gov 法令データ（総務省）",
                "specialties": _specialties(law),
                "edition": "2013年12月時点",
                "published": "2013-12-01",
                "status": "current",
                "source": f"laws/{path.name}",
                "license": "statute text, not copyrighted (Copyright Act Art. 13)",
                "redistributable": True,
            }
        )
    return entries


def build_case_reports(shared: Path, out_dir: Path) -> dict[str, object]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "medtxt_cr.jsonl"
    with (shared / "corpus" / "medtxt_cr.jsonl").open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as f:
        for line in src:
            row = json.loads(line)
            f.write(
                json.dumps({"doc_id": row["doc_id"], "title": row["title"], "text": row["text"]}, ensure_ascii=False)
                + "\n"
            )
    return {
        "id": "medtxt-cr",
        "title": "MedTxt-CR 症例報告コーパス",
        "publisher": "NAIST ソーシャル・コンピューティング研究室",
        "specialties": ["症例報告"],
        "edition": "NTCIR-16 Real-MedNLP",
        "published": "2022-06-01",
        "status": "current",
        "source": "case_reports/medtxt_cr.jsonl",
        "license": "CC-BY-4.0",
        "redistributable": True,
    }


GUIDELINES = [
    {
        "id": "demo-htn-2019",
        "title": "高血圧診療ガイドライン（デモ・架空）",
        "publisher": "デモ高血圧学会（架空）",
        "specialties": ["循環器", "高血圧"],
        "edition": "2019年版",
        "published": "2019-04-01",
        "status": "superseded",
        "source": "guidelines/demo_htn_2019.pdf",
        "license": "CC-BY-4.0 (this project)",
        "redistributable": True,
    },
    {
        "id": "demo-htn-2025",
        "title": "高血圧診療ガイドライン（デモ・架空）",
        "publisher": "デモ高血圧学会（架空）",
        "specialties": ["循環器", "高血圧"],
        "edition": "2025年版",
        "published": "2025-04-01",
        "status": "current",
        "supersedes": "demo-htn-2019",
        "source": "guidelines/demo_htn_2025.pdf",
        "license": "CC-BY-4.0 (this project)",
        "redistributable": True,
    },
]

HEADER = """\
# The demo corpus: one entry per guideline edition (the only source of citation metadata).
# Fields: id, title, publisher, specialties, edition, published, status (current|superseded|retired),
# supersedes, source (relative to this file: .pdf, .txt/.md, or .jsonl rows {doc_id?, title?, text}),
# sha256 (optional pin), license, redistributable. Generated by corpora/tools/build_demo_corpus.py.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    corpora = ROOT / "corpora"
    entries = [*GUIDELINES, build_case_reports(args.shared, corpora / "case_reports")]
    entries += build_laws(args.shared, corpora / "laws")
    body = yaml.safe_dump({"editions": entries}, allow_unicode=True, sort_keys=False, width=120)
    (corpora / "manifest.yaml").write_text(HEADER + body, encoding="utf-8")
    print(f"wrote {len(entries)} editions to {corpora / 'manifest.yaml'}")


if __name__ == "__main__":
    main()
