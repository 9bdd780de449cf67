"""Reminder offsets ("2 days before at 09:00") and Power Textor's EventDate/Day/Time fields.

Power Textor sends an event reminder on (``EventDate`` - ``Day`` days) at ``Time``, all in
UTC, to the minute. So for any reminder instant and any ``Day`` there is exactly one
``EventDate`` that makes it fire then: the UTC date of the instant plus ``Day`` days. That
date is not always the appointment's local date: a 20:00 reminder in Los Angeles is 04:00 UTC
the next day, so ``EventDate`` moves a day later too.

What the API cannot express, and ptdata refuses: a reminder time that is not a whole minute
(e.g. "90 seconds before"), a negative ``Day``, and reminders after the appointment.

>>> from datetime import UTC, datetime
>>> reminder_fields(datetime(2026, 12, 3, 4, 0, tzinfo=UTC), 1)
('12/04/2026', 1, '04:00 AM')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ptdata.api.errors import UsageError
from ptdata.api.formats import (
    format_date,
    format_time,
    parse_date_string,
    parse_time_string,
    to_utc,
)

__all__ = ["ReminderOffset", "reminder_fields", "reminder_instant"]


@dataclass(frozen=True)
class ReminderOffset:
    """When a reminder goes, relative to the appointment.

    ``days`` calendar days before the appointment's date, then either at the local time of
    day ``at`` (the recipient's zone) or, when ``at`` is None, at the appointment's own time
    of day minus the exact duration ``before``. ``text`` is how it was written.
    """

    days: int = 0
    at: time | None = None
    before: timedelta = timedelta(0)
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        name = repr(self.text) if self.text else f"ReminderOffset(days={self.days})"
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise UsageError(f"reminder {name}: days must be a whole number >= 0")
        if self.before < timedelta(0):
            raise UsageError(
                f"reminder {name}: reminders go before the appointment; for a "
                "follow-up after it, schedule a text instead"
            )
        if self.before % timedelta(minutes=1):
            raise UsageError(
                f"reminder {name}: Power Textor schedules reminders to the minute, so "
                f"{self.before.total_seconds():g} seconds before cannot be expressed; "
                "use whole minutes"
            )
        if self.at is not None and self.before:
            raise UsageError(f"reminder {name}: give a time of day or a duration, not both")
        if self.at is not None and (
            self.at.tzinfo is not None or self.at.second or self.at.microsecond
        ):
            raise UsageError(f"reminder {name}: 'at' is a local time to the minute, like 09:00")
        if self.days == 0 and self.at is None and not self.before:
            raise UsageError(
                f"reminder {name}: that is the appointment itself; say when, e.g. "
                "'same day at 08:00' or 'same day 2 hours before'"
            )

    def __str__(self) -> str:
        return self.text or repr(self)


def reminder_fields(remind_at_utc: datetime, days_before: int) -> tuple[str, int, str]:
    """(``EventDate``, ``Day``, ``Time``) that make Power Textor send at ``remind_at_utc``.

    Power Textor sends on ``EventDate - Day`` days at ``Time`` (UTC), so ``EventDate`` is the
    reminder's UTC date plus ``days_before``.

    >>> from datetime import UTC, datetime
    >>> reminder_fields(datetime(2026, 12, 2, 14, 0, tzinfo=UTC), 1)
    ('12/03/2026', 1, '02:00 PM')
    """
    if isinstance(days_before, bool) or not isinstance(days_before, int) or days_before < 0:
        raise UsageError(f"Day must be a whole number of days >= 0, not {days_before!r}")
    if isinstance(remind_at_utc, datetime) and (remind_at_utc.second or remind_at_utc.microsecond):
        raise UsageError(
            f"reminder at {remind_at_utc.isoformat()}: Power Textor schedules reminders to the "
            "minute; round the time to a whole minute"
        )
    utc = to_utc(remind_at_utc, field="remind_at_utc")
    event = utc.date() + timedelta(days=days_before)
    return format_date(event), days_before, format_time(utc)


def reminder_instant(event_date: str | date, day: int, time_text: str) -> datetime:
    """When Power Textor sends a reminder with these fields (the inverse of ``reminder_fields``).

    >>> reminder_instant("12/04/2026", 1, "04:00 AM")
    datetime.datetime(2026, 12, 3, 4, 0, tzinfo=datetime.timezone.utc)
    """
    day_of = event_date if isinstance(event_date, date) else parse_date_string(event_date)
    return datetime.combine(day_of - timedelta(days=day), parse_time_string(time_text)).replace(
        tzinfo=UTC
    )
