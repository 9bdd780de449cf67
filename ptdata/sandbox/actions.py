"""What each operation does to the sandbox's state, and the ``Data`` it answers with.

Message operations resolve their recipients (a number, contacts by Phone, groups by GroupId,
a new contact, a new group; a number texted becomes a contact, as the connector documents),
store one campaign per accepted call and one message row per recipient, and answer with the
campaign, whose UndeliveredCount counts the recipients unsubscribed there. Every check happens
before anything is written, so a 400 never leaves half a send behind.

>>> actions = Actions(Store(), service_number="+14155550100")
>>> from ptdata.api.operations import get_operation
>>> out = actions.run(get_operation("SendTextMessageToANumber"),
...                   {"To": "+14155550123", "Body": "Hi"}, now=datetime.now(UTC))
>>> out.data["Reach"], out.data["Status"]
(1, 'Sent')
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ptdata.api.operations import Operation, find_operation
from ptdata.sandbox.shapes import campaign_data, contact_data, message_data
from ptdata.sandbox.store import Store, api_time, new_id
from ptdata.sandbox.validate import MAX_TEXT_CHARS, BadRequest, Upload, normalize_phone, when

__all__ = ["OPT_OUT_FOOTER", "Actions", "Outcome"]

#: Appended to the text when ``ReplySTOPToOptOut`` is true (it counts toward segments).
OPT_OUT_FOOTER = "\nReply STOP to opt out"


@dataclass(slots=True)
class Outcome:
    """The HTTP status, the envelope's ``Data`` and extra headers of a performed operation."""

    data: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Actions:
    """Performs operations against a ``Store``."""

    def __init__(self, store: Store, *, service_number: str) -> None:
        self.store = store
        self.service_number = service_number
        self.started_at = api_time(datetime.now(UTC))

    def run(
        self,
        op: Operation,
        values: dict[str, Any],
        *,
        now: datetime,
        path_params: dict[str, str] | None = None,
    ) -> Outcome:
        """Perform ``op`` with checked ``values``; BadRequest when a value is wrong."""
        if op.is_message:
            return self._message(op, values, now)
        handler = getattr(self, "_" + op.op_id)
        if op.result == "deletion":
            return handler(path_params or {})
        return handler(op, values)

    # -- lists -------------------------------------------------------------------------------

    def _GetContacts(self, op: Operation, values: dict[str, Any]) -> Outcome:
        rows = self.store.contacts()
        return Outcome(
            [
                {
                    "ContactId": c["contact_id"],
                    "Phone": c["phone"],
                    "Name": " ".join(p for p in (c["name"], c["last_name"]) if p),
                    "WelcomeSent": bool(c["welcome_sent"]),
                    "Status": c["status"],
                    "Groups": c["group_names"] or "",
                }
                for c in rows
            ]
        )

    def _GetGroups(self, op: Operation, values: dict[str, Any]) -> Outcome:
        return Outcome(
            [
                {"GroupId": g["group_id"], "Name": g["name"], "ContactsCount": g["contacts_count"]}
                for g in self.store.groups()
            ]
        )

    def _GetPlaces(self, op: Operation, values: dict[str, Any]) -> Outcome:
        return Outcome(self.store.places())

    # -- contacts ----------------------------------------------------------------------------

    def _CreateAContact(self, op: Operation, values: dict[str, Any]) -> Outcome:
        phone = normalize_phone(values["Phone"], "Phone")
        contact = self.store.upsert_contact(phone, values.get("Name"), values.get("LastName"))
        return Outcome(contact_data(contact, self.store.groups_of(contact["contact_id"]), op))

    def _UpdateAPowerTextorContact(self, op: Operation, values: dict[str, Any]) -> Outcome:
        contact = self._existing_contact(values["Contact"], "Contact", op)
        changes: dict[str, str] = {}
        if values.get("UpdatedContactNumber"):
            phone = normalize_phone(values["UpdatedContactNumber"], "UpdatedContactNumber")
            other = self.store.contact_by_phone(phone)
            if other is not None and other["contact_id"] != contact["contact_id"]:
                raise BadRequest(
                    f"UpdatedContactNumber: {phone} already belongs to another contact"
                )
            changes["phone"] = phone
        if values.get("UpdatedContactName"):
            changes["name"] = values["UpdatedContactName"]
        if values.get("UpdatedContactLastName"):
            changes["last_name"] = values["UpdatedContactLastName"]
        contact = self.store.update_contact(contact["contact_id"], **changes)
        return Outcome(contact_data(contact, self.store.groups_of(contact["contact_id"]), op))

    # -- webhooks ----------------------------------------------------------------------------

    def _ProductionWebhook(self, op: Operation, values: dict[str, Any]) -> Outcome:
        return self._register("sms", values["WebHookUri"])

    def _MMSWebhook(self, op: Operation, values: dict[str, Any]) -> Outcome:
        return self._register("mms", values["WebHookUri"])

    def _register(self, kind: str, url: str) -> Outcome:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest(
                "WebHookUri: expected an absolute http(s) URL for Power Textor to "
                "POST received messages to"
            )
        reg = self.store.add_webhook(kind, url.strip())
        rid = reg["registration_id"]
        data = {"RegistrationId": rid, "Type": kind.upper(), "CreatedAt": reg["created_at"]}
        return Outcome(data, status=201, headers={"Location": f"/api/twilio/{rid}"})

    def _InternalActionForWebhookDeletion(self, params: dict[str, str]) -> Outcome:
        rid = params.get("RegistrationId", "")
        if not self.store.delete_webhook(rid):
            raise BadRequest(f"RegistrationId: no webhook registration {rid!r}", status=404)
        return Outcome(None)

    # -- messages ----------------------------------------------------------------------------

    def _message(self, op: Operation, values: dict[str, Any], now: datetime) -> Outcome:
        assert op.text_field is not None and op.recipient_field is not None  # a message operation
        text = values[op.text_field]
        if not text.strip():
            raise BadRequest(f"{op.text_field}: the message text is empty")
        if values.get("ReplySTOPToOptOut"):
            text += OPT_OUT_FOOTER
        if len(text) > MAX_TEXT_CHARS:
            raise BadRequest(
                f"{op.text_field}: {len(text):,} characters"
                f"{' with the opt-out footer' if values.get('ReplySTOPToOptOut') else ''} is "
                f"over the {MAX_TEXT_CHARS:,}-character limit"
            )
        send_at = when(op, values)
        place_id = None
        if op.place_field:
            place_id = self._place(values[op.place_field], op.place_field)
        recipients, groups = self._recipients(op, values)

        scheduled = send_at is not None
        created = api_time(now)
        send_date = api_time(send_at if send_at is not None else now)
        upload = values.get("Attachment")
        campaign_id = new_id()
        messages = []
        for phone, contact in recipients:
            if contact is not None and contact["status"] == "Unsubscribed":
                status = "undelivered"
            else:
                status = "scheduled" if scheduled else "sent"
            messages.append(
                {
                    "message_id": new_id(),
                    "campaign_id": campaign_id,
                    "operation": op.op_id,
                    "phone": phone,
                    "contact_id": contact["contact_id"] if contact else None,
                    "body": text,
                    "kind": op.action,
                    "status": status,
                    "send_at": send_date,
                    "place_id": place_id,
                    "created_at": created,
                    "reference_id": "SM" + secrets.token_hex(16),
                    "attachment_name": upload.filename if isinstance(upload, Upload) else None,
                    "attachment_size": upload.size if isinstance(upload, Upload) else None,
                    "attachment_type": upload.content_type if isinstance(upload, Upload) else None,
                }
            )
        sent = sum(m["status"] == "sent" for m in messages)
        undelivered = sum(m["status"] == "undelivered" for m in messages)
        campaign = {
            "campaign_id": campaign_id,
            "operation": op.op_id,
            "kind": op.action,
            "type": "Review" if op.action == "review" else "Message",
            "body": text,
            "place_id": place_id,
            "send_at": send_date,
            "scheduled": int(scheduled),
            "status": "Scheduled" if scheduled else "Sent",
            "reach": len(messages),
            "sent_count": sent,
            "undelivered_count": undelivered,
            "group_ids": [g["group_id"] for g in groups],
            "created_at": created,
        }
        self.store.add_campaign(campaign, messages)
        if op.result == "message":
            phone, contact = recipients[0]
            return Outcome(
                message_data(
                    op,
                    campaign,
                    messages[0],
                    contact,
                    self.store.groups_of(contact["contact_id"]),
                    self.service_number,
                    self.started_at,
                )
            )
        return Outcome(campaign_data(op, campaign, groups))

    def _place(self, value: str, name: str) -> str:
        if self.store.place_by_google_id(value) is not None:
            return value
        places = self.store.places()
        for p in places:
            if value.strip().casefold() in (p["Name"].casefold(), p["PlaceId"].casefold()):
                raise BadRequest(
                    f"{name}: {value!r} is a place's name or PlaceId; send its "
                    f"GooglePlaceId {p['GooglePlaceId']!r} (from GetPlaces)"
                )
        known = ", ".join(f"{p['Name']} ({p['GooglePlaceId']})" for p in places) or "none"
        raise BadRequest(
            f"{name}: {value!r} is not a GooglePlaceId from GetPlaces; known places: {known}"
        )

    def _existing_contact(self, value: str, name: str, op: Operation) -> dict[str, Any]:
        phone = normalize_phone(value, name)
        contact = self.store.contact_by_phone(phone)
        if contact is None:
            alt = op.action in ("text", "review", "reminder", "mms") and find_operation(
                op.action, op.timing or "now", "new_contact"
            )
            hint = f"; to text a number that is not a contact use {alt.op_id}" if alt else ""
            raise BadRequest(
                f"{name}: {value!r} is not the Phone of one of your contacts "
                f"(see GetContacts){hint}"
            )
        return contact

    def _group(self, value: str, name: str) -> dict[str, Any]:
        group = self.store.group(value)
        if group is not None:
            return group
        named = self.store.groups_named(value.strip())
        if named:
            raise BadRequest(
                f"{name}: {value!r} is a group name; send its GroupId "
                f"{named[0]['group_id']!r} (from GetGroups)"
            )
        known = ", ".join(f"{g['name']} ({g['group_id']})" for g in self.store.groups()[:10])
        raise BadRequest(
            f"{name}: {value!r} is not a GroupId from GetGroups; known groups: {known or 'none'}"
        )

    def _recipients(self, op: Operation, values: dict[str, Any]):
        """[(phone, contact or None)] and the groups involved, all checked before any write."""
        field_name = op.recipient_field
        assert field_name is not None  # a message operation
        value = values[field_name]
        target = op.target
        if target == "number":  # a text to a number saves it as a contact (the connector does)
            phone = normalize_phone(value, field_name)
            return [(phone, self.store.upsert_contact(phone))], []
        if target == "numbers":
            items = value.split(",")
            phones = []
            for i, item in enumerate(items, 1):
                where = f"{field_name} (number {i} of {len(items)})"
                if not item.strip():
                    raise BadRequest(
                        f"{where}: empty; give numbers separated by commas, e.g. "
                        "'+14155550101,+14155550102'"
                    )
                phones.append(normalize_phone(item, where))
            return [(p, self.store.upsert_contact(p)) for p in phones], []
        if target == "contact":
            contact = self._existing_contact(value, field_name, op)
            return [(contact["phone"], contact)], []
        if target == "contacts":
            contacts = [
                self._existing_contact(v, f"{field_name}[{i}]", op) for i, v in enumerate(value)
            ]
            return [(c["phone"], c) for c in contacts], []
        if target in ("group", "groups"):
            ids = [value] if target == "group" else value
            groups = [
                self._group(v, field_name if target == "group" else f"{field_name}[{i}]")
                for i, v in enumerate(ids)
            ]
            seen: dict[str, tuple[str, dict[str, Any]]] = {}
            for g in groups:
                for c in self.store.members(g["group_id"]):
                    seen.setdefault(c["contact_id"], (c["phone"], c))
            return list(seen.values()), groups
        if target == "new_contact":
            phone = normalize_phone(value, field_name)
            contact = self.store.upsert_contact(
                phone, values.get("ContactName"), values.get("ContactLastName")
            )
            return [(phone, contact)], []
        if target == "new_group":
            group_name = values["GroupName"].strip()
            if not group_name:
                raise BadRequest("GroupName: the new group needs a name")
            phones = [normalize_phone(v, f"{field_name}[{i}]") for i, v in enumerate(value)]
            group, contacts = self.store.create_group_with(group_name, phones)
            return [(c["phone"], c) for c in contacts], [group]
        raise BadRequest(f"{op.op_id}: unsupported recipient shape {target}")  # pragma: no cover
