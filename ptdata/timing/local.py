"""Send at a local wall-clock time: "10:00 on 12/03" becomes each recipient's UTC instant.

Power Textor schedules in UTC (``MM/DD/YYYY`` + ``hh:mm AM/PM``); the strings come from
``ptdata.api.formats`` so every part of ptdata writes them the same way. Daylight saving:

- a local time that does not exist (the spring-forward gap, e.g. 02:30 on 03/08/2026 in New
  York) moves forward to the first valid minute after the gap (03:00), with a ``note``;
- a local time that happens twice (fall back, e.g. 01:30 on 11/01/2026 in New York) means the
  first occurrence (still on daylight time), with a ``note``.

The work is done once per distinct (zone, local time), so a million rows cost milliseconds.

>>> from datetime import datetime
>>> import pandas as pd
>>> zones = pd.Series(["America/New_York", "America/Los_Angeles"])
>>> out = local_schedule(datetime(2026, 12, 3, 10, 0), zones)
>>> out[["ScheduledDate", "ScheduledTime"]].values.tolist()
[['12/03/2026', '03:00 PM'], ['12/03/2026', '06:00 PM']]
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import numpy as np
import pandas as pd

from ptdata._columns import none_for_missing, take_str
from ptdata.api.errors import UsageError
from ptdata.api.formats import format_date, format_time
from ptdata.timing.parse import parse_local_at

__all__ = [
    "factorize_pairs",
    "factorize_rows",
    "local_schedule",
    "localize",
    "localize_rows",
    "utc_column",
    "wall_clock",
]


def _check_zone(zone: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = (
            "; it lists several zones: schedule with resolve_timezones()['tz'] and check "
            "quiet hours with ['check_zones']"
            if ";" in zone
            else "; resolve_timezones() reports such rows instead of failing"
        )
        raise UsageError(
            f"time zone {zone!r} is not an IANA name (e.g. 'America/New_York'){hint}"
        ) from None


def localize(naive: pd.Series, zone: str) -> tuple[pd.Series, pd.Series]:
    """(UTC instants, note or NA) for naive wall-clock times read in ``zone``.

    Nonexistent times move forward past the gap; repeated times take the first occurrence.
    """
    _check_zone(zone)
    first = np.ones(len(naive), dtype=bool)  # True = the daylight-time (first) reading
    gap = naive.dt.tz_localize(zone, ambiguous=first, nonexistent="NaT").isna() & naive.notna()
    twice = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward").isna()
    twice &= naive.notna()
    aware = naive.dt.tz_localize(zone, ambiguous=first, nonexistent="shift_forward")
    notes = pd.Series(pd.NA, index=naive.index, dtype="str")
    for i in np.flatnonzero(gap.to_numpy() | twice.to_numpy()):
        wall, moment = naive.iloc[i], aware.iloc[i]
        if gap.iloc[i]:
            notes.iloc[i] = (
                f"{wall:%H:%M} does not exist on {wall:%m/%d/%Y} in {zone} (clocks "
                f"spring forward); using {moment:%H:%M %Z}, the first valid time "
                "after the gap"
            )
        else:
            notes.iloc[i] = (
                f"{wall:%H:%M} happens twice on {wall:%m/%d/%Y} in {zone} (clocks "
                f"fall back); using the first, {moment:%H:%M %Z}"
            )
    return aware.dt.tz_convert("UTC"), notes


def _as_naive(local_moment, index: pd.Index) -> pd.Series:
    if isinstance(local_moment, pd.Series):
        values = local_moment
        if not values.index.equals(index):
            values = values.reindex(index)
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            raise UsageError(
                "local_moment holds time-zone-aware values; give naive wall-clock "
                "times (the zone comes from each row)"
            )
        try:
            return pd.to_datetime(values)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"local_moment: cannot read the times as dates ({exc})") from None
    if isinstance(local_moment, str):
        local_moment = parse_local_at(local_moment, field="local_moment")
    if not isinstance(local_moment, datetime):
        raise UsageError(
            f"local_moment must be a naive datetime, ISO text or a Series, "
            f"not {type(local_moment).__name__}"
        )
    if local_moment.tzinfo is not None:
        raise UsageError(
            f"local_moment {local_moment.isoformat()} already has a time zone, so it is one "
            "instant for everybody; give the wall-clock time, e.g. datetime(2026, 12, 3, 10, 0)"
        )
    return pd.Series(np.full(len(index), np.datetime64(local_moment, "us")), index=index)


def local_schedule(local_moment, tzs: pd.Series) -> pd.DataFrame:
    """Per recipient, the UTC instant and Power Textor strings for a local wall-clock time.

    ``local_moment`` is a naive datetime (``datetime(2026, 12, 3, 10, 0)`` = 10:00 local on
    12/03/2026), ISO text, or a Series of naive datetimes aligned with ``tzs`` (one IANA zone
    name per row, NA where unknown). Returns a frame aligned to ``tzs.index``:
    ``send_at_utc`` (UTC, cut to the minute, as Power Textor schedules), ``ScheduledDate``
    (``MM/DD/YYYY``), ``ScheduledTime`` (``hh:mm AM/PM``, UTC) and ``note`` (DST adjustments,
    or why a row has no time). Rows sharing a UTC slot get identical strings, so they batch.

    >>> from datetime import datetime
    >>> import pandas as pd
    >>> out = local_schedule(datetime(2026, 3, 8, 2, 30), pd.Series(["America/New_York"]))
    >>> out.loc[0, ["ScheduledDate", "ScheduledTime"]].tolist()
    ['03/08/2026', '07:00 AM']
    """
    tzs = pd.Series(list(tzs), dtype="str") if not isinstance(tzs, pd.Series) else tzs.astype("str")
    naive = _as_naive(local_moment, tzs.index).dt.floor("min")
    codes, utc, notes = _localize_pairs(tzs, naive)
    dates = [None if pd.isna(t) else format_date(t.to_pydatetime()) for t in utc]
    times = [None if pd.isna(t) else format_time(t.to_pydatetime()) for t in utc]
    return pd.DataFrame(
        {
            "send_at_utc": utc_column(utc.dt.tz_localize(None).to_numpy()[codes], tzs.index),
            "ScheduledDate": take_str(codes, dates, tzs.index),
            "ScheduledTime": take_str(codes, times, tzs.index),
            "note": take_str(codes, list(notes), tzs.index),
        }
    )


def _localize_pairs(tzs: pd.Series, naive: pd.Series):
    """(code per row, UTC instant per distinct (zone, wall time), note per distinct pair)."""
    codes, (zones, walls) = factorize_pairs(tzs, naive)
    utc = pd.Series(pd.NaT, index=range(len(zones)), dtype="datetime64[us, UTC]")
    notes = np.full(len(zones), None, dtype=object)
    for zone in set(zones) - {None}:
        mine = np.flatnonzero(zones == zone)
        moment, note = localize(pd.Series(walls[mine]).astype("datetime64[us]"), zone)
        utc.iloc[mine], notes[mine] = moment.to_numpy(), note.to_numpy(dtype=object)
    notes[pd.isna(zones) & ~pd.isna(walls)] = "no time zone for this row"
    notes[pd.isna(walls)] = "no local time for this row"
    return codes, utc, none_for_missing(notes)


def localize_rows(naive: pd.Series, zones) -> tuple[pd.Series, np.ndarray]:
    """(UTC instant, DST note or None) per row: wall-clock times read in each row's zone.

    Rows without a zone or a time get NaT and no note.
    """
    tzs = pd.Series(np.asarray(zones, dtype=object), index=naive.index, dtype="str")
    codes, utc, notes = _localize_pairs(tzs, naive.astype("datetime64[us]"))
    notes[pd.isna(utc).to_numpy()] = None
    return utc_column(utc.dt.tz_localize(None).to_numpy()[codes], naive.index), notes[codes]


def wall_clock(instants: pd.Series, zones) -> pd.Series:
    """The naive local wall-clock time of each UTC instant in its row's zone (NaT if none)."""
    zones = np.asarray(zones, dtype=object)
    utc = instants.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    out = np.full(len(instants), np.datetime64("NaT"), dtype="datetime64[us]")
    codes, uniques = pd.factorize(zones)
    for i, zone in enumerate(uniques):
        rows = np.flatnonzero(codes == i)
        local = pd.DatetimeIndex(utc[rows]).tz_localize("UTC").tz_convert(zone).tz_localize(None)
        out[rows] = np.asarray(local, dtype="datetime64[us]")
    return pd.Series(out, index=instants.index)


def utc_column(naive_utc: np.ndarray, index: pd.Index) -> pd.Series:
    """A ``datetime64[us, UTC]`` column from naive UTC datetime64 values (no per-row objects)."""
    return pd.Series(naive_utc.astype("datetime64[us]"), index=index).dt.tz_localize("UTC")


def factorize_rows(frame: pd.DataFrame) -> np.ndarray:
    """One code per distinct row of ``frame`` (missing values count as values), 0 upwards."""
    key = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        key = key * (len(uniques) + 1) + codes
    return pd.factorize(key)[0]


def factorize_pairs(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(code per row, (a values, b values) per distinct pair); missing values stay as a pair."""
    a_codes, a_uniques = pd.factorize(a, use_na_sentinel=False)
    b_codes, b_uniques = pd.factorize(b, use_na_sentinel=False)
    codes, combos = pd.factorize(a_codes.astype(np.int64) * (len(b_uniques) + 1) + b_codes)
    a_of = np.asarray(a_uniques, dtype=object)[combos // (len(b_uniques) + 1)]
    b_of = np.asarray(b_uniques)[combos % (len(b_uniques) + 1)]
    a_of = none_for_missing(a_of)
    return codes, (a_of, b_of)
