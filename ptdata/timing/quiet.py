"""Quiet hours: no text before 08:00 or after 21:00 in the recipient's own local time.

The check is made on the instant each message will actually go out: ``now`` for "send now"
rows (``NaT`` in ``send_at_utc``), the scheduled instant, or a reminder's instant. A row is
allowed when ``start <= local time < end`` in *every* zone listed for it (``check_zones``
from ``resolve_timezones`` is ';'-joined under the strictest rule). Policy ``"shift"`` moves
a blocked message to the next allowed moment (today's start when too early, the next day's
start when too late); ``"skip"`` leaves it with ``skip_reason = "quiet_hours"``.

Some states set a stricter window for marketing texts; ``STATE_WINDOWS`` holds the ones below
and is on by default (``QuietHours(state_windows=None)`` turns it off). It covers marketing
(telephone solicitation) texts only, is not legal advice, and laws change: check with counsel.

==== ====================== ==============================================================
FL   08:00-20:00            Florida Telephone Solicitation Act, Fla. Stat. 501.059(8)(a)
OK   08:00-20:00            Oklahoma Telephone Solicitation Act of 2022, 15 O.S. 775C.4
MD   08:00-20:00            Maryland Stop the Spam Calls Act of 2023, Com. Law 14-4503
WA   08:00-20:00            Washington telephone solicitation, RCW 80.36.390
TX   09:00-21:00 Mon-Sat,   Tex. Bus. & Com. Code 301.051
     12:00-21:00 Sunday
==== ====================== ==============================================================

>>> from datetime import datetime, timezone
>>> import pandas as pd
>>> at = pd.Series([pd.Timestamp("2026-12-04 01:30", tz="UTC")])   # 20:30 in Miami
>>> out = apply_quiet_hours(at, pd.Series(["America/New_York"]), QuietHours(),
...                         states=pd.Series(["FL"]))
>>> out.loc[0, "send_at_utc"]                                        # 08:00 next morning
Timestamp('2026-12-04 13:00:00+0000', tz='UTC')
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType

import numpy as np
import pandas as pd

from ptdata._columns import take_str
from ptdata.api.errors import UsageError
from ptdata.timing._clock import current_utc
from ptdata.timing.local import factorize_rows, utc_column

__all__ = ["QuietHours", "STATE_WINDOWS", "StateWindow", "apply_quiet_hours"]

POLICIES = ("shift", "skip")


@dataclass(frozen=True)
class StateWindow:
    """A state's allowed hours for marketing texts (local time; ``sunday`` overrides Sundays)."""

    start: time
    end: time
    sunday: tuple[time, time] | None = None
    law: str = ""


#: Stricter windows for marketing texts by state (see the module docstring; check with counsel).
STATE_WINDOWS: Mapping[str, StateWindow] = MappingProxyType(
    {
        "FL": StateWindow(time(8), time(20), law="Fla. Stat. 501.059(8)(a)"),
        "MD": StateWindow(time(8), time(20), law="Md. Code, Com. Law 14-4503"),
        "OK": StateWindow(time(8), time(20), law="Okla. Stat. tit. 15, 775C.4"),
        "TX": StateWindow(
            time(9), time(21), sunday=(time(12), time(21)), law="Tex. Bus. & Com. Code 301.051"
        ),
        "WA": StateWindow(time(8), time(20), law="RCW 80.36.390"),
    }
)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class QuietHours:
    """The allowed sending window in the recipient's local time, plus stricter state windows.

    >>> QuietHours().describe("TX")
    '09:00-21:00, Sun 12:00-21:00 (TX)'
    """

    start: time = time(8, 0)
    end: time = time(21, 0)
    state_windows: Mapping[str, StateWindow] | None = field(default_factory=lambda: STATE_WINDOWS)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise UsageError(f"QuietHours.{name} must be a local time of day like time(8, 0)")
        if _minutes(self.start) >= _minutes(self.end):
            raise UsageError(
                f"QuietHours: start {self.start:%H:%M} must be before end {self.end:%H:%M} "
                "(an allowed window within one day)"
            )

    def week(self, state: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(start minute, end minute) per weekday, Monday first; start >= end means closed."""
        start = np.full(7, _minutes(self.start))
        end = np.full(7, _minutes(self.end))
        rule = (self.state_windows or {}).get(state) if state else None
        if rule is not None:
            days = [(rule.start, rule.end)] * 6 + [rule.sunday or (rule.start, rule.end)]
            start = np.maximum(start, [_minutes(a) for a, _ in days])
            end = np.minimum(end, [_minutes(b) for _, b in days])
        return start, end

    def describe(self, state: str | None) -> str:
        """The window that applies in ``state``, in words, e.g. ``'08:00-20:00 (FL)'``."""
        start, end = self.week(state)

        def span(i: int) -> str:
            if start[i] >= end[i]:
                return "closed"
            return f"{start[i] // 60:02d}:{start[i] % 60:02d}-{end[i] // 60:02d}:{end[i] % 60:02d}"

        text = span(0)
        if span(6) != text:
            text += f", Sun {span(6)}"
        rule = (self.state_windows or {}).get(state) if state else None
        return f"{text} ({state})" if rule is not None else text


def _next_allowed(t: np.ndarray, zone: str, start: np.ndarray, end: np.ndarray):
    """(allowed?, next allowed instant) in one zone; instants are int64 UTC microseconds."""
    local = pd.DatetimeIndex(t.view("datetime64[us]")).tz_localize("UTC").tz_convert(zone)
    weekday = np.asarray(local.day_of_week)
    minute = np.asarray(local.hour * 60 + local.minute)
    open_today = start[weekday] < end[weekday]
    allowed = open_today & (minute >= start[weekday]) & (minute < end[weekday])
    if allowed.all():
        return allowed, t
    blocked = ~allowed
    weekday, minute = weekday[blocked], minute[blocked]
    days = np.where(open_today[blocked] & (minute < start[weekday]), 0, 1)
    for _ in range(7):  # past closed days (a state may close a whole weekday)
        day = (weekday + days) % 7
        closed = start[day] >= end[day]
        if not closed.any():
            break
        days = days + closed
    midnight = np.asarray(local[blocked].tz_localize(None).normalize(), dtype="datetime64[us]")
    wall = (
        midnight
        + days.astype("timedelta64[D]")
        + start[day].astype(np.int64).astype("timedelta64[m]")
    )
    target = pd.DatetimeIndex(wall).tz_localize(
        zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
    )
    moved = t.copy()
    moved[blocked] = np.asarray(
        target.tz_convert("UTC").tz_localize(None), dtype="datetime64[us]"
    ).view(np.int64)
    return allowed, moved


def _check_group(t: np.ndarray, zones: list[str], start, end):
    """(allowed as given, next instant allowed in every zone, found?) for one group."""
    allowed_now = np.ones(len(t), dtype=bool)
    latest = t
    for zone in zones:
        ok, moved = _next_allowed(t, zone, start, end)
        allowed_now &= ok
        latest = np.maximum(latest, moved)
    found = latest == t
    for _ in range(2 * len(zones) + 2):  # each round moves to the latest zone's next opening
        if found.all():
            break
        t = latest
        for zone in zones:
            latest = np.maximum(latest, _next_allowed(t, zone, start, end)[1])
        found = latest == t
    return allowed_now, t, found


def _zone_list(joined: str) -> list[str]:
    zones = joined.split(";")
    for zone in zones:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"time zone {zone!r} is not an IANA name (e.g. 'America/New_York')"
            ) from None
    return zones


def apply_quiet_hours(
    send_at_utc: pd.Series,
    tzs: pd.Series,
    quiet: QuietHours | None = None,
    *,
    policy: str = "shift",
    states: pd.Series | None = None,
    now=None,
    show_in: pd.Series | None = None,
) -> pd.DataFrame:
    """Check each message's real sending instant against quiet hours in the recipient's zone(s).

    ``send_at_utc``: UTC instants, ``NaT`` meaning "send now" (checked at ``now``: an aware
    datetime, a clock callable, or None for the real clock). ``tzs``: one zone per row, or
    several ';'-joined (all must allow it), e.g. ``resolve_timezones(...)["check_zones"]``.
    ``states``: two-letter states for the stricter state windows (``resolve_timezones``'s
    ``state``). Returns, aligned to ``send_at_utc.index``: ``send_at_utc`` (the instant to
    use: moved under ``shift``, NaT for a send-now row that may go now), ``shifted``,
    ``skip_reason`` (``quiet_hours``, ``unknown_timezone`` or NA), ``quiet_window`` and
    ``note`` ("quiet hours 08:00-21:00: moved from 12/07 07:00 to 12/07 08:00 CST
    (America/Chicago)" for a moved row, written on the clock of ``show_in``: each row's own
    zone, by default the first of its ``tzs``). A send-now row that was shifted now has a
    time, so it must go out as a scheduled send.
    """
    quiet = QuietHours() if quiet is None else quiet
    if policy not in POLICIES:
        raise UsageError(f"policy must be 'shift' or 'skip', not {policy!r}")
    index = send_at_utc.index
    at = _as_utc(send_at_utc)
    tzs = _aligned(tzs, index)
    if states is None:
        states = pd.Series(pd.NA, index=index, dtype="str")
    states = _aligned(states, index)
    send_now = at.isna().to_numpy()
    if send_now.any():
        at = at.where(~send_now, current_utc(now).floor("min"))
    at = at.dt.floor("min")

    keys = pd.DataFrame(
        {
            "zones": tzs.astype("str").to_numpy(),
            "state": states.astype("str").to_numpy(),
            "at": at.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"),
        }
    )
    if show_in is not None:
        keys["shown"] = _aligned(show_in, index).astype("str").to_numpy()
    codes = factorize_rows(keys)
    uniq = keys.iloc[np.unique(codes, return_index=True)[1]].reset_index(drop=True)
    given = uniq["at"].to_numpy(dtype="datetime64[us]").view(np.int64)
    result = given.copy()
    allowed = np.zeros(len(uniq), dtype=bool)
    found = np.ones(len(uniq), dtype=bool)
    window = np.full(len(uniq), None, dtype=object)
    known = uniq["zones"].notna().to_numpy()
    for (joined, state), group in uniq[known].groupby(["zones", "state"], dropna=False, sort=False):
        state = None if pd.isna(state) else state
        start, end = quiet.week(state)
        rows = group.index.to_numpy()
        allowed[rows], result[rows], found[rows] = _check_group(
            given[rows], _zone_list(joined), start, end
        )
        window[rows] = quiet.describe(state)

    reason = np.full(len(uniq), None, dtype=object)
    reason[~known] = "unknown_timezone"
    blocked = known & ~allowed
    if policy == "skip":
        reason[blocked] = "quiet_hours"
        shifted = np.zeros(len(uniq), dtype=bool)
    else:
        reason[blocked & ~found] = "quiet_hours"  # no moment allowed in every zone
        shifted = blocked & found
    chosen = np.where(shifted, result, given)
    note = np.full(len(uniq), None, dtype=object)
    for i in np.flatnonzero(shifted):
        shown = uniq.at[i, "shown"] if show_in is not None else uniq.at[i, "zones"].split(";")[0]
        note[i] = moved_note(given[i], chosen[i], window[i], shown)
    row_shifted = shifted[codes]
    out_at = utc_column(chosen.view("datetime64[us]")[codes], index).mask(send_now & ~row_shifted)
    return pd.DataFrame(
        {
            "send_at_utc": out_at,
            "shifted": pd.Series(row_shifted, index=index),
            "skip_reason": take_str(codes, list(reason), index),
            "quiet_window": take_str(codes, list(window), index),
            "note": take_str(codes, list(note), index),
        }
    )


def moved_note(before_us: int, after_us: int, window: str, zone: str) -> str:
    """``quiet hours 08:00-21:00: moved from 12/07 07:00 to 12/07 08:00 CST (America/Chicago)``:
    the note every message moved by quiet hours carries (UTC microseconds, shown in ``zone``)."""
    a = pd.Timestamp(before_us, unit="us", tz="UTC").tz_convert(zone)
    b = pd.Timestamp(after_us, unit="us", tz="UTC").tz_convert(zone)
    return f"quiet hours {window}: moved from {a:%m/%d %H:%M} to {b:%m/%d %H:%M} {b:%Z} ({zone})"


def _aligned(values, index: pd.Index) -> pd.Series:
    """A Series lined up with ``index``: by label for a Series, by position for a list."""
    if isinstance(values, pd.Series):
        return values if values.index.equals(index) else values.reindex(index)
    return pd.Series(list(values), index=index, dtype="str")


def _as_utc(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if values.isna().all():
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    raise UsageError(
        "send_at_utc must hold time-zone-aware instants (or NaT for 'send now'); "
        "for a local wall-clock time use local_schedule() first"
    )
