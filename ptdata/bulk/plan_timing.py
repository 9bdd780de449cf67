"""When each planned row goes out: one moment, per-row moments, the recipient's local time,
event reminders, and quiet hours checked on the instant each message really leaves.

The timing stage of ``ptdata.plan``. Time zones come from ``ptdata.timing.resolve_timezones``
(TimeZone column, else ZIP, else State, else the number), local wall-clock times become UTC
instants through ``local_schedule``, and ``apply_quiet_hours`` checks every message that will
be sent, at the moment it will go out: ``now`` for a send-now row, the scheduled instant, or
a reminder's instant. A blocked message is moved to the next allowed moment (``shift``; a
send-now row then becomes a scheduled send) or skipped (``skip``). Power Textor has no
scheduled send to plain numbers and none for MMS, so a send-now row of those shapes that
falls in quiet hours is skipped as ``quiet_hours_no_schedule``, saying so.

The work is done once per distinct zone, time and window, never once per row.

>>> req = TimingRequest(kind="text", local_at="10:00 local on 12/03/2026",
...                     now=pd.Timestamp("2026-11-02 12:00", tz="UTC"))
>>> req.needs_zones
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata._columns import join_notes, take_str, to_str
from ptdata.api.errors import UsageError
from ptdata.api.formats import format_date, format_time
from ptdata.bulk._rows import Marks, column, quoted
from ptdata.timing import (
    QuietHours,
    apply_quiet_hours,
    local_schedule,
    parse,
    reminder_fields,
    reminder_instant,
    resolve_timezones,
)
from ptdata.timing.local import factorize_rows

__all__ = ["NO_SCHEDULE", "Timing", "TimingRequest", "plan_timing"]

#: why a send-now row in quiet hours cannot be moved, per shape with no scheduled operation
NO_SCHEDULE = "quiet_hours_no_schedule"
_ZONE_COLUMNS = ("TimeZone", "ZIP", "State")


@dataclass(frozen=True)
class TimingRequest:
    """The timing arguments of ``plan``, checked together."""

    kind: str
    at: Any = None
    at_column: str | None = None
    local_at: Any = None
    local_at_column: str | None = None
    event_date: Any = None
    event_date_column: str | None = None
    days_before: Any = None
    time: Any = None
    days_before_column: str | None = None
    time_column: str | None = None
    tz_rule: str = "strictest"
    quiet: QuietHours | None = None
    quiet_policy: str = "shift"
    default_tz: str | None = None
    now: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.quiet is not None and not isinstance(self.quiet, QuietHours):
            raise UsageError(
                "quiet= takes a ptdata.QuietHours (e.g. QuietHours(time(9), "
                "time(20))) or None to send at any hour"
            )
        if self.quiet_policy not in ("shift", "skip"):
            raise UsageError(f"quiet_policy must be 'shift' or 'skip', not {self.quiet_policy!r}")
        if self.tz_rule not in ("strictest", "first", "skip"):
            raise UsageError(
                f"tz_rule must be 'strictest', 'first' or 'skip', not {self.tz_rule!r}"
            )
        timings = [
            k
            for k in ("at", "at_column", "local_at", "local_at_column")
            if getattr(self, k) is not None
        ]
        if len(timings) > 1:
            raise UsageError(f"give one timing, not {' and '.join(f'{k}=' for k in timings)}")
        if self.kind == "reminder" and timings:
            raise UsageError(
                f"a reminder is timed by event_date/days_before/time or by "
                f"appointments/offsets, not {timings[0]}="
            )

    @property
    def local(self) -> bool:
        return self.local_at is not None or self.local_at_column is not None

    @property
    def needs_zones(self) -> bool:
        """Recipients' zones are needed for local times and for quiet hours."""
        return self.local or self.quiet is not None


class Timing(NamedTuple):
    """Per row: how it goes, when (UTC), the API's strings, the zone used and a note."""

    timing: np.ndarray  # "now" | "scheduled" | "event"
    moment: pd.Series  # datetime64[ns, UTC]; NaT = now
    api_date: pd.Series
    api_time: pd.Series
    api_day: Any  # Int64 array
    tz: pd.Series
    tz_source: pd.Series
    note: pd.Series
    shifted: np.ndarray  # moved by quiet hours (or off a weekend/holiday)


def zone_frame(data: pd.DataFrame, phone: pd.Series) -> pd.DataFrame:
    """The columns ``resolve_timezones`` reads, with the numbers already in E.164."""
    out = {"Phone": phone.reset_index(drop=True)}
    for name in _ZONE_COLUMNS:
        if name in data.columns:
            out[name] = data[name].astype("str").reset_index(drop=True)
    return pd.DataFrame(out)


def plan_timing(
    data: pd.DataFrame,
    phone: pd.Series,
    marks: Marks,
    req: TimingRequest,
    *,
    can_schedule: bool,
    no_schedule_why: str,
) -> Timing:
    """The timing of every row; rows that cannot go are marked in ``marks``.

    ``can_schedule``: the recipient shape has a scheduled operation (a send-now row in quiet
    hours can be moved); ``no_schedule_why`` says why not, for the skip message.
    """
    n = len(data)
    na = pd.Series(pd.NA, index=range(n), dtype="str")
    zones = None
    if req.needs_zones:
        zones = resolve_timezones(
            zone_frame(data, phone), rule=req.tz_rule, default_tz=req.default_tz
        )
    timing, moment, api_date, api_time, api_day, local_note = _base(data, req, marks, zones)
    if zones is not None:
        needed = np.ones(n, dtype=bool) if req.quiet is not None else moment.notna().to_numpy()
        _mark_zones(marks, zones, needed, phone)
    _mark_past(marks, moment, req)
    notes = [local_note]
    shifted = np.zeros(n, dtype=bool)
    if zones is not None:
        detail = zones["tz_detail"].to_numpy(dtype=object, na_value=None)
        notes.append(
            np.where(zones["tz_source"].to_numpy(dtype=object) == "ambiguous", detail, None)
        )
    if req.quiet is not None:
        timing, moment, shift_note = _quiet(
            timing, moment, zones, marks, req, can_schedule, no_schedule_why
        )
        notes.append(shift_note)
        shifted = ~pd.isna(shift_note)
    sched = timing == "scheduled"
    if sched.any():
        d, t = _format_moments(moment.where(sched))
        api_date, api_time = api_date.where(~sched, d), api_time.where(~sched, t)
    moved_event = shifted & (timing == "event")
    if moved_event.any():  # a reminder moved by quiet hours: the fields that fire then
        api_date = _event_dates(moment, api_day, api_date, moved_event)
        _, t = _format_moments(moment.where(moved_event))
        api_time = api_time.where(~moved_event, t)
    return Timing(
        timing,
        moment,
        api_date,
        api_time,
        api_day,
        zones["tz"] if zones is not None else na,
        zones["tz_source"] if zones is not None else na.copy(),
        _join_notes(notes, n),
        shifted,
    )


# -- the moment each row is asked for ---------------------------------------------------------


def _base(data, req, marks, zones):
    n = len(data)
    na_str = pd.Series(pd.NA, index=range(n), dtype="str")
    nat = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    day = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    no_note = np.full(n, None, dtype=object)
    if req.kind == "reminder":
        return (*_reminder_fields(data, req, marks), no_note)
    if any(
        v is not None
        for v in (
            req.event_date,
            req.event_date_column,
            req.days_before,
            req.time,
            req.days_before_column,
            req.time_column,
        )
    ):
        raise UsageError("event_date/days_before/time go with kind='reminder'")
    if req.at is not None:
        utc = parse.parse_at(req.at)
        moment = pd.Series(pd.Timestamp(utc), index=range(n), dtype="datetime64[ns, UTC]")
        return (np.full(n, "scheduled", dtype=object), moment, na_str, na_str.copy(), day, no_note)
    if req.at_column is not None:
        moment, err = parse.parse_at_column(
            column(data, req.at_column, "each row's send time"), req.at_column
        )
        marks.mark(err.notna().to_numpy(), "invalid", err)
        timing = np.where(moment.isna().to_numpy(), "now", "scheduled").astype(object)
        return timing, moment, na_str, na_str.copy(), day, no_note
    if req.local:
        if req.local_at is not None:
            naive = parse.parse_local_at(req.local_at)
        else:
            naive, err = parse.parse_local_column(
                column(data, req.local_at_column, "each row's local send time"), req.local_at_column
            )
            marks.mark(err.notna().to_numpy(), "invalid", err)
        out = local_schedule(naive, zones["tz"])
        moment = out["send_at_utc"].astype("datetime64[ns, UTC]")
        has_time = (
            pd.Series(naive, index=range(n)).notna().to_numpy()
            if isinstance(naive, pd.Series)
            else np.ones(n, dtype=bool)
        )
        timing = np.where(has_time, "scheduled", "now").astype(object)
        # rows with no zone get their reason from the zone check, not a note
        note = np.where(
            zones["tz"].notna().to_numpy() & has_time,
            out["note"].to_numpy(dtype=object, na_value=None),
            None,
        )
        return timing, moment, na_str, na_str.copy(), day, note
    return np.full(n, "now", dtype=object), nat, na_str, na_str.copy(), day, no_note


def _reminder_fields(data, req, marks):
    """Event reminders from one date/days/time (UTC) or from per-row columns."""
    n = len(data)
    if (req.event_date is None) == (req.event_date_column is None):
        raise UsageError(
            "a reminder needs event_date= (one date) or event_date_column=, or "
            "appointments= with offsets="
        )
    if (req.days_before is None) == (req.days_before_column is None) or (req.time is None) == (
        req.time_column is None
    ):
        raise UsageError(
            "a reminder needs days_before= (days before the event) and time= "
            "(the UTC time of day it goes out, e.g. '14:00'), or their columns"
        )
    if req.days_before is not None and (
        isinstance(req.days_before, bool)
        or not isinstance(req.days_before, int)
        or req.days_before < 0
    ):
        raise UsageError(f"days_before must be a whole number ≥ 0, not {req.days_before!r}")
    if req.event_date is not None:
        dates = pd.Series([parse.parse_event_date(req.event_date)] * n, dtype=object)
    else:
        dates, err = parse.parse_event_date_column(
            column(data, req.event_date_column, "the event dates"), req.event_date_column
        )
        marks.mark(err.notna().to_numpy(), "invalid", err)
    if req.days_before is not None:
        days = np.full(n, req.days_before, dtype=np.int64)
    else:
        raw = column(data, req.days_before_column, "the days before each event")
        num = pd.to_numeric(raw, errors="coerce")
        bad = (num.isna() | (num < 0) | (num % 1 != 0)).to_numpy(dtype=bool)
        marks.mark(
            bad,
            "invalid",
            req.days_before_column + ": " + quoted(raw) + " is not a whole number of days ≥ 0",
        )
        days = num.fillna(0).clip(lower=0).to_numpy().astype(np.int64)
    if req.time is not None:
        times = pd.Series(parse.parse_event_time(req.time), index=range(n), dtype="str")
    else:
        raw = column(data, req.time_column, "each reminder's UTC time of day")
        codes, uniques = pd.factorize(raw.astype("str"), use_na_sentinel=True)
        parsed, errs = [], []
        for u in uniques:
            try:
                parsed.append(parse.parse_event_time(u, field=req.time_column))
                errs.append(None)
            except UsageError as exc:
                parsed.append(None)
                errs.append(str(exc))
        times = take_str(codes, parsed)
        err = take_str(codes, errs)
        err[codes < 0] = f"{req.time_column}: the time is empty"
        marks.mark(err.notna().to_numpy(), "invalid", err)
    keys = pd.DataFrame({"d": dates, "y": days, "t": times})
    codes = keys.groupby(["d", "y", "t"], sort=False, dropna=False).ngroup().to_numpy()
    firsts = keys.drop_duplicates(["d", "y", "t"])
    u_moment, u_date = [], []
    for d, y, t in zip(firsts["d"], firsts["y"], firsts["t"], strict=True):
        ok = d is not None and isinstance(t, str)
        u_moment.append(reminder_instant(d, int(y), t) if ok else pd.NaT)
        u_date.append(format_date(d) if d is not None else None)
    moment = pd.Series(
        pd.to_datetime(pd.Series(u_moment, dtype=object), utc=True).to_numpy()[codes],
        dtype="datetime64[ns, UTC]",
    )
    return (
        np.full(n, "event", dtype=object),
        moment,
        take_str(codes, u_date),
        times,
        pd.array(days, dtype="Int64"),
    )


# -- zones and the past -----------------------------------------------------------------------


def _mark_zones(marks: Marks, zones: pd.DataFrame, needed: np.ndarray, phone: pd.Series) -> None:
    reason = zones["skip_reason"].to_numpy(dtype=object, na_value=None)
    detail = zones["tz_detail"].to_numpy(dtype=object, na_value=None)
    unknown = (reason == "unknown_timezone") & pd.isna(detail)
    if unknown.any():
        has_phone = phone.notna().to_numpy()
        detail = detail.copy()
        detail[unknown & has_phone] = (
            "no time zone: the number does not say where its owner lives (toll-free or "
            "non-geographic); add a TimeZone, ZIP or State column, or pass default_tz="
        )
        detail[unknown & ~has_phone] = (
            "no time zone: the row has no number to place and no TimeZone, ZIP or State "
            "column (a group's members are not known here); add a TimeZone column, pass "
            "default_tz=, or send at any hour with quiet=None"
        )
    marks.mark(needed, np.where(needed, reason, None), detail)


def _mark_past(marks: Marks, moment: pd.Series, req: TimingRequest) -> None:
    now = req.now
    past = (moment < now).fillna(False).to_numpy(dtype=bool)
    if not past.any():
        return
    if req.at is not None:
        raise UsageError(f"at={req.at!s} is in the past (now is {now:%Y-%m-%d %H:%M} UTC)")
    if req.local_at is not None and past[marks.live & moment.notna().to_numpy()].all():
        raise UsageError(
            f"local_at={req.local_at!s} is already past in every recipient's "
            f"time zone (now is {now:%Y-%m-%d %H:%M} UTC)"
        )
    marks.mark(
        past,
        "in_past",
        "scheduled for " + moment.dt.strftime("%Y-%m-%d %H:%M").fillna("") + " UTC, already past",
    )


# -- quiet hours ------------------------------------------------------------------------------


def _quiet(timing, moment, zones, marks, req, can_schedule, no_schedule_why):
    """Check each live row at the instant it goes out; move or skip it by the policy.

    Rows are reduced to their distinct (zones, zone, state, instant, send-now) first: a
    million recipients are a few dozen checks.
    """
    n = len(moment)
    note = np.full(n, None, dtype=object)
    check = marks.live & zones["check_zones"].notna().to_numpy()
    if not check.any():
        return timing, moment, note
    rows = np.flatnonzero(check)
    given = _naive(moment)[rows]
    now_row = timing[rows] == "now"
    key = pd.DataFrame({c: pd.factorize(zones[c])[0][rows] for c in ("check_zones", "tz", "state")})
    key["at"], key["now"] = given, now_row
    code = factorize_rows(key)
    first = rows[np.unique(code, return_index=True)[1]]
    q = apply_quiet_hours(
        moment.iloc[first].reset_index(drop=True),
        zones["check_zones"].iloc[first].reset_index(drop=True),
        req.quiet,
        policy=req.quiet_policy,
        states=zones["state"].iloc[first].reset_index(drop=True),
        now=req.now,
        show_in=zones["tz"].iloc[first].reset_index(drop=True),
    )
    at_u = moment.iloc[first].reset_index(drop=True)
    u = pd.DataFrame(
        {
            "zones": zones["check_zones"].iloc[first].to_numpy(dtype=object),
            "tz": zones["tz"].iloc[first].to_numpy(dtype=object),
            "window": q["quiet_window"].to_numpy(dtype=object, na_value=None),
            "given": _naive(at_u.fillna(req.now)),
            "to": _naive(q["send_at_utc"]),
        }
    )
    reason_u = q["skip_reason"].to_numpy(dtype=object, na_value=None)
    shifted_u = q["shifted"].to_numpy(dtype=bool)
    now_u = timing[first] == "now"
    blocked_u = reason_u == "quiet_hours"
    stuck_u = shifted_u & now_u & (not can_schedule)
    moved_u = shifted_u & ~stuck_u
    for mask_u, reason, text in (
        (blocked_u, "quiet_hours", lambda k: _blocked_text(k, req.quiet_policy)),
        (stuck_u, NO_SCHEDULE, lambda k: _stuck_text(k, no_schedule_why)),
    ):
        if mask_u.any():
            msg_u = _texts(u, mask_u, text)
            marks.mark(_spread(mask_u[code], rows, n), reason, _spread(msg_u[code], rows, n))
    moved = moved_u[code]
    if moved.any():
        timing = timing.copy()
        where = rows[moved]
        timing[where] = np.where(timing[where] == "now", "scheduled", timing[where])
        instants = _naive(moment).copy()
        instants[where] = u["to"].to_numpy()[code][moved]
        moment = pd.Series(instants).dt.tz_localize("UTC")
        note[where] = q["note"].to_numpy(dtype=object, na_value=None)[code][moved]
    return timing, moment, note


def _naive(instants: pd.Series) -> np.ndarray:
    """UTC instants as naive ``datetime64[ns]`` values (no per-row objects)."""
    return instants.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _texts(u: pd.DataFrame, mask: np.ndarray, fn) -> np.ndarray:
    """``fn`` of each distinct case in ``mask`` (None for the others)."""
    return np.array(
        [fn(k) if m else None for k, m in zip(u.itertuples(index=False), mask, strict=True)],
        dtype=object,
    )


def _spread(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, None if values.dtype == object else False, dtype=values.dtype)
    out[rows] = values
    return out


def _local(instant, zone: str) -> pd.Timestamp:
    """A naive UTC instant on the wall clock of ``zone``."""
    return pd.Timestamp(instant).tz_localize("UTC").tz_convert(zone)


def _where(zones: str) -> str:
    return " and ".join(zones.split(";"))


def _blocked_text(k, policy: str) -> str:
    local = _local(k.given, k.tz)
    if policy == "skip":
        return (
            f"{local:%H:%M} on {local:%m/%d/%Y} in {_where(k.zones)} is outside the allowed "
            f"hours {k.window}; quiet_policy='shift' would move it to the next allowed time"
        )
    return (
        f"no time within the allowed hours {k.window} in every one of {_where(k.zones)} "
        "(a moment allowed in all of them) could be found"
    )


def _stuck_text(k, why: str) -> str:
    local, to = _local(k.given, k.tz), _local(k.to, k.tz)
    return (
        f"it is {local:%H:%M} in {_where(k.zones)}, outside the allowed hours {k.window}, "
        f"and {why}; send it after {to:%H:%M} on {to:%m/%d/%Y} local time, or to "
        "contacts/new-contacts, which Power Textor can schedule"
    )


def _event_dates(moment, api_day, api_date, event: np.ndarray) -> pd.Series:
    """The EventDate that makes Power Textor fire at the new moment of the ``event`` rows."""
    day = pd.Series(api_day, dtype="Int64").fillna(0).to_numpy(dtype=np.int64)
    keys = pd.DataFrame({"at": _naive(moment)[event], "day": day[event]})
    codes = factorize_rows(keys)
    first = keys.iloc[np.unique(codes, return_index=True)[1]]
    dates = pd.Series(
        [
            reminder_fields(pd.Timestamp(a).tz_localize("UTC").to_pydatetime(), int(d))[0]
            for a, d in first.itertuples(index=False)
        ],
        dtype="str",
    )
    out = api_date.copy()
    out[event] = take_str(codes, list(dates)).to_numpy()
    return out


def _join_notes(parts: list[np.ndarray], n: int) -> pd.Series:
    return to_str(join_notes(*parts)) if parts else pd.Series([None] * n, dtype="str")


def _format_moments(utc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(``MM/DD/YYYY``, ``hh:mm AM/PM``) strings of UTC moments; NA where NaT."""
    codes, uniques = pd.factorize(utc, use_na_sentinel=True)
    instants = [t.to_pydatetime() for t in pd.DatetimeIndex(uniques).tz_convert("UTC")]
    dates = [format_date(t) for t in instants]
    times = [format_time(t) for t in instants]
    return take_str(codes, dates), take_str(codes, times)
