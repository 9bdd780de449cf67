"""Timing that respects people: recipient time zones, local-time sends, quiet hours, reminders.

Pure functions on pandas columns with the clock injected (``now=``), for the bulk planner
and for notebooks::

    zones = resolve_timezones(frame)                       # tz, tz_source, check_zones, state
    when = local_schedule(datetime(2026, 12, 3, 10, 0), zones["tz"])
    checked = apply_quiet_hours(when["send_at_utc"], zones["check_zones"], QuietHours(),
                                states=zones["state"], now=now)
    reminders = appointment_reminders(sheet, ["1 day before at 18:00"], now=now)
"""

from ptdata.timing._clock import current_utc
from ptdata.timing.local import local_schedule
from ptdata.timing.offsets import ReminderOffset, reminder_fields, reminder_instant
from ptdata.timing.parse import parse_offset
from ptdata.timing.quiet import STATE_WINDOWS, QuietHours, StateWindow, apply_quiet_hours
from ptdata.timing.reminder_times import appointment_reminders
from ptdata.timing.zones import resolve_timezones

__all__ = [
    "STATE_WINDOWS",
    "QuietHours",
    "ReminderOffset",
    "StateWindow",
    "apply_quiet_hours",
    "appointment_reminders",
    "current_utc",
    "local_schedule",
    "parse_offset",
    "reminder_fields",
    "reminder_instant",
    "resolve_timezones",
]
