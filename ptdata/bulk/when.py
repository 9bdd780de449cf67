"""When each row goes out: parse send times and reminder settings into the API's UTC strings.

Power Textor reads ``ScheduledDate``/``EventDate`` as ``MM/DD/YYYY`` and ``ScheduledTime``/
``Time`` as ``hh:mm AM/PM`` in UTC, to the minute. The strings are written by
``ptdata.api.formats`` and local wall-clock times are read by ``ptdata.timing``, so every part
of ptdata agrees on them. Everything here is vectorised over the distinct values of a column
(a campaign usually has a handful of send times, not a million).

>>> parse_local_at("10:00 local on 12/03/2026")
datetime.datetime(2026, 12, 3, 10, 0)
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.api.formats import (
    format_date,
    format_time,
    parse_date_string,
    parse_time_string,
    to_utc,
)
from ptdata.timing.local import parse_wall_times

__all__ = [
    "format_moments",
    "parse_at",
    "parse_at_column",
    "parse_event_date",
    "parse_event_date_column",
    "parse_event_time",
    "parse_local_at",
    "parse_local_column",
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
            raise UsageError(
                f"at={text!r} is not an ISO date-time like 2026-12-03T10:00-05:00"
            ) from None
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


def format_moments(utc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(``MM/DD/YYYY``, ``hh:mm AM/PM``) strings of UTC moments; NA where NaT."""
    codes, uniques = pd.factorize(utc, use_na_sentinel=True)
    instants = [t.to_pydatetime() for t in pd.DatetimeIndex(uniques).tz_convert("UTC")]
    dates = pd.Series([format_date(t) for t in instants], dtype="str")
    times = pd.Series([format_time(t) for t in instants], dtype="str")
    return _take(dates, codes, len(utc)), _take(times, codes, len(utc))


def _take(u: pd.Series, codes: np.ndarray, n: int) -> pd.Series:
    if len(u) == 0:
        return pd.Series(pd.NA, index=range(n), dtype="str")
    out = pd.Series(u.to_numpy(dtype=object)[np.where(codes < 0, 0, codes)], dtype="str")
    out[codes < 0] = pd.NA
    return out


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

    Formats as ``ptdata.timing.local.WALL_FORMATS`` (``2026-12-03 10:00``,
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
