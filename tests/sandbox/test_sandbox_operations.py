"""Every operation of the spec, sent through ``client.operation`` to the socket sandbox.

Each test checks what the sandbox recorded (method, path, field names and JSON types, MMS as
multipart with the file) and that the reply has the spec's response shape.
"""

import json
import re

import pytest

from ptdata.api.operations import OPERATIONS, get_operation
from ptdata.sandbox.examples import EXAMPLE_PNG, example_fields

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CAMPAIGN_CORE = {
    "CampaignId",
    "AccountId",
    "Type",
    "Body",
    "SendDate",
    "PlaceId",
    "Status",
    "CreatedAt",
    "CreatedBy",
}
CAMPAIGN_COUNTS = {"Groups", "Reach", "SentCount", "UndeliveredCount"}
MESSAGE_KEYS = {
    "MessageId",
    "AccountId",
    "Type",
    "ReferenceId",
    "Direction",
    "From",
    "To",
    "Body",
    "CampaignId",
    "Rating",
    "Segments",
    "Status",
    "Deleted",
    "CreatedAt",
    "Account",
    "Contact",
}
CONTACT_KEYS = {"ContactId", "Phone", "Name", "WelcomeSent", "Status", "Groups"}
JSON_TYPES = {"string": str, "array": list, "boolean": bool, "integer": int}


def send(client, sandbox, op_id):
    registration = None
    if op_id == "InternalActionForWebhookDeletion":
        registration = client.register_webhook("https://hooks.example.com/in?secret=x")
        sandbox.clear_requests()
    fields = example_fields(
        op_id, registration_id=registration.registration_id if registration else None
    )
    return fields, client.operation(op_id, **fields), registration


@pytest.mark.parametrize("op_id", [pytest.param(op.op_id, id=op.op_id) for op in OPERATIONS])
def test_operation_is_recorded_as_the_spec_defines_it(client, sandbox, api_key, op_id):
    op = get_operation(op_id)
    fields, _, registration = send(client, sandbox, op_id)

    (record,) = sandbox.requests()
    assert record["method"] == op.method
    assert record["operationId"] == op_id
    assert record["status"] in (200, 201)
    if op.encoding == "json":
        assert record["content_type"] == "application/json"
        assert set(record["json"]) == set(fields)
        for f in op.fields:
            assert isinstance(record["json"][f.name], JSON_TYPES[f.type]), f.name
        assert record["path"] == op.path
    elif op.encoding == "multipart":
        assert record["content_type"].startswith("multipart/form-data; boundary=")
        assert set(record["form"]) == set(fields) - {"Attachment"}
        assert record["form"]["ReplySTOPToOptOut"] == "true"
        assert record["files"] == [
            {
                "name": "Attachment",
                "filename": "photo.png",
                "size": len(EXAMPLE_PNG),
                "content_type": "image/png",
            }
        ]
        assert record["path"] == op.path
    elif op.method == "GET":
        assert record["path"] == op.path
        assert "json" not in record and "form" not in record
    else:
        assert record["path"] == f"/api/twilio/{registration.registration_id}"
    assert api_key not in json.dumps(sandbox.requests())


@pytest.mark.parametrize("op_id", [pytest.param(op.op_id, id=op.op_id) for op in OPERATIONS])
def test_reply_has_the_spec_shape(client, sandbox, op_id):
    op = get_operation(op_id)
    fields, result, registration = send(client, sandbox, op_id)
    env, data = result.envelope, result.data
    assert env["Success"] is True

    if op.result == "campaign":
        expected = CAMPAIGN_CORE | (set() if op.action == "mms" else CAMPAIGN_COUNTS)
        assert set(data) - {"IsReminder"} == expected
        assert TIMESTAMP.match(data["SendDate"]) and TIMESTAMP.match(data["CreatedAt"])
        assert data["Type"] == ("Review" if op.action == "review" else "Message")
        assert data["Status"] == ("Scheduled" if op.scheduled else "Sent")
        if op.action != "mms":
            assert isinstance(data["Groups"], (str, list))
            reach = len(sandbox.messages(campaign_id=data["CampaignId"]))
            assert data["Reach"] == reach > 0
            assert data["SentCount"] == (0 if op.scheduled else reach)
            assert data["UndeliveredCount"] == 0
        if op.place_field:
            assert data["PlaceId"] == fields[op.place_field]
    elif op.result == "message":
        assert set(data) == MESSAGE_KEYS
        assert data["To"] == fields["To"] and data["Type"] == "Review"
        assert set(data["Contact"]) == CONTACT_KEYS
    elif op.result == "contact":
        assert set(data) == CONTACT_KEYS and isinstance(data["Groups"], list)
    elif op.result == "contacts":
        assert env["Error"] == ""
        assert all(set(c) == CONTACT_KEYS and isinstance(c["Groups"], str) for c in data)
    elif op.result == "groups":
        assert all(set(g) == {"GroupId", "Name", "ContactsCount"} for g in data)
    elif op.result == "places":
        assert all(
            set(p) == {"PlaceId", "AccountId", "GooglePlaceId", "Name", "CreatedAt"} for p in data
        )
    elif op.result == "registration":
        assert result.status_code == 201
        assert result.location == f"/api/twilio/{data['RegistrationId']}"
    elif op.result == "deletion":
        assert env == {"Success": True, "Error": ""}
        assert sandbox.webhooks() == []
    else:  # pragma: no cover - a new result kind needs a shape check here
        pytest.fail(f"no shape check for {op.result}")


@pytest.mark.parametrize(
    ("op_id", "groups_type", "error_type", "is_reminder"),
    [
        pytest.param("SendTextMessageToANumber", str, dict, True, id="to-a-number"),
        pytest.param("SendTextMessageToMultipleContacts", list, dict, False, id="to-contacts"),
        pytest.param("SendTextMessageToMultipleGroups", str, str, False, id="to-groups"),
        pytest.param("ScheduleTextMessagesForAGroup", str, str, True, id="schedule-group"),
        pytest.param("SendTextMessageToAGroup", list, dict, False, id="to-a-group"),
    ],
)
def test_reply_variants_follow_each_operations_schema(
    client, sandbox, op_id, groups_type, error_type, is_reminder
):
    _, result, _ = send(client, sandbox, op_id)
    assert isinstance(result.data["Groups"], groups_type)
    assert isinstance(result.envelope["Error"], error_type)
    assert ("IsReminder" in result.data) is is_reminder


def test_group_objects_in_a_campaign_reply(client, sandbox):
    result = client.operation(
        "SendTextMessageToAGroup",
        To=example_fields("SendTextMessageToAGroup")["To"],
        Body="Doors open at 9",
    )
    assert result.data["Groups"] == [
        {
            "GroupId": result.data["Groups"][0]["GroupId"],
            "Name": "VIP customers",
            "ContactsCount": 3,
        }
    ]
