"""Cron arithmetic (croniter, UTC) and logical dates.

A run's logical date is the cron tick it belongs to (as in Airflow 3's cron timetable: the
run for the 03:00 tick has logical date 03:00 that day). A pipeline without a cron has one
logical date per day, at midnight UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from croniter import croniter

__all__ = [
    "DAILY",
    "logical_dates",
    "next_tick",
    "parse_when",
    "resolve_logical_date",
    "ticks",
]

DAILY = "0 0 * * *"
"""The implicit schedule of a pipeline without a cron, for backfill and ``--date``."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def next_tick(expr: str, after: datetime) -> datetime:
    """The first tick of ``expr`` strictly after ``after``."""
    return _utc(croniter(expr, _utc(after)).get_next(datetime))


def ticks(expr: str, start: datetime, end: datetime, *, include_start: bool = True) -> list[datetime]:
    """Ticks of ``expr`` in ``[start, end]`` (``(start, end]`` without ``include_start``)."""
    start, end = _utc(start), _utc(end)
    it = croniter(expr, start - timedelta(seconds=1))
    out: list[datetime] = []
    while True:
        tick = _utc(it.get_next(datetime))
        if tick > end:
            return out
        if tick > start or (include_start and tick == start):
            out.append(tick)


def logical_dates(schedule: str | None, start: date, end: date) -> list[datetime]:
    """Logical dates of the days ``start``…``end`` (inclusive): cron ticks, or midnights."""
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    first = datetime.combine(start, time(), UTC)
    last = datetime.combine(end + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)
    return ticks(schedule or DAILY, first, last)


def parse_when(value: str) -> date | datetime:
    """``YYYY-MM-DD`` → a date; an ISO-8601 date-time → an aware datetime (UTC if no offset)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"expected a date (YYYY-MM-DD) or an ISO-8601 date-time, got {value!r}") from None


def resolve_logical_date(schedule: str | None, value: date | datetime | str | None, *, now: datetime) -> datetime:
    """The logical date a manual run or ``--date`` means.

    A date-time is taken as is. A date (default: today) means that day's first tick of the
    pipeline's cron (midnight without a cron; midnight too if the cron has no tick that day),
    so ``run --date D`` and the scheduler's run for day D are the same run.
    """
    if isinstance(value, str):
        value = parse_when(value)
    if isinstance(value, datetime):
        return _utc(value)
    day = value or _utc(now).date()
    found = logical_dates(schedule, day, day)
    return found[0] if found else datetime.combine(day, time(), UTC)
