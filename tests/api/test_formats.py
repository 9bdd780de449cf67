"""Dates and times become the spec's UTC strings; naive datetimes are refused."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ptdata.api.errors import UsageError
from ptdata.api.formats import (
    check_date_string,
    check_time_string,
    format_date,
    format_time,
    parse_time_string,
    schedule_strings,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(
            datetime(2026, 12, 3, 15, 30, tzinfo=UTC),
            ("12/03/2026", "03:30 PM"),
            id="utc-afternoon",
        ),
        pytest.param(
            datetime(2026, 12, 3, 0, 5, tzinfo=UTC),
            ("12/03/2026", "12:05 AM"),
            id="midnight-is-12-am",
        ),
        pytest.param(
            datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
            ("12/03/2026", "12:00 PM"),
            id="noon-is-12-pm",
        ),
        pytest.param(
            datetime(2026, 12, 3, 10, 0, tzinfo=NY), ("12/03/2026", "03:00 PM"), id="new-york-10am"
        ),
        pytest.param(
            datetime(2026, 12, 3, 20, 0, tzinfo=LA),
            ("12/04/2026", "04:00 AM"),
            id="la-evening-rolls-the-utc-date",
        ),
        pytest.param(
            datetime(2026, 7, 1, 10, 0, 59, 999, tzinfo=NY),
            ("07/01/2026", "02:00 PM"),
            id="dst-and-seconds-dropped",
        ),
    ],
)
def test_schedule_strings(moment, expected):
    assert schedule_strings(moment) == expected


def test_naive_datetime_is_refused_with_the_fix():
    with pytest.raises(UsageError, match="no time zone.*tzinfo=ZoneInfo"):
        schedule_strings(datetime(2026, 12, 3, 10, 0))


def test_bare_local_time_is_refused_but_utc_time_is_formatted():
    with pytest.raises(UsageError, match="UTC"):
        format_time(time(9, 0))
    assert format_time(time(21, 45, tzinfo=UTC)) == "09:45 PM"
    assert format_date(date(2027, 1, 9)) == "01/09/2027"


@pytest.mark.parametrize(
    "text", ["12/3/2026", "2026-12-03", "13/01/2026", "02/30/2026", "12/03/26"]
)
def test_bad_date_strings(text):
    with pytest.raises(UsageError, match="MM/DD/YYYY"):
        check_date_string(text, field="ScheduledDate")


@pytest.mark.parametrize(
    "text", ["3:30 PM", "15:30", "13:00 PM", "00:10 AM", "03:30 pm", "03:60 AM"]
)
def test_bad_time_strings(text):
    with pytest.raises(UsageError, match="hh:mm AM/PM"):
        check_time_string(text, field="ScheduledTime")


def test_good_strings_pass_through_unchanged():
    assert check_date_string("02/28/2027", field="EventDate") == "02/28/2027"
    assert check_time_string("12:00 AM", field="Time") == "12:00 AM"
    assert parse_time_string("12:00 AM") == time(0, 0, tzinfo=UTC)
