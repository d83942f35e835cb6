"""Pure formatting for the console: times in the reader's zone (`RAG_TIMEZONE`), dates and page ranges as the
message catalogue writes them, and the dates a librarian types (2020-06-01, 2020/6/1, 2020年6月1日, full-width)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_DAY = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?$")


def parse_day(text: str) -> date | None:
    """A day as a librarian types it: `2020-06-01`, `2020/6/1`, `2020年6月1日` (full-width digits too); None for
    an empty field; ValueError for anything else (the page says how to write it)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    m = _DAY.match(text)
    if m is None:
        raise ValueError(text)
    return date(int(m[1]), int(m[2]), int(m[3]))


def as_datetime(value: str | datetime) -> datetime | None:
    """An ISO time as the index and the audit log write it (UTC, `+00:00`); a bare date is midnight UTC; None when it
    is not a time at all."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(value: str | datetime | None, tz: ZoneInfo, pattern: str) -> str:
    """`2026-12-02T09:35:27+00:00` in Asia/Tokyo with the catalogue's pattern: 2026年12月2日 18:35. '' for nothing;
    what is not a time is shown as it is."""
    if value is None or value == "":
        return ""
    moment = as_datetime(value)
    if moment is None:
        return str(value)
    t = moment.astimezone(tz)
    return pattern.format(y=t.year, m=t.month, d=t.day, H=t.hour, M=t.minute, zone=t.tzname() or "")


def local_date(value: date | str | None, pattern: str) -> str:
    """A calendar date (a publication date has no zone): 2025年4月1日."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return pattern.format(y=day.year, m=day.month, d=day.day)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of a day in the reader's zone (a filter 'since 2026-12-02' means from its local midnight)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def page_span(first: int | None, last: int | None, single: str, span: str) -> str:
    """`p.3` / `p.3–4` with the catalogue's patterns; '' when unknown."""
    if first is None:
        return ""
    return single.format(a=first) if last in (None, first) else span.format(a=first, b=last)


def page_runs(pages: list[int], sep: str = "、") -> str:
    """`1–3、7、9–10`: consecutive pages as one run."""
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and runs[-1][-1] == p - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return sep.join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
