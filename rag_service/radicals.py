"""CJK Radicals Supplement (U+2E80–U+2EFF) to the unified ideographs they stand for.

NFKC maps the 214 Kangxi radicals (U+2F00–U+2FD5) to ideographs, but not this block, and PDF text layers use both
(`⻑` U+2ED1 for 長). The pairs are Unicode's EquivalentUnifiedIdeograph.txt (UCD, Unicode License v3) for
U+2E81–U+2EF3; U+2E80 has no equivalent there and stays. Fourteen targets are outside the BMP.
"""

from __future__ import annotations

_PAIRS = (
    "⺁厂 ⺂乛 ⺃乚 ⺄乙 ⺅亻 ⺆冂 ⺇𠘨 ⺈刀 ⺉刂 ⺊卜 ⺋㔾 ⺌小 ⺍小 ⺎兀 ⺏尣 ⺐尢 ⺑𡯂 ⺒巳 "
    "⺓幺 ⺔彑 ⺕𫜹 ⺖忄 ⺗心 ⺘扌 ⺙攵 ⺛旡 ⺜日 ⺝月 ⺞歺 ⺟母 ⺠民 ⺡氵 ⺢氺 ⺣灬 ⺤爫 ⺥爫 "
    "⺦丬 ⺧牛 ⺨犭 ⺩王 ⺪𤴔 ⺫目 ⺬示 ⺭礻 ⺮𥫗 ⺯糹 ⺰纟 ⺱罓 ⺲罒 ⺳㓁 ⺴冗 ⺵𦉫 ⺶羊 ⺷𦍌 "
    "⺸𦍋 ⺹耂 ⺺肀 ⺻聿 ⺼肉 ⺽𦥑 ⺾艹 ⺿艹 ⻀艹 ⻁虎 ⻂衤 ⻃覀 ⻄西 ⻅见 ⻆角 ⻇𧢲 ⻈讠 ⻉贝 "
    "⻊𧾷 ⻋车 ⻌辶 ⻍辶 ⻎辶 ⻏邑 ⻐钅 ⻑長 ⻒镸 ⻓长 ⻔门 ⻕𨸏 ⻖阝 ⻗雨 ⻘青 ⻙韦 ⻚页 ⻛风 "
    "⻜飞 ⻝食 ⻞𩙿 ⻟飠 ⻠饣 ⻡𩠐 ⻢马 ⻣骨 ⻤鬼 ⻥鱼 ⻦鸟 ⻧卤 ⻨麦 ⻩黄 ⻪黾 ⻫斉 ⻬齐 ⻭歯 "
    "⻮齿 ⻯竜 ⻰龙 ⻱龜 ⻲亀 ⻳龟"
)
RADICAL_SUPPLEMENT: dict[int, str] = {ord(pair[0]): pair[1:] for pair in _PAIRS.split()}


def fold_radicals(text: str) -> str:
    """Radicals Supplement characters to their ideographs (Kangxi radicals are left to NFKC)."""
    return text.translate(RADICAL_SUPPLEMENT)
