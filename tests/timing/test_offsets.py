"""Reminder offsets in words, and EventDate/Day/Time that fire at exactly the right minute."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptdata import UsageError
from ptdata.timing import ReminderOffset, parse_offset, reminder_fields, reminder_instant


@pytest.mark.parametrize(
    "text, days, at, before",
    [
        pytest.param("2 days before at 09:00", 2, time(9), timedelta(0), id="days-at-time"),
        pytest.param("1 day before at 18:00", 1, time(18), timedelta(0), id="one-day-18h"),
        pytest.param("1 day before at 6:30 PM", 1, time(18, 30), timedelta(0), id="twelve-hour"),
        pytest.param("the day before at 6pm", 1, time(18), timedelta(0), id="the-day-before"),
        pytest.param("2 days before at 09:00 local", 2, time(9), timedelta(0), id="local-suffix"),
        pytest.param("1 week before at 10:00", 7, time(10), timedelta(0), id="week"),
        pytest.param("same day at 08:00", 0, time(8), timedelta(0), id="same-day-at"),
        pytest.param("same day 2 hours before", 0, None, timedelta(hours=2), id="same-day-hours"),
        pytest.param("90 minutes before", 0, None, timedelta(minutes=90), id="minutes"),
        pytest.param("1 hour 30 minutes before", 0, None, timedelta(minutes=90), id="hour-minutes"),
        pytest.param("2 hours and 15 mins before", 0, None, timedelta(minutes=135), id="and"),
        pytest.param("1 day 2 hours before", 1, None, timedelta(hours=2), id="day-and-hours"),
        pytest.param("2 days before", 2, None, timedelta(0), id="same-time-of-day"),
        pytest.param("  Same Day  AT noon ", 0, time(12), timedelta(0), id="case-spaces-noon"),
    ],
)
def test_offsets_in_words(text, days, at, before):
    offset = parse_offset(text)
    assert (offset.days, offset.at, offset.before, offset.text) == (days, at, before, text.strip())


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "90 seconds before",
            "Power Textor schedules reminders to the minute, so 90 seconds before cannot "
            "be expressed; use whole minutes",
            id="not-a-whole-minute",
        ),
        pytest.param("2 hours after", "reminders go before the appointment", id="after"),
        pytest.param("same day", "that is the appointment itself", id="no-when"),
        pytest.param(
            "tomorrow", 'write it like one of: "2 days before at 09:00"', id="unknown-form"
        ),
        pytest.param("1 day before at 25:00", "'25:00' is not a time of day", id="bad-clock"),
        pytest.param(
            "same day 2 days before", "'same day' cannot be 2 days before", id="same-day-days"
        ),
        pytest.param(
            "2 fortnights before",
            "cannot read '2 fortnights' as an amount of time",
            id="unknown-unit",
        ),
        pytest.param("", "a reminder offset is text like", id="empty"),
    ],
)
def test_offsets_that_cannot_be_read_or_expressed(text, message):
    with pytest.raises(UsageError) as info:
        parse_offset(text)
    assert message in str(info.value)


def test_offset_objects_are_checked_too():
    with pytest.raises(UsageError, match="not both"):
        ReminderOffset(days=1, at=time(9), before=timedelta(hours=1))
    with pytest.raises(UsageError, match="days must be a whole number >= 0"):
        ReminderOffset(days=-1, at=time(9))
    assert parse_offset(ReminderOffset(days=1, at=time(9))).days == 1


@pytest.mark.parametrize(
    "instant, day, fields",
    [
        pytest.param(
            datetime(2026, 12, 2, 14, 0, tzinfo=UTC),
            1,
            ("12/03/2026", 1, "02:00 PM"),
            id="morning-utc",
        ),
        # 20:00 in Los Angeles on 12/02 is 04:00 UTC on 12/03: EventDate rolls to 12/04.
        pytest.param(
            datetime(2026, 12, 3, 4, 0, tzinfo=UTC),
            1,
            ("12/04/2026", 1, "04:00 AM"),
            id="los-angeles-evening-rolls-the-date",
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
            0,
            ("12/31/2026", 0, "11:59 PM"),
            id="same-day",
        ),
        pytest.param(
            datetime(2026, 12, 30, 12, 0, tzinfo=UTC),
            3,
            ("01/02/2027", 3, "12:00 PM"),
            id="across-new-year",
        ),
    ],
)
def test_reminder_fields_vectors(instant, day, fields):
    assert reminder_fields(instant, day) == fields
    assert reminder_instant(*fields) == instant


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.timezones()
    ),
    st.integers(min_value=0, max_value=30),
)
def test_reminder_fields_decode_to_the_same_instant(moment, day):
    moment = moment.replace(second=0, microsecond=0)
    event_date, got_day, time_text = reminder_fields(moment, day)
    assert got_day == day
    # Compared in UTC: Python never calls a repeated (fall-back) local time equal to an
    # instant in another zone, even when it is the same instant.
    assert reminder_instant(event_date, got_day, time_text) == moment.astimezone(UTC)


@pytest.mark.parametrize(
    "instant, day, message",
    [
        pytest.param(datetime(2026, 12, 3, 4, 0, 30, tzinfo=UTC), 1, "to the minute", id="seconds"),
        pytest.param(datetime(2026, 12, 3, 4, 0), 1, "has no time zone", id="naive"),
        pytest.param(datetime(2026, 12, 3, 4, 0, tzinfo=UTC), -1, "Day must be", id="negative-day"),
    ],
)
def test_reminder_fields_refuse_what_the_api_cannot_express(instant, day, message):
    with pytest.raises(UsageError, match=message):
        reminder_fields(instant, day)
