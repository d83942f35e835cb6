"""An OpenAI-compatible chat server on 127.0.0.1 that answers by rule (the remote LLM is the one boundary we do not
own): it cites the first numbered source that holds `keyword`, or abstains; it streams when asked; it records every
request it receives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.local_server import ServedAPI

_SOURCE = re.compile(r"<<<資料 \[(\d+)\]>>>\n(.*?)\n<<<資料 \[\1\] ここまで>>>", re.S)


class RuleLLM(ServedAPI):
    """`answer_for(prompt)`: 「医師は二十四時間以内に…届け出なければならない[n]。」 for the first source [n] that holds
    `keyword`, else an abstention. `stream: true` sends it in three-character pieces, then `[DONE]`."""

    def __init__(self, keyword: str = "異状") -> None:
        self.keyword = keyword
        self.append = ""  # added after a cited answer (e.g. a marker of a source that was never given)
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def chat(request: Request) -> JSONResponse | StreamingResponse:
            body = await request.json()
            self.requests.append(body)
            text = self.answer_for(body["messages"][-1]["content"])
            if body.get("stream"):
                return StreamingResponse(self._events(text), media_type="text/event-stream")
            usage = {"prompt_tokens": 100, "completion_tokens": len(text)}
            message = {"role": "assistant", "content": text}
            return JSONResponse({"choices": [{"index": 0, "message": message}], "usage": usage})

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        self.serve(app)

    def answer_for(self, prompt: str) -> str:
        for number, body in _SOURCE.findall(prompt):
            if self.keyword in body:
                return f"医師は二十四時間以内に所轄警察署に届け出なければならない[{number}]。{self.append}"
        return "回答不能: 資料に該当する記載がありません。"

    @staticmethod
    def _events(text: str) -> Iterator[str]:
        for i in range(0, len(text), 3):
            chunk = {"choices": [{"index": 0, "delta": {"content": text[i : i + 3]}}]}
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
