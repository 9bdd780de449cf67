"""Bad input gets 400 with a message naming the field; a bad key 401; never a 500.

These go over the socket with raw httpx, so the client's own checks do not stop them first.
"""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptdata.api.operations import OPERATIONS, get_operation
from ptdata.sandbox import Sandbox, serve_sandbox
from ptdata.sandbox.examples import EXAMPLE_PNG, example_fields, seed_group_id

KEY = {"ApiKey": "pt-test"}


def post(sandbox, op_id, body=None, *, headers=KEY, **kw):
    op = get_operation(op_id)
    return httpx.post(sandbox.url + op.path, json=body, headers=headers, timeout=5, **kw)


def error_of(response):
    env = response.json()
    assert env["Success"] is False and env["Data"] is None
    return env["Error"]["Message"]


def fields(op_id, **changes):
    out = {k: v for k, v in example_fields(op_id).items() if k != "Attachment"}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not ...}


@pytest.mark.parametrize(
    ("op_id", "body", "message"),
    [
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", Body=...),
            "Body: missing",
            id="missing-required",
        ),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            fields("SendTextMessageToMultipleContacts", To="+14155550101"),
            "To: expected a JSON array of strings, got a string",
            id="string-not-array",
        ),
        pytest.param(
            "SendTextMessageToAGroup",
            fields("SendTextMessageToAGroup", To=[seed_group_id("Staff")]),
            "To: expected text (a JSON string), got an array",
            id="array-not-string",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", ReplySTOPToOptOut="yes"),
            "ReplySTOPToOptOut: expected true or false, got a string",
            id="bool-as-text",
        ),
        pytest.param(
            "SendTextMessageEventReminderToAContact",
            fields("SendTextMessageEventReminderToAContact", Day="2"),
            "Day: expected a whole number, got a string",
            id="int-as-text",
        ),
        pytest.param(
            "SendTextMessageEventReminderToAContact",
            fields("SendTextMessageEventReminderToAContact", Day=True),
            "Day: expected a whole number, got a boolean",
            id="int-as-bool",
        ),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            fields("SendTextMessageToMultipleContacts", To=["+14155550101", 7]),
            "To[1]: expected a string, got a number",
            id="array-item-type",
        ),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            fields("SendTextMessageToMultipleContacts", To=[]),
            "To: the array is empty",
            id="empty-array",
        ),
        pytest.param(
            "ScheduleMessageForAContact",
            fields("ScheduleMessageForAContact", ScheduledDate="02/30/2027"),
            "ScheduledDate: '02/30/2027' is not a real date in MM/DD/YYYY",
            id="no-such-day",
        ),
        pytest.param(
            "ScheduleMessageForAContact",
            fields("ScheduleMessageForAContact", ScheduledDate="2027-12-03"),
            "ScheduledDate: '2027-12-03' is not a real date",
            id="iso-date",
        ),
        pytest.param(
            "ScheduleMessageForAContact",
            fields("ScheduleMessageForAContact", ScheduledTime="15:30"),
            "ScheduledTime: '15:30' is not a UTC time in hh:mm AM/PM",
            id="24h-time",
        ),
        pytest.param(
            "ScheduleMessageForAContact",
            fields("ScheduleMessageForAContact", ScheduledTime="13:30 PM"),
            "ScheduledTime: '13:30 PM' is not a UTC time",
            id="hour-13-pm",
        ),
        pytest.param(
            "SendTextMessageEventReminderToAContact",
            fields("SendTextMessageEventReminderToAContact", Day=-1),
            "Day: -1 is negative",
            id="negative-day",
        ),
        pytest.param(
            "SendTextMessageToAGroup",
            fields("SendTextMessageToAGroup", To="no-such-group"),
            "To: 'no-such-group' is not a GroupId from GetGroups; known groups: VIP customers",
            id="unknown-group",
        ),
        pytest.param(
            "SendTextMessageToMultipleGroups",
            fields("SendTextMessageToMultipleGroups", GroupName=["VIP customers"]),
            "GroupName[0]: 'VIP customers' is a group name; send its GroupId "
            f"'{seed_group_id('VIP customers')}'",
            id="group-name-not-id",
        ),
        pytest.param(
            "SendReviewSingleContact",
            fields("SendReviewSingleContact", GooglePlaceId="ChIJnope"),
            "GooglePlaceId: 'ChIJnope' is not a GooglePlaceId from GetPlaces; known "
            "places: Main Street Bakery",
            id="unknown-place",
        ),
        pytest.param(
            "SendReviewTextGroups",
            fields("SendReviewTextGroups", PlaceId="Harbor Dental"),
            "PlaceId: 'Harbor Dental' is a place's name or PlaceId; send its GooglePlaceId",
            id="place-name-not-id",
        ),
        pytest.param(
            "SendTextToAContact",
            fields("SendTextToAContact", To="+14155550177"),
            "To: '+14155550177' is not the Phone of one of your contacts (see "
            "GetContacts); to text a number that is not a contact use "
            "SendMessageToANewContact",
            id="not-a-contact",
        ),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            fields("SendTextMessageToMultipleContacts", To=["+14155550101", "+14155550177"]),
            "To[1]: '+14155550177' is not the Phone of one of your contacts",
            id="not-a-contact-in-list",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", To="555-0123"),
            "To: '555-0123' is not a valid phone number",
            id="bad-phone",
        ),
        pytest.param(
            "SendMessageToMultipleNumbers",
            fields("SendMessageToMultipleNumbers", ContactNumber="+14155550123,,+14155550124"),
            "ContactNumber (number 2 of 3): empty; give numbers separated by commas",
            id="numbers-empty-item",
        ),
        pytest.param(
            "SendMessageToMultipleNumbers",
            fields("SendMessageToMultipleNumbers", ContactNumber=["+14155550123"]),
            "ContactNumber: expected text (a JSON string), got an array",
            id="numbers-as-array",
        ),
        pytest.param(
            "SendMessageToMultipleNumbers",
            fields("SendMessageToMultipleNumbers", ContactNumber="+14155550123,4155550"),
            "ContactNumber (number 2 of 2): '4155550' is not a valid phone number",
            id="numbers-bad-item",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", Bdy="hi"),
            "Bdy: SendTextMessageToANumber has no such field. Did you mean 'Body'?",
            id="unknown-field",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", Body="   "),
            "Body: the message text is empty",
            id="blank-text",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            fields("SendTextMessageToANumber", Body="x" * 1590),
            "Body: 1,612 characters with the opt-out footer is over the 1,600-character limit",
            id="too-long-with-footer",
        ),
        pytest.param(
            "UpdateAPowerTextorContact",
            fields("UpdateAPowerTextorContact", UpdatedContactNumber="+14155550102"),
            "UpdatedContactNumber: +14155550102 already belongs to another contact",
            id="update-to-taken-number",
        ),
        pytest.param(
            "ProductionWebhook",
            {"WebHookUri": "hooks.example.com/in"},
            "WebHookUri: expected an absolute http(s) URL",
            id="relative-webhook",
        ),
        pytest.param(
            "SendTextMessageToANumber",
            [1, 2],
            "the body must be a JSON object with To, Body, got an array",
            id="json-array",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(sandbox, op_id, body, message):
    response = post(sandbox, op_id, body)
    assert response.status_code == 400, response.text
    assert error_of(response).startswith(message)
    assert sandbox.messages() == []
    assert sandbox.requests()[-1]["status"] == 400


def test_a_400_leaves_nothing_behind(sandbox):
    before = len(sandbox.sandbox.store.contacts())
    body = fields("SendTextToANewGroup", To=["+14155550131", "bad"])
    assert post(sandbox, "SendTextToANewGroup", body).status_code == 400
    assert len(sandbox.sandbox.store.contacts()) == before
    assert [g["name"] for g in sandbox.sandbox.store.groups()] == [
        "VIP customers",
        "Newsletter",
        "Staff",
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        pytest.param(
            b'{"To": "+14155550123", "Body": "hi"',
            "application/json",
            "the body is not valid JSON",
            id="truncated-json",
        ),
        pytest.param(
            b"To=%2B14155550123&Body=hi",
            "application/x-www-form-urlencoded",
            "SendTextMessageToANumber takes a JSON body (Content-Type: "
            "application/json), got application/x-www-form-urlencoded",
            id="form-for-json",
        ),
        pytest.param(
            b"",
            "application/json",
            "SendTextMessageToANumber needs a JSON body with To, Body",
            id="empty-body",
        ),
        pytest.param(
            b'{"To": Infinity, "Body": "hi"}',
            "application/json",
            "the body is not valid JSON (Infinity is not valid JSON)",
            id="infinity",
        ),
        pytest.param(
            b"[" * 100_000,
            "application/json",
            "the body is not valid JSON (nested too deeply)",
            id="deep-nesting",
        ),
        pytest.param(
            b'{"To": "+14155550123", "Body": "\\ud800 hi"}',
            "application/json",
            "Body: contains a character that is not valid Unicode",
            id="lone-surrogate",
        ),
        pytest.param(
            b"\xff\xfe\x00junk",
            "application/octet-stream",
            "SendTextMessageToANumber takes a JSON body",
            id="binary",
        ),
    ],
)
def test_unreadable_bodies_are_400(sandbox, content, content_type, message):
    response = httpx.post(
        sandbox.url + "/api/messages/sendsimple",
        content=content,
        headers={**KEY, "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert error_of(response).startswith(message)


def test_mms_sent_as_json_is_400(sandbox):
    response = post(sandbox, "SendMMSContacts", fields("SendMMSContacts"))
    assert response.status_code == 400
    assert error_of(response) == (
        "SendMMSContacts takes multipart/form-data (text fields and "
        "the Attachment file), got application/json"
    )


MMS_URL = "/api/messages/sendmmscontacts"
MMS_TEXT = {"To": (None, "+14155550101"), "Message": (None, "Look!")}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {**MMS_TEXT, "Other": ("a.png", EXAMPLE_PNG)},
            "Other: SendMMSContacts has no such field",
            id="file-under-another-name",
        ),
        pytest.param(
            {**MMS_TEXT, "Attachment": (None, "photo.png")},
            "Attachment: expected a file part",
            id="attachment-as-text",
        ),
        pytest.param(
            {**MMS_TEXT, "Attachment": ("photo.png", b"")},
            "Attachment: the file 'photo.png' is empty",
            id="empty-file",
        ),
        pytest.param(
            {
                "To": ("to.txt", b"+14155550101"),
                "Message": (None, "Look!"),
                "Attachment": ("photo.png", EXAMPLE_PNG),
            },
            "To: expected a text field, got a file",
            id="text-as-file",
        ),
    ],
)
def test_mms_parts_are_checked(sandbox, files, message):
    response = httpx.post(sandbox.url + MMS_URL, headers=KEY, files=files)
    assert response.status_code == 400
    assert error_of(response).startswith(message)


def test_mms_as_urlencoded_form_is_400(sandbox):
    response = httpx.post(sandbox.url + MMS_URL, headers=KEY, data={"To": "+14155550101"})
    assert response.status_code == 400
    assert error_of(response) == (
        "SendMMSContacts takes multipart/form-data (text fields and "
        "the Attachment file), got application/x-www-form-urlencoded"
    )


def test_mms_missing_attachment_names_it(sandbox):
    response = httpx.post(
        sandbox.url + "/api/messages/sendmmscontacts",
        headers=KEY,
        files={"To": (None, "+14155550101"), "Message": (None, "Look!")},
    )
    assert response.status_code == 400
    assert error_of(response).startswith("Attachment: missing")


def test_mms_boolean_form_value_must_be_true_or_false(sandbox):
    response = httpx.post(
        sandbox.url + "/api/messages/sendmmscontacts",
        headers=KEY,
        data={"To": "+14155550101", "Message": "Look!", "ReplySTOPToOptOut": "maybe"},
        files={"Attachment": ("photo.png", EXAMPLE_PNG, "image/png")},
    )
    assert response.status_code == 400
    assert error_of(response) == "ReplySTOPToOptOut: expected true or false, got a string ('maybe')"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "missing ApiKey header", id="no-key"),
        pytest.param({"ApiKey": ""}, "missing ApiKey header", id="empty-key"),
    ],
)
def test_missing_key_is_401(sandbox, headers, message):
    response = httpx.get(sandbox.url + "/api/groups", headers=headers)
    assert response.status_code == 401
    assert error_of(response).startswith(message)
    assert sandbox.requests()[-1]["status"] == 401


def test_configured_key_must_match_and_is_never_recorded():
    secret = "pt-configured-9f1c2a"
    with serve_sandbox(api_key=secret) as server:
        wrong = httpx.get(server.url + "/api/groups", headers={"ApiKey": "pt-other"})
        right = httpx.get(server.url + "/api/groups", headers={"ApiKey": secret})
        assert (wrong.status_code, right.status_code) == (401, 200)
        assert error_of(wrong) == "the ApiKey is not valid (wrong or expired)"
        everything = json.dumps([server.requests(), server.options(), repr(server.sandbox)])
        assert secret not in everything and "pt-other" not in everything


def test_unknown_path_is_404_and_wrong_method_405(sandbox):
    response = httpx.get(sandbox.url + "/api/messages/nope", headers=KEY)
    assert response.status_code == 404
    assert error_of(response) == "no Power Textor operation at GET /api/messages/nope"
    response = httpx.get(sandbox.url + "/api/messages/sendsimple", headers=KEY)
    assert response.status_code == 405
    assert error_of(response) == "GET is not allowed on /api/messages/sendsimple; use POST"


def test_paths_match_case_insensitively(sandbox):
    response = httpx.post(
        sandbox.url + "/api/messages/SENDSIMPLE",
        headers=KEY,
        json={"To": "+14155550123", "Body": "hi"},
    )
    assert response.status_code == 200


def test_deleting_an_unknown_webhook_is_404_in_the_deletion_shape(sandbox):
    response = httpx.delete(sandbox.url + "/api/twilio/nope", headers=KEY)
    assert response.status_code == 404
    assert response.json() == {
        "Success": False,
        "Error": "RegistrationId: no webhook registration 'nope'",
    }


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_MESSAGE_OPS = [op for op in OPERATIONS if op.method == "POST"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    op=st.sampled_from(_MESSAGE_OPS),
    body=_JSON
    | st.fixed_dictionaries(
        {},
        optional={
            "To": _JSON,
            "Body": _JSON,
            "GroupName": _JSON,
            "ScheduledDate": _JSON,
            "Day": _JSON,
            "ContactNumber": _JSON,
            "WebHookUri": _JSON,
        },
    ),
)
def test_junk_json_never_gets_a_500(op, body):
    with Sandbox() as sb:
        transport = sb.transport()
        with httpx.Client(transport=transport, base_url="http://sandbox.local") as http:
            response = http.post(op.path, json=body, headers=KEY)
    assert response.status_code in (200, 201, 400), response.text
    assert response.json()["Success"] is (response.status_code != 400)


@settings(max_examples=60, deadline=None)
@given(
    content=st.binary(max_size=200),
    ctype=st.sampled_from(
        [
            "application/json",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
        ]
    ),
)
def test_junk_bytes_never_get_a_500(content, ctype):
    with (
        Sandbox() as sb,
        httpx.Client(transport=sb.transport(), base_url="http://sandbox.local") as http,
    ):
        for path in ("/api/messages/sendmmsgroup", "/api/messages/send"):
            response = http.post(path, content=content, headers={**KEY, "Content-Type": ctype})
            assert response.status_code == 400, response.text
