"""Appointment reminders from a booking export: one reminder row per appointment and offset.

Each row has an appointment time as the booking export wrote it (``2026-12-03 10:30``,
``December 8, 2026 9:15 am``, ``12/08/2026 8:00 AM``...: see
``ptdata.timing.parse.parse_appointments``), naive local time, or a date in one column and the
time in another (``appointment_time=``). Its
zone is ``appointment_tz`` when given (the venue's zone, e.g. a clinic's), else the row's own
zone from ``resolve_timezones`` (its TimeZone column, e.g. Acuity's ``Timezone``, else ZIP,
State or number); a time written with an offset (``2026-12-08T09:15-05:00``) is that instant.
A time of day in an offset ("at 09:00") is read in the recipient's zone; "2 hours before" is an
exact duration. A date-only appointment (``12/08/2026``) works when every offset names a time
of day ("1 day before at 18:00"); any other offset makes it ``invalid_appointment``. Each
reminder gets Power Textor's ``EventDate``/``Day``/``Time`` (see ``offsets.reminder_fields``)
so the service fires it at exactly ``remind_at_utc``.

Skipped reminders stay in the result with ``skip_reason``: ``invalid_appointment``, the time
zone reasons from ``resolve_timezones``, ``after_appointment`` (e.g. "same day at 18:00" for a
10:30 appointment), ``quiet_hours`` and ``in_past`` (before ``now``).

>>> from datetime import UTC, datetime
>>> import pandas as pd
>>> sheet = pd.DataFrame({"Phone": ["+13105550123"], "Appointment": ["2026-12-03 10:30"]})
>>> out = appointment_reminders(sheet, ["1 day before at 20:00"],
...                             now=datetime(2026, 11, 1, tzinfo=UTC))
>>> out.loc[0, ["EventDate", "Time"]].tolist(), int(out.loc[0, "Day"])   # 20:00 LA = 04:00 UTC
(['12/04/2026', '04:00 AM'], 1)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pandas as pd

from ptdata._columns import (
    join_notes,
    keep_where,
    map_unique,
    none_for_missing,
    take_str,
    to_str,
)
from ptdata.api.errors import UsageError
from ptdata.timing._clock import current_utc
from ptdata.timing.local import (
    factorize_rows,
    localize_rows,
    utc_column,
    wall_clock,
)
from ptdata.timing.offsets import ReminderOffset, reminder_fields
from ptdata.timing.parse import Appointments, parse_appointments, parse_offset
from ptdata.timing.quiet import QuietHours, apply_quiet_hours
from ptdata.timing.zones import _canonical_zone, _text, resolve_timezones

__all__ = ["appointment_reminders"]

_DAY = np.timedelta64(1, "D")


def _appointments(frame: pd.DataFrame, column: str, time_column: str | None) -> Appointments:
    """The appointment times: naive local, exact instants where written with an offset."""
    for name, what in ((column, "appointment"), (time_column, "appointment_time")):
        if name is not None and name not in frame.columns:
            raise UsageError(
                f"the sheet has no {name!r} column; name the {what.replace('_', ' ')} "
                f"column with {what}=, e.g. {what}='Start'; its columns are: "
                f"{', '.join(map(str, frame.columns)) or '(none)'}"
            )
    return parse_appointments(frame[column], frame[time_column] if time_column else None)


def _walls(instants: pd.Series, zones: np.ndarray) -> pd.Series:
    """Each instant's naive local wall-clock time in its row's zone."""
    return wall_clock(instants, zones)


def _at(walls: pd.Series, zones: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """UTC instants (and DST notes) for naive wall-clock times read in each row's zone."""
    return localize_rows(walls, zones)


def _dates(holidays: Iterable | None) -> set[date]:
    out = set()
    for item in holidays or ():
        if isinstance(item, datetime):
            item = item.date()
        elif isinstance(item, str):
            item = date.fromisoformat(item.strip())
        if not isinstance(item, date):
            raise UsageError(f"holidays: {item!r} is not a date")
        out.add(item)
    return out


def appointment_reminders(
    frame: pd.DataFrame,
    offsets,
    *,
    appointment: str = "Appointment",
    appointment_time: str | None = None,
    tz: str | None = "TimeZone",
    phone: str | None = "Phone",
    zip: str | None = "ZIP",
    state: str | None = "State",
    rule: str = "strictest",
    appointment_tz: str | None = None,
    now=None,
    skip_weekends: bool = False,
    holidays: Iterable | None = None,
    quiet: QuietHours | None = None,
    quiet_policy: str = "shift",
) -> pd.DataFrame:
    """One reminder row per (sheet row, offset), with Power Textor's EventDate/Day/Time.

    ``offsets``: text like ``"2 days before at 09:00"`` / ``"same day 2 hours before"``, a
    ``ReminderOffset``, or a list of them. ``appointment_time`` names a column holding the
    time of day when ``appointment`` holds only the date (``Appt Date`` + ``Appt Time``).
    ``skip_weekends`` moves a reminder that falls on a Saturday or Sunday (recipient's local
    time) to the Friday before at the same time; ``holidays`` (dates) are avoided the same
    way. ``quiet`` applies quiet hours with ``quiet_policy`` (shift or skip). ``now`` (aware
    datetime or clock; default the real clock) decides which reminders are already past.

    Returns a frame with ``row`` (the sheet's index label), ``offset``, ``appointment``
    (local, as read), ``tz`` (recipient zone), ``tz_source`` (where it came from, as in
    ``resolve_timezones``), ``remind_at_utc``, ``EventDate``, ``Day``,
    ``Time``, ``shifted``, ``note`` and ``skip_reason``, in sheet order then offset order.
    """
    offsets = [
        parse_offset(o)
        for o in ([offsets] if isinstance(offsets, (str, ReminderOffset)) else list(offsets))
    ]
    if not offsets:
        raise UsageError("give at least one reminder offset, e.g. '1 day before at 09:00'")
    if appointment_tz is not None and _canonical_zone(appointment_tz) is None:
        raise UsageError(f"appointment_tz={appointment_tz!r} is not an IANA time zone name")
    current = current_utc(now)
    off_days = _dates(holidays)
    labels, frame = frame.index, frame.reset_index(drop=True)
    zones = resolve_timezones(frame, phone=phone, tz=tz, zip=zip, state=state, rule=rule)
    rec_zone = zones["tz"].to_numpy(dtype=object)
    rec_zone = none_for_missing(rec_zone)
    appt_zone = (
        np.full(len(frame), _canonical_zone(appointment_tz), dtype=object)
        if appointment_tz
        else rec_zone
    )
    appts = _appointments(frame, appointment, appointment_time)
    local = appts.local
    exact = appts.instant.notna().to_numpy()
    if exact.any():  # written with an offset: that instant, as the wall clock where it is
        local = local.where(~exact, wall_clock(appts.instant, appt_zone))
    date_only = appts.date_only
    # a date-only appointment is "some time that day": nothing may come after that day ends
    appt_at, appt_note = _at(local, appt_zone)
    end_of_day, _ = _at(local.where(date_only) + _DAY, appt_zone)
    limit = appt_at.where(~date_only, end_of_day)
    written = _text(frame, appointment)
    if appointment_time is not None:
        written = written.str.cat(_text(frame, appointment_time), sep=" ", na_rep="").str.strip()
        written = written.where(written != "", pd.NA)
    missing = local.isna().to_numpy()
    bad_text = missing & written.notna().to_numpy()
    base_reason = none_for_missing(zones["skip_reason"])
    tz_note = keep_where(~pd.isna(base_reason), zones["tz_detail"])
    base_reason = np.where(missing, "invalid_appointment", base_reason)
    bad_note = map_unique(
        written.where(bad_text),
        lambda v: (
            f"Appointment {v!r} is not a date and time like 2026-12-03 10:30, "
            "12/03/2026 10:30 AM or December 3, 2026 10:30 am"
        ),
    )
    bad_note[missing & ~bad_text] = "no appointment time"
    untimed = [o for o in offsets if o.at is None]
    if untimed and date_only.any():
        base_reason = np.where(date_only, "invalid_appointment", base_reason)
        bad_note[date_only] = map_unique(
            written.where(date_only),
            lambda v: (
                f"Appointment {v!r} has no time of day, and offset {str(untimed[0])!r} needs "
                "one: add the time (or name the column holding it with appointment_time=), or "
                "give every "
                "offset a time of day, e.g. '1 day before at 18:00'"
            ),
        )[date_only]

    n, k = len(frame), len(offsets)
    at_all = np.empty(n * k, dtype="datetime64[us]")  # row i, offset j at i * k + j
    reason_all, note_all = np.empty(n * k, dtype=object), np.empty(n * k, dtype=object)
    shifted_all, day_all = np.empty(n * k, dtype=bool), np.empty(n * k, dtype=np.int64)
    for order, offset in enumerate(offsets):
        if offset.at is not None:
            day = _walls(appt_at, rec_zone).dt.normalize().where(~date_only, local.dt.normalize())
            day = day - offset.days * _DAY
            wall = day + pd.Timedelta(hours=offset.at.hour, minutes=offset.at.minute)
            remind, note = _at(wall, rec_zone)
        else:
            remind, note = _at(local - offset.days * _DAY, appt_zone)
            remind = remind - offset.before
        reason = base_reason.copy()
        # A time of day later than the appointment ("same day at 18:00" for 10:30) is a mistake
        # in the offset for that row, whatever happens next.
        reason[pd.isna(reason) & (remind >= limit).fillna(False).to_numpy()] = "after_appointment"
        remind, moved, move_note = _avoid_days(remind, rec_zone, skip_weekends, off_days)
        ok = pd.isna(reason) & remind.notna().to_numpy()
        quiet_moved = np.zeros(len(frame), dtype=bool)
        quiet_note = np.full(len(frame), None, dtype=object)
        if quiet is not None and ok.any():
            before = remind[ok]
            q = apply_quiet_hours(
                before,
                zones["check_zones"][ok],
                quiet,
                policy=quiet_policy,
                states=zones["state"][ok],
                now=current,
                show_in=pd.Series(rec_zone[ok], index=before.index, dtype="str"),
            )
            remind[ok] = q["send_at_utc"]
            quiet_moved[ok] = q["shifted"].to_numpy()
            reason[ok] = none_for_missing(q["skip_reason"])
            quiet_note[ok] = q["note"].to_numpy(dtype=object, na_value=None)
        # Moved by quiet hours to the appointment or later: no allowed moment before it.
        reason[pd.isna(reason) & (remind >= limit).fillna(False).to_numpy()] = "quiet_hours"
        past = pd.isna(reason) & (remind < current).fillna(False).to_numpy()
        reason[past] = "in_past"
        at_all[order::k] = remind.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        reason_all[order::k] = reason
        note_all[order::k] = join_notes(bad_note, tz_note, appt_note, note, move_note, quiet_note)
        shifted_all[order::k] = moved | quiet_moved
        day_all[order::k] = offset.days

    index = pd.RangeIndex(n * k)
    codes = factorize_rows(pd.DataFrame({"at": at_all, "day": day_all}))
    first = np.unique(codes, return_index=True)[1]
    fields = [
        (None, None, None)
        if pd.isna(at_all[i])
        else reminder_fields(pd.Timestamp(at_all[i], tz="UTC").to_pydatetime(), int(day_all[i]))
        for i in first
    ]
    tz_codes, tz_names = pd.factorize(zones["tz"])
    src_codes, src_names = pd.factorize(zones["tz_source"])
    return pd.DataFrame(
        {
            "row": labels.repeat(k),
            "offset": take_str(np.tile(np.arange(k), n), [str(o) for o in offsets], index),
            "appointment": np.repeat(local.to_numpy(dtype="datetime64[us]"), k),
            "tz": take_str(np.repeat(tz_codes, k), list(tz_names), index),
            "tz_source": take_str(np.repeat(src_codes, k), list(src_names), index),
            "remind_at_utc": utc_column(at_all, index),
            "EventDate": take_str(codes, [f[0] for f in fields], index),
            "Day": day_all,
            "Time": take_str(codes, [f[2] for f in fields], index),
            "shifted": shifted_all,
            "note": to_str(note_all, index),
            "skip_reason": to_str(reason_all, index),
        },
        index=index,
    )


def _why(day: pd.Timestamp, off_days: set[date]) -> str:
    return "holiday" if day.date() in off_days else "weekend"


def _avoid_days(remind: pd.Series, zones: np.ndarray, weekends: bool, off_days: set[date]):
    """Move reminders off weekends/holidays (local) to the day before, same time, repeatedly."""
    moved = np.zeros(len(remind), dtype=bool)
    notes = np.full(len(remind), None, dtype=object)
    if not weekends and not off_days:
        return remind, moved, notes
    start = _walls(remind, zones)
    wall = start.copy()
    holidays = pd.DatetimeIndex(sorted(off_days)).astype("datetime64[us]")
    for _ in range(366):
        bad = np.zeros(len(wall), dtype=bool)
        if weekends:
            bad |= (wall.dt.day_of_week >= 5).fillna(False).to_numpy()
        if off_days:
            bad |= wall.dt.normalize().isin(holidays).to_numpy()
        if not bad.any():
            break
        wall[bad] = wall[bad] - _DAY
        moved |= bad
    if moved.any():
        remind = remind.copy()
        remind[moved], _ = _at(wall[moved], zones[moved])
        days = pd.DataFrame({"from": start.dt.normalize()[moved], "to": wall.dt.normalize()[moved]})
        codes = factorize_rows(days)
        first = days.iloc[np.unique(codes, return_index=True)[1]]
        text = np.array(
            [
                f"moved from {a:%a %m/%d} to {b:%a %m/%d} ({_why(a, off_days)})"
                for a, b in first.itertuples(index=False)
            ],
            dtype=object,
        )
        notes[moved] = text[codes]
    return remind, moved, notes
