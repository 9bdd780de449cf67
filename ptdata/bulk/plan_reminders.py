"""Event reminders from an appointments sheet: each (row, offset) becomes one reminder row.

``plan(sheet, kind="reminder", appointments="Appointment", offsets=[...])`` (with
``appointment_time_column="Appt Time"`` when the date and the time are two columns) runs
``ptdata.timing.appointment_reminders`` on the sheet (recipient zones, offsets read in the
recipient's local time, weekends and holidays avoided, quiet hours, reminders already past)
and plans one row per sheet row and offset, each carrying the exact ``EventDate``/``Day``/
``Time`` that make Power Textor send it at that moment. Power Textor's reminder fields can
express any minute (``EventDate`` - ``Day`` days at ``Time`` UTC), so every offset the
timing module reads works, "same day 2 hours before" included.

>>> from datetime import UTC, datetime
>>> sheet = pd.DataFrame({"Phone": ["+13105550123"], "Appointment": ["2026-12-03 10:30"]})
>>> p = ptdata.plan(sheet, body="See you", kind="reminder", to="new-contacts",
...                 appointments="Appointment", offsets=["1 day before at 18:00"],
...                 now=datetime(2026, 11, 2, tzinfo=UTC))    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata._columns import keep_where, to_str
from ptdata.api.errors import UsageError
from ptdata.bulk.plan_timing import Timing, TimingRequest, zone_frame
from ptdata.timing import appointment_reminders
from ptdata.timing.local import factorize_rows

__all__ = ["Reminders", "expand_appointments", "reminder_timing"]


class Reminders(NamedTuple):
    """What ``appointment_reminders`` said, one row per planned row."""

    positions: np.ndarray  # the sheet row each reminder row comes from (0-based)
    frame: pd.DataFrame  # appointment_reminders' columns, index 0..n-1


def expand_appointments(
    data: pd.DataFrame,
    phone: pd.Series,
    req: TimingRequest,
    *,
    appointments: str,
    offsets: Any,
    appointment_tz: str | None,
    skip_weekends: bool,
    holidays: Any,
    appointment_time: str | None = None,
) -> Reminders:
    """The reminder rows of a sheet: positions to repeat its rows by, and their timing."""
    if offsets is None or (not isinstance(offsets, str) and len(list(offsets)) == 0):
        raise UsageError(
            "appointments= needs offsets=, e.g. offsets=['1 day before at 18:00', "
            "'same day 2 hours before']"
        )
    frame = zone_frame(data, phone)
    for name, what in (
        (appointments, "the appointment times"),
        (appointment_time, "their times of day"),
    ):
        if name is None:
            continue
        if name not in data.columns:
            raise UsageError(
                f"the sheet has no {name!r} column ({what}); "
                f"its columns are: {', '.join(map(str, data.columns)) or '(none)'}"
            )
        frame[name] = data[name].reset_index(drop=True)
    rem = appointment_reminders(
        frame,
        offsets,
        appointment=appointments,
        appointment_time=appointment_time,
        rule=req.tz_rule,
        appointment_tz=appointment_tz,
        now=req.now,
        skip_weekends=skip_weekends,
        holidays=holidays,
        quiet=req.quiet,
        quiet_policy=req.quiet_policy,
    )
    return Reminders(rem["row"].to_numpy(dtype=np.int64), rem.reset_index(drop=True))


def reminder_timing(rem: Reminders, req: TimingRequest) -> tuple[Timing, np.ndarray, np.ndarray]:
    """(the rows' ``Timing``, skip reason per row or None, message per row or None)."""
    f = rem.frame
    n = len(f)
    reason = f["skip_reason"].to_numpy(dtype=object, na_value=None)
    note = f["note"].to_numpy(dtype=object, na_value=None)
    message = note.copy()
    explain = np.isin(reason, ["after_appointment", "quiet_hours", "in_past"])
    if explain.any():
        keys = pd.DataFrame(
            {
                "reason": reason[explain],
                "offset": f["offset"].to_numpy(dtype=object)[explain],
                "appointment": f["appointment"].to_numpy()[explain],
                "at": f["remind_at_utc"].dt.tz_localize(None).to_numpy()[explain],
                "tz": f["tz"].to_numpy(dtype=object, na_value=None)[explain],
            }
        )
        codes = factorize_rows(keys)
        first = keys.iloc[np.unique(codes, return_index=True)[1]]
        texts = np.array([_why(k, req) for k in first.itertuples(index=False)], dtype=object)
        why = texts[codes]
        extra = note[explain]
        message[explain] = np.where(pd.isna(extra), why, why + "; " + extra.astype(str))
    live = pd.isna(reason)
    timing = Timing(
        timing=np.full(n, "event", dtype=object),
        moment=f["remind_at_utc"].astype("datetime64[ns, UTC]"),
        api_date=f["EventDate"],
        api_time=f["Time"],
        api_day=pd.array(f["Day"].to_numpy(dtype=np.int64), dtype="Int64"),
        tz=f["tz"],
        tz_source=f["tz_source"],
        note=to_str(keep_where(live, note)),
        shifted=f["shifted"].to_numpy(dtype=bool) & live,
    )
    return timing, reason, message


def _why(k, req: TimingRequest) -> str:
    appt = pd.Timestamp(k.appointment)
    appt_text = f"{appt:%m/%d/%Y %H:%M}" if not pd.isna(appt) else "?"
    at = pd.Timestamp(k.at)
    local = at.tz_localize("UTC").tz_convert(k.tz) if k.tz and not pd.isna(at) else None
    at_text = f"{local:%m/%d/%Y %H:%M} {k.tz}" if local is not None else "?"
    if k.reason == "after_appointment":
        return f"reminder {k.offset!r} falls at {at_text}, not before the appointment ({appt_text})"
    if k.reason == "in_past":
        now = req.now
        return (
            f"reminder {k.offset!r} was due {at_text}, already past (now is "
            f"{now:%Y-%m-%d %H:%M} UTC)"
        )
    if req.quiet_policy == "skip":
        return (
            f"reminder {k.offset!r} falls at {at_text}, in quiet hours; "
            "quiet_policy='shift' would move it to the next allowed time"
        )
    return (
        f"reminder {k.offset!r}: no time within the allowed hours before the appointment "
        f"({appt_text})"
    )
