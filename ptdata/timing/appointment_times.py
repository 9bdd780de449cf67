"""Appointment times as booking exports write them, read once per distinct value.

``parse_appointments(values)`` reads ``December 8, 2026 9:15 am`` (Acuity), ``12/08/2026 8:00
AM``, ``12/8/26 8:00 AM``, ``2026-12-08 09:15``, ``2026-12-08T09:15:00``, ``08.12.2026 09:15``
(day first with dots, as German and French exports write it), and ISO with an offset
(``2026-12-08T09:15:00-05:00``, ``...Z``), which is an exact instant. A date alone
(``12/08/2026``) is a date-only appointment. ``time_values`` (a second column, e.g. ``Appt
Time``: ``8:00 AM``, ``14:30``) gives the time of day of a date column. Slashes are month first
(US); dots are day first.

>>> got = parse_appointments(pd.Series(["December 8, 2026 9:15 am", "12/08/2026", "soon"]))
>>> got.local.tolist(), got.date_only.tolist()
([Timestamp('2026-12-08 09:15:00'), Timestamp('2026-12-08 00:00:00'), NaT], [False, True, False])
>>> parse_appointments(pd.Series(["12/08/2026"]), pd.Series(["2:30 PM"])).local.tolist()
[Timestamp('2026-12-08 14:30:00')]
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["DATE_FORMATS", "TIME_FORMATS", "Appointments", "parse_appointments"]

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
    """Per row: the naive local date-time, the exact instant when an offset was written, date-only."""

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


def _spread(codes: np.ndarray, per_unique: np.ndarray, missing, index: pd.Index) -> np.ndarray:
    return np.append(per_unique, np.array([missing], dtype=per_unique.dtype))[
        np.where(codes < 0, len(per_unique), codes)
    ]


def parse_appointments(values: pd.Series, time_values: pd.Series | None = None) -> Appointments:
    """Read appointment times (see the module doc); ``time_values`` is a separate time column."""
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
        _spread(
            codes, local_u.to_numpy(dtype="datetime64[us]"), np.datetime64("NaT"), values.index
        ),
        index=values.index,
    )
    instant = pd.Series(
        _spread(
            codes,
            instant_u.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"),
            np.datetime64("NaT"),
            values.index,
        ),
        index=values.index,
    ).dt.tz_localize("UTC")
    date_only = _spread(codes, date_only_u, False, values.index) if n else np.zeros(0, dtype=bool)
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
    clock = _spread(codes, clock_u, np.timedelta64("NaT"), local.index)
    given = codes >= 0
    combined = local.to_numpy(dtype="datetime64[us]").copy()
    ok = date_only & given & ~pd.isna(clock)
    combined[ok] = combined[ok] + clock[ok]
    # a time cell that cannot be read, or a date cell that already has its own time, is unreadable
    combined[given & (pd.isna(clock) | ~date_only)] = np.datetime64("NaT")
    return pd.Series(combined, index=local.index), date_only & ~given
