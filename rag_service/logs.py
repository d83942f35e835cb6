"""Logs a hospital can keep: every logger (the service's, ingestion's, uvicorn's) as one JSON object per line, with
the fields a record carries (`extra={"fields": {...}}`), never an exception's text (it can hold request text)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", …fields}` on one line, for every logger (uvicorn's included)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "fields", None) or {})
        if record.exc_info and record.exc_info[0] is not None:
            doc["error"] = record.exc_info[0].__name__  # the type only: an exception's text can hold request text
        return json.dumps(doc, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` (and uvicorn `log_config`) that writes JSON lines to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["json"], "level": level, "propagate": False} for name in
               ("uvicorn", "uvicorn.error", "uvicorn.access", "rag", "rag_service", "ingestion")}  # fmt: skip
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": loggers,
    }
