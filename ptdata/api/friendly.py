"""Friendly, documented methods over the operation table, for notebook users.

They pick the connector operation from what you say (a kind of message, a recipient, a
time) and fill the spec's odd fields for you: group and place names are resolved to the ids
the API wants (``GetGroups``/``GetPlaces``), a list of numbers becomes the comma-joined
``ContactNumber``, an aware datetime becomes ``MM/DD/YYYY`` + ``hh:mm AM/PM`` in UTC.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> tz = ZoneInfo("America/New_York")
>>> client.send_text("Doors open at 9!", group="VIP customers")
CampaignResult(campaign_id=..., status='Sent', ...)
>>> client.send_review("How did we do?", place="Main Street Bakery", contacts=["+14155550101"])
CampaignResult(campaign_id=..., status='Sent', ...)
>>> client.send_text("See you", contact="+14155550101", at=datetime(2026, 12, 3, 9, 0, tzinfo=tz))
CampaignResult(campaign_id=..., ...)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any

from ptdata.api.errors import UsageError
from ptdata.api.formats import schedule_strings
from ptdata.api.operations import TARGETS, find_operation
from ptdata.api.results import (
    CampaignResult,
    Contact,
    Group,
    Place,
    Records,
    Registration,
    Result,
)

__all__ = ["FriendlyMethods"]


class FriendlyMethods:
    """Mixed into ``PowerTextor``; every method sends through ``operation``."""

    # -- what the client provides (``PowerTextor`` overrides both) --------------------------

    def operation(self, op_id: str, /, **fields: Any) -> Result:
        """Send the operation ``op_id`` with the spec's field names."""
        raise NotImplementedError

    def _cached(self, key: str, load: Callable[[], Any], refresh: bool) -> Any:
        """``load()``, or what it gave last time unless ``refresh``."""
        raise NotImplementedError

    # -- lists -------------------------------------------------------------------------------

    def contacts(self) -> Records[Contact]:
        """Your Power Textor contacts (``GetContacts``); ``.to_frame()`` for a DataFrame."""
        data = self.operation("GetContacts").data or []
        return Records(Contact.from_data(d) for d in data if isinstance(d, dict))

    def groups(self, *, refresh: bool = True) -> Records[Group]:
        """Your groups (``GetGroups``); send to one by name or by ``group_id``."""

        def load() -> Records[Group]:
            data = self.operation("GetGroups").data or []
            return Records(Group.from_data(d) for d in data if isinstance(d, dict))

        return self._cached("groups", load, refresh)

    def places(self, *, refresh: bool = True) -> Records[Place]:
        """Your places for Google review requests (``GetPlaces``)."""

        def load() -> Records[Place]:
            data = self.operation("GetPlaces").data or []
            return Records(Place.from_data(d) for d in data if isinstance(d, dict))

        return self._cached("places", load, refresh)

    def resolve_group(self, group: str | Group) -> Group:
        """The group with this GroupId or name (case-insensitive); a clear error otherwise."""
        if isinstance(group, Group):
            return group
        groups = self.groups(refresh=False)
        for g in groups:
            if g.group_id == group:
                return g
        matches = [g for g in groups if g.name.casefold() == str(group).strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(
                f"{len(matches)} groups are named {group!r}; pass the GroupId instead "
                f"({', '.join(g.group_id for g in matches)})"
            )
        groups = self.groups(refresh=True)  # it may have been made since the cache was filled
        for g in groups:
            if g.group_id == group or g.name.casefold() == str(group).strip().casefold():
                return g
        raise UsageError(_unknown("group", group, [g.name for g in groups]))

    def resolve_place(self, place: str | Place) -> Place:
        """The place with this name, PlaceId or GooglePlaceId; a clear error otherwise."""
        if isinstance(place, Place):
            return place
        places = self.places(refresh=False)
        key = str(place).strip()
        for p in places:
            if key in (p.google_place_id, p.place_id):
                return p
        matches = [p for p in places if p.name.casefold() == key.casefold()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"{len(matches)} places are named {place!r}; pass the PlaceId")
        raise UsageError(_unknown("place", place, [p.name for p in places]))

    # -- contacts ----------------------------------------------------------------------------

    def create_contact(
        self, phone: str, name: str | None = None, last_name: str | None = None
    ) -> Contact:
        """Create a contact, or update the name of the contact with that number (upsert)."""
        res = self.operation("CreateAContact", Phone=phone, Name=name, LastName=last_name)
        return Contact.from_data(res.data or {})

    def update_contact(
        self,
        phone: str,
        *,
        name: str | None = None,
        last_name: str | None = None,
        new_phone: str | None = None,
    ) -> Contact:
        """Change an existing contact's first name, last name or number."""
        if name is None and last_name is None and new_phone is None:
            raise UsageError("update_contact: give name=, last_name= or new_phone= to change")
        res = self.operation(
            "UpdateAPowerTextorContact",
            Contact=phone,
            UpdatedContactName=name,
            UpdatedContactLastName=last_name,
            UpdatedContactNumber=new_phone,
        )
        return Contact.from_data(res.data or {})

    # -- messages ----------------------------------------------------------------------------

    def send_text(
        self,
        body: str,
        *,
        at: datetime | None = None,
        opt_out_footer: bool = False,
        **recipient: Any,
    ) -> CampaignResult:
        """Send (or, with ``at=``, schedule) a text to one recipient shape.

        Recipients, exactly one of: ``number``, ``numbers`` (list), ``contact`` (a contact's
        phone), ``contacts`` (list), ``group`` / ``groups`` (names or GroupIds),
        ``new_contact`` (a phone, with ``name=``/``last_name=``), ``new_group`` (its name, with
        ``members=[phones]``). ``opt_out_footer=True`` appends "STOP to opt out".

        >>> client.send_text("Hi!", numbers=["+14155550123", "+14155550124"])
        CampaignResult(campaign_id=..., status='Sent', ...)
        """
        timing = "scheduled" if at is not None else "now"
        return self._message("text", timing, body, recipient, at=at, footer=opt_out_footer)

    def send_simple_text(
        self, number: str, body: str, *, opt_out_footer: bool = False
    ) -> CampaignResult:
        """Send a text to one number through the connector's ``SendTextMessage`` action."""
        res = self.operation(
            "SendTextMessage", To=number, Body=body, ReplySTOPToOptOut=opt_out_footer
        )
        return CampaignResult.from_result(res)

    def send_review(
        self,
        body: str,
        *,
        place: str | Place,
        at: datetime | None = None,
        opt_out_footer: bool = False,
        **recipient: Any,
    ) -> CampaignResult:
        """Send (or schedule) a Google review request for ``place`` (name or id).

        >>> client.send_review("Enjoyed your visit? Tell us!", place="Main Street Bakery",
        ...                    contact="+14155550101")
        CampaignResult(campaign_id=..., status='Sent', ...)
        """
        timing = "scheduled" if at is not None else "now"
        return self._message(
            "review", timing, body, recipient, at=at, place=place, footer=opt_out_footer
        )

    def send_reminder(
        self,
        text: str,
        *,
        event_date: date | str,
        days_before: int,
        time: time | datetime | str,
        opt_out_footer: bool = False,
        **recipient: Any,
    ) -> CampaignResult:
        """Schedule an event reminder: sent ``days_before`` days before ``event_date`` at ``time``.

        ``time`` is read as UTC by Power Textor: pass ``time(14, 0, tzinfo=timezone.utc)``,
        ``"02:00 PM"`` or an aware datetime (converted to UTC).
        """
        return self._message(
            "reminder",
            "event",
            text,
            recipient,
            footer=opt_out_footer,
            extra={"EventDate": event_date, "Day": days_before, "Time": time},
        )

    def send_mms(
        self,
        body: str,
        attachment: Any,
        *,
        opt_out_footer: bool = False,
        **recipient: Any,
    ) -> CampaignResult:
        """Send an MMS with a file (a path, bytes or a binary file object).

        Recipients: ``number``, ``contact``, ``group`` or ``new_contact`` (one at a time).
        """
        return self._message(
            "mms", "now", body, recipient, footer=opt_out_footer, extra={"Attachment": attachment}
        )

    # -- webhooks ----------------------------------------------------------------------------

    def register_webhook(self, url: str, *, kind: str = "sms") -> Registration:
        """Ask Power Textor to POST received SMS (``kind="sms"``) or MMS messages to ``url``."""
        op_id = {"sms": "ProductionWebhook", "mms": "MMSWebhook"}.get(kind)
        if op_id is None:
            raise UsageError(f"kind must be 'sms' or 'mms', not {kind!r}")
        res = self.operation(op_id, WebHookUri=url)
        return Registration(_registration_id(res), kind, url, res.location)

    def delete_webhook(self, registration: str | Registration) -> None:
        """Delete a webhook registration (by id or the object ``register_webhook`` returned)."""
        reg_id = (
            registration.registration_id if isinstance(registration, Registration) else registration
        )
        if not reg_id:
            raise UsageError("delete_webhook: no registration id")
        self.operation("InternalActionForWebhookDeletion", RegistrationId=reg_id)

    # -- the shared path ---------------------------------------------------------------------

    def _message(
        self,
        action: str,
        timing: str,
        text: str,
        recipient: dict[str, Any],
        *,
        at: datetime | None = None,
        place: Any = None,
        footer: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> CampaignResult:
        target, fields = self._recipient_fields(recipient)
        op = find_operation(action, timing, target)
        if op is None:
            raise UsageError(_no_operation(action, timing, target))
        assert op.recipient_field is not None and op.text_field is not None  # a message operation
        fields[op.recipient_field] = _recipient_value(self, target, fields.pop("_to"))
        fields[op.text_field] = text
        fields["ReplySTOPToOptOut"] = bool(footer)
        if op.place_field:
            fields[op.place_field] = self.resolve_place(place).google_place_id
        if at is not None:
            fields["ScheduledDate"], fields["ScheduledTime"] = schedule_strings(at)
        fields.update(extra or {})
        return CampaignResult.from_result(self.operation(op.op_id, **fields))

    def _recipient_fields(self, recipient: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        extra = {k: recipient.pop(k) for k in ("name", "last_name", "members") if k in recipient}
        unknown = [k for k in recipient if k not in TARGETS]
        if unknown:
            raise UsageError(
                f"unknown argument {unknown[0]!r}; recipients are one of: " + ", ".join(TARGETS)
            )
        given = [k for k, v in recipient.items() if v is not None]
        if len(given) != 1:
            raise UsageError(
                "give exactly one recipient: "
                + ", ".join(f"{k}=" for k in TARGETS)
                + (f" (got {', '.join(given)})" if given else "")
            )
        target = given[0]
        fields: dict[str, Any] = {"_to": recipient[target]}
        if target == "new_contact":
            fields["ContactName"] = extra.get("name")
            fields["ContactLastName"] = extra.get("last_name")
        elif extra.get("name") or extra.get("last_name"):
            raise UsageError("name=/last_name= go with new_contact=")
        if target == "new_group":
            members = extra.get("members")
            if not members:
                raise UsageError("new_group= needs members=[phone, ...]")
            fields["GroupName"] = recipient[target]
            fields["_to"] = list(members)
        elif extra.get("members"):
            raise UsageError("members= goes with new_group=")
        return target, fields


def _recipient_value(client: FriendlyMethods, target: str, value: Any) -> Any:
    many = target in ("numbers", "contacts", "groups", "new_group")
    if many:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise UsageError(f"{target}= takes a list, e.g. {target}=['...', '...']")
        value = list(value)
    elif not isinstance(value, (str, Group)):
        raise UsageError(f"{target}= takes one value; use {target}s= for a list")
    if target == "group":
        return client.resolve_group(value).group_id
    if target == "groups":
        return [client.resolve_group(v).group_id for v in value]
    if target == "numbers":
        # SendMessageToMultipleNumbers takes ONE comma-separated string
        bad = [v for v in value if not isinstance(v, str) or "," in v]
        if bad:
            raise UsageError(f"numbers=: {bad[0]!r} is not a single phone number")
        return ",".join(value)
    return value


def _registration_id(res: Result) -> str | None:
    data = res.data
    if isinstance(data, dict):
        for key in ("RegistrationId", "Id", "id"):
            if data.get(key):
                return str(data[key])
    if res.location:
        return res.location.rstrip("/").rsplit("/", 1)[-1]
    return None


def _unknown(kind: str, value: Any, names: list[str]) -> str:
    close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.4)
    hint = f" Closest: {', '.join(repr(c) for c in close)}." if close else ""
    known = ", ".join(repr(n) for n in names[:10]) or "none"
    return f"no {kind} {value!r} in Power Textor.{hint} Known {kind}s: {known}"


def _no_operation(action: str, timing: str, target: str) -> str:
    options = [t for t in TARGETS if find_operation(action, timing, t)]
    what = {"now": "send", "scheduled": "schedule", "event": "schedule"}[timing]
    return (
        f"Power Textor cannot {what} a {action} message to {target.replace('_', ' ')}; "
        f"it can to: {', '.join(options)}"
    )
