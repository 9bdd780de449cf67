"""The Power Textor operation table: the single source of truth for every connector action.

Each entry mirrors one operation of the published connector spec (swagger 2.0): its
operationId, HTTP method, path, body encoding and field names, exactly as the spec spells
them. The client builds requests from it, the sandbox validates requests against it and the
bulk planner picks operations from it by (action, timing, target).

Quirks the table makes explicit (see the spec):
- ``GroupName`` on group actions and a group's ``To`` hold a **GroupId** from ``GetGroups``;
- ``PlaceId`` and ``GooglePlaceId`` both hold a place's **GooglePlaceId** from ``GetPlaces``;
- a contact's ``To`` holds the contact's **Phone** from ``GetContacts``;
- ``SendMessageToMultipleNumbers.ContactNumber`` is ONE comma-separated string;
- the text travels as ``Body``, ``Message``, ``ReviewText`` or ``ReminderText``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACTIONS",
    "Field",
    "Operation",
    "OPERATIONS",
    "TARGETS",
    "find_operation",
    "get_operation",
]

FieldType = Literal["string", "array", "boolean", "integer", "file"]
Location = Literal["body", "form", "path"]

#: Message kinds the planner knows, in the words users use.
ACTIONS = ("text", "review", "reminder", "mms")
#: Recipient shapes, as in the connector's operation matrix.
TARGETS = (
    "number",
    "numbers",
    "contact",
    "contacts",
    "group",
    "groups",
    "new_contact",
    "new_group",
)


@dataclass(frozen=True, slots=True)
class Field:
    """One request field: its spec name, JSON type, whether required, and where its value
    comes from."""

    name: str
    type: FieldType
    required: bool = False
    #: ``"GetContacts.Phone"`` etc. when the spec fills this field from a list operation.
    source: str | None = None
    location: Location = "body"


@dataclass(frozen=True, slots=True)
class Operation:
    """One connector operation, keyed by the spec's operationId."""

    op_id: str
    method: Literal["GET", "POST", "DELETE"]
    path: str
    #: ``json`` body, ``multipart`` form with a file part, or ``none`` (GET/DELETE).
    encoding: Literal["json", "multipart", "none"]
    fields: tuple[Field, ...]
    summary: str
    #: text / review / reminder / mms for messages; contact, list or webhook otherwise.
    action: str
    #: now / scheduled / event (reminders); None for non-message operations.
    timing: str | None
    #: recipient shape (see TARGETS); None for non-message operations.
    target: str | None
    text_field: str | None
    recipient_field: str | None
    place_field: str | None
    #: shape of ``Data`` in the reply: campaign, message, contact, contacts, groups, places,
    #: registration or deletion.
    result: str

    @property
    def is_message(self) -> bool:
        """True for the operations that send or schedule messages (they spend money)."""
        return self.action in ACTIONS

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def scheduled(self) -> bool:
        return self.timing in ("scheduled", "event")


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "CreateAContact",
        "POST",
        "/api/contacts/contactnew",
        "json",
        summary="Create a Contact",
        action="contact",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="contact",
        fields=(
            Field("Phone", "string", required=True),
            Field("Name", "string"),
            Field("LastName", "string"),
        ),
    ),
    Operation(
        "GetContacts",
        "GET",
        "/api/contacts",
        "none",
        summary="Get Contacts",
        action="list",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="contacts",
        fields=(),
    ),
    Operation(
        "GetGroups",
        "GET",
        "/api/groups",
        "none",
        summary="Get Groups",
        action="list",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="groups",
        fields=(),
    ),
    Operation(
        "GetPlaces",
        "GET",
        "/api/places",
        "none",
        summary="Get Places",
        action="list",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="places",
        fields=(),
    ),
    Operation(
        "InternalActionForWebhookDeletion",
        "DELETE",
        "/api/twilio/{RegistrationId}",
        "none",
        summary="Action for Webhook Deletion",
        action="webhook",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="deletion",
        fields=(Field("RegistrationId", "string", required=True, location="path"),),
    ),
    Operation(
        "MMSWebhook",
        "POST",
        "/api/twilio/MMSregistration",
        "json",
        summary="When a text (MMS) message is received",
        action="webhook",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="registration",
        fields=(Field("WebHookUri", "string", required=True),),
    ),
    Operation(
        "ProductionWebhook",
        "POST",
        "/api/twilio/registration",
        "json",
        summary="When a text (SMS) message is received",
        action="webhook",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="registration",
        fields=(Field("WebHookUri", "string", required=True),),
    ),
    Operation(
        "ScheduleMessageForAContact",
        "POST",
        "/api/messages/scheduletext",
        "json",
        summary="Schedule text (SMS) message for a contact",
        action="text",
        timing="scheduled",
        target="contact",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
        ),
    ),
    Operation(
        "ScheduleMessageForGroups",
        "POST",
        "/api/messages/scheduletextbulk",
        "json",
        summary="Schedule text (SMS) message for multiple groups",
        action="text",
        timing="scheduled",
        target="groups",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
        ),
    ),
    Operation(
        "ScheduleReviewGroups",
        "POST",
        "/api/messages/scheduledbulkreview",
        "json",
        summary="Schedule review text (SMS) message for multiple groups",
        action="review",
        timing="scheduled",
        target="groups",
        text_field="Body",
        recipient_field="GroupName",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("GroupName", "array", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleReviewMessageForAContact",
        "POST",
        "/api/messages/schedulereviewtext",
        "json",
        summary="Schedule review text (SMS) message for a contact",
        action="review",
        timing="scheduled",
        target="contact",
        text_field="Body",
        recipient_field="To",
        place_field="GooglePlaceId",
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("GooglePlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleReviewTextMessageForAGroup",
        "POST",
        "/api/messages/scheduledsingleGroupreview",
        "json",
        summary="Schedule review text (SMS) message for a group",
        action="review",
        timing="scheduled",
        target="group",
        text_field="Body",
        recipient_field="To",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleReviewTextMessageForContacts",
        "POST",
        "/api/messages/schedulereviewcontacts",
        "json",
        summary="Schedule review text (SMS) message for multiple contacts",
        action="review",
        timing="scheduled",
        target="contacts",
        text_field="Body",
        recipient_field="To",
        place_field="GooglePlaceId",
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
            Field("GooglePlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
        ),
    ),
    Operation(
        "ScheduleReviewTextMessageToANewContact",
        "POST",
        "/api/messages/schedulereviewtextwithcontact",
        "json",
        summary="Schedule review text (SMS) message to a new contact",
        action="review",
        timing="scheduled",
        target="new_contact",
        text_field="ReviewText",
        recipient_field="ContactNumber",
        place_field="GooglePlaceId",
        result="campaign",
        fields=(
            Field("ContactName", "string"),
            Field("ContactLastName", "string"),
            Field("ContactNumber", "string", required=True),
            Field("ReviewText", "string", required=True),
            Field("GooglePlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleReviewToANewGroup",
        "POST",
        "/api/messages/creategroupschedulereview",
        "json",
        summary="Schedule review text (SMS) message to a new group",
        action="review",
        timing="scheduled",
        target="new_group",
        text_field="ReviewText",
        recipient_field="To",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("ReviewText", "string", required=True),
            Field("GroupName", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleTextForANewContact",
        "POST",
        "/api/messages/scheduletextwithname",
        "json",
        summary="Schedule a text (SMS) message for a new contact",
        action="text",
        timing="scheduled",
        target="new_contact",
        text_field="Message",
        recipient_field="ContactNumber",
        place_field=None,
        result="campaign",
        fields=(
            Field("ContactName", "string"),
            Field("ContactLastName", "string"),
            Field("ContactNumber", "string", required=True),
            Field("Message", "string", required=True),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleTextForANewGroup",
        "POST",
        "/api/messages/scheduledcreategroupsend",
        "json",
        summary="Schedule a text (SMS) message for a new group",
        action="text",
        timing="scheduled",
        target="new_group",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("GroupName", "string", required=True),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleTextMessagesForAGroup",
        "POST",
        "/api/messages/scheduletextsingleGroup",
        "json",
        summary="Schedule text (SMS) messages for a group",
        action="text",
        timing="scheduled",
        target="group",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "ScheduleTextToMultipleContacts",
        "POST",
        "/api/messages/scheduletextmulticontacts",
        "json",
        summary="Schedule text (SMS) messages for multiple contacts",
        action="text",
        timing="scheduled",
        target="contacts",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
            Field("ScheduledDate", "string", required=True),
            Field("ScheduledTime", "string", required=True),
        ),
    ),
    Operation(
        "SendMMSContacts",
        "POST",
        "/api/messages/sendmmscontacts",
        "multipart",
        summary="Send an MMS to a Contact",
        action="mms",
        timing="now",
        target="contact",
        text_field="Message",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone", location="form"),
            Field("Message", "string", required=True, location="form"),
            Field("Attachment", "file", required=True, location="form"),
            Field("ReplySTOPToOptOut", "boolean", location="form"),
        ),
    ),
    Operation(
        "SendMMSGroup",
        "POST",
        "/api/messages/sendmmsgroup",
        "multipart",
        summary="Send an MMS to a Group",
        action="mms",
        timing="now",
        target="group",
        text_field="Message",
        recipient_field="GroupName",
        place_field=None,
        result="campaign",
        fields=(
            Field(
                "GroupName", "string", required=True, source="GetGroups.GroupId", location="form"
            ),
            Field("Message", "string", required=True, location="form"),
            Field("Attachment", "file", required=True, location="form"),
            Field("ReplySTOPToOptOut", "boolean", location="form"),
        ),
    ),
    Operation(
        "SendMMSNewContact",
        "POST",
        "/api/messages/sendmmsnewcontact",
        "multipart",
        summary="Send an MMS",
        action="mms",
        timing="now",
        target="new_contact",
        text_field="Message",
        recipient_field="ContactNumber",
        place_field=None,
        result="campaign",
        fields=(
            Field("ContactNumber", "string", required=True, location="form"),
            Field("ContactName", "string", location="form"),
            Field("ContactLastName", "string", location="form"),
            Field("Attachment", "file", required=True, location="form"),
            Field("Message", "string", required=True, location="form"),
            Field("ReplySTOPToOptOut", "boolean", location="form"),
        ),
    ),
    Operation(
        "SendMessageEventReminderToANewContact",
        "POST",
        "/api/messages/sendreminderwithcontact",
        "json",
        summary="Schedule text (SMS) message event reminder to a new contact",
        action="reminder",
        timing="event",
        target="new_contact",
        text_field="ReminderText",
        recipient_field="ContactNumber",
        place_field=None,
        result="campaign",
        fields=(
            Field("ContactName", "string"),
            Field("ContactLastName", "string"),
            Field("ContactNumber", "string", required=True),
            Field("ReminderText", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendMessageToANewContact",
        "POST",
        "/api/messages/sendsimplewithName",
        "json",
        summary="Send text (SMS) message to a new contact",
        action="text",
        timing="now",
        target="new_contact",
        text_field="Message",
        recipient_field="ContactNumber",
        place_field=None,
        result="campaign",
        fields=(
            Field("ContactName", "string"),
            Field("ContactLastName", "string"),
            Field("ContactNumber", "string", required=True),
            Field("Message", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendMessageToMultipleNumbers",
        "POST",
        "/api/messages/sendtomulticontact",
        "json",
        summary="Send text (SMS) message to multiple numbers",
        action="text",
        timing="now",
        target="numbers",
        text_field="Body",
        recipient_field="ContactNumber",
        place_field=None,
        result="campaign",
        fields=(
            Field("ContactNumber", "string", required=True),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewSingleContact",
        "POST",
        "/api/messages/sendereviewsinglecontact",
        "json",
        summary="Send review text (SMS) message to a contact",
        action="review",
        timing="now",
        target="contact",
        text_field="Body",
        recipient_field="To",
        place_field="GooglePlaceId",
        result="message",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("GooglePlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewTextGroups",
        "POST",
        "/api/messages/sendreview",
        "json",
        summary="Send review text (SMS) message to multiple groups",
        action="review",
        timing="now",
        target="groups",
        text_field="Body",
        recipient_field="GroupName",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("GroupName", "array", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewTextMessageToAGroup",
        "POST",
        "/api/messages/sendreviewtosinglegroup",
        "json",
        summary="Send review text (SMS) message to a group",
        action="review",
        timing="now",
        target="group",
        text_field="Body",
        recipient_field="To",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewTextMessageToANewContact",
        "POST",
        "/api/messages/createcontactreviewsend",
        "json",
        summary="Send review text (SMS) message to a new contact",
        action="review",
        timing="now",
        target="new_contact",
        text_field="ReviewText",
        recipient_field="ContactNumber",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("ContactName", "string"),
            Field("ContactLastName", "string"),
            Field("ContactNumber", "string", required=True),
            Field("ReviewText", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewTextMultipleContacts",
        "POST",
        "/api/messages/sendereviewmulticontact",
        "json",
        summary="Send review text (SMS) message to multiple contacts",
        action="review",
        timing="now",
        target="contacts",
        text_field="Body",
        recipient_field="To",
        place_field="GooglePlaceId",
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("GooglePlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendReviewToANewGroup",
        "POST",
        "/api/messages/creategroupreviewsend",
        "json",
        summary="Send review text (SMS) message to a new group",
        action="review",
        timing="now",
        target="new_group",
        text_field="ReviewText",
        recipient_field="To",
        place_field="PlaceId",
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("ReviewText", "string", required=True),
            Field("GroupName", "string", required=True),
            Field("PlaceId", "string", required=True, source="GetPlaces.GooglePlaceId"),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextEventReminderToAGroup",
        "POST",
        "/api/messages/sendremindertosinglegroup",
        "json",
        summary="Schedule text (SMS) message event reminder to a group",
        action="reminder",
        timing="event",
        target="group",
        text_field="ReminderText",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetGroups.GroupId"),
            Field("ReminderText", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextEventReminderToNewGroup",
        "POST",
        "/api/messages/creategroupremindersend",
        "json",
        summary="Schedule text (SMS) message event reminder to a new group",
        action="reminder",
        timing="event",
        target="new_group",
        text_field="ReminderText",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("ReminderText", "string", required=True),
            Field("GroupName", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessage",
        "POST",
        "/api/messages/sendsimpletext",
        "json",
        summary="Send a text (SMS) message",
        action="text",
        timing="now",
        target="number",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageEventReminderToAContact",
        "POST",
        "/api/messages/sendreminderssinglecontact",
        "json",
        summary="Schedule text (SMS) message event reminder to a contact",
        action="reminder",
        timing="event",
        target="contact",
        text_field="ReminderText",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone"),
            Field("ReminderText", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageEventReminderToGroups",
        "POST",
        "/api/messages/sendremindertogroups",
        "json",
        summary="Schedule text (SMS) message event reminder to multiple groups",
        action="reminder",
        timing="event",
        target="groups",
        text_field="ReminderText",
        recipient_field="GroupName",
        place_field=None,
        result="campaign",
        fields=(
            Field("GroupName", "array", required=True, source="GetGroups.GroupId"),
            Field("ReminderText", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageEventReminderToMultipleContacts",
        "POST",
        "/api/messages/sendremindersmulticontact",
        "json",
        summary="Schedule text (SMS) message event reminder to multiple contacts",
        action="reminder",
        timing="event",
        target="contacts",
        text_field="ReminderText",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("ReminderText", "string", required=True),
            Field("EventDate", "string", required=True),
            Field("Day", "integer", required=True),
            Field("Time", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageToAGroup",
        "POST",
        "/api/messages/sendsinglegroup",
        "json",
        summary="Send text (SMS) message to a group",
        action="text",
        timing="now",
        target="group",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageToANumber",
        "POST",
        "/api/messages/sendsimple",
        "json",
        summary="Send text (SMS) message to a number",
        action="text",
        timing="now",
        target="number",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageToMultipleContacts",
        "POST",
        "/api/messages/send",
        "json",
        summary="Send text (SMS) message to multiple contacts",
        action="text",
        timing="now",
        target="contacts",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextMessageToMultipleGroups",
        "POST",
        "/api/messages/sendgroup",
        "json",
        summary="Send text (SMS) message to multiple groups",
        action="text",
        timing="now",
        target="groups",
        text_field="Body",
        recipient_field="GroupName",
        place_field=None,
        result="campaign",
        fields=(
            Field("GroupName", "array", required=True, source="GetGroups.GroupId"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextToAContact",
        "POST",
        "/api/messages/sendmessagesinglecontact",
        "json",
        summary="Send text (SMS) message to a contact",
        action="text",
        timing="now",
        target="contact",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "string", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "SendTextToANewGroup",
        "POST",
        "/api/messages/creategroupsend",
        "json",
        summary="Send text (SMS) message to a new group",
        action="text",
        timing="now",
        target="new_group",
        text_field="Body",
        recipient_field="To",
        place_field=None,
        result="campaign",
        fields=(
            Field("To", "array", required=True, source="GetContacts.Phone"),
            Field("Body", "string", required=True),
            Field("GroupName", "string", required=True),
            Field("ReplySTOPToOptOut", "boolean"),
        ),
    ),
    Operation(
        "UpdateAPowerTextorContact",
        "POST",
        "/api/contacts/contactupdate",
        "json",
        summary="Update a Power Textor Contact",
        action="contact",
        timing=None,
        target=None,
        text_field=None,
        recipient_field=None,
        place_field=None,
        result="contact",
        fields=(
            Field("Contact", "string", required=True, source="GetContacts.Phone"),
            Field("UpdatedContactName", "string"),
            Field("UpdatedContactLastName", "string"),
            Field("UpdatedContactNumber", "string"),
        ),
    ),
)


_BY_ID: dict[str, Operation] = {op.op_id: op for op in OPERATIONS}
_MATRIX: dict[tuple[str, str | None, str | None], Operation] = {}
for _op in OPERATIONS:
    if _op.is_message:
        # Two operations send a text to one number; the matrix keeps the first one listed
        # in the connector (SendTextMessageToANumber). SendMMSNewContact also serves "number".
        _MATRIX.setdefault((_op.action, _op.timing, _op.target), _op)
_MATRIX[("text", "now", "number")] = _BY_ID["SendTextMessageToANumber"]
_MATRIX[("mms", "now", "number")] = _BY_ID["SendMMSNewContact"]
del _op


def get_operation(op_id: str) -> Operation:
    """The operation with this spec operationId; a clear error naming close matches otherwise."""
    try:
        return _BY_ID[op_id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(op_id, list(_BY_ID), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown Power Textor operation {op_id!r}.{hint}") from None


def find_operation(action: str, timing: str, target: str) -> Operation | None:
    """The connector operation for a kind of message, a timing and a recipient shape, if any.

    >>> find_operation("review", "scheduled", "group").op_id
    'ScheduleReviewTextMessageForAGroup'
    """
    return _MATRIX.get((action, timing, target))
