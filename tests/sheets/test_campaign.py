"""Campaign sheets: one message per row, checked against Power Textor's operation matrix."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from ptdata import read_sheet, validate
from ptdata.sheets.campaign import normalise_date, normalise_moment, normalise_time

HEADER = (
    "Phone,Groups,Recipient,Name,Kind,Message,Send At,EventDate,DaysBefore,Time,Place,Attachment"
)
ROWS = [
    "+1 415 555 0101,,,Ana,,Hi {Name}!,,,,,,",  # 2 ok: text now
    ",VIP,,,Text,VIP night!,12/04/2026 5:00 PM,,,,,",  # 3 ok: group, scheduled
    "(415) 555-0102,,,Ben,review,Review us?,,,,,,",  # 4 review without Place
    "(415) 555-0103,,,Cy,reminder,See you,,2026-12-03,1,09:00,,",  # 5 ok: reminder to contact
    "(415) 555-0104,,number,Di,reminder,See you,,2026-12-03,1,09:00,,",  # 6 no reminder to a number
    "(415) 555-0105,,,Ed,mms,Coupon,2026-12-03 10:00,,,,,coupon.png",  # 7 no scheduled MMS
    ",,,,text,Nobody,,,,,,",  # 8 no recipient
    "(415) 555-0106,VIP,,,text,Both,,,,,,",  # 9 two recipients
    "(415) 555-0107,,,Fay,sms,Hi,,,,,,",  # 10 unknown kind
    "(415) 555-0108,,,Gus,text,Hi {Nmae},,,,,,",  # 11 unknown field
    "(415) 555-0109,,,Hal,text,Hi,next tuesday,,,,,",  # 12 bad datetime
    "(415) 555-0110,,,Ivy,reminder,See you,,31/12/2026,one,25:00,,",  # 13 bad date, days, time
    "(415) 555-0111,,,Jo,text,Hi,,,,,Café Luna,",  # 14 Place on a text
    "4.15555E+09,,,Kim,text,Hi,,,,,,",  # 15 Excel damage
    "+1 415 555 0101,,,Ana,,Hi {Name}!,,,,,,",  # 16 same message again
    f"(415) 555-0112,,,Lu,text,{'x' * 1600},,,,,,",  # 17 too long
    ",VIP;Staff,,,mms,Flyer,,,,,,flyer.png",  # 18 MMS to two groups
    ",,,,,,,,,,,",  # 19 blank
]

EXPECTED = [
    (4, "Place", "required"),
    (6, "Recipient", "no_operation"),
    (7, "Recipient", "no_operation"),
    (8, "Phone", "no_recipient"),
    (9, "Groups", "two_recipients"),
    (10, "Kind", "unknown_kind"),
    (11, "Body", "unknown_field"),
    (12, "SendAt", "bad_datetime"),
    (13, "EventDate", "bad_date"),
    (13, "DaysBefore", "bad_days"),
    (13, "Time", "bad_time"),
    (14, "Place", "not_for_kind"),
    (15, "Phone", "excel_scientific"),
    (16, "Phone", "duplicate"),
    (17, "Body", "too_long"),
    (18, "Recipient", "no_operation"),
]


@pytest.fixture(scope="module")
def result():
    data = (HEADER + "\n" + "\n".join(ROWS) + "\n").encode()
    return validate(read_sheet(io.BytesIO(data)), "campaign")


def test_every_bad_campaign_row_is_reported_where_it_is(result):
    got = [(r.row, r.column, r.reason) for r in result.failures.itertuples(index=False)]
    assert got == EXPECTED
    assert result.blank_rows == 1
    assert result.clean["row"].tolist() == [2, 3, 5]


def test_clean_campaign_rows_have_defaults_and_one_form_for_dates(result):
    clean = result.clean.set_index("row")
    assert clean.loc[2, ["Kind", "Recipient", "Body"]].tolist() == ["text", "number", "Hi {Name}!"]
    assert clean.loc[3, ["Kind", "Recipient", "SendAt"]].tolist() == [
        "text",
        "group",
        "2026-12-04 17:00",
    ]
    assert clean.loc[5, ["Recipient", "EventDate", "DaysBefore", "Time"]].tolist() == [
        "contact",
        "2026-12-03",
        "1",
        "09:00",
    ]
    assert "Message" not in clean.columns and "Send At" not in clean.columns


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        pytest.param(
            4,
            "Place",
            "Place is empty for a review message: fill in the place's name or GooglePlaceId, as "
            "listed by GetPlaces.",
            id="required",
        ),
        pytest.param(
            6,
            "Recipient",
            "Power Textor has no event reminder action for a plain number: set Recipient to "
            "contact or new_contact.",
            id="no-reminder-to-number",
        ),
        pytest.param(
            7,
            "Recipient",
            "Power Textor cannot schedule an MMS: clear SendAt to send it now, or send a text "
            "instead.",
            id="no-scheduled-mms",
        ),
        pytest.param(
            11,
            "Body",
            "Unknown merge field {Nmae}: did you mean {Name}? The sheet's columns are Phone, "
            "Groups, Recipient, Name, Kind, Body, SendAt, EventDate, DaysBefore, Time, Place, "
            "Attachment.",
            id="unknown-field",
        ),
        pytest.param(
            14,
            "Place",
            "Place is only used by review messages but this row is text: clear the cell, or set "
            "Kind to review.",
            id="not-for-kind",
        ),
        pytest.param(
            16,
            "Phone",
            "Row 2 already sends this same message to the same recipient at the same time; delete "
            "this row unless it should really go twice.",
            id="duplicate",
        ),
        pytest.param(
            17,
            "Body",
            "This message is 11 segments (GSM-7, 1600 characters) for this row; the limit is 10 "
            "segments and 1,600 characters: shorten it.",
            id="too-long",
        ),
        pytest.param(
            18,
            "Recipient",
            "Power Textor sends an MMS to one group at a time: put each group on its own row.",
            id="mms-groups",
        ),
    ],
)
def test_campaign_messages_say_what_to_change(result, row, column, message):
    failures = result.failures
    picked = failures[(failures["row"] == row) & (failures["column"] == column)]
    assert picked["message"].tolist() == [message]


@pytest.mark.parametrize(
    ("text", "moment", "day", "clock"),
    [
        pytest.param("2026-12-03 10:30", "2026-12-03 10:30", None, None, id="iso"),
        pytest.param("2026-12-03T10:30:00Z", "2026-12-03 10:30+00:00", None, None, id="iso-z"),
        pytest.param(
            "2026-12-03 10:30-0500", "2026-12-03 10:30-05:00", None, None, id="iso-offset"
        ),
        pytest.param("12/03/2026 10:30 PM", "2026-12-03 22:30", None, None, id="us-12h"),
        pytest.param("12/03/2026 12:05 am", "2026-12-03 00:05", None, None, id="us-midnight"),
        pytest.param("2026-02-30 10:00", None, None, None, id="no-such-day"),
        pytest.param("12/03/2026", None, "2026-12-03", None, id="us-date"),
        pytest.param("2026-12-03", None, "2026-12-03", None, id="iso-date"),
        pytest.param("2:30 PM", None, None, "14:30", id="pm"),
        pytest.param("12 AM", None, None, "00:00", id="midnight"),
        pytest.param("24:00", None, None, None, id="hour-24"),
        pytest.param("9", None, None, None, id="bare-hour"),
    ],
)
def test_dates_and_times_are_read_as_people_type_them(text, moment, day, clock):
    assert (normalise_moment(text), normalise_date(text), normalise_time(text)) == (
        moment,
        day,
        clock,
    )


def test_a_campaign_needs_a_phone_or_groups_column():
    result = validate(pd.DataFrame({"Body": ["Hi"]}), "campaign")
    assert result.failures[["row", "column", "reason"]].to_dict("records") == [
        {"row": 1, "column": "Phone", "reason": "missing_column"}
    ]
