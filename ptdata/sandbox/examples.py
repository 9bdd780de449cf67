"""Valid example fields for every operation, against the sandbox's seeded data.

Handy in tests and notebooks: ``client.operation(op_id, **example_fields(op_id))`` succeeds
on a freshly seeded sandbox (pass ``registration_id=`` for the webhook deletion).

>>> example_fields("SendTextMessageToAGroup")["To"] == seed_group_id("VIP customers")
True
"""

from __future__ import annotations

import uuid
from typing import Any

from ptdata.api.operations import Field, Operation, get_operation
from ptdata.api.request import Attachment
from ptdata.sandbox.store import _NS, SEED_PLACES

__all__ = ["EXAMPLE_PNG", "example_fields", "seed_group_id"]

#: A tiny valid PNG (1×1 pixel) for MMS examples.
EXAMPLE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def seed_group_id(name: str) -> str:
    """The GroupId of a seeded group ("VIP customers", "Newsletter", "Staff")."""
    return str(uuid.uuid5(_NS, "group:" + name))


_CONTACTS = ["+14155550101", "+14155550102"]
_NEW_NUMBERS = ["+14155550123", "+14155550124"]


def _value(op: Operation, f: Field, registration_id: str | None) -> Any:
    if f.type == "file":
        return Attachment("photo.png", EXAMPLE_PNG, "image/png")
    if f.type == "boolean":
        return True
    if f.type == "integer":
        return 2
    if f.name == op.text_field:
        return "Hello from the sandbox"
    if f.source == "GetContacts.Phone":
        if op.target == "new_group":
            return [_CONTACTS[0], _NEW_NUMBERS[0]]
        return list(_CONTACTS) if f.type == "array" else _CONTACTS[0]
    if f.source == "GetGroups.GroupId":
        ids = [seed_group_id("VIP customers"), seed_group_id("Staff")]
        return ids if f.type == "array" else ids[0]
    if f.source == "GetPlaces.GooglePlaceId":
        return SEED_PLACES[0][1]
    fixed = {
        "ScheduledDate": "12/03/2027",
        "ScheduledTime": "03:30 PM",
        "EventDate": "12/10/2027",
        "Time": "09:00 AM",
        "GroupName": "Spring promo",
        "ContactName": "Ivy",
        "ContactLastName": "Lopez",
        "Phone": _NEW_NUMBERS[0],
        "Name": "Ivy",
        "LastName": "Lopez",
        "UpdatedContactName": "Ava",
        "UpdatedContactLastName": "Moreno",
        "UpdatedContactNumber": "+14155550199",
        "WebHookUri": "https://hooks.example.com/inbound?secret=example-secret",
        "RegistrationId": registration_id or "unknown-registration",
    }
    if f.name == "ContactNumber" and op.target == "numbers":
        return ",".join(_NEW_NUMBERS)
    if f.name in ("To", "ContactNumber"):
        return _NEW_NUMBERS[0]
    return fixed[f.name]


def example_fields(op_id: str, *, registration_id: str | None = None) -> dict[str, Any]:
    """Every field of ``op_id`` (optional ones too) with a value the seeded sandbox accepts."""
    op = get_operation(op_id)
    return {f.name: _value(op, f, registration_id) for f in op.fields}
