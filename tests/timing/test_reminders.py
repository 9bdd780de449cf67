"""Reminders from an appointments sheet: exact EventDate/Day/Time, skips with reasons."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from ptdata import UsageError
from ptdata.timing import QuietHours, appointment_reminders, reminder_instant

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LA, NY, MIAMI = "+13105550123", "+12125550123", "+13055550123"


def remind(phone, appointment, offset, **kwargs):
    sheet = pd.DataFrame(
        {"Phone": [phone], "Appointment": [appointment]}
        | {k: [v] for k, v in kwargs.pop("cells", {}).items()}
    )
    out = appointment_reminders(sheet, [offset], now=kwargs.pop("now", NOW), **kwargs)
    row = out.iloc[0]
    reason = None if pd.isna(row["skip_reason"]) else row["skip_reason"]
    return row["EventDate"], int(row["Day"]), row["Time"], str(row["remind_at_utc"]), reason


@pytest.mark.parametrize(
    "phone, appointment, offset, expected",
    [
        pytest.param(
            NY,
            "2026-12-03 10:30",
            "2 days before at 09:00",
            ("12/03/2026", 2, "02:00 PM", "2026-12-01 14:00:00+00:00"),
            id="new-york",
        ),
        pytest.param(
            LA,
            "2026-12-03 10:30",
            "2 days before at 09:00",
            ("12/03/2026", 2, "05:00 PM", "2026-12-01 17:00:00+00:00"),
            id="los-angeles",
        ),
        # 20:00 in LA on 12/02 is 04:00 UTC on 12/03, so EventDate must be 12/04 for Day=1.
        pytest.param(
            LA,
            "2026-12-03 10:30",
            "1 day before at 20:00",
            ("12/04/2026", 1, "04:00 AM", "2026-12-03 04:00:00+00:00"),
            id="los-angeles-evening-rolls-event-date",
        ),
        pytest.param(
            NY,
            "2026-12-03 10:30",
            "1 day before at 18:00",
            ("12/03/2026", 1, "11:00 PM", "2026-12-02 23:00:00+00:00"),
            id="ny-evening",
        ),
        pytest.param(
            NY,
            "2026-12-03 10:30",
            "same day 2 hours before",
            ("12/03/2026", 0, "01:30 PM", "2026-12-03 13:30:00+00:00"),
            id="hours-before",
        ),
        pytest.param(
            NY,
            "12/03/2026 10:30 AM",
            "same day at 08:00",
            ("12/03/2026", 0, "01:00 PM", "2026-12-03 13:00:00+00:00"),
            id="us-date-format",
        ),
        # DST: 2 days before 03/09 10:00 EDT is 03/07 10:00 EST (wall clock kept, not 48 hours).
        pytest.param(
            NY,
            "2026-03-09 10:00",
            "2 days before",
            ("03/09/2026", 2, "03:00 PM", "2026-03-07 15:00:00+00:00"),
            id="days-before-keeps-wall-clock-across-spring-forward",
        ),
        pytest.param(
            NY,
            "2026-03-08 10:00",
            "same day 2 hours before",
            ("03/08/2026", 0, "12:00 PM", "2026-03-08 12:00:00+00:00"),
            id="hours-before-on-spring-forward-day",
        ),
        pytest.param(
            NY,
            "2026-11-02 09:00",
            "1 day before at 01:30",
            ("11/02/2026", 1, "05:30 AM", "2026-11-01 05:30:00+00:00"),
            id="fall-back-repeated-hour-first-occurrence",
        ),
    ],
)
def test_reminder_vectors(phone, appointment, offset, expected):
    assert remind(phone, appointment, offset, now=datetime(2026, 1, 1, tzinfo=UTC)) == (
        *expected,
        None,
    )


def test_every_row_decodes_back_to_its_instant_and_keeps_sheet_order():
    appointments = ["2026-12-03 10:30", "2026-12-04 08:15", "2026-12-05 19:00"]
    sheet = pd.DataFrame({"Phone": [LA, NY, MIAMI], "Appointment": appointments}, index=[2, 3, 4])
    offsets = ["2 days before at 09:00", "1 day before at 20:00", "same day 3 hours before"]
    out = appointment_reminders(sheet, offsets, now=NOW)
    assert out["row"].tolist() == [2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert out["offset"].tolist() == offsets * 3
    for _, row in out.iterrows():
        assert reminder_instant(row["EventDate"], int(row["Day"]), row["Time"]) == (
            row["remind_at_utc"].to_pydatetime()
        )


def test_past_reminders_are_skipped_against_the_injected_clock():
    now = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    sheet = pd.DataFrame({"Phone": [NY], "Appointment": ["2026-12-03 10:30"]})
    out = appointment_reminders(sheet, ["2 days before at 09:00", "same day at 08:00"], now=now)
    assert [None if pd.isna(r) else r for r in out["skip_reason"]] == ["in_past", None]


def test_time_of_day_after_the_appointment_is_refused():
    assert remind(NY, "2026-12-03 10:30", "same day at 18:00")[-1] == "after_appointment"


def test_weekend_and_holiday_shifting():
    # Monday 12/07/2026 appointment; the day before is Sunday -> Friday 12/04, same time.
    got = remind(NY, "2026-12-07 09:00", "1 day before at 18:00", skip_weekends=True)
    assert got == ("12/05/2026", 1, "11:00 PM", "2026-12-04 23:00:00+00:00", None)
    # ...and with Friday a holiday, Thursday.
    got = remind(
        NY,
        "2026-12-07 09:00",
        "1 day before at 18:00",
        skip_weekends=True,
        holidays=[date(2026, 12, 4)],
    )
    assert got[3] == "2026-12-03 23:00:00+00:00"
    sheet = pd.DataFrame({"Phone": [NY], "Appointment": ["2026-12-07 09:00"]})
    out = appointment_reminders(sheet, "1 day before at 18:00", now=NOW, skip_weekends=True)
    assert bool(out["shifted"][0])
    assert out["note"][0] == "moved from Sun 12/06 to Fri 12/04 (weekend)"


def test_appointment_zone_of_the_venue_and_recipient_local_time_of_day():
    # A Chicago clinic, a patient with a New York number: the appointment is 10:30 Chicago;
    # "2 hours before" is 08:30 Chicago; "at 18:00" is the patient's 18:00 (New York).
    sheet = pd.DataFrame({"Phone": [NY], "Appointment": ["2026-12-03 10:30"]})
    out = appointment_reminders(
        sheet,
        ["same day 2 hours before", "1 day before at 18:00"],
        appointment_tz="America/Chicago",
        now=NOW,
    )
    assert out["remind_at_utc"].astype(str).tolist() == [
        "2026-12-03 14:30:00+00:00",
        "2026-12-02 23:00:00+00:00",
    ]


def test_quiet_hours_apply_to_reminders():
    # Miami: Florida's window ends at 20:00; a 20:30 reminder moves to 08:00 next morning.
    got = remind(MIAMI, "2026-12-04 15:00", "1 day before at 20:30", quiet=QuietHours())
    assert got == ("12/05/2026", 1, "01:00 PM", "2026-12-04 13:00:00+00:00", None)
    got = remind(
        MIAMI, "2026-12-04 15:00", "1 day before at 20:30", quiet=QuietHours(), quiet_policy="skip"
    )
    assert got[-1] == "quiet_hours"
    # 06:00 reminder for an 07:30 appointment: the next allowed moment is after it.
    assert (
        remind(NY, "2026-12-04 07:30", "same day 90 minutes before", quiet=QuietHours())[-1]
        == "quiet_hours"
    )


def test_bad_rows_are_reported_not_dropped():
    sheet = pd.DataFrame(
        {
            "Phone": [NY, NY, NY],
            "Appointment": ["next tuesday", "", "2026-12-03 10:30"],
            "TimeZone": ["", "", "America/New_Yrok"],
        },
        index=[2, 3, 4],
    )
    out = appointment_reminders(sheet, "1 day before at 09:00", now=NOW)
    assert out["skip_reason"].tolist() == [
        "invalid_appointment",
        "invalid_appointment",
        "invalid_timezone",
    ]
    assert out["note"].tolist() == [
        "Appointment 'next tuesday' is not a date and time like 2026-12-03 10:30, "
        "12/03/2026 10:30 AM or December 3, 2026 10:30 am",
        "no appointment time",
        "TimeZone 'America/New_Yrok' is not an IANA time zone name; "
        "did you mean 'America/New_York'?",
    ]
    assert out["row"].tolist() == [2, 3, 4]


def test_usage_errors():
    sheet = pd.DataFrame({"Phone": [NY], "Start": ["2026-12-03 10:30"]})
    with pytest.raises(UsageError, match="no 'Appointment' column"):
        appointment_reminders(sheet, "1 day before at 09:00", now=NOW)
    with pytest.raises(UsageError, match="at least one reminder offset"):
        appointment_reminders(sheet, [], appointment="Start", now=NOW)
    with pytest.raises(UsageError, match="90 seconds before cannot be expressed"):
        appointment_reminders(sheet, "90 seconds before", appointment="Start", now=NOW)
