"""Japanese instructions and examples for the four RAGAS metrics `rag eval ragas` computes.

ragas' own prompts are English with English examples; on Japanese answers a judge model then writes English questions
(answer relevancy compares them with a Japanese question: low scores that measure the language, not the answer) or
no statements at all ("No statements were generated", faithfulness NaN): ragas issues 1383 and 1387. Each prompt
here keeps ragas' input and output models (so ragas parses and scores the outputs as usual) and replaces the
instruction and the examples with Japanese ones on clinical-guideline text. Importing this module needs the `eval`
extra (ragas).
"""

# ruff: noqa: RUF012  (ragas declares `examples` as a plain class attribute; these override it)
from __future__ import annotations

from ragas.metrics._answer_relevance import (
    ResponseRelevanceInput,
    ResponseRelevanceOutput,
    ResponseRelevancePrompt,
    ResponseRelevancy,
)
from ragas.metrics._context_precision import QAC, ContextPrecisionPrompt, LLMContextPrecisionWithReference, Verification
from ragas.metrics._context_recall import (
    QCA,
    ContextRecallClassification,
    ContextRecallClassificationPrompt,
    ContextRecallClassifications,
    LLMContextRecall,
)
from ragas.metrics._faithfulness import (
    Faithfulness,
    NLIStatementInput,
    NLIStatementOutput,
    NLIStatementPrompt,
    StatementFaithfulnessAnswer,
    StatementGeneratorInput,
    StatementGeneratorOutput,
    StatementGeneratorPrompt,
)

LANGUAGE = "japanese"

_CONTEXT = (
    "成人の高血圧では、診察室血圧140/90 mmHg以上を高血圧と診断する。降圧目標は75歳未満で130/80 mmHg未満とする。"
    "第一選択薬はCa拮抗薬、ARB、ACE阻害薬、少量のサイアザイド系利尿薬である。"
)
_TARGET = "75歳未満では130/80 mmHg未満。"
_ANSWER = "75歳未満の成人の降圧目標は130/80 mmHg未満です [1]。第一選択薬にはCa拮抗薬やARBが含まれます [1]。"


class JaStatementGeneratorPrompt(StatementGeneratorPrompt):
    instruction = (
        "質問と回答が与えられます。回答の各文を分析し、それぞれを一つ以上の、単独で意味が通じる日本語の文（主張）に"
        "分解してください。代名詞（これ、それ、同薬など）は使わず、指している語に置き換えてください。引用番号 [1] は"
        "主張に含めないでください。主張は必ず日本語で書き、JSON で出力してください。"
    )
    language = LANGUAGE
    examples = [
        (
            StatementGeneratorInput(question="成人の高血圧の降圧目標と第一選択薬は何ですか。", answer=_ANSWER),
            StatementGeneratorOutput(
                statements=[
                    "75歳未満の成人の降圧目標は130/80 mmHg未満である。",
                    "高血圧の第一選択薬にはCa拮抗薬が含まれる。",
                    "高血圧の第一選択薬にはARBが含まれる。",
                ]
            ),
        )
    ]


class JaNLIStatementPrompt(NLIStatementPrompt):
    instruction = (
        "与えられた資料（context）に照らして、各主張の忠実性を判定してください。"
        "主張が資料から直接導ける場合は verdict を 1、資料から直接導けない場合（資料に書かれていない、"
        "または矛盾する場合）は 0 とします。理由（reason）は日本語で簡潔に書いてください。"
    )
    language = LANGUAGE
    examples = [
        (
            NLIStatementInput(
                context=_CONTEXT,
                statements=[
                    "75歳未満の成人の降圧目標は130/80 mmHg未満である。",
                    "高血圧の第一選択薬にはβ遮断薬が含まれる。",
                    "高血圧の患者には減塩を指導する。",
                ],
            ),
            NLIStatementOutput(
                statements=[
                    StatementFaithfulnessAnswer(
                        statement="75歳未満の成人の降圧目標は130/80 mmHg未満である。",
                        reason="資料に「降圧目標は75歳未満で130/80 mmHg未満」と明記されている。",
                        verdict=1,
                    ),
                    StatementFaithfulnessAnswer(
                        statement="高血圧の第一選択薬にはβ遮断薬が含まれる。",
                        reason="資料の第一選択薬にβ遮断薬は挙げられていない。",
                        verdict=0,
                    ),
                    StatementFaithfulnessAnswer(
                        statement="高血圧の患者には減塩を指導する。",
                        reason="資料には減塩についての記載がない。",
                        verdict=0,
                    ),
                ]
            ),
        )
    ]


class JaResponseRelevancePrompt(ResponseRelevancePrompt):
    instruction = (
        "与えられた回答から、その回答が答えている質問を日本語で一つ作ってください。"
        "また、回答が曖昧・回避的（「わかりません」「資料からは回答できません」など）であれば noncommittal を 1、"
        "明確に答えていれば 0 とします。"
    )
    language = LANGUAGE
    examples = [
        (
            ResponseRelevanceInput(response=_ANSWER),
            ResponseRelevanceOutput(question="75歳未満の成人の高血圧の降圧目標と第一選択薬は何か。", noncommittal=0),
        ),
        (
            ResponseRelevanceInput(response="回答不能: 資料には小児の用量の記載がありません。"),
            ResponseRelevanceOutput(question="小児の用量はどれくらいか。", noncommittal=1),
        ),
    ]


class JaContextPrecisionPrompt(ContextPrecisionPrompt):
    instruction = (
        "質問、回答（正解）と資料（context）が与えられます。その資料が回答を導くのに役立ったかを判定してください。"
        "役立った場合は verdict を 1、役立たなかった場合は 0 とし、理由を日本語で書いて JSON で出力してください。"
    )
    language = LANGUAGE
    examples = [
        (
            QAC(
                question="成人の高血圧の降圧目標は何ですか。", context=_CONTEXT, answer="75歳未満では130/80 mmHg未満。"
            ),
            Verification(reason="資料に75歳未満の降圧目標が書かれており、回答の根拠になる。", verdict=1),
        ),
        (
            QAC(
                question="成人の高血圧の降圧目標は何ですか。",
                context="2型糖尿病の血糖コントロール目標は、合併症予防のためHbA1c 7.0%未満とする。",
                answer=_TARGET,
            ),
            Verification(reason="資料は糖尿病の血糖目標であり、降圧目標の回答には役立たない。", verdict=0),
        ),
    ]


class JaContextRecallPrompt(ContextRecallClassificationPrompt):
    instruction = (
        "資料（context）と回答（answer）が与えられます。回答の各文について、その文が資料から導けるかを分類してください。"
        "導ける場合は attributed を 1、導けない場合は 0 とし、文（statement）はそのまま、理由は日本語で書いて JSON で"
        "出力してください。"
    )
    language = LANGUAGE
    examples = [
        (
            QCA(
                question="成人の高血圧の降圧目標と第一選択薬は何ですか。",
                context=_CONTEXT,
                answer=(
                    "75歳未満の降圧目標は130/80 mmHg未満である。第一選択薬はCa拮抗薬などである。"
                    "減塩は1日6 g未満とする。"
                ),
            ),
            ContextRecallClassifications(
                classifications=[
                    ContextRecallClassification(
                        statement="75歳未満の降圧目標は130/80 mmHg未満である。",
                        reason="資料に同じ降圧目標が書かれている。",
                        attributed=1,
                    ),
                    ContextRecallClassification(
                        statement="第一選択薬はCa拮抗薬などである。",
                        reason="資料の第一選択薬にCa拮抗薬がある。",
                        attributed=1,
                    ),
                    ContextRecallClassification(
                        statement="減塩は1日6 g未満とする。",
                        reason="資料に減塩の記載はない。",
                        attributed=0,
                    ),
                ]
            ),
        )
    ]


def japanese_metrics() -> dict[str, object]:
    """The four metrics by report name, each with its Japanese prompts (LLM and embeddings are set by the caller)."""
    return {
        "faithfulness": Faithfulness(
            statement_generator_prompt=JaStatementGeneratorPrompt(), nli_statements_prompt=JaNLIStatementPrompt()
        ),
        "answer_relevancy": ResponseRelevancy(question_generation=JaResponseRelevancePrompt()),
        "context_precision": LLMContextPrecisionWithReference(context_precision_prompt=JaContextPrecisionPrompt()),
        "context_recall": LLMContextRecall(context_recall_prompt=JaContextRecallPrompt()),
    }
