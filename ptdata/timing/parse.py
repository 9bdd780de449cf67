"""Dates and times as people write them: the one place ptdata reads them.

Every date, time, moment and reminder offset a user writes (an argument, a sheet column, a
CLI option, a booking export's appointment column) is read here, once per distinct value, and
every refusal says what was written and how to write it:

- one instant for everybody: ``parse_at`` / ``parse_at_column`` (ISO with a UTC offset, or an
  aware datetime), ``parse_moment`` (the CLI's ``--at``/``--now``/``--since``);
- each recipient's own wall clock: ``parse_local_at`` / ``parse_local_column`` /
  ``parse_wall_times`` (``2026-12-03 10:00``, ``12/03/2026 10:00 AM``, ``10:00 local on
  12/03/2026``);
- reminder settings: ``parse_event_date`` (``2026-12-03``, ``12/03/2026``),
  ``parse_event_time`` (UTC, ``14:00``, ``02:00 PM``), ``parse_offset`` ("2 days before at
  09:00");
- appointment times as booking exports write them: ``parse_appointments``.

Power Textor's own ``MM/DD/YYYY`` and ``hh:mm AM/PM`` strings are written (and checked) by
``ptdata.api.formats``.

>>> parse_local_at("10:00 local on 12/03/2026")
datetime.datetime(2026, 12, 3, 10, 0)
>>> offset = parse_offset("2 days before at 09:00")
>>> offset.days, offset.at, offset.before
(2, datetime.time(9, 0), datetime.timedelta(0))
>>> got = parse_appointments(pd.Series(["December 8, 2026 9:15 am", "12/08/2026", "soon"]))
>>> got.local.tolist(), got.date_only.tolist()
([Timestamp('2026-12-08 09:15:00'), Timestamp('2026-12-08 00:00:00'), NaT], [False, True, False])
>>> parse_appointments(pd.Series(["12/08/2026"]), pd.Series(["2:30 PM"])).local.tolist()
[Timestamp('2026-12-08 14:30:00')]
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd

from ptdata._columns import spread
from ptdata.api.errors import UsageError
from ptdata.api.formats import (
    format_time,
    parse_date_string,
    parse_time_string,
    to_utc,
)
from ptdata.timing.offsets import ReminderOffset

__all__ = [
    "DATE_FORMATS",
    "TIME_FORMATS",
    "WALL_FORMATS",
    "Appointments",
    "parse_appointments",
    "parse_at",
    "parse_at_column",
    "parse_event_date",
    "parse_event_date_column",
    "parse_event_time",
    "parse_hours",
    "parse_local_at",
    "parse_local_column",
    "parse_moment",
    "parse_offset",
    "parse_wall_times",
]

#: How a sheet writes a local date and time (tried in this order, once per distinct value).
WALL_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M%p",
    "%m/%d/%Y %H:%M:%S",
)


_OFFSET_RE = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_HHMM_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_at(at: datetime | str) -> datetime:
    """The UTC minute of a send time given as an aware datetime or ISO text with an offset."""
    if isinstance(at, str):
        text = at.strip()
        if not re.search(_OFFSET_RE, text):
            raise UsageError(
                f"at={at!r} has no UTC offset, so the moment is ambiguous: write it like "
                "2026-12-03T10:00-05:00 (or give a time zone)"
            )
        try:
            at = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise UsageError(
                f"at={text!r} is not an ISO date-time like 2026-12-03T10:00-05:00"
            ) from None
    if not isinstance(at, datetime):
        raise UsageError(f"at= takes an aware datetime or ISO text, not {type(at).__name__}")
    return to_utc(at, field="at")


def parse_moment(
    text: str, *, field: str, tz: str | None = None, naive: str = "refuse", zone_hint: str = ""
) -> datetime:
    """An instant written as ISO text (``2026-12-03T10:00-05:00``, ``...Z``), in UTC.

    Without an offset it is read in ``tz`` (an IANA zone name) when given; else ``naive="utc"``
    reads it as UTC (``2026-11-01`` is that day's start) and ``naive="refuse"`` refuses it.
    ``field`` names the option in the messages (``--at``, ``--now``, ``since=``);
    ``zone_hint`` ends the refusal of a time without an offset (how else to give the zone).

    >>> parse_moment("2026-12-03T10:00-05:00", field="--at")
    datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.timezone.utc)
    >>> parse_moment("2026-12-03 10:00", field="--at", tz="America/Chicago").isoformat()
    '2026-12-03T16:00:00+00:00'
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise UsageError(
            f"{field} {text!r} is not an ISO date-time like 2026-12-03T10:00-05:00"
        ) from None
    if moment.tzinfo is not None and tz:
        raise UsageError(f"{field} {text!r} already has a UTC offset; drop the time zone ({tz})")
    if moment.tzinfo is None:
        if tz:
            try:
                moment = moment.replace(tzinfo=ZoneInfo(tz))
            except (ZoneInfoNotFoundError, ValueError):
                raise UsageError(f"{tz!r} is not a time zone name like America/New_York") from None
        elif naive == "utc":
            moment = moment.replace(tzinfo=UTC)
        else:
            raise UsageError(
                f"{field} {text!r} has no UTC offset: add one, e.g. 2026-12-03T10:00-05:00"
                + zone_hint
            )
    return moment.astimezone(UTC)


def parse_at_column(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """(UTC minute per row, NaT where blank = send now; error text per row, NA where fine)."""
    n = len(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").dt.floor("min")
        return utc.reset_index(drop=True), pd.Series(pd.NA, index=range(n), dtype="str")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise UsageError(
            f"column {column!r} holds date-times without a time zone; localise it first, e.g. "
            f"frame[{column!r}] = frame[{column!r}].dt.tz_localize('America/New_York')"
        )
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed: list[object] = []
    errors: list[object] = []
    for v in uniques:
        moment, err = _one_at(v, column)
        parsed.append(moment)
        errors.append(err)
    parsed_u = pd.Series(
        pd.to_datetime(parsed, utc=True) if parsed else [], dtype="datetime64[ns, UTC]"
    )
    err_u = pd.Series(errors, dtype="str")
    take = np.where(codes < 0, 0, codes)
    if len(uniques) == 0:
        return (
            pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
            pd.Series(pd.NA, index=range(n), dtype="str"),
        )
    utc = pd.Series(parsed_u.to_numpy()[take], dtype="datetime64[ns, UTC]")
    utc[codes < 0] = pd.NaT
    err = pd.Series(err_u.to_numpy()[take], dtype="str")
    err[codes < 0] = pd.NA
    return utc, err


def _one_at(v: object, column: str) -> tuple[object, object]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return pd.NaT, None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            return pd.NaT, f"{column}: {v.isoformat()} has no time zone"
        return to_utc(v), None
    text = str(v).strip()
    if not text:
        return pd.NaT, None
    try:
        return parse_at(text), None
    except UsageError:
        return pd.NaT, (
            f"{column}: {text!r} is not a date-time with a UTC offset "
            "(write it like 2026-12-03T10:00-05:00)"
        )


def parse_event_date(value: date | datetime | str, *, field: str = "event_date") -> date:
    """An event date from a date, ``YYYY-MM-DD`` or ``MM/DD/YYYY``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return parse_date_string(text)
        except ValueError:
            pass
    raise UsageError(f"{field}: {value!r} is not a date; write it like 2026-12-03 or 12/03/2026")


def parse_event_date_column(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """(event date per row as python dates, NA where bad; error text per row)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    dates: list[object] = []
    errors: list[object] = []
    for v in uniques:
        if isinstance(v, str) and not v.strip():
            dates.append(None)
            errors.append(f"{column}: the event date is empty")
            continue
        try:
            dates.append(parse_event_date(v, field=column))
            errors.append(None)
        except UsageError as exc:
            dates.append(None)
            errors.append(str(exc))
    dates_a = np.array(dates + [None], dtype=object)
    errs_a = np.array(errors + [f"{column}: the event date is empty"], dtype=object)
    take = np.where(codes < 0, len(uniques), codes)
    return pd.Series(dates_a[take], dtype=object), pd.Series(errs_a[take], dtype="str")


def parse_event_time(value: time | datetime | str, *, field: str = "time") -> str:
    """The reminder's UTC time of day as ``hh:mm AM/PM`` (``"14:00"`` is read as UTC)."""
    if isinstance(value, str):
        text = value.strip()
        m = _HHMM_RE.match(text)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2))
            if hour > 23 or minute > 59:
                raise UsageError(f"{field}: {text!r} is not a time of day (HH:MM, 00:00-23:59)")
            value = time(hour, minute, tzinfo=UTC)
        else:
            try:
                parse_time_string(text)
            except ValueError:
                raise UsageError(
                    f"{field}: {text!r} is not a UTC time; write it like 14:00 or 02:00 PM"
                ) from None
            return text
    return format_time(value, field=field)


_LOCAL_PHRASE = re.compile(
    r"^(?P<clock>\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)\s+(?:local\s+)?(?:time\s+)?on\s+(?P<date>.+)$",
    re.IGNORECASE,
)


def parse_local_at(value: datetime | str, *, field: str = "local_at") -> datetime:
    """A wall-clock time without a zone (each recipient's own), to the minute.

    A naive datetime, ISO text (``2026-12-03 10:00``), ``12/03/2026 10:00 AM`` or
    ``10:00 local on 12/03/2026``. A value with a UTC offset is one instant for everybody and
    belongs in ``at=``.
    """
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise UsageError(
                f"{field}={value.isoformat()} has a time zone, so it is one instant for "
                "everybody: use at= for that, or give the wall-clock time without a zone, "
                "e.g. datetime(2026, 12, 3, 10, 0)"
            )
        return value.replace(second=0, microsecond=0)
    if not isinstance(value, str):
        raise UsageError(
            f"{field} takes a naive datetime or text like '2026-12-03 10:00', "
            f"not {type(value).__name__}"
        )
    text = " ".join(value.split())
    m = _LOCAL_PHRASE.match(text)
    if m:  # "10:00 local on 12/03/2026"
        text = f"{m.group('date')} {m.group('clock').replace('.', '').upper()}"
    parsed = parse_wall_times(pd.Series([text], dtype="str")).iloc[0]
    if pd.isna(parsed):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return parse_local_at(moment, field=field)  # explains at= instead
        raise UsageError(
            f"{field}={value!r} is not a local date and time; write it like 2026-12-03 10:00, "
            "12/03/2026 10:00 AM or '10:00 local on 12/03/2026'"
        )
    return parsed.to_pydatetime()


def parse_local_column(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """(naive local time per row, NaT where blank = send now; error text per row, NA where fine).

    Formats as ``WALL_FORMATS`` (``2026-12-03 10:00``,
    ``12/03/2026 10:00 AM`` ...); a value with a UTC offset is an error naming ``at_column``.
    """
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise UsageError(
            f"column {column!r} holds instants with a time zone: send them with "
            f"at_column={column!r}; local_at_column takes wall-clock times"
        )
    naive = parse_wall_times(values)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return naive, pd.Series(pd.NA, index=values.index, dtype="str")
    text = values.astype("str").str.strip()
    bad = naive.isna() & text.notna() & (text != "")
    err = pd.Series(pd.NA, index=values.index, dtype="str")
    if bad.any():
        shown = "'" + text[bad] + "'"
        err[bad] = (
            column + ": " + shown + " is not a local date and time (write it like "
            "2026-12-03 10:00 or 12/03/2026 10:00 AM; a time with a UTC offset goes "
            "in at_column=)"
        )
    return naive, err


def parse_hours(text: str, *, field: str) -> tuple[time, time]:
    """Allowed hours written ``08:00-21:00``: (start, end), local times of day.

    >>> parse_hours(" 9:30 - 20:00 ", field="--quiet-hours")
    (datetime.time(9, 30), datetime.time(20, 0))
    """
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not m or int(m[1]) > 23 or int(m[3]) > 23 or int(m[2]) > 59 or int(m[4]) > 59:
        raise UsageError(f"{field} {text!r}: write the allowed hours like 08:00-21:00")
    return time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))


# -- local wall-clock times ---------------------------------------------------------------------


def parse_wall_times(values: pd.Series) -> pd.Series:
    """Naive local date-times (``datetime64[us]``, to the minute) from a sheet column.

    Text like ``2026-12-03 10:30`` or ``12/03/2026 10:30 AM`` (see ``WALL_FORMATS``) or naive
    datetimes; NaT where blank or unreadable. Parsed once per distinct value.

    >>> parse_wall_times(pd.Series(["12/03/2026 10:30 AM", "", "soon"])).tolist()
    [Timestamp('2026-12-03 10:30:00'), NaT, NaT]
    """
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[us]").dt.floor("min")
    text = values.astype("str").str.strip()
    codes, uniques = pd.factorize(text)
    parsed = pd.Series(pd.NaT, index=range(len(uniques)), dtype="datetime64[us]")
    for fmt in WALL_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(pd.Series(uniques)[todo], format=fmt, errors="coerce")
    taken = np.append(parsed.to_numpy(dtype="datetime64[us]"), np.datetime64("NaT", "us"))
    return pd.Series(taken[np.where(codes < 0, len(uniques), codes)], index=values.index).dt.floor(
        "min"
    )


# -- reminder offsets ("2 days before at 09:00") ------------------------------------------------

_FORMS = (
    '"2 days before at 09:00", "1 day before at 6:30 pm", "the day before at 18:00", '
    '"same day at 08:00", "same day 2 hours before", "90 minutes before", '
    '"1 week before at 10:00", "2 days before" (same time of day)'
)
_UNITS = {
    "week": timedelta(weeks=1),
    "weeks": timedelta(weeks=1),
    "wk": timedelta(weeks=1),
    "day": timedelta(days=1),
    "days": timedelta(days=1),
    "d": timedelta(days=1),
    "hour": timedelta(hours=1),
    "hours": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "hrs": timedelta(hours=1),
    "h": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "minutes": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "mins": timedelta(minutes=1),
    "m": timedelta(minutes=1),
    "second": timedelta(seconds=1),
    "seconds": timedelta(seconds=1),
    "sec": timedelta(seconds=1),
    "secs": timedelta(seconds=1),
    "s": timedelta(seconds=1),
}
_AMOUNT = re.compile(r"(\d+)\s*([a-z]+)")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def _clock(text: str, whole: str) -> time:
    words = {"noon": time(12), "midday": time(12), "midnight": time(0)}
    if text in words:
        return words[text]
    m = _CLOCK.match(text)
    if m:
        hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        if half:
            if 1 <= hour <= 12 and minute < 60:
                return time(hour % 12 + (12 if half.startswith("p") else 0), minute)
        elif hour < 24 and minute < 60 and m.group(2) is not None:
            return time(hour, minute)
    raise UsageError(f"reminder {whole!r}: {text!r} is not a time of day like 09:00 or 6:30 pm")


def _amounts(text: str, whole: str) -> timedelta:
    total, pos = timedelta(0), 0
    for m in _AMOUNT.finditer(text):
        if text[pos : m.start()].strip(" ,and") or m.group(2) not in _UNITS:
            break
        total, pos = total + int(m.group(1)) * _UNITS[m.group(2)], m.end()
    else:
        if pos and not text[pos:].strip():
            return total
    raise UsageError(
        f"reminder {whole!r}: cannot read {text!r} as an amount of time; "
        f"write it like one of: {_FORMS}"
    )


def parse_offset(text: str | ReminderOffset) -> ReminderOffset:
    """Read a reminder offset written in words; UsageError naming the accepted forms.

    >>> offset = parse_offset("same day 2 hours before")
    >>> offset.days, offset.at, offset.before
    (0, None, datetime.timedelta(seconds=7200))
    """
    if isinstance(text, ReminderOffset):
        return text
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"a reminder offset is text like {_FORMS}; got {text!r}")
    whole = text.strip()
    s = " ".join(whole.lower().split())
    s = re.sub(r"\s+local( time)?$", "", s)
    if re.search(r"\bafter\b", s):
        raise UsageError(
            f"reminder {whole!r}: reminders go before the appointment; for a "
            "follow-up after it, schedule a text instead"
        )
    at = None
    if " at " in f" {s} ":
        s, _, clock = s.rpartition("at ") if s.startswith("at ") else s.rpartition(" at ")
        at = _clock(clock.strip(), whole)
        s = s.strip()
    days, before = 0, timedelta(0)
    if s in ("same day", "on the day", "day of", "the same day", ""):
        if not s and at is None:
            raise UsageError(f"reminder {whole!r}: write it like one of: {_FORMS}")
    elif s in ("the day before", "day before", "the night before", "the evening before"):
        days = 1
    else:
        same_day = s.startswith(("same day ", "on the day "))
        s = re.sub(r"^(same day|on the day)\s+", "", s)
        if not s.endswith(" before"):
            raise UsageError(f"reminder {whole!r}: write it like one of: {_FORMS}")
        amount = _amounts(s[: -len(" before")], whole)
        days, before = amount.days, amount - timedelta(days=amount.days)
        if same_day and days:
            raise UsageError(f"reminder {whole!r}: 'same day' cannot be {days} days before")
    return ReminderOffset(days=days, at=at, before=before, text=whole)


# -- appointment times as booking exports write them -----------------------------------------

#: How exports write a date (tried in this order on each distinct value).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%A, %B %d, %Y",
    "%a, %b %d, %Y",
    "%B %d %Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
)
#: How exports write a time of day (after lower-casing and dropping the dots of "a.m.").
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I:%M:%S %p", "%I %p", "%I%p")

_SPLIT = re.compile(
    r"^(?P<date>.*?\d)(?:[ ,]+|t)(?P<time>\d{1,2}(?::\d{2}){0,2}\s*(?:[ap]m)?)"
    r"(?P<offset>z|[+-]\d{2}:?\d{2})?$"
)


class Appointments(NamedTuple):
    """Per row: the naive local date-time, the instant when an offset was written, date-only."""

    local: pd.Series  # datetime64[us], NaT where unreadable or blank
    instant: pd.Series  # datetime64[us, UTC], NaT unless the text had an offset
    date_only: np.ndarray  # True where only a date was given


def _clean(text: pd.Series) -> pd.Series:
    """Lower case, single spaces, "a.m." as "am" (month names parse in any case)."""
    return (
        text.str.strip()
        .str.lower()
        .str.replace(r"\s+", " ", regex=True)
        .str.replace(r"(?<![a-z])([ap])\.\s?m\.?", r"\1m", regex=True)
    )


def _parse(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Each value read with the first format that fits (NaT if none)."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    todo = values.notna()
    for fmt in formats:
        if not todo.any():
            break
        got = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        out[todo] = got
        todo &= out.isna()
    return out


def _dates(text: pd.Series) -> pd.Series:
    """Dates, in any of ``DATE_FORMATS``."""
    return _parse(_clean(text), DATE_FORMATS)


def _times(text: pd.Series) -> pd.Series:
    """Time of day as a Timedelta since midnight (NaT where unreadable)."""
    got = _parse(
        _clean(text)
        .str.replace(r"(\d)([ap]m)$", r"\1 \2", regex=True)
        .str.replace(r"^(\d{1,2}:\d{2}(?::\d{2})?) ?([ap]m)$", r"\1 \2", regex=True),
        TIME_FORMATS,
    )
    return got - got.dt.normalize()


def _unique(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    text = values.astype("str").str.strip()
    codes, uniques = pd.factorize(text.where(text != "", pd.NA), use_na_sentinel=True)
    return codes, pd.Series(uniques, dtype="str")


def parse_appointments(values: pd.Series, time_values: pd.Series | None = None) -> Appointments:
    """Appointment times as booking exports write them, read once per distinct value.

    ``December 8, 2026 9:15 am`` (Acuity), ``12/08/2026 8:00 AM``, ``12/8/26 8:00 AM``,
    ``2026-12-08 09:15``, ``2026-12-08T09:15:00``, ``08.12.2026 09:15`` (day first with dots,
    as German and French exports write it), and ISO with an offset
    (``2026-12-08T09:15:00-05:00``, ``...Z``), which is an exact instant. A date alone
    (``12/08/2026``) is a date-only appointment. ``time_values`` (a second column, e.g. ``Appt
    Time``: ``8:00 AM``, ``14:30``) gives the time of day of a date column. Slashes are month
    first (US); dots are day first.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            instant = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            return Appointments(
                pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]"),
                instant,
                np.zeros(len(values), dtype=bool),
            )
        local = values.astype("datetime64[us]").dt.floor("min")
        return Appointments(
            local,
            pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]"),
            np.zeros(len(values), dtype=bool),
        )
    codes, uniques = _unique(values)
    parts = _clean(uniques).str.extract(_SPLIT)
    has_time = parts["date"].notna()
    day = _dates(uniques.where(~has_time, parts["date"]))
    clock = pd.Series(pd.NaT, index=uniques.index, dtype="timedelta64[us]")
    if has_time.any():
        clock[has_time] = _times(parts.loc[has_time, "time"])
    local_u = day + clock.fillna(pd.Timedelta(0))
    bad = day.isna() | (has_time & clock.isna())
    local_u = local_u.where(~bad)
    date_only_u = (~has_time & day.notna()).to_numpy()
    offset = parts["offset"].where(~bad)
    instant_u = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[us, UTC]")
    aware = offset.notna()
    if aware.any():
        minutes = offset[aware].map(_offset_minutes)
        instant_u[aware] = (local_u[aware] - pd.to_timedelta(minutes, unit="min")).dt.tz_localize(
            "UTC"
        )
        local_u[aware] = pd.NaT
    n = len(values)
    local = pd.Series(
        spread(codes, local_u.to_numpy(dtype="datetime64[us]"), np.datetime64("NaT")),
        index=values.index,
    )
    instant = pd.Series(
        spread(
            codes,
            instant_u.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"),
            np.datetime64("NaT"),
        ),
        index=values.index,
    ).dt.tz_localize("UTC")
    date_only = spread(codes, date_only_u, False) if n else np.zeros(0, dtype=bool)
    if time_values is not None:
        local, date_only = _with_times(local, date_only, time_values)
    return Appointments(local.astype("datetime64[us]"), instant, np.asarray(date_only, dtype=bool))


def _offset_minutes(text: str) -> int:
    if text == "z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))


def _with_times(
    local: pd.Series, date_only: np.ndarray, time_values: pd.Series
) -> tuple[pd.Series, np.ndarray]:
    """Dates from one column, times of day from another: a time cell completes a date-only cell."""
    codes, uniques = _unique(time_values.reset_index(drop=True))
    clock_u = _times(uniques).to_numpy(dtype="timedelta64[us]")
    clock = spread(codes, clock_u, np.timedelta64("NaT"))
    given = codes >= 0
    combined = local.to_numpy(dtype="datetime64[us]").copy()
    ok = date_only & given & ~pd.isna(clock)
    combined[ok] = combined[ok] + clock[ok]
    # a time cell that cannot be read, or a date cell that already has its own time, is unreadable
    combined[given & (pd.isna(clock) | ~date_only)] = np.datetime64("NaT")
    return pd.Series(combined, index=local.index), date_only & ~given
