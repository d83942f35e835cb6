"""A gallery of guideline layouts, drawn at test time with PyMuPDF (`fontname="japan"`): the recommendation formats
Japanese guidelines use (Minds 2020, a JCS table, GRADE wording, a JSH Good Practice Statement), a bordered box that
crosses a page break under a running header and page-number footers, and a two-column page drawn column by column or
row by row across both columns. The text is written for these tests (fictional, not clinical advice).

`Sheet` draws line by line on A4 and turns the page when the bottom is reached; each builder returns the PDF's path.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

WIDTH, HEIGHT = 595.0, 842.0
LEFT, BOTTOM = 56.0, 770.0
BODY, LEADING = 10.5, 16.0


def wrap(text: str, per_line: int) -> list[str]:
    """Cut running Japanese text into lines of `per_line` characters (as a layout engine wraps it)."""
    return [text[i : i + per_line] for i in range(0, len(text), per_line)]


class Sheet:
    """An A4 document drawn line by line, with an optional running header and a page-number footer
    (`footer.format(n=page, total=pages)`, e.g. ``"- {n} -"`` or ``"{n} / {total}"``)."""

    def __init__(self, header: str | None = None, footer: str | None = None) -> None:
        self.doc = pymupdf.open()
        self.header, self.footer = header, footer
        self.y = 0.0
        self.page = self.new_page()

    def new_page(self) -> pymupdf.Page:
        self.page = self.doc.new_page(width=WIDTH, height=HEIGHT)
        if self.header:
            self.page.insert_text((LEFT, 40), self.header, fontname="japan", fontsize=8)
        self.y = 80.0
        return self.page

    def text(self, line: str, size: float = BODY, x: float = LEFT, after: float = LEADING) -> None:
        if self.y > BOTTOM:
            self.new_page()
        self.page.insert_text((x, self.y), line, fontname="japan", fontsize=size)
        self.y += after

    def heading(self, line: str, size: float = 14.0) -> None:
        self.y += 6
        self.text(line, size=size, after=size + 12)

    def paragraph(self, text: str, per_line: int = 44) -> None:
        for line in wrap(text, per_line):
            self.text(line)
        self.y += 8  # a paragraph gap

    def box(self, lines: list[str]) -> None:
        """A bordered box around `lines`; when it reaches the bottom of a page it is closed there and goes on at the
        top of the next page (a box across a page break)."""
        top = self.y - 14
        for line in lines:
            if self.y > BOTTOM:
                self.page.draw_rect(pymupdf.Rect(LEFT - 8, top, WIDTH - LEFT + 8, self.y - 8), color=(0, 0, 0))
                self.new_page()
                top = self.y - 14
            self.text(line, x=LEFT + 4)
        self.page.draw_rect(pymupdf.Rect(LEFT - 8, top, WIDTH - LEFT + 8, self.y - 8), color=(0, 0, 0))
        self.y += 14

    def table(self, rows: list[list[str]], xs: list[float]) -> None:
        """A ruled table drawn row by row; a cell's lines are separated by newlines (a statement that wraps)."""
        for row in rows:
            height = max(cell.count("\n") + 1 for cell in row) * LEADING
            top = self.y - 12
            for x, cell in zip(xs, row, strict=True):
                for k, line in enumerate(cell.split("\n")):
                    self.page.insert_text((x, self.y + k * LEADING), line, fontname="japan", fontsize=10)
            for x0, x1 in zip(xs, [*xs[1:], WIDTH - LEFT + 4], strict=True):
                self.page.draw_rect(pymupdf.Rect(x0 - 4, top, x1 - 4, top + height), color=(0, 0, 0))
            self.y += height
        self.y += 10

    def save(self, path: Path) -> Path:
        total = self.doc.page_count
        for n, page in enumerate(self.doc, start=1):
            if self.footer:
                page.insert_text(
                    (WIDTH / 2 - 12, 815), self.footer.format(n=n, total=total), fontname="japan", fontsize=9
                )
        self.doc.save(path)
        return path


FILLER = (
    "本ガイドラインの推奨は、系統的レビューで得られたエビデンス総体の評価に基づき、益と害のバランス、患者の価値観、"
    "費用を勘案して作成委員会の合意により決定した。"
)


def minds_2020(folder: Path) -> Path:
    """Minds 2020: a CQ with 推奨1 and 推奨2, each followed by its grade line
    `（推奨度・エビデンス総体の総括：1B（…））`; a second CQ with `【推奨度 1, エビデンスの確実性 C】`;
    a running header and `n / 3` footers; each CQ runs onto the next page."""
    s = Sheet(header="2型糖尿病診療ガイドライン2020（ギャラリー）", footer="{n} / {total}")
    s.heading("第3章 2型糖尿病の薬物療法")
    s.paragraph("本章では、2型糖尿病の血糖降下薬の選択に関する臨床課題を扱う。" + FILLER)
    s.heading("CQ3-1 肥満を伴う2型糖尿病患者にメトホルミンを第一選択薬として用いるか?", size=11)
    s.text("推奨1")
    s.text("肥満を伴う2型糖尿病患者には、メトホルミンを第一選択薬として使用することを")
    s.text("推奨する。")
    s.text("（推奨度・エビデンス総体の総括：1B（使用することを強く推奨する））")
    s.text("推奨2")
    s.text("中等度の腎機能障害がある患者では、メトホルミンを減量して使用することを提案")
    s.text("する。")
    s.text("（推奨度・エビデンス総体の総括：2C（減量して使用することを弱く推奨する））", after=LEADING + 10)
    s.text("背景・目的")
    s.paragraph("メトホルミンは体重を増加させにくく、低血糖を起こしにくい。" + FILLER * 3)
    s.text("解説")
    s.paragraph(("乳酸アシドーシスは稀であるが、腎機能と脱水に注意して投与量を調整する。" + FILLER) * 9)
    s.heading("CQ3-2 高齢の2型糖尿病患者でHbA1cの目標値を緩めるか?", size=11)
    s.text("推奨")
    s.text("認知機能や日常生活動作に応じて、HbA1cの目標値を個別に設定することを推奨する。")
    s.text("【推奨度 1, エビデンスの確実性 C】", after=LEADING + 10)
    s.text("解説")
    s.paragraph(("高齢者では重症低血糖が認知症や転倒の危険を高める。" + FILLER) * 18)
    s.heading("第4章 合併症の管理")
    s.paragraph("網膜症、腎症、神経障害の評価を定期的に行う。" + FILLER)
    return s.save(folder / "minds_2020.pdf")


def jcs_table(folder: Path) -> Path:
    """JCS style: a ruled table `推奨 | 推奨クラス | エビデンスレベル` under a numbered section (no CQ), one statement
    wrapping onto a second line inside its cell."""
    s = Sheet()
    s.heading("第5章 急性冠症候群")
    s.heading("5.2 β遮断薬の投与", size=12)
    s.paragraph("急性心筋梗塞後のβ遮断薬の推奨を表12に示す。" + FILLER)
    s.text("表12 β遮断薬の推奨とエビデンスレベル")
    xs = [LEFT, 400.0, 470.0]
    s.table(
        [
            ["推奨", "推奨クラス", "エビデンスレベル"],
            ["禁忌のない急性心筋梗塞患者には、退院前にβ遮断薬の\n投与を開始する。", "I", "A"],
            ["低心機能を伴う患者に、β遮断薬を長期投与する。", "I", "B"],
            ["心機能が保たれた患者に、β遮断薬を長期投与する。", "IIa", "B"],
            ["心原性ショックの患者に、β遮断薬を静注する。", "III", "C"],
        ],
        xs,
    )
    s.paragraph("β遮断薬の長期投与の有効性は、再灌流療法の時代には主に低心機能例で示されている。" + FILLER)
    return s.save(folder / "jcs_table.pdf")


def grade_wording(folder: Path) -> Path:
    """GRADE wording (強い推奨、エビデンスの確実性：中) in one CQ, and in the next a table
    `推奨文 | 推奨の強さ | エビデンスの確実性` with GRADE words in its cells."""
    s = Sheet()
    s.heading("第2章 初期蘇生")
    s.heading("CQ2-1 敗血症性ショックの初期輸液に晶質液を用いるか?", size=11)
    s.text("推奨")
    s.text("敗血症性ショックの初期輸液には、晶質液を用いることを推奨する。")
    s.text("強い推奨、エビデンスの確実性：中")
    s.text("解説")
    s.paragraph("晶質液は安価で入手しやすく、膠質液に比べて死亡率を上げない。" + FILLER)
    s.heading("CQ2-2 初期輸液に膠質液を追加するか?", size=11)
    s.table(
        [
            ["推奨文", "推奨の強さ", "エビデンスの確実性"],
            ["アルブミン製剤をルーチンに追加しないことを提案する。", "弱い", "低"],
            ["人工膠質液は用いないことを推奨する。", "強い", "中"],
        ],
        [LEFT, 380.0, 460.0],
    )
    s.text("解説")
    s.paragraph("人工膠質液は急性腎障害を増やすことが示されている。" + FILLER)
    return s.save(folder / "grade_wording.pdf")


def jsh_gps(folder: Path) -> Path:
    """Japanese Society of Hypertension style: 推奨の強さ / エビデンスの強さ in one CQ, a Good Practice Statement in the
    next (no grade by definition)."""
    s = Sheet()
    s.heading("第6章 高齢者高血圧")
    s.heading("CQ6-1 75歳以上の高血圧患者に降圧薬治療を行うか?", size=11)
    s.text("推奨")
    s.text("75歳以上の高血圧患者にも、降圧薬治療を行うことを推奨する。")
    s.text("推奨の強さ：1　エビデンスの強さ：B")
    s.text("解説")
    s.paragraph("後期高齢者でも降圧治療による脳卒中の減少が示されている。" + FILLER)
    s.heading("CQ6-2 降圧薬治療中の高齢者に家庭血圧測定を勧めるか?", size=11)
    s.text("Good Practice Statement")
    s.text("降圧薬治療中の高齢者には、家庭血圧の測定と記録を勧める。")
    s.text("解説")
    s.paragraph("家庭血圧は起立性低血圧や過降圧の発見に役立つ。" + FILLER)
    return s.save(folder / "jsh_gps.pdf")


BOX_STATEMENT = (
    "高血圧の診断では、診察室血圧に加えて家庭血圧を測定し、その値を優先して診断することを推奨する。"
    "ただし測定機器の精度管理と正しい測定方法の指導を前提とする。"
)


def box_across_pages(folder: Path, footer: str) -> Path:
    """A recommendation box (推奨, statement, grade line) that starts at the bottom of page 1 and ends at the top of
    page 2, under a running header with a page-number footer on every page; three pages."""
    s = Sheet(header="高血圧管理指針2025 ドラフト（ギャラリー）", footer=footer)
    s.heading("第2章 家庭血圧")
    while s.y < 680:
        s.paragraph(FILLER)
    s.heading("CQ2-1 家庭血圧を高血圧の診断に用いるか?", size=11)
    s.y = max(s.y, 728.0)  # the box starts three lines above the bottom of page 1
    s.box(["推奨", *wrap(BOX_STATEMENT, 34), "推奨の強さ：1　エビデンスの確実性：B"])
    s.text("解説")
    s.paragraph("家庭血圧は再現性が高く、白衣高血圧と仮面高血圧を見分けられる。" + FILLER * 2)
    s.heading("CQ2-2 家庭血圧の測定は朝晩に行うか?", size=11)
    s.box(["推奨", "家庭血圧は朝と晩の1日2回、座位で測定することを提案する。", "推奨の強さ：2　エビデンスの確実性：C"])
    s.text("解説")
    s.paragraph(FILLER * 14)
    s.heading("第3章 血圧測定機器")
    s.paragraph("上腕式の自動血圧計を用いる。" + FILLER * 2)
    return s.save(folder / f"box_{'dash' if '-' in footer else 'slash'}.pdf")


COLUMN_CHARS = 22
LEFT_COLUMN = [
    "CQ4-1 減塩を推奨するか?",
    "推奨",
    *wrap("高血圧患者には、1日6g未満の減塩を行うことを推奨する。", COLUMN_CHARS),
    "（推奨度・エビデンス総体の総括：1A）",
    "解説",
    *wrap(
        "食塩摂取量の減少は用量依存的に血圧を下げ、心血管イベントを減らすことが多くの試験で示されている。"
        "減塩指導には栄養士の関与が有効である。",
        COLUMN_CHARS,
    ),
]
RIGHT_COLUMN = [
    "CQ4-2 運動療法を推奨するか?",
    "推奨",
    *wrap("有酸素運動を中心に、定期的な運動療法を行うことを提案する。", COLUMN_CHARS),
    "【推奨度 2, エビデンスの確実性 B】",
    "解説",
    *wrap(
        "中等度の有酸素運動は収縮期血圧を数mmHg下げる。運動の前には心血管疾患の有無を評価し、"
        "無理のない強度から始めるよう指導する。",
        COLUMN_CHARS,
    ),
]


def two_columns(folder: Path, row_by_row: bool) -> Path:
    """A page in two columns (CQ4-1 on the left, CQ4-2 on the right) under a title and an intro line that spans
    both; the columns drawn one after the other, or line by line across both columns (`row_by_row`)."""
    s = Sheet()
    s.heading("第4章 生活習慣の修正")
    s.text("本章では、減塩、運動、節酒など、生活習慣の修正に関する推奨を示す。", after=LEADING + 12)
    top, right_x = s.y, WIDTH / 2 + 12
    left = [(LEFT, top + i * LEADING, line) for i, line in enumerate(LEFT_COLUMN)]
    right = [(right_x, top + i * LEADING, line) for i, line in enumerate(RIGHT_COLUMN)]
    order = sorted(left + right, key=lambda t: (t[1], t[0])) if row_by_row else left + right
    for x, y, line in order:
        s.page.insert_text((x, y), line, fontname="japan", fontsize=10)
    return s.save(folder / f"two_columns_{'rows' if row_by_row else 'columns'}.pdf")
