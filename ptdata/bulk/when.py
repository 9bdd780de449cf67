"""When each row goes out: parse send times and reminder settings into the API's UTC strings.

Power Textor reads ``ScheduledDate``/``EventDate`` as ``MM/DD/YYYY`` and ``ScheduledTime``/
``Time`` as ``hh:mm AM/PM`` in UTC, to the minute. Everything here is vectorised over the
distinct values of a column (a campaign usually has a handful of send times, not a million).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.api.formats import format_time, parse_date_string, parse_time_string, to_utc

__all__ = [
    "format_moments",
    "parse_at",
    "parse_at_column",
    "parse_event_date",
    "parse_event_date_column",
    "parse_event_time",
    "reminder_moment",
]

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
            raise UsageError(f"at={text!r} is not an ISO date-time like 2026-12-03T10:00-05:00") from None
    if not isinstance(at, datetime):
        raise UsageError(f"at= takes an aware datetime or ISO text, not {type(at).__name__}")
    return to_utc(at, field="at")


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
    parsed_u = pd.Series(pd.to_datetime(parsed, utc=True) if parsed else [], dtype="datetime64[ns, UTC]")
    err_u = pd.Series(errors, dtype="str")
    take = np.where(codes < 0, 0, codes)
    if len(uniques) == 0:
        return (pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
                pd.Series(pd.NA, index=range(n), dtype="str"))
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


def format_moments(utc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(``MM/DD/YYYY``, ``hh:mm AM/PM``) strings of UTC moments; NA where NaT."""
    codes, uniques = pd.factorize(utc, use_na_sentinel=True)
    n = len(utc)
    if len(uniques) == 0:
        empty = pd.Series(pd.NA, index=range(n), dtype="str")
        return empty, empty.copy()
    u = pd.DatetimeIndex(uniques)
    d_u = np.asarray(u.strftime("%m/%d/%Y"), dtype=object)
    t_u = np.asarray(u.strftime("%I:%M %p"), dtype=object)
    take = np.where(codes < 0, 0, codes)
    d = pd.Series(d_u[take], dtype="str")
    t = pd.Series(t_u[take], dtype="str")
    d[codes < 0] = pd.NA
    t[codes < 0] = pd.NA
    return d, t


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
            value = time(hour, minute, tzinfo=timezone.utc)
        else:
            try:
                parse_time_string(text)
            except ValueError:
                raise UsageError(
                    f"{field}: {text!r} is not a UTC time; write it like 14:00 or 02:00 PM"
                ) from None
            return text
    return format_time(value, field=field)


def reminder_moment(event: date, days_before: int, time_text: str) -> datetime:
    """When Power Textor sends a reminder: ``days_before`` days before the event, at the UTC time."""
    t = parse_time_string(time_text)
    return datetime.combine(event - timedelta(days=int(days_before)), t).astimezone(timezone.utc)
