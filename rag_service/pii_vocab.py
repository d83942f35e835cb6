"""The words around a person's name in Japanese clinical text: roles and labels before it (術者, 主治医の, 隊員,
麻酔科), honorifics and roles after it (様, 先生, 部長, PT, （Ns）), and words that may be joined to it with no space
(主治医石田, 岡部部長, 小林記録, ゆうとちゃん). One place for the vocabularies the name finders share."""

from __future__ import annotations

import re

from rag_service.pii_base import alt, words

# honorifics and roles written after a name, with or without a space (様, 先生, 部長; Dr, Ns, PT as in 南PT)
HONORIFIC_WORDS = (
    "様 さま さん 氏 殿 くん 君 ちゃん 先生 医師 看護師 師長 夫妻 部長 所長 院長 医長 科長 主任 教授 准教授 講師"
)
# 様 before a noun is "-like" after a word that is no known name: ヘリオトロープ様紅斑, チック様痙攣
# (but 山田様宛, 様本人)
LIKE_NOT_SAMA = r"(?!様(?!宛|方|邸|宅|分|本人|用|専用|家|一家)[一-龥々])"
JOINED_AFTER_WORDS = HONORIFIC_WORDS + " 宅 家 一家 宛 主治医 担当医"  # written right after a name: 田中宅, 石田主治医
_ROLE_AFTER = alt(JOINED_AFTER_WORDS) + "|ら(?![ぁ-ん])"
_ROLE_AFTER_ASCII = r"(?:Dr|Ns|PT|OT|ST|MSW|CW|Mr|Ms|Mrs)(?![A-Za-z])\.?"
# 小野 蒼（そう）くん: a reading between the name and its honorific
_READING = r"(?:[（(][ぁ-んァ-ヶーｦ-ﾟ ]{1,14}[）)])?"
FOLLOWS_PERSON = re.compile(
    r"^(?:"
    + _READING
    + r" ?(?:"
    + _ROLE_AFTER
    + "|"
    + _ROLE_AFTER_ASCII
    + r")|[（(] ?(?:Ns|Dr|PT|OT|ST|MSW|看護師|医師|薬剤師|研修医)[^）)]{0,8}[）)]"
    r"| ?\d{1,3} ?(?:歳|y|M|F|才)|[一-龥]{0,3}[医師士](?![一-龥])| 記(?![一-龥])|という(?:名前|方)|と名乗)"
)

# roles and labels written before a name (術者 長岡, 主治医の古川, 隊員 平岡, 麻酔科 岡田, 地域連携室 清水)
_ROLES = (
    "患者 患児 本人 本名 通称 旧姓 家族 術者 助手 麻酔 受付 依頼 記録 記載 作成 承認 指導 当直 介助 立会 "
    "担当 主治医 担当医 宛先 氏名 利用者 看護 器械出し 外回り 直接介助 間接介助 クラーク フルネーム 隊長 機関員 "
    "Ns Dr PT OT ST MSW 長男 長女 次男 次女 三男 三女 妻 夫 母 父 息子 娘 兄 姉 弟 妹 "
    "孫 祖母 祖父 主人 ご主人 ケアマネ 医事課 Operator Surgeon Patient Pt pt Name Assistant Nurse"
)
_ROLE_SUFFIXED = r"[一-龥]{0,5}[医師者士員長科室課係]"  # 研修医, 薬剤師, 処置者, 隊員, 隊長, 麻酔科, 連携室, 医事課
# with a space, a colon or a dot between (術者 長岡, 記載：南, Ns.小林), or の after a person's role (主治医の古川);
# a name joined to the word before it is found by JOINED_ROLE, where the tagger agrees (医師等, 当事者間, 患者サイド are
# not)
_PERSON_ROLES_NO = alt("主治医 担当医 担当 看護師 薬剤師 医師") + "の"
ROLE_BEFORE = re.compile(r"(?:(?:" + alt(_ROLES) + "|" + _ROLE_SUFFIXED + r")(?:[：:.] ?| )|" + _PERSON_ROLES_NO + ")$")
ROLE_WORD_END = re.compile(r"(?:" + alt(_ROLES) + r")$")  # 夫（Kenta）

# a role joined to the name after it, in one run of kanji (主治医石田, 患者山路, 本名李, 薬剤師宮田): multi-character
# roles only, so a name's own first kanji is never taken for a role
_JOINED_WORDS = alt(
    "患者 患児 本人 本名 通称 旧姓 家族 主治医 担当医 担当 医師 看護師 薬剤師 長男 長女 次男 次女 三男 三女 息子 "
    "祖母 祖父 主人 術者 助手 記載 記録"
)
_JOINED_SUFFIXED = r"[一-龥]{2,5}[医師者士員長科室課係]"  # 研修医石田, 担当看護師山口; not 日医工
_JOINED = "(?:" + _JOINED_SUFFIXED + "|" + _JOINED_WORDS + ")"
JOINED_ROLES = (re.compile(_JOINED_SUFFIXED), re.compile(_JOINED_WORDS))  # the longer first: 担当看護師, not 担当
JOINED_ROLE_END = re.compile(_JOINED + "$")
# honorifics, roles and record words joined to the name before them (岡部部長, 植木様, 小林記録, 石田より is a particle)
JOINED_HONORIFIC = re.compile(r"(?:" + alt(JOINED_AFTER_WORDS) + r")$")
RECORD_WORDS = "記録 記載 確認 報告 対応 指示 作成 承認 入力 実施 同席 同伴 同行"
_RECORD = alt(RECORD_WORDS)
JOINED_RECORD = re.compile(_RECORD + "$")
RECORD_AFTER = re.compile("^" + _RECORD)
HIRAGANA_HONORIFIC = alt("ちゃん くん さん さま")

# words the tagger or the lexicon may take for a name: people by their role or kinship, not by name (奥様, お孫さん,
# 長男, ケアマネさん), and single kanji that begin common words
NOT_NAMES = frozenset(
    words(
        "患者 同 両 本人 家族 皆 各 貴 当 本 主 前 後 上 下 中 外 内 他 次 新 旧 全 計 約 第 主治医 担当医 先生 医師 "
        "看護師 お母 お父 奥 お子 息子 娘 ご家族 同氏 両氏 本院 貴院 お兄 お姉 お爺 お婆 利用者 入居者 ご本人 職員 "
        "スタッフ 担当 術者 前医 紹介医 クリニック ステーション センター ホーム ケア ナース ドクター チーム メール "
        "おとう おかあ おばあ おじい おにい おねえ おじ おば おくさ ぼく わたし 孫 お孫 長男 長女 次男 次女 三男 三女 "
        "夫 妻 母 父 兄 姉 弟 妹 祖母 祖父 主人 ご主人 旦那 嫁 婿 一人 二人 皆様 みな 各位 ケアマネ ヘルパー "
        "ケアマネジャー ソーシャルワーカー セラピスト リハ エラー カナ フリガナ ローマ字 漢字 母親 父親 義母 義父 "
        "叔母 叔父 伯母 伯父 姪 甥 家内 友人 知人 隣人 同僚 上司 先輩 後輩 本名 通称 旧姓"
    )
)
