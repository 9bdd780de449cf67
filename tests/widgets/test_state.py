"""The form's state → ``plan`` arguments mapping: pure, so every rule is checked exactly."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ptdata.api.errors import UsageError
from ptdata.widgets.state import (
    FormState,
    contacts_frame,
    parse_numbers,
    plan_arguments,
    recipient_target,
    reminder_arguments,
)


@pytest.mark.parametrize(
    "text, numbers",
    [
        pytest.param("+14155550101", ["+14155550101"], id="one"),
        pytest.param("+14155550101\n415-555-0102\n", ["+14155550101", "415-555-0102"], id="lines"),
        pytest.param(
            "+14155550101, (415) 555 0102;4155550103\t4155550104",
            ["+14155550101", "(415) 555 0102", "4155550103", "4155550104"],
            id="separators",
        ),
        pytest.param(" \n , \n", [], id="blank"),
    ],
)
def test_pasted_numbers_are_split_on_lines_commas_semicolons_tabs(text, numbers):
    assert parse_numbers(text) == numbers


@pytest.mark.parametrize(
    "source, kind, from_client, to",
    [
        pytest.param("groups", "text", False, "groups", id="groups"),
        pytest.param("groups", "reminder", False, "groups", id="groups-reminder"),
        pytest.param("contacts", "text", True, "contacts", id="powertextor-contacts"),
        pytest.param("contacts", "mms", True, "contacts", id="powertextor-contacts-mms"),
        pytest.param("contacts", "text", False, "numbers", id="sheet-text"),
        pytest.param("numbers", "text", False, "numbers", id="pasted-text"),
        pytest.param("numbers", "text-at", False, "new-contacts", id="pasted-scheduled-text"),
        pytest.param("numbers", "review", False, "new-contacts", id="pasted-review"),
        pytest.param("contacts", "reminder", False, "new-contacts", id="sheet-reminder"),
        pytest.param("numbers", "mms", False, "new-contacts", id="pasted-mms"),
    ],
)
def test_recipient_target_follows_source_and_kind(source, kind, from_client, to):
    kind, _, at = kind.partition("-")
    state = FormState(
        source=source, kind=kind, timing=at or "now", contacts_are_powertextor=from_client
    )
    assert recipient_target(state) == to


def test_picked_contacts_keep_sheet_order_columns_and_row_numbers():
    sheet = pd.DataFrame(
        {
            "Phone": ["+14155550101", "+14155550102", "+14155550103"],
            "Name": ["Ana", "Bo", "Cy"],
            "Table": ["4", "5", "6"],
        }
    )
    state = FormState(
        source="contacts", contacts=("+14155550103", "+14155550101"), body="Hi {Name}"
    )
    frame, kwargs = plan_arguments(state, sheet)
    assert frame.to_dict("list") == {
        "row": [2, 4],
        "Phone": ["+14155550101", "+14155550103"],
        "Name": ["Ana", "Cy"],
        "Table": ["4", "6"],
    }
    assert kwargs == {
        "template": "Hi {Name}",
        "kind": "text",
        "to": "numbers",
        "opt_out_footer": False,
        "quiet_policy": "shift",
    }


def test_powertextor_contacts_frame_is_read_with_plan_column_names():
    frame = contacts_frame(
        pd.DataFrame({"contact_id": ["c1"], "phone": ["+14155550101"], "name": ["Ana"]})
    )
    assert frame.columns.tolist() == ["contact_id", "Phone", "Name"]


def test_contacts_frame_without_phone_says_which_columns_it_has():
    with pytest.raises(UsageError, match=r"no 'Phone' column; its columns are: Mobile, Name"):
        contacts_frame(pd.DataFrame({"Mobile": ["x"], "Name": ["y"]}))


def test_groups_and_footer():
    frame, kwargs = plan_arguments(
        FormState(source="groups", groups=("g1",), body="Hi", opt_out_footer=True)
    )
    assert frame.to_dict("list") == {"Groups": ["g1"]}
    assert kwargs["to"] == "groups" and kwargs["opt_out_footer"] is True


def test_at_a_time_is_an_aware_moment_in_the_chosen_zone():
    state = FormState(
        source="numbers",
        numbers="+14155550101",
        body="Hi",
        timing="at",
        at_date=date(2031, 1, 15),
        at_time=time(9, 30),
        timezone="America/Chicago",
    )
    _, kwargs = plan_arguments(state)
    assert kwargs["at"] == datetime(2031, 1, 15, 9, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert kwargs["at"].utcoffset().total_seconds() == -6 * 3600


def test_recipient_local_time_is_a_naive_wall_clock_time_for_each_recipients_zone():
    state = FormState(
        source="numbers",
        numbers="+14155550101\n+12125550105",
        body="Hi",
        timing="local",
        at_date=date(2030, 12, 3),
        at_time=time(10, 0),
        timezone="America/Chicago",
    )  # the form's zone plays no part here
    frame, kwargs = plan_arguments(state)
    assert kwargs["local_at"] == datetime(2030, 12, 3, 10, 0)
    assert kwargs["local_at"].tzinfo is None
    assert "at" not in kwargs
    assert kwargs["to"] == "new-contacts"  # plain numbers cannot be scheduled
    assert kwargs["quiet_policy"] == "shift"


@pytest.mark.parametrize(
    "state, expected",
    [
        pytest.param(FormState(), {"quiet_policy": "shift"}, id="default-shift"),
        pytest.param(FormState(quiet="skip"), {"quiet_policy": "skip"}, id="skip"),
        pytest.param(FormState(quiet="off"), {"quiet": None}, id="off"),
        pytest.param(
            FormState(source="groups", timezone="America/Denver"),
            {"quiet_policy": "shift", "default_tz": "America/Denver"},
            id="groups-checked-in-the-forms-zone",
        ),
        pytest.param(FormState(source="groups", quiet="off"), {"quiet": None}, id="groups-off"),
    ],
)
def test_quiet_hours_policy_maps_to_plan_arguments(state, expected):
    _, kwargs = plan_arguments(state)
    assert {
        k: kwargs[k] for k in ("quiet", "quiet_policy", "default_tz") if k in kwargs
    } == expected


def test_the_mapped_arguments_plan_a_local_time_campaign_across_zones():
    import ptdata

    state = FormState(
        source="numbers",
        numbers="+12125550105\n+13105550123",
        body="Hi",
        timing="local",
        at_date=date(2030, 12, 3),
        at_time=time(10, 0),
    )
    frame, kwargs = plan_arguments(state)
    p = ptdata.plan(frame, now=datetime(2030, 11, 1, tzinfo=ZoneInfo("UTC")), **kwargs)
    assert p.frame[["tz", "api_date", "api_time"]].values.tolist() == [
        ["America/New_York", "12/03/2030", "03:00 PM"],
        ["America/Los_Angeles", "12/03/2030", "06:00 PM"],
    ]


@pytest.mark.parametrize(
    "state, message",
    [
        pytest.param(
            FormState(kind="review"),
            "pick the place the review request is for",
            id="review-no-place",
        ),
        pytest.param(
            FormState(quiet="sometimes"),
            "quiet hours: choose one of shift, skip, off",
            id="unknown-quiet-policy",
        ),
        pytest.param(
            FormState(
                kind="mms",
                attachment=("a.png", b"x"),
                timing="local",
                at_date=date(2031, 1, 1),
                at_time=time(9),
            ),
            "cannot be scheduled",
            id="mms-local-time",
        ),
        pytest.param(
            FormState(timing="local", at_date=date(2031, 1, 1)),
            "pick the date and the time",
            id="local-no-time",
        ),
        pytest.param(FormState(kind="mms"), "an MMS needs a file", id="mms-no-file"),
        pytest.param(
            FormState(
                kind="mms",
                attachment=("a.png", b"x"),
                timing="at",
                at_date=date(2031, 1, 1),
                at_time=time(9),
            ),
            "cannot be scheduled",
            id="mms-scheduled",
        ),
        pytest.param(
            FormState(kind="reminder", event_date=date(2031, 1, 1)),
            "needs the event date and the time",
            id="reminder-no-time",
        ),
        pytest.param(
            FormState(timing="at", at_date=date(2031, 1, 1)),
            "pick the date and the time",
            id="at-no-time",
        ),
        pytest.param(
            FormState(
                timing="at", at_date=date(2031, 1, 1), at_time=time(9), timezone="Mars/Olympus"
            ),
            "time zone 'Mars/Olympus' is not known",
            id="unknown-zone",
        ),
    ],
)
def test_missing_choices_are_named(state, message):
    with pytest.raises(UsageError, match=message):
        plan_arguments(state)


def test_mms_attachment_carries_name_bytes_and_type():
    _, kwargs = plan_arguments(
        FormState(source="numbers", kind="mms", attachment=("photo.png", b"\x89PNG"))
    )
    att = kwargs["attachment"]
    assert (att.filename, att.content, att.content_type) == ("photo.png", b"\x89PNG", "image/png")


@pytest.mark.parametrize(
    "event, days, at, zone, expected",
    [
        pytest.param(
            date(2030, 5, 10),
            1,
            time(9, 0),
            "America/New_York",
            {"event_date": "05/10/2030", "days_before": 1, "time": "01:00 PM"},
            id="morning-new-york",
        ),
        pytest.param(
            date(2030, 5, 10),
            1,
            time(18, 0),
            "America/Los_Angeles",
            {"event_date": "05/11/2030", "days_before": 1, "time": "01:00 AM"},
            id="evening-los-angeles-is-next-utc-day",
        ),
        pytest.param(
            date(2030, 5, 10),
            2,
            time(7, 0),
            "Asia/Tokyo",
            {"event_date": "05/09/2030", "days_before": 2, "time": "10:00 PM"},
            id="morning-tokyo-is-previous-utc-day",
        ),
        pytest.param(
            date(2030, 1, 10),
            0,
            time(9, 0),
            "UTC",
            {"event_date": "01/10/2030", "days_before": 0, "time": "09:00 AM"},
            id="utc",
        ),
    ],
)
def test_reminder_time_is_given_locally_and_fires_at_that_moment(event, days, at, zone, expected):
    from ptdata.timing import reminder_instant

    got = reminder_arguments(event, days, at, zone)
    assert got == expected
    fires = reminder_instant(got["event_date"], got["days_before"], got["time"])
    assert fires == datetime.combine(event - timedelta(days=days), at, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    "state, expected",
    [
        pytest.param(
            FormState(source="numbers", numbers="+14155550101", body="Hi"), [], id="ready"
        ),
        pytest.param(
            FormState(source="numbers", numbers=" ,\n", body="\t"),
            [
                "Recipients: paste at least one number.",
                "Message: it is only spaces; write the text to send.",
            ],
            id="blank-everything",
        ),
        pytest.param(
            FormState(
                source="groups",
                groups=("g1",),
                body="Hi",
                kind="reminder",
                event_date=date(2026, 11, 21),
                days_before=2,
                event_time=time(9, 0),
                timezone="America/Chicago",
            ),
            [
                "When: the reminder would go out at 09:00 on 11/19/2026 (America/Chicago), "
                "which is in the past; pick a later date or time."
            ],
            id="reminder-past",
        ),
        pytest.param(
            FormState(
                source="groups",
                groups=("g1",),
                body="Hi",
                kind="mms",
                attachment=("a.png", b"x"),
                timing="at",
            ),
            ["When: Power Textor sends an MMS right away; it cannot be scheduled. Choose “Now”."],
            id="mms-scheduled",
        ),
    ],
)
def test_missing_says_what_to_fill_in_in_the_forms_words(state, expected):
    from ptdata.widgets.state import missing

    assert missing(state, now=datetime(2026, 11, 20, 19, 0, tzinfo=ZoneInfo("UTC"))) == expected


def test_allow_long_passes_force_long_to_plan():
    state = FormState(source="numbers", numbers="+14155550101", body="x", allow_long=True)
    assert plan_arguments(state)[1]["force_long"] is True
    assert "force_long" not in plan_arguments(FormState(source="numbers", body="x"))[1]
