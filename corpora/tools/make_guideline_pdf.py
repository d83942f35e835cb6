"""Write the project's own fictional demo guideline PDFs (two editions) for structure and ingestion tests.

    python corpora/tools/make_guideline_pdf.py [--font /path/to/japanese.ttf] [--out corpora/guidelines]

The text is fictional and written by the project (CC-BY-4.0); it must not be used clinically. A Japanese TrueType
font is needed only to regenerate the PDFs (Debian: `apt-get install -y fonts-ipafont-gothic`).
"""

from __future__ import annotations

import argparse
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

DISCLAIMER = "デモ用・架空の診療ガイドライン：臨床には使用しないでください"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

# (cq, title, recommendation, strength, certainty, commentary) per chapter; {target} etc. are filled per edition.
CHAPTERS: list[tuple[str, str, list[tuple[str, str, str, int, str, str]]]] = [
    (
        "第1章 高血圧の定義と診断",
        "本章では、本ガイドライン（デモ）における高血圧の定義と、診察室血圧および家庭血圧を用いた診断の考え方を述べる。"
        "血圧は測定条件によって大きく変動するため、複数回の測定に基づいて判断することが重要である。"
        "特に初診時には左右の上腕で測定し、高い方の値を以後の測定に用いることが望ましい。",
        [
            (
                "CQ1-1",
                "高血圧の診断に家庭血圧測定は推奨されるか？",
                "高血圧の診断において、診察室血圧に加えて家庭血圧を測定することを推奨する。",
                1,
                "B",
                "家庭血圧は白衣高血圧や仮面高血圧の検出に有用であり、診察室血圧よりも脳心血管イベントの予測能が高い"
                "ことが複数の観察研究で示されている（架空）。測定は起床後1時間以内と就寝前の1日2回、座位で1〜2分の"
                "安静後に行い、1機会に2回測定した平均値を用いる。測定値は手帳などに記録し、受診時に持参するよう指導する。",
            ),
            (
                "CQ1-2",
                "24時間自由行動下血圧測定（ABPM）は全例に行うべきか？",
                "ABPMは診断が困難な例に限って行うことを提案する。",
                2,
                "C",
                "ABPMは夜間血圧や早朝高血圧の評価に優れるが、実施できる施設は限られ、患者の負担も小さくない。"
                "家庭血圧と診察室血圧の乖離が大きい例や、治療抵抗性が疑われる例に限って実施するのが現実的である。",
            ),
        ],
    ),
    (
        "第2章 降圧目標",
        "降圧目標は、年齢、併存疾患、臓器障害の有無によって異なる。本章では対象ごとの降圧目標を表に示し、"
        "その根拠となる臨床疑問（CQ）について推奨を示す。",
        [
            (
                "CQ2-1",
                "成人の本態性高血圧患者の降圧目標はどの程度が推奨されるか？",
                "75歳未満の成人では、診察室血圧{target}mmHg未満を降圧目標とすることを推奨する。",
                1,
                "{certainty21}",
                "{comment21}",
            ),
            (
                "CQ2-2",
                "75歳以上の高齢者でも積極的な降圧は推奨されるか？",
                "75歳以上の高齢者では、忍容性を確認しながら診察室血圧{elderly}mmHg未満を目標とすることを提案する。",
                2,
                "C",
                "高齢者では起立性低血圧、転倒、腎機能低下などの有害事象に注意が必要である。降圧薬は少量から開始し、"
                "数週間から数か月かけて緩徐に目標まで下げることが望ましい。フレイルや認知機能低下を伴う例では、"
                "個別に目標を設定し、家族を含めて治療方針を共有することが重要である。",
            ),
        ],
    ),
    (
        "第3章 生活習慣の修正",
        "生活習慣の修正は、すべての高血圧患者において薬物療法の有無にかかわらず行う治療の基本である。",
        [
            (
                "CQ3-1",
                "高血圧患者に減塩指導は推奨されるか？",
                "高血圧患者には、食塩摂取量を1日{salt}g未満とする減塩指導を推奨する。",
                1,
                "A",
                "減塩による降圧効果は多くのランダム化比較試験とメタ解析で一貫して示されている（架空）。"
                "食塩摂取量は24時間蓄尿や随時尿による推定で評価し、管理栄養士による具体的な調理指導を併用すると"
                "効果が高い。加工食品や外食に含まれる食塩にも注意を促す。",
            ),
        ],
    ),
    (
        "第4章 薬物療法",
        "生活習慣の修正を行っても降圧目標に達しない場合、または診断時の血圧が高い場合には薬物療法を開始する。"
        "第一選択薬はCa拮抗薬、ARB、ACE阻害薬、少量のサイアザイド系利尿薬とする。",
        [
            (
                "CQ4-1",
                "2型糖尿病を合併する高血圧患者ではARBまたはACE阻害薬を優先すべきか？",
                "2型糖尿病を合併し、アルブミン尿を認める高血圧患者では、ARBまたはACE阻害薬を優先して用いることを推奨する。",
                1,
                "B",
                "アルブミン尿を伴う糖尿病性腎臓病では、レニン・アンジオテンシン系阻害薬が尿中アルブミンを減少させ、"
                "腎機能低下の進行を抑制することが示されている（架空）。HbA1c 7.0%未満を目指す血糖管理と併せて、"
                "血清カリウム値とeGFRを開始後2〜4週で確認する。ARBとACE阻害薬の併用は高カリウム血症や急性腎障害の"
                "危険が高まるため推奨しない。アルブミン尿を認めない例では、他の第一選択薬も同等に選択できる。"
                "服薬アドヒアランスを高めるため、配合剤の使用や1日1回投与の薬剤を考慮する。"
                "また、家庭血圧の記録を診察時に確認し、早朝高血圧が持続する場合には服薬時刻の変更も検討する。",
            ),
            (
                "CQ4-2",
                "合併症のない高血圧患者の第一選択薬としてβ遮断薬は推奨されるか？",
                "合併症のない高血圧患者の第一選択薬としてβ遮断薬を用いないことを提案する。",
                2,
                "B",
                "β遮断薬は心不全、頻脈性不整脈、冠動脈疾患を合併する例では積極的に用いられるが、合併症のない例では"
                "他の第一選択薬と比べて脳卒中の抑制効果が小さいことが報告されている（架空）。気管支喘息の患者や高度の"
                "徐脈を伴う患者では禁忌となる場合があるため、処方前に既往歴と心電図を確認する。",
            ),
        ],
    ),
]

TARGET_TABLE = {
    2019: [
        ("対象", "診察室血圧", "家庭血圧"),
        ("75歳未満の成人", "140/90 mmHg未満", "135/85 mmHg未満"),
        ("75歳以上の高齢者", "150/90 mmHg未満", "145/85 mmHg未満"),
        ("糖尿病患者", "130/80 mmHg未満", "125/75 mmHg未満"),
        ("慢性腎臓病患者", "140/90 mmHg未満", "135/85 mmHg未満"),
    ],
    2025: [
        ("対象", "診察室血圧", "家庭血圧"),
        ("75歳未満の成人", "130/80 mmHg未満", "125/75 mmHg未満"),
        ("75歳以上の高齢者", "140/90 mmHg未満", "135/85 mmHg未満"),
        ("糖尿病患者", "130/80 mmHg未満", "125/75 mmHg未満"),
        ("慢性腎臓病患者", "130/80 mmHg未満", "125/75 mmHg未満"),
    ],
}

EDITION_VALUES = {
    2019: {
        "target": "140/90",
        "elderly": "150/90",
        "salt": "6",
        "certainty21": "B",
        "comment21": "複数の大規模臨床試験の統合解析（架空）では、診察室血圧140/90mmHg未満への降圧により脳卒中と"
        "心筋梗塞の発症が減少した。一方、より低い目標の上乗せ効果については一貫した結果が得られておらず、"
        "本版では140/90mmHg未満を標準的な目標とした。",
    },
    2025: {
        "target": "130/80",
        "elderly": "140/90",
        "salt": "6",
        "certainty21": "A",
        "comment21": "2019年版以降に報告された大規模ランダム化比較試験とメタ解析（いずれも架空）により、"
        "130/80mmHg未満への積極的降圧が脳心血管イベントと全死亡を減少させることが示された。"
        "有害事象の増加はわずかであったため、本版では目標を140/90mmHg未満から130/80mmHg未満に改訂した。",
    },
}

PREFACE = (
    "高血圧は我が国で最も患者数の多い生活習慣病の一つであり、脳卒中、心筋梗塞、心不全、慢性腎臓病などの"
    "主要な危険因子である。本ガイドライン（デモ）は、日常診療で遭遇する臨床疑問（CQ）を取り上げ、"
    "システマティックレビューの結果に基づいて推奨を作成したという想定の架空の文書である。各推奨には推奨の強さ"
    "（1：強い、2：弱い）とエビデンスの確実性（A：強い、B：中程度、C：弱い、D：とても弱い）を付した。"
    "推奨は画一的な診療を求めるものではなく、患者の価値観や希望、医療資源を考慮して個別に判断されるべきである。"
    "また、本書の作成にあたっては利益相反の管理を行い、外部評価委員による査読を受けたという設定である。"
)

NEW_CQ_2025 = (
    "CQ3-2",
    "高血圧患者に有酸素運動は推奨されるか？",
    "心血管疾患のない高血圧患者には、中等度の有酸素運動を1日30分以上、週5日以上行うことを推奨する。",
    1,
    "B",
    "有酸素運動は収縮期血圧を平均して数mmHg低下させ、体重管理やインスリン抵抗性の改善にも寄与する（架空）。"
    "運動開始前には心血管疾患の有無を確認し、血圧が180/110mmHg以上の例では降圧を優先する。",
)


class GuidelinePdf(FPDF):
    def __init__(self, title: str, font: Path) -> None:
        super().__init__(format="A4")
        self.guideline_title = title
        self.add_font("jp", fname=str(font))
        self.add_font("jp", style="B", fname=str(font))
        self.set_margins(25, 20, 25)
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        self.set_font("jp", size=8)
        self.cell(0, 6, self.guideline_title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("jp", size=9)
        self.cell(0, 8, f"- {self.page_no()} -", align="C")

    def para(self, text: str, size: float = 10.5) -> None:
        self.set_font("jp", size=size)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def heading(self, text: str, size: float) -> None:
        self.ln(2)
        self.para(text, size=size)


def _cq(pdf: GuidelinePdf, cq: tuple[str, str, str, int, str, str], values: dict[str, str]) -> None:
    code, title, rec, strength, certainty, comment = cq
    pdf.heading(f"{code} {title}", 12)
    pdf.para("推奨文")
    pdf.para(rec.format(**values))
    label = "強い" if strength == 1 else "弱い"
    pdf.para(f"推奨の強さ：{strength}（{label}）")
    pdf.para(f"エビデンスの確実性：{certainty.format(**values)}")
    pdf.para("解説")
    pdf.para(comment.format(**values))


def _table(pdf: GuidelinePdf, rows: list[tuple[str, str, str]]) -> None:
    pdf.para("表2-1 対象別の降圧目標")
    pdf.set_font("jp", size=10)
    with pdf.table(col_widths=(60, 55, 55), text_align="LEFT", line_height=7) as table:
        for row in rows:
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.ln(4)


def build(year: int, font: Path, out: Path) -> Path:
    title = f"高血圧診療ガイドライン（デモ）{year}年版"
    values = EDITION_VALUES[year]
    pdf = GuidelinePdf(title, font)
    pdf.set_title(title)
    pdf.set_author("jp-guideline-rag project (fictional demo)")
    pdf.set_creation_date(datetime(year, 4, 1, tzinfo=UTC))
    pdf.add_page()
    pdf.heading(title, 18)
    pdf.para(DISCLAIMER, 12)
    intro = "本書はソフトウェアの試験のために作成した架空の文書であり、実在の学会やガイドラインとは関係がない。"
    if year == 2025:
        intro += "本版は2019年版を全面的に改訂したものであり、2019年版は本版の刊行をもって廃止する。"
    pdf.para(intro + "記載された数値や推奨は実際の診療に用いてはならない。")
    pdf.heading("序文", 14)
    pdf.para(PREFACE)
    for chapter, lead, cqs in CHAPTERS:
        pdf.heading(chapter, 14)
        pdf.para(lead)
        if chapter.startswith("第2章"):
            _table(pdf, TARGET_TABLE[year])
        for cq in cqs:
            _cq(pdf, cq, values)
        if year == 2025 and chapter.startswith("第3章"):
            _cq(pdf, NEW_CQ_2025, values)
    pdf.heading("付記", 14)
    pdf.para("本書の内容は架空であり、" + DISCLAIMER + "。")
    path = out / f"demo_htn_{year}.pdf"
    pdf.output(str(path))
    return path


def find_font() -> Path:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        listed = subprocess.run(["fc-list", ":lang=ja", "file"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        listed = ""
    for line in listed.splitlines():
        path = Path(line.split(":")[0].strip())
        if path.suffix.lower() in {".ttf", ".otf", ".ttc"} and path.is_file():
            return path
    raise SystemExit("no Japanese font found: apt-get install -y fonts-ipafont-gothic, or pass --font PATH")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--font", type=Path, default=None, help="a Japanese TrueType/OpenType font file")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "guidelines")
    args = parser.parse_args()
    font = args.font or find_font()
    args.out.mkdir(parents=True, exist_ok=True)
    for year in (2019, 2025):
        print(build(year, font, args.out))


if __name__ == "__main__":
    main()
