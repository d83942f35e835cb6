"""The console's words: one catalogue per language, strings keyed by id (`messages_ja.py`; an English catalogue is
one more dict with the same keys, and `tests/unit/test_console_text.py` checks every key a template or a module
uses is in each), formatted with the reader's time zone (`RAG_TIMEZONE`).

A message is a trusted template: the values put into it are escaped (`markupsafe`), unless they are `Markup`
themselves (a link to an edition), so a title with `<` in it is shown, never run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from markupsafe import Markup

from rag_service.console import formatting
from rag_service.console.messages_ja import MESSAGES as JA

CATALOGUES: dict[str, Mapping[str, str]] = {"ja": JA}


class ConsoleText:
    """`t("corpus.title")`, `t("audit.status", edition=link, old=…, new=…)`; times and dates in the reader's zone."""

    def __init__(self, locale: str = "ja", tz: ZoneInfo | None = None) -> None:
        self.locale = locale
        self.messages = CATALOGUES[locale]
        self.tz = tz or ZoneInfo("Asia/Tokyo")

    def __call__(self, key: str, /, **values: object) -> Markup:
        return Markup(self.messages[key]).format(**values)

    def raw(self, key: str) -> str:
        """The catalogue's string as it is (a pattern for dates, a separator)."""
        return self.messages[key]

    def label(self, group: str, value: object, default: str | None = None) -> str:
        """A value's label (`status.current` → 現行); the value itself, or `default`, when the catalogue has none."""
        found = self.messages.get(f"{group}.{value}")
        return found if found is not None else (default if default is not None else str(value))

    def labels(self, group: str, values: tuple[str, ...] | list[str]) -> Markup:
        return self.join([self.label(group, v) for v in values])

    def join(self, parts: list[Markup] | list[str]) -> Markup:
        return Markup(self.messages["sep.list"]).join(parts)

    def time(self, value: str | datetime | None) -> str:
        return formatting.local_time(value, self.tz, self.messages["format.datetime"])

    def date(self, value: date | str | None) -> str:
        return formatting.local_date(value, self.messages["format.date"])

    def pages(self, first: int | None, last: int | None = None) -> str:
        return formatting.page_span(first, last, self.messages["format.page"], self.messages["format.pages"])

    def runs(self, pages: list[int]) -> str:
        return formatting.page_runs(pages, self.messages["sep.list"])


@lru_cache(maxsize=16)
def console_text(locale: str, tz: ZoneInfo) -> ConsoleText:
    return ConsoleText(locale, tz)
