"""Inbound messages: build a Twilio-style SMS/MMS payload and POST it to the registered webhooks.

Power Textor relays what Twilio posts: form-encoded fields (see API.md "Inbound"). Missing
fields get sensible defaults (fresh ``SM…``/``MM…`` sids, the sandbox's number as ``To``,
``OptOutType`` from a STOP/START/HELP keyword), extra fields pass through as Twilio may add
some, and a field set to ``None`` is left out. A STOP or START also unsubscribes or
re-subscribes the contact with that number, as Power Textor does.

>>> fields = build_payload({"From": "+14155550101", "Body": "STOP"},
...                        service_number="+14155550100")[1]
>>> fields["OptOutType"], fields["To"], fields["SmsSid"][:2]
('STOP', '+14155550100', 'SM')
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import httpx
import phonenumbers

from ptdata.sandbox.store import SEED_CONTACTS, Store
from ptdata.sandbox.validate import BadRequest, normalize_phone

__all__ = ["MMS_FIELDS", "SMS_FIELDS", "build_payload", "deliver_inbound", "opt_out_type"]

SMS_FIELDS = (
    "SmsSid",
    "Body",
    "MessageStatus",
    "OptOutType",
    "MessagingServiceSid",
    "AccountSid",
    "From",
    "To",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToCity",
    "ToState",
    "ToZip",
    "ToCountry",
)
MMS_FIELDS = (
    "MessageSid",
    "SmsSid",
    "Body",
    "NumMedia",
    "ReferralNumMedia",
    "AccountSid",
    "From",
    "To",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToState",
    "ToCountry",
    "mediaURL",
    "contentType",
)

_NS = uuid.UUID("0b3f5f6e-2f1c-4a8e-9d7a-1c2b3d4e5f60")
ACCOUNT_SID = "AC" + uuid.uuid5(_NS, "account").hex
MESSAGING_SERVICE_SID = "MG" + uuid.uuid5(_NS, "service").hex

_KEYWORDS = {
    "STOP": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    "START": ("START", "YES", "UNSTOP"),
    "HELP": ("HELP", "INFO"),
}
#: How long a webhook may take to answer a delivery.
DELIVERY_TIMEOUT = 5.0


def opt_out_type(body: str) -> str | None:
    """``STOP``, ``START`` or ``HELP`` when the whole message is one of Twilio's keywords."""
    word = body.strip().upper()
    for kind, words in _KEYWORDS.items():
        if word in words:
            return kind
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_payload(request: dict[str, Any], *, service_number: str) -> tuple[str, dict[str, str]]:
    """(``"sms"`` or ``"mms"``, the form fields to POST) from a partial payload."""
    if not isinstance(request, dict):
        raise BadRequest("the inbound payload must be a JSON object of Twilio fields")
    given = dict(request)
    kind = str(given.pop("kind", "") or "").lower()
    if kind not in ("", "sms", "mms"):
        raise BadRequest(f"kind: {kind!r} must be 'sms' or 'mms'")
    try:
        num_media = int(given.get("NumMedia") or 0)
    except (TypeError, ValueError):
        raise BadRequest(f"NumMedia: {given.get('NumMedia')!r} is not a whole number") from None
    if not kind:
        kind = "mms" if num_media > 0 or given.get("mediaURL") or given.get("MediaUrl0") else "sms"
    sender = given.get("From", SEED_CONTACTS[0][0])
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("From: the sender's phone number is required")
    body = _text(given.get("Body", ""))
    sid = ("MM" if kind == "mms" else "SM") + secrets.token_hex(16)
    country = _country(sender)
    fields: dict[str, Any] = {
        "SmsSid": sid,
        "Body": body,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": service_number,
        "FromCity": "",
        "FromState": "",
        "FromZip": "",
        "FromCountry": country,
        "ToCity": "SAN FRANCISCO",
        "ToState": "CA",
        "ToZip": "94105",
        "ToCountry": "US",
    }
    if kind == "sms":
        fields.update(MessageStatus="received", MessagingServiceSid=MESSAGING_SERVICE_SID)
        keyword = opt_out_type(body)
        if keyword:
            fields["OptOutType"] = keyword
        order = SMS_FIELDS
    else:
        media_sid = "ME" + secrets.token_hex(16)
        url = (
            f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
            f"{given.get('MessageSid', given.get('SmsSid', sid))}/Media/{media_sid}"
        )
        ctype = given.get("contentType", "image/jpeg")
        fields.update(
            MessageSid=sid,
            NumMedia=str(max(num_media, 1)),
            ReferralNumMedia="0",
            mediaURL=url,
            contentType=ctype,
            MediaUrl0=url,
            MediaContentType0=ctype,
        )
        fields.pop("ToCity")
        fields.pop("ToZip")
        order = MMS_FIELDS
    fields.update(given)
    ordered = {k: fields[k] for k in order if k in fields}
    ordered.update({k: v for k, v in fields.items() if k not in ordered})
    return kind, {k: _text(v) for k, v in ordered.items() if v is not None}


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, "US")) or ""
    except phonenumbers.NumberParseException:
        return ""


async def deliver_inbound(
    store: Store, request: dict[str, Any], *, service_number: str
) -> dict[str, Any]:
    """POST the payload, form-encoded, to every webhook of its kind; the delivery results.

    Results name the registration and the HTTP status, never the webhook URL (it holds the
    listener's secret).
    """
    kind, fields = build_payload(request, service_number=service_number)
    contact_status = None
    keyword = opt_out_type(fields.get("Body", ""))
    if keyword in ("STOP", "START"):
        try:
            phone = normalize_phone(fields["From"], "From")
        except BadRequest:
            phone = None
        status = "Unsubscribed" if keyword == "STOP" else "Active"
        if phone and store.set_status_by_phone(phone, status):
            contact_status = status
    hooks = store.webhooks(kind)

    async def post(client: httpx.AsyncClient, hook: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"RegistrationId": hook["registration_id"], "kind": kind}
        try:
            response = await client.post(hook["url"], data=fields)
            result.update(status=response.status_code, error=None)
        except httpx.HTTPError as exc:
            reason = str(exc).replace(hook["url"], "<webhook>")[:160] or type(exc).__name__
            result.update(status=None, error=f"{type(exc).__name__}: {reason}")
        return result

    deliveries: list[dict[str, Any]] = []
    if hooks:
        async with httpx.AsyncClient(
            timeout=DELIVERY_TIMEOUT, follow_redirects=False, trust_env=False
        ) as client:
            deliveries = list(await asyncio.gather(*(post(client, h) for h in hooks)))
    return {
        "kind": kind,
        "payload": fields,
        "deliveries": deliveries,
        "contact_status": contact_status,
    }
