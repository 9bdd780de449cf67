"""Appointment times as booking exports write them, and the exact reminder fields Power Textor
gets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import ptdata
from ptdata.timing.parse import parse_appointments

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
NOW = "2026-11-25T17:00:00+00:00"


def reminders(sandbox) -> list[tuple[str, str, int, str]]:
    """(ContactNumber, EventDate, Day, Time) of every reminder the sandbox received, in order."""
    out = []
    for r in sandbox.requests():
        if r["method"] == "POST" and r["operationId"] == "SendMessageEventReminderToANewContact":
            f = r["json"]
            out.append((f["ContactNumber"], f["EventDate"], f["Day"], f["Time"]))
    return out


@pytest.mark.parametrize(
    ("text", "local"),
    [
        pytest.param("December 8, 2026 9:15 am", "2026-12-08 09:15", id="acuity"),
        pytest.param("Dec 8, 2026 9:15 PM", "2026-12-08 21:15", id="short-month"),
        pytest.param(
            "Tuesday, December 8, 2026 9:15 a.m.", "2026-12-08 09:15", id="weekday-and-dots"
        ),
        pytest.param("12/08/2026 8:00 AM", "2026-12-08 08:00", id="us"),
        pytest.param("12/8/26 8:00am", "2026-12-08 08:00", id="us-short-year"),
        pytest.param("2026-12-08 09:15", "2026-12-08 09:15", id="iso"),
        pytest.param("2026-12-08T09:15:00", "2026-12-08 09:15", id="iso-t-seconds"),
        pytest.param("08.12.2026 09:15", "2026-12-08 09:15", id="european-dots"),
        pytest.param("12/08/2026 14:30", "2026-12-08 14:30", id="us-24-hour"),
    ],
)
def test_the_forms_exports_write_are_read(text, local):
    got = parse_appointments(pd.Series([text]))
    assert f"{got.local[0]:%Y-%m-%d %H:%M}" == local
    assert not got.date_only[0] and pd.isna(got.instant[0])


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        pytest.param("2026-12-08T09:15:00-08:00", "2026-12-08 17:15", id="offset"),
        pytest.param("2026-12-08T17:15Z", "2026-12-08 17:15", id="z"),
        pytest.param("2026-12-08 18:15+0100", "2026-12-08 17:15", id="compact-offset"),
    ],
)
def test_a_time_with_its_offset_is_that_instant(text, instant):
    got = parse_appointments(pd.Series([text]))
    assert f"{got.instant[0]:%Y-%m-%d %H:%M}" == instant and pd.isna(got.local[0])


@pytest.mark.parametrize(
    "text", ["13/45/2026 9:00", "12/08/2026 25:00", "next tuesday", "12/08/2026 9"]
)
def test_what_is_not_a_time_is_not_guessed(text):
    got = parse_appointments(pd.Series([text]))
    assert pd.isna(got.local[0]) and pd.isna(got.instant[0]) and not got.date_only[0]


def test_a_date_column_and_a_time_column_make_one_appointment():
    got = parse_appointments(
        pd.Series(["12/08/2026", "2026-12-09", "12/10/2026", "12/11/2026 9:00", "12/12/2026"]),
        pd.Series(["8:00 AM", "14:30", "soon", "9:00", None]),
    )
    assert [None if pd.isna(t) else f"{t:%m/%d %H:%M}" for t in got.local] == [
        "12/08 08:00",
        "12/09 14:30",
        None,
        None,
        "12/12 00:00",
    ]
    assert got.date_only.tolist() == [False, False, False, False, True]


def test_acuity_reminders_reach_the_sandbox_with_the_exact_fields(cli, tmp_path, sandbox):
    msg = tmp_path / "msg.txt"
    msg.write_text("Hi {First Name|there}, see you {Start Time}", encoding="utf-8")
    result = cli(
        "send",
        EXPORTS / "acuity_appointments.csv",
        "--template",
        msg,
        "--appointments",
        "Start Time",
        "--offset",
        "1 day before at 18:00",
        "--offset",
        "same day 1 hour before",
        "--to",
        "new-contacts",
        "--skip-invalid",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--now",
        NOW,
    )
    assert result.exit_code == 0, result.output
    # Olga in Los Angeles (her row's Timezone), Paul in Chicago: 18:00 the day before, local
    assert sorted(reminders(sandbox)) == sorted(
        [
            ("+14155550181", "12/09/2026", 1, "02:00 AM"),  # 12/07 18:00 PST = 12/08 02:00 UTC
            ("+14155550181", "12/08/2026", 0, "04:15 PM"),  # 08:15 PST
            ("+13125550182", "12/09/2026", 1, "12:00 AM"),  # 12/07 18:00 CST = 12/08 00:00 UTC
            ("+13125550182", "12/08/2026", 0, "06:30 PM"),  # 12:30 CST
        ]
    )
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["row"].tolist() == [2, 2, 3, 3, 4, 4]
    assert report["tz"].tolist()[:4] == ["America/Los_Angeles"] * 2 + ["America/Chicago"] * 2
    assert report["status"].tolist() == ["scheduled"] * 4 + ["skipped"] * 2
    assert report["body"].iloc[0] == "Hi Olga, see you December 8, 2026 9:15 am"


def test_split_date_and_time_columns_with_the_clinics_zone(cli, tmp_path, sandbox):
    result = cli(
        "send",
        EXPORTS / "practice_appointments.csv",
        "--body",
        "Reminder: your visit tomorrow",
        "--appointments",
        "Appt Date",
        "--appointment-time-column",
        "Appt Time",
        "--appointment-tz",
        "America/New_York",
        "--offset",
        "1 day before at 17:00",
        "--to",
        "new-contacts",
        "--skip-invalid",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--now",
        NOW,
    )
    assert result.exit_code == 0, result.output
    assert "  header on row 4 (the 3 rows above it skipped)" in result.output.splitlines()
    assert sorted(reminders(sandbox)) == [
        ("+16175550192", "12/08/2026", 1, "10:00 PM"),  # Kai: 12/07 17:00 EST, his Cell Phone
        ("+16175550193", "12/08/2026", 1, "10:00 PM"),  # Lena: her Home Phone (no cell)
        ("+16175550195", "12/10/2026", 1, "10:00 PM"),  # Jörg: 12/09 17:00 EST
    ]
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["row"].tolist() == [5, 6, 7, 8]
    assert report.loc[2, "reason"] == "invalid" and report.loc[2, "name"] == "Marco"


def test_date_only_appointments_work_when_every_offset_names_a_time_of_day():
    sheet = pd.DataFrame(
        {
            "Phone": ["(415) 555-0101", "(415) 555-0102"],
            "Visit": ["12/08/2026", "12/09/2026 10:00"],
        },
        dtype="str",
    )
    now = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    p = ptdata.plan(
        sheet,
        body="See you",
        kind="reminder",
        to="new-contacts",
        appointments="Visit",
        offsets=["1 day before at 18:00", "same day at 08:00"],
        now=now,
    )
    assert p.frame[["api_date", "api_day", "api_time"]].values.tolist() == [
        ["12/09/2026", 1, "02:00 AM"],
        ["12/08/2026", 0, "04:00 PM"],  # date only: the day's 08:00 is before it ends
        ["12/10/2026", 1, "02:00 AM"],
        ["12/09/2026", 0, "04:00 PM"],
    ]
    with pytest.raises(ptdata.bulk.make_plan.InvalidRowsError) as err:
        ptdata.plan(
            sheet,
            body="See you",
            kind="reminder",
            to="new-contacts",
            appointments="Visit",
            offsets=["1 day before at 18:00", "same day 2 hours before"],
            now=now,
        )
    assert err.value.rows == [2, 2]
    assert (
        "Appointment '12/08/2026' has no time of day, and offset 'same day 2 hours before' needs "
        "one"
    ) in str(err.value)
