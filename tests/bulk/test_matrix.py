"""Every kind × timing × recipient shape, sent to the sandbox: the exact requests it received.

Quiet hours are off here (``quiet=None``): the shapes are the subject, and a group's members
have no time zone ptdata could check (``test_timing_plan`` covers quiet hours).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bulk_helpers import BAKERY, CONTACTS, DAY, STAFF, VIP, frame, received

import ptdata
from ptdata.sandbox.examples import EXAMPLE_PNG, seed_group_id

AT = datetime(2030, 12, 3, 15, 30, tzinfo=UTC)
SCHED = {"ScheduledDate": "12/03/2030", "ScheduledTime": "03:30 PM"}
EVENT = {"EventDate": "12/10/2030", "Day": 2, "Time": "02:00 PM"}
REMIND = {"kind": "reminder", "event_date": "2030-12-10", "days_before": 2, "time": "14:00"}
REVIEW = {"kind": "review", "place": "Main Street Bakery"}
NO = {"ReplySTOPToOptOut": False}
TWO = frame(Phone=CONTACTS[:2], Name=["Ava", "Ben"], LastName=["Martinez", "Carter"])
ONE = frame(Phone=CONTACTS[:1], Name=["Ava"], LastName=["Martinez"])
NEW = frame(Phone=["+14155550142"], Name=["Ana"], LastName=["Silva"])
GROUPS = frame(Groups=[VIP, STAFF])
GROUP = frame(Groups=[VIP])
IDS = [seed_group_id(VIP), seed_group_id(STAFF)]
NEWNAME = {"ContactNumber": "+14155550142", "ContactName": "Ana", "ContactLastName": "Silva"}

CASES = [
    # text, now
    pytest.param(
        TWO,
        {"to": "numbers"},
        [
            (
                "SendMessageToMultipleNumbers",
                {"ContactNumber": ",".join(CONTACTS[:2]), "Body": "Hi", **NO},
            )
        ],
        id="text-now-numbers",
    ),
    pytest.param(
        ONE,
        {"to": "numbers"},
        [("SendTextMessageToANumber", {"To": CONTACTS[0], "Body": "Hi", **NO})],
        id="text-now-number",
    ),
    pytest.param(
        TWO,
        {"to": "contacts"},
        [("SendTextMessageToMultipleContacts", {"To": CONTACTS[:2], "Body": "Hi", **NO})],
        id="text-now-contacts",
    ),
    pytest.param(
        ONE,
        {"to": "contacts"},
        [("SendTextToAContact", {"To": CONTACTS[0], "Body": "Hi", **NO})],
        id="text-now-contact",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts"},
        [("SendMessageToANewContact", {**NEWNAME, "Message": "Hi", **NO})],
        id="text-now-new-contact",
    ),
    pytest.param(
        GROUPS,
        {"to": "groups"},
        [("SendTextMessageToMultipleGroups", {"GroupName": IDS, "Body": "Hi", **NO})],
        id="text-now-groups",
    ),
    pytest.param(
        GROUP,
        {"to": "groups"},
        [("SendTextMessageToAGroup", {"To": IDS[0], "Body": "Hi", **NO})],
        id="text-now-group",
    ),
    pytest.param(
        TWO,
        {"to": "new-group", "group_name": "Spring"},
        [("SendTextToANewGroup", {"To": CONTACTS[:2], "Body": "Hi", "GroupName": "Spring", **NO})],
        id="text-now-new-group",
    ),
    # text, scheduled
    pytest.param(
        TWO,
        {"to": "contacts", "at": AT},
        [("ScheduleTextToMultipleContacts", {"To": CONTACTS[:2], "Body": "Hi", **NO, **SCHED})],
        id="text-scheduled-contacts",
    ),
    pytest.param(
        ONE,
        {"to": "contacts", "at": AT},
        [("ScheduleMessageForAContact", {"To": CONTACTS[0], "Body": "Hi", **NO, **SCHED})],
        id="text-scheduled-contact",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts", "at": AT},
        [("ScheduleTextForANewContact", {**NEWNAME, "Message": "Hi", **NO, **SCHED})],
        id="text-scheduled-new-contact",
    ),
    pytest.param(
        GROUPS,
        {"to": "groups", "at": AT},
        [("ScheduleMessageForGroups", {"To": IDS, "Body": "Hi", **NO, **SCHED})],
        id="text-scheduled-groups",
    ),
    pytest.param(
        GROUP,
        {"to": "groups", "at": AT},
        [("ScheduleTextMessagesForAGroup", {"To": IDS[0], "Body": "Hi", **NO, **SCHED})],
        id="text-scheduled-group",
    ),
    pytest.param(
        TWO,
        {"to": "new-group", "group_name": "Spring", "at": AT},
        [
            (
                "ScheduleTextForANewGroup",
                {"To": CONTACTS[:2], "Body": "Hi", "GroupName": "Spring", **NO, **SCHED},
            )
        ],
        id="text-scheduled-new-group",
    ),
    # review, now and scheduled
    pytest.param(
        TWO,
        {"to": "contacts", **REVIEW},
        [
            (
                "SendReviewTextMultipleContacts",
                {"To": CONTACTS[:2], "Body": "Hi", "GooglePlaceId": BAKERY, **NO},
            )
        ],
        id="review-now-contacts",
    ),
    pytest.param(
        ONE,
        {"to": "contacts", **REVIEW},
        [
            (
                "SendReviewSingleContact",
                {"To": CONTACTS[0], "Body": "Hi", "GooglePlaceId": BAKERY, **NO},
            )
        ],
        id="review-now-contact",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts", **REVIEW},
        [
            (
                "SendReviewTextMessageToANewContact",
                {**NEWNAME, "ReviewText": "Hi", "PlaceId": BAKERY, **NO},
            )
        ],
        id="review-now-new-contact",
    ),
    pytest.param(
        GROUPS,
        {"to": "groups", **REVIEW},
        [("SendReviewTextGroups", {"GroupName": IDS, "Body": "Hi", "PlaceId": BAKERY, **NO})],
        id="review-now-groups",
    ),
    pytest.param(
        GROUP,
        {"to": "groups", **REVIEW},
        [("SendReviewTextMessageToAGroup", {"To": IDS[0], "Body": "Hi", "PlaceId": BAKERY, **NO})],
        id="review-now-group",
    ),
    pytest.param(
        TWO,
        {"to": "new-group", "group_name": "Fans", **REVIEW},
        [
            (
                "SendReviewToANewGroup",
                {
                    "To": CONTACTS[:2],
                    "ReviewText": "Hi",
                    "GroupName": "Fans",
                    "PlaceId": BAKERY,
                    **NO,
                },
            )
        ],
        id="review-now-new-group",
    ),
    pytest.param(
        TWO,
        {"to": "contacts", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewTextMessageForContacts",
                {"To": CONTACTS[:2], "Body": "Hi", "GooglePlaceId": BAKERY, **NO, **SCHED},
            )
        ],
        id="review-scheduled-contacts",
    ),
    pytest.param(
        ONE,
        {"to": "contacts", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewMessageForAContact",
                {"To": CONTACTS[0], "Body": "Hi", "GooglePlaceId": BAKERY, **NO, **SCHED},
            )
        ],
        id="review-scheduled-contact",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewTextMessageToANewContact",
                {**NEWNAME, "ReviewText": "Hi", "GooglePlaceId": BAKERY, **NO, **SCHED},
            )
        ],
        id="review-scheduled-new-contact",
    ),
    pytest.param(
        GROUPS,
        {"to": "groups", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewGroups",
                {"GroupName": IDS, "Body": "Hi", "PlaceId": BAKERY, **NO, **SCHED},
            )
        ],
        id="review-scheduled-groups",
    ),
    pytest.param(
        GROUP,
        {"to": "groups", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewTextMessageForAGroup",
                {"To": IDS[0], "Body": "Hi", "PlaceId": BAKERY, **NO, **SCHED},
            )
        ],
        id="review-scheduled-group",
    ),
    pytest.param(
        TWO,
        {"to": "new-group", "group_name": "Fans", "at": AT, **REVIEW},
        [
            (
                "ScheduleReviewToANewGroup",
                {
                    "To": CONTACTS[:2],
                    "ReviewText": "Hi",
                    "GroupName": "Fans",
                    "PlaceId": BAKERY,
                    **NO,
                    **SCHED,
                },
            )
        ],
        id="review-scheduled-new-group",
    ),
    # event reminders
    pytest.param(
        TWO,
        {"to": "contacts", **REMIND},
        [
            (
                "SendTextMessageEventReminderToMultipleContacts",
                {"To": CONTACTS[:2], "ReminderText": "Hi", **NO, **EVENT},
            )
        ],
        id="reminder-contacts",
    ),
    pytest.param(
        ONE,
        {"to": "contacts", **REMIND},
        [
            (
                "SendTextMessageEventReminderToAContact",
                {"To": CONTACTS[0], "ReminderText": "Hi", **NO, **EVENT},
            )
        ],
        id="reminder-contact",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts", **REMIND},
        [
            (
                "SendMessageEventReminderToANewContact",
                {**NEWNAME, "ReminderText": "Hi", **NO, **EVENT},
            )
        ],
        id="reminder-new-contact",
    ),
    pytest.param(
        GROUPS,
        {"to": "groups", **REMIND},
        [
            (
                "SendTextMessageEventReminderToGroups",
                {"GroupName": IDS, "ReminderText": "Hi", **NO, **EVENT},
            )
        ],
        id="reminder-groups",
    ),
    pytest.param(
        GROUP,
        {"to": "groups", **REMIND},
        [("SendTextEventReminderToAGroup", {"To": IDS[0], "ReminderText": "Hi", **NO, **EVENT})],
        id="reminder-group",
    ),
    pytest.param(
        TWO,
        {"to": "new-group", "group_name": "Class", **REMIND},
        [
            (
                "SendTextEventReminderToNewGroup",
                {"To": CONTACTS[:2], "ReminderText": "Hi", "GroupName": "Class", **NO, **EVENT},
            )
        ],
        id="reminder-new-group",
    ),
    # MMS (the API has one-recipient MMS actions only)
    pytest.param(
        ONE,
        {"to": "numbers", "kind": "mms"},
        [
            (
                "SendMMSNewContact",
                {
                    "ContactNumber": CONTACTS[0],
                    "ContactName": "Ava",
                    "ContactLastName": "Martinez",
                    "Message": "Hi",
                    "ReplySTOPToOptOut": "false",
                    "Attachment": "pic.png",
                },
            )
        ],
        id="mms-number",
    ),
    pytest.param(
        TWO,
        {"to": "contacts", "kind": "mms"},
        [
            (
                "SendMMSContacts",
                {"To": p, "Message": "Hi", "ReplySTOPToOptOut": "false", "Attachment": "pic.png"},
            )
            for p in CONTACTS[:2]
        ],
        id="mms-contacts",
    ),
    pytest.param(
        NEW,
        {"to": "new-contacts", "kind": "mms"},
        [
            (
                "SendMMSNewContact",
                {**NEWNAME, "Message": "Hi", "ReplySTOPToOptOut": "false", "Attachment": "pic.png"},
            )
        ],
        id="mms-new-contact",
    ),
    pytest.param(
        GROUP,
        {"to": "groups", "kind": "mms"},
        [
            (
                "SendMMSGroup",
                {
                    "GroupName": IDS[0],
                    "Message": "Hi",
                    "ReplySTOPToOptOut": "false",
                    "Attachment": "pic.png",
                },
            )
        ],
        id="mms-group",
    ),
]


@pytest.mark.parametrize("rows, options, expected", CASES)
def test_the_sandbox_receives_exactly_these_requests(sandbox, client, run, rows, options, expected):
    if options.get("kind") == "mms":
        options = {**options, "attachment": ("pic.png", EXAMPLE_PNG)}
    p = ptdata.plan(rows, body="Hi", client=client, quiet=None, now=DAY, **options)
    sandbox.clear_requests()
    report = run(p, client)
    assert received(sandbox) == expected
    status = "scheduled" if ("at" in options or options.get("kind") == "reminder") else "sent"
    assert report.frame["status"].tolist() == [status] * len(rows)
    assert report.frame["campaign_id"].notna().all()
    assert report.ok
