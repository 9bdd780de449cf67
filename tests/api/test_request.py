"""Requests are checked against the operation table before anything is sent."""

import io
from datetime import UTC, datetime

import pytest

from ptdata.api.errors import UsageError
from ptdata.api.operations import get_operation
from ptdata.api.request import build_request

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_json_body_keeps_spec_names_and_formats_dates():
    op = get_operation("ScheduleTextToMultipleContacts")
    at = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
    req = build_request(
        op,
        {
            "To": ("+14155550100",),
            "Body": "Hi",
            "ScheduledDate": at,
            "ScheduledTime": at,
            "ReplySTOPToOptOut": True,
        },
    )
    assert (req.method, req.path) == ("POST", "/api/messages/scheduletextmulticontacts")
    assert req.json == {
        "To": ["+14155550100"],
        "Body": "Hi",
        "ScheduledDate": "12/03/2026",
        "ScheduledTime": "03:30 PM",
        "ReplySTOPToOptOut": True,
    }


def test_none_means_not_given():
    req = build_request(get_operation("CreateAContact"), {"Phone": "+14155550100", "Name": None})
    assert req.json == {"Phone": "+14155550100"}


@pytest.mark.parametrize(
    ("op_id", "fields", "message"),
    [
        pytest.param(
            "SendTextToAContact", {"To": "+1", "Text": "x"}, "no field 'Text'", id="unknown-field"
        ),
        pytest.param("SendTextToAContact", {"To": "+1"}, "needs Body", id="missing-required"),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            {"To": "+1415", "Body": "x"},
            "list of strings",
            id="string-for-array",
        ),
        pytest.param(
            "SendTextMessageToMultipleContacts",
            {"To": [14155550100], "Body": "x"},
            "must be text",
            id="number-in-array",
        ),
        pytest.param(
            "SendTextToAContact",
            {"To": "+1", "Body": "x", "ReplySTOPToOptOut": "yes"},
            "True or False",
            id="bool-as-text",
        ),
        pytest.param(
            "SendTextMessageEventReminderToAContact",
            {
                "To": "+1",
                "ReminderText": "x",
                "EventDate": "12/03/2026",
                "Day": "2",
                "Time": "09:00 AM",
            },
            "whole number",
            id="day-as-text",
        ),
        pytest.param(
            "SendTextMessageEventReminderToAContact",
            {
                "To": "+1",
                "ReminderText": "x",
                "EventDate": "2026-12-03",
                "Day": 2,
                "Time": "09:00 AM",
            },
            "MM/DD/YYYY",
            id="iso-date",
        ),
        pytest.param(
            "ScheduleMessageForAContact",
            {
                "To": "+1",
                "Body": "x",
                "ScheduledDate": datetime(2026, 12, 3),
                "ScheduledTime": "09:00 AM",
            },
            "no time zone",
            id="naive-datetime",
        ),
    ],
)
def test_bad_fields_are_usage_errors_naming_the_field(op_id, fields, message):
    with pytest.raises(UsageError, match=message):
        build_request(get_operation(op_id), fields)


def test_unknown_field_suggests_the_spec_name():
    with pytest.raises(UsageError, match="Did you mean 'ReminderText'"):
        build_request(get_operation("SendTextMessageEventReminderToAContact"), {"Reminder": "x"})


@pytest.mark.parametrize(
    "attachment",
    [
        pytest.param("path", id="path"),
        pytest.param(PNG, id="bytes"),
        pytest.param(io.BytesIO(PNG), id="file-object"),
    ],
)
def test_mms_is_multipart_with_the_file(attachment, tmp_path):
    if attachment == "path":
        attachment = tmp_path / "flyer.png"
        attachment.write_bytes(PNG)
    req = build_request(
        get_operation("SendMMSContacts"),
        {
            "To": "+14155550100",
            "Message": "See flyer",
            "Attachment": attachment,
            "ReplySTOPToOptOut": False,
        },
    )
    assert req.json is None
    assert req.data == {"To": "+14155550100", "Message": "See flyer", "ReplySTOPToOptOut": "false"}
    att = req.files["Attachment"]
    assert att.content == PNG and att.content_type == "image/png"
    assert att.filename.endswith(".png")


def test_missing_attachment_file_names_it(tmp_path):
    with pytest.raises(UsageError, match="cannot read 'nope.jpg'"):
        build_request(
            get_operation("SendMMSGroup"),
            {"GroupName": "g1", "Message": "x", "Attachment": tmp_path / "nope.jpg"},
        )


def test_path_parameter_is_substituted_and_quoted():
    req = build_request(
        get_operation("InternalActionForWebhookDeletion"), {"RegistrationId": "a/b c"}
    )
    assert (req.method, req.path, req.json) == ("DELETE", "/api/twilio/a%2Fb%20c", None)
