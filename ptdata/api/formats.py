"""Dates and times in the spec's formats: ``MM/DD/YYYY`` and ``hh:mm AM/PM``, always in UTC.

Power Textor reads ``ScheduledDate``/``ScheduledTime`` and ``EventDate``/``Time`` as UTC with
minute resolution. A naive ``datetime`` has no zone to convert from, so it is refused rather
than guessed.

>>> from datetime import UTC, datetime
>>> schedule_strings(datetime(2026, 12, 3, 15, 30, tzinfo=UTC))
('12/03/2026', '03:30 PM')
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from ptdata.api.errors import UsageError

__all__ = [
    "DATE_FIELDS",
    "TIME_FIELDS",
    "check_date_string",
    "check_time_string",
    "format_date",
    "format_time",
    "parse_date_string",
    "parse_time_string",
    "schedule_strings",
    "to_utc",
]

#: Request fields that hold a ``MM/DD/YYYY`` date / a ``hh:mm AM/PM`` UTC time.
DATE_FIELDS = frozenset({"ScheduledDate", "EventDate"})
TIME_FIELDS = frozenset({"ScheduledTime", "Time"})

_DATE_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2}) (AM|PM)$")


def to_utc(moment: datetime, *, field: str = "time") -> datetime:
    """The same instant in UTC, cut to the minute; a naive datetime is a usage error."""
    if not isinstance(moment, datetime):
        raise UsageError(f"{field}: expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UsageError(
            f"{field}: {moment.isoformat()} has no time zone, so the instant is ambiguous. "
            "Pass a timezone-aware datetime, e.g. "
            "datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo('America/New_York'))."
        )
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def format_date(value: date | datetime, *, field: str = "date") -> str:
    """``MM/DD/YYYY``; a datetime is converted to UTC first (its UTC date is what counts)."""
    if isinstance(value, datetime):
        value = to_utc(value, field=field).date()
    elif not isinstance(value, date):
        raise UsageError(f"{field}: expected a date, got {type(value).__name__}")
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def format_time(value: datetime | time, *, field: str = "time") -> str:
    """``hh:mm AM/PM`` in UTC. A ``time`` must carry tzinfo=UTC (a bare time is ambiguous)."""
    if isinstance(value, datetime):
        value = to_utc(value, field=field).time()
    elif isinstance(value, time):
        offset = value.utcoffset()
        if offset is None or offset.total_seconds() != 0:
            raise UsageError(
                f"{field}: a time of day must be given in UTC (time(14, 0, tzinfo=timezone.utc)) "
                "or as a timezone-aware datetime; Power Textor reads it as UTC."
            )
    else:
        raise UsageError(f"{field}: expected a datetime or time, got {type(value).__name__}")
    hour12 = value.hour % 12 or 12
    return f"{hour12:02d}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def schedule_strings(moment: datetime, *, field: str = "at") -> tuple[str, str]:
    """(``MM/DD/YYYY``, ``hh:mm AM/PM``) of an aware datetime, in UTC."""
    utc = to_utc(moment, field=field)
    return format_date(utc.date()), format_time(utc.replace(tzinfo=UTC).timetz())


def parse_date_string(text: str) -> date:
    """The date in a ``MM/DD/YYYY`` string; ValueError when it is not one."""
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not MM/DD/YYYY")
    month, day, year = (int(g) for g in m.groups())
    return date(year, month, day)


def parse_time_string(text: str) -> time:
    """The UTC time in a ``hh:mm AM/PM`` string; ValueError when it is not one."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not hh:mm AM/PM")
    hour, minute, half = int(m.group(1)), int(m.group(2)), m.group(3)
    if not 1 <= hour <= 12 or minute > 59:
        raise ValueError(f"{text!r} is not a valid hh:mm AM/PM time")
    return time(hour % 12 + (12 if half == "PM" else 0), minute, tzinfo=UTC)


def check_date_string(text: str, *, field: str) -> str:
    """Pass a ``MM/DD/YYYY`` string through unchanged after checking it is a real date."""
    try:
        parse_date_string(text)
    except ValueError as exc:
        raise UsageError(
            f"{field}: {text!r} is not a date in the spec's MM/DD/YYYY form (e.g. 12/03/2026); "
            f"or pass a date/aware datetime and ptdata formats it ({exc})"
        ) from None
    return text


def check_time_string(text: str, *, field: str) -> str:
    """Pass a ``hh:mm AM/PM`` string through unchanged after checking it."""
    try:
        parse_time_string(text)
    except ValueError:
        raise UsageError(
            f"{field}: {text!r} is not a UTC time in the spec's hh:mm AM/PM form (e.g. 03:30 PM); "
            "or pass an aware datetime and ptdata converts it to UTC"
        ) from None
    return text
