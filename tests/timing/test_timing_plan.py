"""Timing through the whole path: plan → send → the exact UTC strings the sandbox received.

Every "now" is fixed, so nothing here depends on the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

import ptdata

NY, NY2, CHI, LA = "+12125550105", "+12125550106", "+13125550107", "+13105550123"
MIAMI = "+13055550112"  # Florida: stricter state window, 08:00-20:00
NOV = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)  # a weekday, daytime everywhere
NIGHT_NY = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 12/03 22:00 New York, 19:00 LA


def sheet(phones, **more) -> pd.DataFrame:
    return pd.DataFrame(
        {"Phone": phones, "Name": [f"P{i}" for i in range(len(phones))], **more}, dtype="str"
    )


def values(column: pd.Series) -> list:
    """A column as a list, missing values as None."""
    return [None if pd.isna(v) else v for v in column]


def requests(sandbox) -> list[tuple[str, dict]]:
    """(operationId, fields) of each message request the sandbox received, in order."""
    return [
        (r["operationId"], r.get("json") or r.get("form") or {})
        for r in sandbox.requests()
        if r["method"] == "POST" and "/messages/" in r["path"]
    ]


@pytest.fixture
def run(tmp_path):
    def _run(plan, client):
        return ptdata.send(
            plan, client, progress=False, ledger=tmp_path / "ledger.sqlite", rate=200, concurrency=1
        )  # one at a time: requests in call order

    return _run


@pytest.fixture
def contacts(client):
    """The numbers of these tests as Power Textor contacts (so they batch)."""
    for phone in (NY, NY2, CHI, LA, MIAMI):
        client.create_contact(phone, "Guest")
    return client


# -- a local-time campaign across three zones ------------------------------------------------


def test_the_sandbox_receives_the_exact_utc_strings_for_10_00_local_in_three_zones(
    sandbox, contacts, run
):
    p = ptdata.plan(
        sheet([NY, CHI, NY2, LA]),
        body="Doors open at 10!",
        to="contacts",
        local_at="10:00 local on 12/03/2026",
        now=NOV,
        client=contacts,
    )
    assert p.frame[["tz", "tz_source"]].values.tolist() == [
        ["America/New_York", "number"],
        ["America/Chicago", "number"],
        ["America/New_York", "number"],
        ["America/Los_Angeles", "number"],
    ]
    assert p.frame["batch_id"].tolist() == [0, 1, 0, 2]  # one call per UTC slot
    sandbox.clear_requests()
    report = run(p, contacts)
    body = {"Body": "Doors open at 10!", "ReplySTOPToOptOut": False}
    assert requests(sandbox) == [
        (
            "ScheduleTextToMultipleContacts",
            {**body, "To": [NY, NY2], "ScheduledDate": "12/03/2026", "ScheduledTime": "03:00 PM"},
        ),
        (
            "ScheduleMessageForAContact",
            {**body, "To": CHI, "ScheduledDate": "12/03/2026", "ScheduledTime": "04:00 PM"},
        ),
        (
            "ScheduleMessageForAContact",
            {**body, "To": LA, "ScheduledDate": "12/03/2026", "ScheduledTime": "06:00 PM"},
        ),
    ]
    assert report.frame["status"].tolist() == ["scheduled"] * 4
    assert report.frame["tz"].tolist()[:2] == ["America/New_York", "America/Chicago"]
    assert report.ok


def test_a_late_local_time_rolls_the_utc_date_over_and_a_tz_column_wins_over_the_number(
    sandbox, contacts, run
):
    frame = sheet([NY, LA], TimeZone=["", "America/Denver"])  # the LA number lives in Denver
    p = ptdata.plan(
        frame, body="Hi", to="contacts", local_at="2026-12-03 19:30", now=NOV, client=contacts
    )
    assert p.frame["tz_source"].tolist() == ["number", "column"]
    sandbox.clear_requests()
    run(p, contacts)
    assert [(f["To"], f["ScheduledDate"], f["ScheduledTime"]) for _, f in requests(sandbox)] == [
        (NY, "12/04/2026", "12:30 AM"),
        (LA, "12/04/2026", "02:30 AM"),
    ]


# -- quiet hours at the moment each message goes out -----------------------------------------


@pytest.mark.parametrize(
    "policy, expected",
    [
        pytest.param(
            "shift",
            [
                ("ScheduleMessageForAContact", MIAMI, "12/04/2026", "01:00 PM"),
                ("ScheduleMessageForAContact", NY, "12/04/2026", "01:30 AM"),
            ],
            id="shift-to-08-00-next-day",
        ),
        pytest.param(
            "skip", [("ScheduleMessageForAContact", NY, "12/04/2026", "01:30 AM")], id="skip"
        ),
    ],
)
def test_a_florida_number_at_20_30_local_is_blocked(sandbox, contacts, run, policy, expected):
    p = ptdata.plan(
        sheet([MIAMI, NY]),
        body="Hi",
        to="contacts",
        local_at="2026-12-03 20:30",
        quiet_policy=policy,
        now=NOV,
        client=contacts,
    )
    sandbox.clear_requests()
    report = run(p, contacts)
    assert [
        (op, f["To"], f["ScheduledDate"], f["ScheduledTime"]) for op, f in requests(sandbox)
    ] == expected
    miami = report.frame.iloc[0]
    if policy == "shift":
        assert miami["status"] == "scheduled"
        assert miami["note"] == (
            "quiet hours 08:00-20:00 (FL): moved from 12/03 20:30 to "
            "12/04 08:00 EST (America/New_York)"
        )
    else:
        assert (miami["status"], miami["reason"]) == ("skipped", "quiet_hours")
        assert miami["message"] == (
            "20:30 on 12/03/2026 in America/New_York is outside the allowed hours 08:00-20:00 "
            "(FL); quiet_policy='shift' would move it to the next allowed time"
        )
    assert report.ok  # skipped by rule


def test_send_now_at_22_00_new_york_becomes_a_scheduled_call(sandbox, contacts, run):
    p = ptdata.plan(
        sheet([NY, LA, NY2]), body="Tonight only!", to="contacts", now=NIGHT_NY, client=contacts
    )
    assert p.frame["timing"].tolist() == ["scheduled", "now", "scheduled"]
    assert p.frame["shifted"].tolist() == [True, False, True]
    assert "2 rows moved out of quiet hours" in p.summary()
    sandbox.clear_requests()
    report = run(p, contacts)
    body = {"Body": "Tonight only!", "ReplySTOPToOptOut": False}
    assert requests(sandbox) == [
        (
            "ScheduleTextToMultipleContacts",
            {**body, "To": [NY, NY2], "ScheduledDate": "12/04/2026", "ScheduledTime": "01:00 PM"},
        ),  # 08:00 EST
        ("SendTextToAContact", {**body, "To": LA}),  # 19:00 in LA
    ]
    assert report.frame["status"].tolist() == ["scheduled", "sent", "scheduled"]


@pytest.mark.parametrize(
    "to, kind, why",
    [
        pytest.param(
            "numbers",
            "text",
            "Power Textor cannot schedule a text to plain numbers",
            id="plain-numbers",
        ),
        pytest.param(
            "new-contacts",
            "mms",
            "Power Textor sends an MMS right away (it cannot schedule one)",
            id="mms",
        ),
    ],
)
def test_send_now_in_quiet_hours_without_a_scheduled_variant_is_skipped_saying_so(
    sandbox, client, run, to, kind, why
):
    from ptdata.sandbox.examples import EXAMPLE_PNG

    extra = {"attachment": ("pic.png", EXAMPLE_PNG)} if kind == "mms" else {}
    p = ptdata.plan(sheet([NY, LA]), body="Hi", to=to, kind=kind, now=NIGHT_NY, **extra)
    assert p.frame["skip_reason"].tolist()[0] == "quiet_hours_no_schedule"
    assert p.frame["message"].iloc[0] == (
        f"it is 22:00 in America/New_York, outside the allowed hours 08:00-21:00, and {why}; "
        "send it after 08:00 on 12/04/2026 local time, or to contacts/new-contacts, which "
        "Power Textor can schedule"
    )
    sandbox.clear_requests()
    report = run(p, client)
    assert [f.get("To") or f.get("ContactNumber") for _, f in requests(sandbox)] == [LA]
    assert report.frame["status"].tolist() == ["skipped", "sent"]
    assert report.ok


def test_quiet_none_sends_at_any_hour(sandbox, contacts, run):
    p = ptdata.plan(
        sheet([NY]),
        body="Your table is ready",
        to="contacts",
        quiet=None,
        now=NIGHT_NY,
        client=contacts,
    )
    assert p.frame["timing"].tolist() == ["now"]
    assert p.frame["tz"].isna().all()  # no zone needed, none looked up
    sandbox.clear_requests()
    run(p, contacts)
    assert [op for op, _ in requests(sandbox)] == ["SendTextToAContact"]


def test_scheduled_at_one_instant_is_checked_in_each_recipients_zone():
    at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 09:00 New York, 06:00 LA
    p = ptdata.plan(sheet([NY, LA]), body="Hi", to="contacts", at=at, now=NOV)
    assert p.frame[["api_date", "api_time", "shifted"]].values.tolist() == [
        ["12/03/2026", "02:00 PM", False],
        ["12/03/2026", "04:00 PM", True],
    ]


def test_per_row_local_times_and_blank_means_now():
    frame = sheet([NY, LA, CHI], Local=["2026-12-03 09:15", "12/03/2026 06:00 PM", ""])
    p = ptdata.plan(frame, body="Hi", to="contacts", local_at_column="Local", now=NOV)
    assert [values(p.frame[c]) for c in ("timing", "api_date", "api_time")] == [
        ["scheduled", "scheduled", "now"],
        ["12/03/2026", "12/04/2026", None],
        ["02:15 PM", "02:00 AM", None],
    ]


@pytest.mark.parametrize(
    "rule, reason, tz",
    [
        pytest.param("strictest", None, "America/New_York", id="strictest"),
        pytest.param("first", None, "America/New_York", id="first"),
        pytest.param("skip", "ambiguous_timezone", None, id="skip"),
    ],
)
def test_a_number_spanning_two_zones_follows_the_rule(rule, reason, tz):
    # a Pensacola ZIP: Florida spans Eastern and Central time, so the row is ambiguous
    p = ptdata.plan(
        sheet(["+18502001234"], ZIP=["32501"]),
        body="Hi",
        to="contacts",
        tz_rule=rule,
        local_at="2026-12-03 07:30",
        now=NOV,
        skip_invalid=True,
    )
    row = p.frame.iloc[0]
    assert (None if pd.isna(row["skip_reason"]) else row["skip_reason"]) == reason
    assert (None if pd.isna(row["tz"]) else row["tz"]) == tz
    if rule == "strictest":
        # 08:00 must have come in Chicago too: 08:00 CST = 09:00 EST = 14:00 UTC
        assert (row["api_date"], row["api_time"]) == ("12/03/2026", "02:00 PM")
    if rule == "first":
        assert (row["api_date"], row["api_time"]) == ("12/03/2026", "01:00 PM")


def test_zone_reasons_appear_as_themselves_and_a_bad_tz_column_fails_closed():
    frame = sheet([NY, "+18005550100", LA], TimeZone=["", "", "Pacific"])
    with pytest.raises(
        ptdata.UsageError,
        match="row 4: TimeZone 'Pacific' is not an IANA "
        "time zone name; did you mean 'America/Los_Ang",
    ):
        ptdata.plan(frame, body="Hi", to="contacts", now=NOV)
    p = ptdata.plan(frame, body="Hi", to="contacts", now=NOV, skip_invalid=True)
    assert p.frame["skip_reason"].tolist()[1:] == ["unknown_timezone", "invalid_timezone"]
    assert "toll-free or non-geographic" in p.frame["message"].iloc[1]
    assert p.report_frame()["reason"].tolist()[1:] == ["unknown_timezone", "invalid_timezone"]
    with_default = ptdata.plan(
        frame.iloc[:2], body="Hi", to="contacts", now=NOV, default_tz="America/Chicago"
    )
    assert with_default.frame[["tz", "tz_source"]].values.tolist()[1] == [
        "America/Chicago",
        "default",
    ]


def test_groups_have_no_zone_unless_the_sheet_or_default_tz_gives_one():
    frame = pd.DataFrame({"Groups": ["g1", "g2"], "TimeZone": ["America/Denver", ""]}, dtype="str")

    class Groups:  # the two group names resolve without a server
        def resolve_group(self, name):
            return type("G", (), {"name": name, "group_id": name.upper()})()

    p = ptdata.plan(frame, body="Hi", to="groups", client=Groups(), now=NOV)
    assert values(p.frame["skip_reason"]) == [None, "unknown_timezone"]
    assert values(p.frame["tz_source"]) == ["column", "unknown"]
    assert "add a TimeZone column, pass default_tz=" in p.frame["message"].iloc[1]
    p = ptdata.plan(
        frame, body="Hi", to="groups", client=Groups(), now=NOV, default_tz="America/New_York"
    )
    assert p.recipients == 2


# -- daylight saving ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "local, expected, note",
    [
        pytest.param("2026-03-07 10:00", ("03/07/2026", "03:00 PM"), None, id="day-before-spring"),
        pytest.param("2026-03-08 10:00", ("03/08/2026", "02:00 PM"), None, id="spring-forward-day"),
        pytest.param("2026-10-31 10:00", ("10/31/2026", "02:00 PM"), None, id="day-before-fall"),
        pytest.param("2026-11-01 10:00", ("11/01/2026", "03:00 PM"), None, id="fall-back-day"),
        pytest.param(
            "2026-03-08 02:30",
            ("03/08/2026", "07:00 AM"),
            "02:30 does not exist on 03/08/2026 in America/New_York (clocks spring "
            "forward); using 03:00 EDT, the first valid time after the gap",
            id="spring-gap",
        ),
        pytest.param(
            "2026-11-01 01:30",
            ("11/01/2026", "05:30 AM"),
            "01:30 happens twice on 11/01/2026 in America/New_York (clocks fall back); "
            "using the first, 01:30 EDT",
            id="fall-back-twice",
        ),
    ],
)
def test_dst_transition_days_give_the_right_instants(local, expected, note):
    p = ptdata.plan(
        sheet([NY]),
        body="Hi",
        to="contacts",
        local_at=local,
        quiet=None,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert tuple(p.frame.loc[0, ["api_date", "api_time"]]) == expected
    assert (None if pd.isna(p.frame.loc[0, "note"]) else p.frame.loc[0, "note"]) == note


@pytest.mark.parametrize(
    "now, expected",
    [
        pytest.param(
            datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
            ("03/08/2026", "12:00 PM"),
            id="spring-forward-night-to-08-00-EDT",
        ),
        pytest.param(
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            ("11/01/2026", "01:00 PM"),
            id="fall-back-night-to-08-00-EST",
        ),
    ],
)
def test_quiet_hours_across_a_dst_change_move_to_08_00_on_the_new_clock(now, expected):
    p = ptdata.plan(sheet([NY]), body="Hi", to="contacts", now=now)
    assert p.frame.loc[0, "timing"] == "scheduled"
    assert tuple(p.frame.loc[0, ["api_date", "api_time"]]) == expected


# -- reminders from an appointments sheet ---------------------------------------------------


APPOINTMENTS = pd.DataFrame(
    {
        "Phone": [LA, NY, NY2, CHI],
        "Name": ["Ana", "Emma", "Past", "George"],
        "Appointment": [
            "2026-12-03 10:30",
            "2026-12-04 14:00",
            "2026-10-01 10:00",
            "2026-12-07 09:00",
        ],  # 12/07/2026 is a Monday
    },
    dtype="str",
)
OFFSETS = ["1 day before at 18:00", "same day 2 hours before"]


def test_reminders_from_appointments_reach_the_sandbox_with_exact_event_fields(
    sandbox, client, run
):
    p = ptdata.plan(
        APPOINTMENTS,
        template="Hi {Name}, see you soon",
        kind="reminder",
        to="new-contacts",
        appointments="Appointment",
        offsets=OFFSETS,
        now=NOV,
        skip_invalid=True,
    )
    assert p.frame["row"].tolist() == [2, 2, 3, 3, 4, 4, 5, 5]
    assert p.frame["offset"].tolist() == OFFSETS * 4
    assert p.frame["skip_reason"].tolist()[4:6] == ["in_past", "in_past"]
    assert p.frame["message"].iloc[4] == (
        "reminder '1 day before at 18:00' was due 09/30/2026 18:00 America/New_York, already "
        "past (now is 2026-11-02 19:00 UTC)"
    )
    sandbox.clear_requests()
    report = run(p, client)
    got = [(f["ContactNumber"], f["EventDate"], f["Day"], f["Time"]) for _, f in requests(sandbox)]
    assert got == [
        (LA, "12/04/2026", 1, "02:00 AM"),  # 18:00 in LA on 12/02 is 02:00 UTC on 12/03
        (LA, "12/03/2026", 0, "04:30 PM"),  # 08:30 in LA
        (NY, "12/04/2026", 1, "11:00 PM"),  # 18:00 in New York on 12/03
        (NY, "12/04/2026", 0, "05:00 PM"),  # 12:00 in New York
        (CHI, "12/08/2026", 1, "12:00 AM"),  # 18:00 in Chicago on 12/06 is 00:00 UTC 12/07
        (CHI, "12/07/2026", 0, "02:00 PM"),  # 07:00 in Chicago: quiet hours, moved to 08:00
    ]
    assert {op for op, _ in requests(sandbox)} == {"SendMessageEventReminderToANewContact"}
    for _, f in requests(sandbox):
        fires = ptdata.reminder_instant(f["EventDate"], f["Day"], f["Time"])
        assert fires > NOV
    assert report.frame["note"].iloc[7] == (
        "quiet hours 08:00-21:00: moved from 12/07 07:00 to 12/07 08:00 CST (America/Chicago)"
    )
    assert (
        report.frame["status"].tolist() == ["scheduled"] * 4 + ["skipped"] * 2 + ["scheduled"] * 2
    )
    assert report.ok


def test_reminders_skip_weekends_and_say_after_appointment():
    p = ptdata.plan(
        APPOINTMENTS.iloc[[3]],
        body="See you",
        kind="reminder",
        to="new-contacts",
        appointments="Appointment",
        offsets=["1 day before at 18:00", "same day at 18:00"],
        skip_weekends=True,
        now=NOV,
        skip_invalid=True,
    )
    # Sunday 18:00 moves to Friday 18:00 (Chicago) = Saturday 00:00 UTC; Day stays 1
    assert tuple(p.frame.loc[0, ["api_date", "api_day", "api_time"]]) == (
        "12/06/2026",
        1,
        "12:00 AM",
    )
    assert p.frame.loc[1, "skip_reason"] == "after_appointment"
    assert p.frame.loc[1, "message"].startswith(
        "reminder 'same day at 18:00' falls at 12/07/2026 18:00 America/Chicago, not before "
        "the appointment (12/07/2026 09:00)"
    )


@pytest.mark.parametrize(
    "zone, time_utc, expected, shifted",
    [
        pytest.param(
            "America/Los_Angeles",
            "18:00",
            ("12/10/2026", 1, "06:00 PM"),
            False,
            id="10-00-in-LA-stays",
        ),
        pytest.param(
            "America/Los_Angeles",
            "14:00",
            ("12/10/2026", 1, "04:00 PM"),
            True,
            id="06-00-in-LA-moves-to-08-00",
        ),
        pytest.param(
            "Europe/London",
            "22:00",
            ("12/11/2026", 1, "08:00 AM"),
            True,
            id="22-00-in-London-moves-past-utc-midnight",
        ),
    ],
)
def test_reminder_fields_in_quiet_hours_are_recomputed_for_the_new_moment(
    zone, time_utc, expected, shifted
):
    p = ptdata.plan(
        sheet([LA], TimeZone=[zone]),
        body="See you",
        kind="reminder",
        to="new-contacts",
        event_date="2026-12-10",
        days_before=1,
        time=time_utc,
        now=NOV,
    )
    got = tuple(p.frame.loc[0, ["api_date", "api_day", "api_time"]])
    assert got == expected
    assert bool(p.frame.loc[0, "shifted"]) is shifted
    fires = ptdata.reminder_instant(got[0], int(got[1]), got[2])
    assert fires == p.frame.loc[0, "scheduled_for"].to_pydatetime()


def test_reminder_arguments_are_checked():
    with pytest.raises(ptdata.UsageError, match="appointments= needs offsets="):
        ptdata.plan(APPOINTMENTS, body="x", kind="reminder", appointments="Appointment", now=NOV)
    with pytest.raises(ptdata.UsageError, match="go with appointments="):
        ptdata.plan(APPOINTMENTS, body="x", offsets=OFFSETS, now=NOV)
    with pytest.raises(ptdata.UsageError, match="plans event reminders"):
        ptdata.plan(APPOINTMENTS, body="x", appointments="Appointment", offsets=OFFSETS, now=NOV)
    with pytest.raises(ptdata.UsageError, match="no 'Start' column"):
        ptdata.plan(
            APPOINTMENTS, body="x", kind="reminder", appointments="Start", offsets=OFFSETS, now=NOV
        )


# -- the CLI, end to end ------------------------------------------------------------------------


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ZONES_CSV = f"Phone,Name\n{NY},Emma\n{CHI},George\n{LA},Ana\n{MIAMI},Lena\n"


def test_cli_local_time_with_quiet_hours_against_the_sandbox(cli, tmp_path, sandbox, contacts):
    path = _csv(tmp_path, "zones.csv", ZONES_CSV)
    sandbox.clear_requests()
    result = cli(
        "send",
        path,
        "--body",
        "See you soon",
        "--to",
        "contacts",
        "--local-time",
        "2030-12-03 20:30",
        "--quiet-policy",
        "skip",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
    )
    assert result.exit_code == 0, result.output
    assert "skipped 1 row: quiet_hours 1" in result.output
    # the CLI sends calls in parallel: compare them in any order
    assert sorted(
        (f["To"], f["ScheduledDate"], f["ScheduledTime"]) for _, f in requests(sandbox)
    ) == sorted(
        [
            (NY, "12/04/2030", "01:30 AM"),
            (CHI, "12/04/2030", "02:30 AM"),
            (LA, "12/04/2030", "04:30 AM"),
        ]
    )
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["reason"].tolist()[3] == "quiet_hours"
    assert report["tz"].tolist() == [
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/New_York",
    ]


@pytest.mark.parametrize(
    "args, miami",
    [
        pytest.param([], ("12/04/2030", "01:00 PM"), id="default-shift"),
        pytest.param(["--no-quiet-hours"], ("12/04/2030", "03:00 AM"), id="no-quiet-hours"),
        pytest.param(["--quiet-hours", "09:00-20:00"], ("12/04/2030", "02:00 PM"), id="own-window"),
    ],
)
def test_cli_quiet_hours_options_with_a_sandbox_started_for_the_run(cli, tmp_path, args, miami):
    path = _csv(tmp_path, "zones.csv", ZONES_CSV)
    result = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--to",
        "new-contacts",
        "--local-time",
        "10:00 pm local on 12/03/2030",
        *args,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--sandbox",
    )
    assert result.exit_code == 0, result.output
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["status"].tolist() == ["scheduled"] * 4
    when = report["scheduled_for"].iloc[3]
    assert (f"{when:%m/%d/%Y}", f"{when:%I:%M %p}") == miami


def test_cli_appointment_reminders_with_offsets(cli, tmp_path):
    path = _csv(
        tmp_path,
        "appts.csv",
        f"Phone,Name,Appointment\n{LA},Ana,2030-12-03 10:30\n{CHI},George,2030-12-09 09:00\n",
    )  # a Monday
    result = cli(
        "send",
        path,
        "--template",
        _csv(tmp_path, "msg.txt", "See you, {Name}"),
        "--appointments",
        "Appointment",
        "--offset",
        "1 day before at 18:00",
        "--offset",
        "same day 2 hours before",
        "--skip-weekends",
        "--to",
        "new-contacts",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--sandbox",
    )
    assert result.exit_code == 0, result.output
    assert any(line.startswith("4 rows → 4 API calls") for line in result.output.splitlines())
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["row"].tolist() == [2, 2, 3, 3]
    assert report["offset"].tolist() == ["1 day before at 18:00", "same day 2 hours before"] * 2
    assert report["operation"].unique().tolist() == ["SendMessageEventReminderToANewContact"]
    assert [f"{t:%Y-%m-%d %H:%M}" for t in report["scheduled_for"]] == [
        "2030-12-03 02:00",  # 18:00 in LA on 12/02
        "2030-12-03 16:30",  # 08:30 in LA
        "2030-12-07 00:00",  # Sunday 18:00 in Chicago moved to Friday 18:00
        "2030-12-09 14:00",  # 07:00 in Chicago is quiet hours: moved to 08:00
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(
            ["--offset", "1 day before"], "--offset goes with --appointments", id="offset-alone"
        ),
        pytest.param(
            ["--appointments", "Appointment"],
            "--appointments needs at least one --offset",
            id="no-offset",
        ),
        pytest.param(
            ["--quiet-hours", "8-9pm"], "write the allowed hours like 08:00-21:00", id="bad-window"
        ),
        pytest.param(["--quiet-hours", "21:00-08:00"], "must be before end", id="window-overnight"),
        pytest.param(["--local-time", "soon"], "is not a local date and time", id="bad-local-time"),
        pytest.param(
            ["--local-time", "2030-12-03T10:00-05:00"],
            "use --at for that",
            id="local-time-with-offset",
        ),
    ],
)
def test_cli_timing_usage_errors_exit_2(cli, tmp_path, args, message):
    path = _csv(tmp_path, "zones.csv", ZONES_CSV)
    result = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--to",
        "new-contacts",
        *args,
        "--report",
        tmp_path / "out.csv",
        "--dry-run",
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
