"""Every operation is reachable through a friendly method that fills the spec's odd fields."""

import json
from datetime import UTC, date, datetime, time

import httpx
import pytest

import ptdata
from ptdata.api.errors import UsageError
from ptdata.api.operations import OPERATIONS

GROUPS = [
    {"GroupId": "grp-1", "Name": "VIP customers", "ContactsCount": 2},
    {"GroupId": "grp-2", "Name": "Staff", "ContactsCount": 1},
]
PLACES = [
    {
        "PlaceId": "pl-1",
        "AccountId": "a",
        "GooglePlaceId": "ChIJ-bakery",
        "Name": "Main Street Bakery",
    }
]
AT = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


class Recorder:
    def __init__(self):
        self.posts = []

    def __call__(self, request):
        path = request.url.path
        if request.method == "GET":
            data = {"/api/groups": GROUPS, "/api/places": PLACES, "/api/contacts": []}[path]
            return httpx.Response(200, json={"Success": True, "Error": "", "Data": data})
        self.posts.append(request)
        if path.startswith("/api/twilio/") and request.method == "POST":
            return httpx.Response(
                201,
                json={"Success": True, "Data": {"RegistrationId": "reg-9"}},
                headers={"Location": "/api/twilio/reg-9"},
            )
        return httpx.Response(
            200,
            json={
                "Success": True,
                "Data": {"CampaignId": "c-1", "ContactId": "k", "Phone": "+14155550100"},
            },
        )


@pytest.fixture
def rec():
    return Recorder()


@pytest.fixture
def client(rec):
    return ptdata.PowerTextor(
        api_key="k", base_url="http://pt.test", transport=httpx.MockTransport(rec)
    )


def body(req):
    if req.headers["content-type"].startswith("application/json"):
        return json.loads(req.content)
    return req.headers["content-type"].split(";")[0]


N, N2 = "+14155550100", "+14155550101"
CALLS = {
    "SendTextMessageToANumber": lambda c: c.send_text("Hi", number=N),
    "SendTextMessage": lambda c: c.send_simple_text(N, "Hi"),
    "SendMessageToMultipleNumbers": lambda c: c.send_text("Hi", numbers=[N, N2]),
    "SendTextToAContact": lambda c: c.send_text("Hi", contact=N),
    "SendTextMessageToMultipleContacts": lambda c: c.send_text("Hi", contacts=[N, N2]),
    "SendTextMessageToAGroup": lambda c: c.send_text("Hi", group="VIP customers"),
    "SendTextMessageToMultipleGroups": lambda c: c.send_text(
        "Hi", groups=["VIP customers", "grp-2"]
    ),
    "SendMessageToANewContact": lambda c: c.send_text(
        "Hi", new_contact=N, name="Ana", last_name="Diaz"
    ),
    "SendTextToANewGroup": lambda c: c.send_text("Hi", new_group="Fall class", members=[N, N2]),
    "ScheduleMessageForAContact": lambda c: c.send_text("Hi", contact=N, at=AT),
    "ScheduleTextToMultipleContacts": lambda c: c.send_text("Hi", contacts=[N], at=AT),
    "ScheduleTextMessagesForAGroup": lambda c: c.send_text("Hi", group="Staff", at=AT),
    "ScheduleMessageForGroups": lambda c: c.send_text("Hi", groups=["Staff"], at=AT),
    "ScheduleTextForANewContact": lambda c: c.send_text("Hi", new_contact=N, at=AT),
    "ScheduleTextForANewGroup": lambda c: c.send_text("Hi", new_group="G", members=[N], at=AT),
    "SendReviewSingleContact": lambda c: c.send_review(
        "Rate us", place="Main Street Bakery", contact=N
    ),
    "SendReviewTextMultipleContacts": lambda c: c.send_review(
        "Rate us", place="pl-1", contacts=[N]
    ),
    "SendReviewTextMessageToAGroup": lambda c: c.send_review(
        "Rate us", place="ChIJ-bakery", group="Staff"
    ),
    "SendReviewTextGroups": lambda c: c.send_review(
        "Rate us", place="main street bakery", groups=["Staff"]
    ),
    "SendReviewTextMessageToANewContact": lambda c: c.send_review(
        "Rate us", place="pl-1", new_contact=N
    ),
    "SendReviewToANewGroup": lambda c: c.send_review(
        "Rate us", place="pl-1", new_group="G", members=[N]
    ),
    "ScheduleReviewMessageForAContact": lambda c: c.send_review(
        "Rate us", place="pl-1", contact=N, at=AT
    ),
    "ScheduleReviewTextMessageForContacts": lambda c: c.send_review(
        "Rate us", place="pl-1", contacts=[N], at=AT
    ),
    "ScheduleReviewTextMessageForAGroup": lambda c: c.send_review(
        "Rate us", place="pl-1", group="Staff", at=AT
    ),
    "ScheduleReviewGroups": lambda c: c.send_review(
        "Rate us", place="pl-1", groups=["Staff"], at=AT
    ),
    "ScheduleReviewTextMessageToANewContact": lambda c: c.send_review(
        "Rate us", place="pl-1", new_contact=N, at=AT
    ),
    "ScheduleReviewToANewGroup": lambda c: c.send_review(
        "Rate us", place="pl-1", new_group="G", members=[N], at=AT
    ),
    "SendTextMessageEventReminderToAContact": lambda c: c.send_reminder(
        "Appt",
        event_date=date(2026, 12, 5),
        days_before=2,
        time=time(14, 0, tzinfo=UTC),
        contact=N,
    ),
    "SendTextMessageEventReminderToMultipleContacts": lambda c: c.send_reminder(
        "Appt", event_date="12/05/2026", days_before=1, time="02:00 PM", contacts=[N]
    ),
    "SendTextEventReminderToAGroup": lambda c: c.send_reminder(
        "Appt", event_date=date(2026, 12, 5), days_before=0, time=AT, group="Staff"
    ),
    "SendTextMessageEventReminderToGroups": lambda c: c.send_reminder(
        "Appt", event_date=date(2026, 12, 5), days_before=1, time="09:00 AM", groups=["Staff"]
    ),
    "SendMessageEventReminderToANewContact": lambda c: c.send_reminder(
        "Appt",
        event_date=date(2026, 12, 5),
        days_before=1,
        time="09:00 AM",
        new_contact=N,
        name="Ana",
    ),
    "SendTextEventReminderToNewGroup": lambda c: c.send_reminder(
        "Appt",
        event_date=date(2026, 12, 5),
        days_before=1,
        time="09:00 AM",
        new_group="G",
        members=[N],
    ),
    "SendMMSContacts": lambda c: c.send_mms("Flyer", PNG, contact=N),
    "SendMMSGroup": lambda c: c.send_mms("Flyer", PNG, group="Staff"),
    "SendMMSNewContact": lambda c: c.send_mms("Flyer", PNG, new_contact=N, name="Ana"),
    "CreateAContact": lambda c: c.create_contact(N, "Ana", "Diaz"),
    "UpdateAPowerTextorContact": lambda c: c.update_contact(N, name="Anna"),
    "ProductionWebhook": lambda c: c.register_webhook("https://example.org/hook", kind="sms"),
    "MMSWebhook": lambda c: c.register_webhook("https://example.org/hook", kind="mms"),
    "InternalActionForWebhookDeletion": lambda c: c.delete_webhook("reg-9"),
    "GetContacts": lambda c: c.contacts(),
    "GetGroups": lambda c: c.groups(),
    "GetPlaces": lambda c: c.places(),
}


def test_every_operation_has_a_friendly_call():
    assert set(CALLS) == {op.op_id for op in OPERATIONS}


@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if op.method == "POST"], ids=lambda op: op.op_id
)
def test_friendly_call_sends_the_operation(op, client, rec):
    CALLS[op.op_id](client)
    assert len(rec.posts) == 1
    req = rec.posts[0]
    assert (req.method, req.url.path) == ("POST", op.path)
    if op.encoding == "multipart":
        assert body(req) == "multipart/form-data"
        assert b'name="Attachment"' in req.content and PNG in req.content
    else:
        sent = body(req)
        assert set(sent) <= set(op.field_names)
        assert set(op.required) <= set(sent)


@pytest.mark.parametrize(
    ("op_id", "expected"),
    [
        pytest.param(
            "SendMessageToMultipleNumbers",
            {"ContactNumber": f"{N},{N2}", "Body": "Hi", "ReplySTOPToOptOut": False},
            id="numbers-comma-joined",
        ),
        pytest.param(
            "SendTextMessageToMultipleGroups",
            {"GroupName": ["grp-1", "grp-2"], "Body": "Hi", "ReplySTOPToOptOut": False},
            id="group-names-to-ids",
        ),
        pytest.param(
            "SendReviewTextGroups",
            {
                "GroupName": ["grp-2"],
                "Body": "Rate us",
                "PlaceId": "ChIJ-bakery",
                "ReplySTOPToOptOut": False,
            },
            id="place-name-to-google-id",
        ),
        pytest.param(
            "SendMessageToANewContact",
            {
                "ContactNumber": N,
                "ContactName": "Ana",
                "ContactLastName": "Diaz",
                "Message": "Hi",
                "ReplySTOPToOptOut": False,
            },
            id="new-contact",
        ),
        pytest.param(
            "ScheduleTextForANewGroup",
            {
                "To": [N],
                "GroupName": "G",
                "Body": "Hi",
                "ScheduledDate": "12/03/2026",
                "ScheduledTime": "03:30 PM",
                "ReplySTOPToOptOut": False,
            },
            id="new-group-scheduled",
        ),
        pytest.param(
            "SendTextEventReminderToAGroup",
            {
                "To": "grp-2",
                "ReminderText": "Appt",
                "EventDate": "12/05/2026",
                "Day": 0,
                "Time": "03:30 PM",
                "ReplySTOPToOptOut": False,
            },
            id="reminder-time-from-datetime",
        ),
    ],
)
def test_friendly_fields_are_exact(op_id, expected, client, rec):
    CALLS[op_id](client)
    assert body(rec.posts[0]) == expected


def test_register_webhook_returns_the_registration_id(client):
    reg = client.register_webhook("https://example.org/hook")
    assert (reg.registration_id, reg.kind) == ("reg-9", "sms")


def test_lists_become_frames(client):
    frame = client.groups().to_frame()
    assert list(frame["name"]) == ["VIP customers", "Staff"]
    assert list(frame.columns) == ["group_id", "name", "contacts_count"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda c: c.send_text("Hi", number=N, at=AT),
            "cannot schedule a text message to number",
            id="schedule-to-number",
        ),
        pytest.param(
            lambda c: c.send_mms("x", PNG, contacts=[N]),
            "cannot send a mms message to contacts",
            id="mms-to-many",
        ),
        pytest.param(lambda c: c.send_text("Hi"), "exactly one recipient", id="no-recipient"),
        pytest.param(
            lambda c: c.send_text("Hi", number=N, contact=N),
            "exactly one recipient",
            id="two-recipients",
        ),
        pytest.param(lambda c: c.send_text("Hi", numbers=N), "takes a list", id="string-for-list"),
        pytest.param(
            lambda c: c.send_text("Hi", group="VIP customer"),
            "Closest: 'VIP customers'",
            id="unknown-group",
        ),
        pytest.param(
            lambda c: c.send_review("x", place="Bakery on Main", contact=N),
            "no place 'Bakery on Main'",
            id="unknown-place",
        ),
        pytest.param(
            lambda c: c.send_text("Hi", new_group="G"), "members=", id="new-group-without-members"
        ),
        pytest.param(
            lambda c: c.send_text("Hi", numbers=["+1415555010,+1"]),
            "not a single phone number",
            id="comma-in-number",
        ),
    ],
)
def test_friendly_usage_errors(call, message, client, rec):
    with pytest.raises(UsageError, match=message):
        call(client)
    assert rec.posts == []
