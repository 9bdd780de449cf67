"""The reply shapes of the connector spec: the envelope and each operation's ``Data``.

The operation table says which kind of ``Data`` an operation returns (``Operation.result``).
The spec's response schemas also differ in small ways between operations, and a faithful
sandbox reproduces them so that clients are tested against what they will really meet:

- ``Error`` is a plain string in some envelopes and a ``{Status, Message}`` object in others;
- a campaign's ``Groups`` is a list of group objects in some replies and a string in others;
- some campaign replies carry ``IsReminder``; MMS replies have no ``Groups`` or counts.

Webhook registrations (not described by the spec) answer **201 Created** with
``Data: {"RegistrationId", "Type": "SMS"|"MMS", "CreatedAt"}`` and a
``Location: /api/twilio/{RegistrationId}`` header, the pattern Power Automate triggers use.

Failures (400, 401, 404, 429, 5xx) always use the object form
``{"Success": false, "Error": {"Status": ..., "Message": ...}, "Data": null}``, except the
webhook deletion, whose schema has only ``Success`` and a string ``Error``.
"""

from __future__ import annotations

from typing import Any

from ptdata.api.operations import Operation
from ptdata.sandbox.store import ACCOUNT_ID, USER_ID

__all__ = ["campaign_data", "contact_data", "envelope", "error_envelope", "message_data"]

#: Operations whose envelope's ``Error`` is a string in the spec (an object elsewhere).
ERROR_AS_STRING = frozenset(
    {
        "GetContacts",
        "GetGroups",
        "GetPlaces",
        "InternalActionForWebhookDeletion",
        "ScheduleTextMessagesForAGroup",
        "SendReviewTextGroups",
        "SendTextMessageToMultipleGroups",
    }
)
#: Campaign replies whose ``Groups`` is a string of group names (a list of objects elsewhere).
GROUPS_AS_STRING = frozenset(
    {
        "ScheduleReviewTextMessageForContacts",
        "ScheduleTextForANewGroup",
        "ScheduleTextMessagesForAGroup",
        "SendReviewTextGroups",
        "SendTextEventReminderToNewGroup",
        "SendTextMessage",
        "SendTextMessageToANumber",
        "SendTextMessageToMultipleGroups",
        "SendTextToAContact",
        "SendTextToANewGroup",
    }
)
#: Campaign replies that carry ``IsReminder``.
WITH_IS_REMINDER = frozenset(
    {
        "ScheduleTextMessagesForAGroup",
        "SendMessageToMultipleNumbers",
        "SendMMSContacts",
        "SendMMSGroup",
        "SendMMSNewContact",
        "SendTextMessage",
        "SendTextMessageToANumber",
        "SendTextToAContact",
    }
)
#: Replies whose group objects also carry ``IsVisible``.
GROUPS_WITH_VISIBILITY = frozenset({"SendMessageToMultipleNumbers", "UpdateAPowerTextorContact"})

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def envelope(op: Operation, data: Any) -> dict[str, Any]:
    """A success envelope in the operation's own style."""
    if op.result == "deletion":
        return {"Success": True, "Error": ""}
    if op.op_id in ERROR_AS_STRING:
        return {"Success": True, "Error": "", "Data": data}
    return {"Success": True, "Error": {"Status": "", "Message": ""}, "Data": data}


def error_envelope(status: int, message: str, op: Operation | None = None) -> dict[str, Any]:
    """A failure envelope: ``Error.Status`` names the HTTP status, ``Error.Message`` the fix."""
    if op is not None and op.result == "deletion":
        return {"Success": False, "Error": message}
    reason = _REASONS.get(status, "Error" if status >= 400 else "Failed")
    return {"Success": False, "Error": {"Status": reason, "Message": message}, "Data": None}


def group_object(group: dict[str, Any], op: Operation) -> dict[str, Any]:
    out = {
        "GroupId": group["group_id"],
        "Name": group["name"],
        "ContactsCount": group["contacts_count"],
    }
    if op.op_id in GROUPS_WITH_VISIBILITY:
        out = {
            "GroupId": out["GroupId"],
            "Name": out["Name"],
            "IsVisible": True,
            "ContactsCount": out["ContactsCount"],
        }
    return out


def contact_data(
    contact: dict[str, Any],
    groups: list[dict[str, Any]],
    op: Operation,
    *,
    groups_as_string: bool = False,
) -> dict[str, Any]:
    """A contact as ``GetContacts`` (Groups a string) or CreateAContact/Update (a list)."""
    name = " ".join(p for p in (contact["name"], contact["last_name"]) if p)
    if groups_as_string:
        group_value: Any = ", ".join(g["name"] for g in groups)
    else:
        group_value = [group_object(g, op) for g in groups]
    return {
        "ContactId": contact["contact_id"],
        "Phone": contact["phone"],
        "Name": name,
        "WelcomeSent": bool(contact["welcome_sent"]),
        "Status": contact["status"],
        "Groups": group_value,
    }


def campaign_data(
    op: Operation, campaign: dict[str, Any], groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """The campaign object a send, schedule or reminder returns."""
    data: dict[str, Any] = {
        "CampaignId": campaign["campaign_id"],
        "AccountId": ACCOUNT_ID,
        "Type": campaign["type"],
        "Body": campaign["body"],
        "SendDate": campaign["send_at"],
        "PlaceId": campaign["place_id"] or "",
        "Status": campaign["status"],
        "CreatedAt": campaign["created_at"],
        "CreatedBy": USER_ID,
    }
    if op.op_id in WITH_IS_REMINDER:
        data["IsReminder"] = campaign["kind"] == "reminder"
    if op.action == "mms":
        return data
    if op.op_id in GROUPS_AS_STRING:
        data["Groups"] = ", ".join(g["name"] for g in groups)
    else:
        data["Groups"] = [group_object(g, op) for g in groups]
    data["Reach"] = campaign["reach"]
    data["SentCount"] = campaign["sent_count"]
    data["UndeliveredCount"] = campaign["undelivered_count"]
    return data


def message_data(
    op: Operation,
    campaign: dict[str, Any],
    message: dict[str, Any],
    contact: dict[str, Any],
    contact_groups: list[dict[str, Any]],
    service_number: str,
    account_created_at: str,
) -> dict[str, Any]:
    """The message object ``SendReviewSingleContact`` returns (one recipient, one message)."""
    return {
        "MessageId": message["message_id"],
        "AccountId": ACCOUNT_ID,
        "Type": campaign["type"],
        "ReferenceId": message["reference_id"],
        "Direction": "Outbound",
        "From": service_number,
        "To": message["phone"],
        "Body": message["body"],
        "CampaignId": campaign["campaign_id"],
        "Rating": 0,
        "Segments": segments(message["body"]),
        "Status": "Sent" if message["status"] == "sent" else message["status"].capitalize(),
        "Deleted": False,
        "CreatedAt": message["created_at"],
        "Account": {
            "AccountId": ACCOUNT_ID,
            "Name": "Power Textor Sandbox",
            "ServicePhone": service_number,
            "StripeCustomerId": "cus_sandbox",
            "StripeSubscriptionId": "sub_sandbox",
            "Status": "Active",
            "CreatedAt": account_created_at,
        },
        "Contact": contact_data(contact, contact_groups, op),
    }


_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXT = set("^{}\\[~]|€")


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (GSM-7 or UCS-2), for the message object."""
    if all(ch in _GSM or ch in _GSM_EXT for ch in text):
        units = sum(2 if ch in _GSM_EXT else 1 for ch in text)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)
