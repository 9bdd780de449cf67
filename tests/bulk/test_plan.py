"""Planning is pure: the same frame and message always give the same calls, offline."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import ptdata
from ptdata.bulk.make_plan import InvalidRowsError

# 11:00 in Los Angeles, 14:00 in New York: inside quiet hours' allowed window everywhere the
# numbers here live, so tests about other things never depend on quiet hours or the clock
NOW = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)


def numbers(n: int, start: int = 1000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Phone": [f"+1415555{start + i:04d}" for i in range(n)],
            "Name": [f"N{i}" for i in range(n)],
        },
        dtype="str",
    )


def test_identical_bodies_share_calls_up_to_the_batch_size():
    p = ptdata.plan(numbers(250), body="Doors open at 9!", batch_size=100, now=NOW)
    calls = list(p.calls())
    assert [c.recipients for c in calls] == [100, 100, 50]
    assert {c.operation.op_id for c in calls} == {"SendMessageToMultipleNumbers"}
    assert calls[2].fields == {
        "Body": "Doors open at 9!",
        "ReplySTOPToOptOut": False,
        "ContactNumber": ",".join(f"+1415555{1200 + i:04d}" for i in range(50)),
    }
    assert str(p.summary()).splitlines()[0] == "250 rows → 3 API calls, 250 segments"
    assert p.frame["batch_id"].tolist() == [0] * 100 + [1] * 100 + [2] * 50


def test_personalised_bodies_go_one_per_call_through_the_single_number_action():
    p = ptdata.plan(numbers(3), template="Hi {Name}!", now=NOW)
    calls = list(p.calls())
    assert [(c.operation.op_id, c.fields) for c in calls] == [
        (
            "SendTextMessageToANumber",
            {"Body": f"Hi N{i}!", "ReplySTOPToOptOut": False, "To": f"+1415555{1000 + i:04d}"},
        )
        for i in range(3)
    ]


def test_numbers_in_any_format_are_sent_as_e164_and_repeats_are_duplicates():
    frame = pd.DataFrame(
        {"Phone": ["(415) 555-0142", "415.555.0143", "+1 415 555 0142"]}, dtype="str"
    )
    p = ptdata.plan(frame, body="Hi", now=NOW)
    assert p.frame["phone"].tolist() == ["+14155550142", "+14155550143", "+14155550142"]
    assert p.frame["status"].tolist() == ["planned", "planned", "skipped"]
    assert p.frame["skip_reason"].iloc[2] == "duplicate"
    assert p.frame["message"].iloc[2] == "the same recipient and send time as row 2"
    assert next(p.calls()).fields["ContactNumber"] == "+14155550142,+14155550143"


def test_invalid_rows_stop_the_plan_naming_them():
    frame = pd.DataFrame(
        {"Phone": ["+14155550142", "555", "", "4.155550123E9"], "Name": ["Ana", "Bo", "Cy", "Di"]},
        dtype="str",
    )
    with pytest.raises(InvalidRowsError) as err:
        ptdata.plan(frame, body="Hi", now=NOW)
    assert err.value.rows == [3, 4, 5]
    text = str(err.value)
    assert text.startswith(
        "3 rows cannot be sent (row 3: Phone: '555' is not a valid phone number: it has "
        "3 digits, too few for a US number."
    )
    assert "row 4: No phone number: fill it in or delete the row." in text
    assert "row 5: Phone: Excel changed this number to scientific notation (4.155550123E9)" in text
    assert "skip_invalid=True (--skip-invalid)" in text


def test_skip_invalid_keeps_the_invalid_rows_in_the_plan_with_their_reason():
    frame = pd.DataFrame({"Phone": ["+14155550142", "555"]}, dtype="str")
    p = ptdata.plan(frame, body="Hi", skip_invalid=True, now=NOW)
    assert p.frame["status"].tolist() == ["planned", "skipped"]
    assert p.frame["skip_reason"].isna().tolist() == [True, False]
    assert p.frame["skip_reason"].iloc[1] == "invalid"
    assert (
        p.frame["message"]
        .iloc[1]
        .startswith("Phone: '555' is not a valid phone number: it has 3 digits")
    )
    assert p.frame["phone_as_written"].tolist() == ["+14155550142", "555"]


@pytest.mark.parametrize(
    "listed",
    [
        pytest.param(["+14155550142"], id="e164"),
        pytest.param(["(415) 555-0142"], id="national"),
        pytest.param(["1-415-555-0142"], id="with-trunk-1"),
    ],
)
def test_numbers_on_the_suppression_list_are_skipped_whatever_their_format(listed):
    frame = pd.DataFrame({"Phone": ["415 555 0142", "415 555 0143"]}, dtype="str")
    p = ptdata.plan(frame, body="Hi", suppress=listed, now=NOW)
    assert p.frame["skip_reason"].tolist()[0] == "opted_out"
    assert p.recipients == 1


def test_a_suppression_file_is_read(tmp_path):
    path = tmp_path / "stop.csv"
    path.write_text("Phone\n(415) 555-0142\n", encoding="utf-8")
    frame = pd.DataFrame({"Phone": ["+14155550142", "+14155550143"]}, dtype="str")
    p = ptdata.plan(frame, body="Hi", suppress=path, now=NOW)
    assert p.frame["skip_reason"].tolist()[0] == "opted_out"


def test_scheduling_converts_to_the_api_utc_strings():
    at = datetime(2026, 12, 3, 18, 30, tzinfo=ZoneInfo("America/New_York"))
    p = ptdata.plan(numbers(2), body="Hi", to="contacts", at=at, now=NOW)
    call = next(p.calls())
    assert call.operation.op_id == "ScheduleTextToMultipleContacts"
    assert call.fields == {
        "Body": "Hi",
        "ReplySTOPToOptOut": False,
        "To": ["+14155551000", "+14155551001"],
        "ScheduledDate": "12/03/2026",
        "ScheduledTime": "11:30 PM",
    }
    assert p.frame["scheduled_for"].iloc[0] == pd.Timestamp("2026-12-03 23:30", tz="UTC")


def test_per_row_send_times_batch_rows_with_the_same_time_and_skip_past_ones():
    frame = numbers(4)
    frame["SendAt"] = ["2026-12-01T12:00-05:00", "2026-12-01T17:00Z", "", "2026-11-01T09:00Z"]
    p = ptdata.plan(frame, body="Hi", to="contacts", at_column="SendAt", now=NOW)
    assert p.frame["timing"].tolist() == ["scheduled", "scheduled", "now", "scheduled"]
    assert p.frame["skip_reason"].tolist()[3] == "in_past"
    calls = list(p.calls())
    assert [(c.operation.op_id, c.recipients) for c in calls] == [
        ("ScheduleTextToMultipleContacts", 2),
        ("SendTextToAContact", 1),
    ]
    assert calls[0].fields["ScheduledTime"] == "05:00 PM"


def test_a_send_time_without_offset_is_invalid():
    frame = numbers(1)
    frame["SendAt"] = ["2026-12-01 09:00"]
    with pytest.raises(InvalidRowsError, match="no UTC offset|not a date-time with a UTC offset"):
        ptdata.plan(frame, body="Hi", to="contacts", at_column="SendAt", now=NOW)


def test_a_reminder_carries_event_date_days_and_utc_time():
    frame = numbers(3)
    frame["Date"] = ["2026-12-10", "12/10/2026", "2026-12-11"]
    p = ptdata.plan(
        frame,
        body="See you!",
        kind="reminder",
        to="contacts",
        event_date_column="Date",
        days_before=2,
        time="18:00",
        now=NOW,
    )
    calls = list(p.calls())
    assert [c.fields for c in calls] == [
        {
            "ReminderText": "See you!",
            "ReplySTOPToOptOut": False,
            "To": ["+14155551000", "+14155551001"],
            "EventDate": "12/10/2026",
            "Day": 2,
            "Time": "06:00 PM",
        },
        {
            "ReminderText": "See you!",
            "ReplySTOPToOptOut": False,
            "To": "+14155551002",
            "EventDate": "12/11/2026",
            "Day": 2,
            "Time": "06:00 PM",
        },
    ]
    assert p.frame["scheduled_for"].iloc[0] == pd.Timestamp("2026-12-08 18:00", tz="UTC")


def test_new_contacts_get_their_names_one_call_each():
    frame = pd.DataFrame(
        {"Phone": ["+14155550142"], "Name": ["Ana"], "LastName": ["Silva"]}, dtype="str"
    )
    p = ptdata.plan(frame, body="Welcome!", to="new-contacts", now=NOW)
    call = next(p.calls())
    assert (call.operation.op_id, call.fields) == (
        "SendMessageToANewContact",
        {
            "Message": "Welcome!",
            "ReplySTOPToOptOut": False,
            "ContactNumber": "+14155550142",
            "ContactName": "Ana",
            "ContactLastName": "Silva",
        },
    )


def test_a_new_group_is_one_call_with_every_member():
    p = ptdata.plan(
        numbers(150), body="Club news", to="new-group", group_name="Spring club", now=NOW
    )
    calls = list(p.calls())
    assert len(calls) == 1 and calls[0].recipients == 150
    assert calls[0].fields["GroupName"] == "Spring club"
    assert calls[0].operation.op_id == "SendTextToANewGroup"


def test_a_new_group_refuses_personalised_bodies():
    with pytest.raises(ptdata.UsageError, match="a new group gets one message"):
        ptdata.plan(numbers(2), template="Hi {Name}", to="new-group", group_name="X", now=NOW)


def test_the_job_id_follows_the_content():
    a = ptdata.plan(numbers(10), body="Hi", now=NOW).job_id
    assert a == ptdata.plan(numbers(10), body="Hi", now=NOW).job_id
    assert a != ptdata.plan(numbers(10), body="Hi!", now=NOW).job_id
    assert a != ptdata.plan(numbers(10, start=2000), body="Hi", now=NOW).job_id
    assert a != ptdata.plan(numbers(10), body="Hi", opt_out_footer=True, now=NOW).job_id
    assert len(a) == 64


def test_the_opt_out_footer_counts_toward_segments():
    body = "x" * 150
    assert ptdata.plan(numbers(1), body=body, now=NOW).segments == 1
    p = ptdata.plan(numbers(1), body=body, opt_out_footer=True, now=NOW)
    assert p.segments == 2
    assert next(p.calls()).fields["ReplySTOPToOptOut"] is True


def test_messages_over_ten_segments_need_force_long():
    body = "x" * 1600
    with pytest.raises(InvalidRowsError, match="11 segments / 1600 characters"):
        ptdata.plan(numbers(1), body=body, now=NOW)
    assert ptdata.plan(numbers(1), body=body, force_long=True, now=NOW).segments == 11


def test_a_long_message_is_measured_with_the_opt_out_footer_it_goes_out_with():
    body = "x" * 1520  # 10 segments alone; the footer's 22 characters make it 11
    assert ptdata.plan(numbers(1), body=body, now=NOW).segments == 10
    with pytest.raises(InvalidRowsError, match="11 segments / 1542 characters"):
        ptdata.plan(numbers(1), body=body, opt_out_footer=True, now=NOW)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param(
            {"body": "Hi", "at": datetime(2026, 12, 3, 9, 0, tzinfo=UTC)},
            "cannot schedule a text message to numbers; use to= one of: contacts, "
            "new-contacts, groups, new-group",
            id="schedule-to-numbers",
        ),
        pytest.param(
            {"body": "Hi", "kind": "review"},
            "cannot send a review message to numbers",
            id="review-to-numbers",
        ),
        pytest.param(
            {"body": "Hi", "kind": "review", "to": "contacts"},
            "needs place=",
            id="review-without-place",
        ),
        pytest.param(
            {"body": "Hi", "to": "contacts", "at": datetime(2026, 12, 3, 9, 0)},
            "has no time zone",
            id="naive-at",
        ),
        pytest.param(
            {"body": "Hi", "to": "contacts", "at": "2026-12-03T09:00"},
            "has no UTC offset",
            id="naive-at-text",
        ),
        pytest.param(
            {"body": "Hi", "to": "contacts", "at": datetime(2026, 1, 1, tzinfo=UTC)},
            "is in the past",
            id="at-in-the-past",
        ),
        pytest.param(
            {"body": "Hi", "template": "Hi"},
            "exactly one of body=, template= or body_column=",
            id="two-messages",
        ),
        pytest.param({"template": "Hi {Nmae}"}, "template:", id="unknown-merge-field"),
        pytest.param(
            {"body": "Hi", "to": "groups"}, "no 'Groups' column", id="groups-without-column"
        ),
        pytest.param(
            {"body": "Hi", "kind": "reminder", "to": "contacts", "days_before": 1, "time": "14:00"},
            "needs event_date=",
            id="reminder-without-date",
        ),
        pytest.param({"body": "Hi", "kind": "mms"}, "needs attachment=", id="mms-without-file"),
    ],
)
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(ptdata.UsageError, match=None) as err:
        ptdata.plan(numbers(2), now=NOW, **kwargs)
    assert message in str(err.value)


def test_a_validation_brings_its_failed_rows_as_invalid_and_its_duplicates():
    from ptdata.sheets.validate import validate

    raw = pd.DataFrame(
        {
            "Phone": ["+14155550142", "not a phone", "415 555 0143", "(415) 555-0142"],
            "Name": ["Ana", "Bo", "Chen", "Ana"],
        },
        dtype="str",
    )
    p = ptdata.plan(validate(raw, kind="contacts"), body="Hi", skip_invalid=True, now=NOW)
    assert p.frame["row"].tolist() == [2, 3, 4, 5]
    assert p.frame["status"].tolist() == ["planned", "skipped", "planned", "skipped"]
    assert p.frame["skip_reason"].tolist()[1::2] == ["invalid", "duplicate"]
    assert p.frame["phone"].tolist()[3] == "+14155550142"
    with pytest.raises(InvalidRowsError) as err:
        ptdata.plan(validate(raw, kind="contacts"), body="Hi", now=NOW)
    assert err.value.rows == [3]  # a duplicate is skipped by rule, not refused


def test_read_sheet_row_numbers_are_kept(tmp_path):
    from ptdata.sheets.reading import read_sheet

    path = tmp_path / "s.csv"
    path.write_text("Phone,Name\n\n+14155550142,Ana\n+14155550143,Bo\n", encoding="utf-8")
    p = ptdata.plan(read_sheet(path), body="Hi", now=NOW)
    assert p.frame["row"].tolist()[-2:] == [3, 4]


def test_per_row_reminder_fields_from_the_appointment_helper():
    from ptdata.timing import appointment_reminders

    sheet = pd.DataFrame(
        {
            "Phone": ["+13105550123", "+12125550105"],
            "Name": ["Ana", "Emma"],
            "Appointment": ["2026-12-03 10:30", "2026-12-04 14:00"],
            "TimeZone": ["America/Los_Angeles", "America/New_York"],
        },
        dtype="str",
    )
    fields = appointment_reminders(sheet, ["1 day before at 18:00"], now=NOW)
    frame = sheet.join(fields.set_index("row")[["EventDate", "Day", "Time"]])  # row = index
    p = ptdata.plan(
        frame,
        template="See you tomorrow, {Name}",
        kind="reminder",
        to="contacts",
        event_date_column="EventDate",
        days_before_column="Day",
        time_column="Time",
        now=NOW,
    )
    assert [c.fields for c in p.calls()] == [
        {
            "ReminderText": "See you tomorrow, Ana",
            "ReplySTOPToOptOut": False,
            "To": "+13105550123",
            "EventDate": "12/04/2026",
            "Day": 1,
            "Time": "02:00 AM",
        },
        {
            "ReminderText": "See you tomorrow, Emma",
            "ReplySTOPToOptOut": False,
            "To": "+12125550105",
            "EventDate": "12/04/2026",
            "Day": 1,
            "Time": "11:00 PM",
        },
    ]
    assert p.frame["scheduled_for"].tolist() == [
        pd.Timestamp("2026-12-03 02:00", tz="UTC"),
        pd.Timestamp("2026-12-03 23:00", tz="UTC"),
    ]


def test_a_body_naming_a_column_is_refused_as_a_mistaken_template():
    rows = pd.DataFrame({"Phone": ["+14155550101"], "Name": ["Ava"]}, dtype="str")
    with pytest.raises(ptdata.UsageError, match=r"names the column \{Name\}.*template="):
        ptdata.plan(rows, body="Hi {Name}!", quiet=None)
    plain = ptdata.plan(rows, body="Use code {SAVE10} at checkout", quiet=None)
    assert plain.frame["body"].tolist() == ["Use code {SAVE10} at checkout"]
