"""Typed results parsed from Power Textor's ``{Success, Error, Data}`` envelope: pure, no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from ptdata.api.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    ResponseError,
    ServerError,
)
from ptdata.api.operations import Operation

__all__ = [
    "CampaignResult",
    "Contact",
    "Group",
    "Place",
    "Records",
    "Registration",
    "Result",
    "campaign_id_of",
    "is_unknown_outcome",
    "parse_response",
    "parse_retry_after",
    "scrub",
]


@dataclass(frozen=True, slots=True)
class Result:
    """One successful call: the operation, the HTTP status, the envelope's ``Data`` and headers."""

    operation: str
    status_code: int
    data: Any
    envelope: dict[str, Any] = field(repr=False)
    location: str | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """What Power Textor says about a send, schedule or reminder: one campaign, aggregate counts.

    There is no per-recipient status in the API: every recipient of one call shares this result.
    """

    campaign_id: str | None
    status: str | None = None
    type: str | None = None
    body: str | None = None
    send_date: str | None = None
    place_id: str | None = None
    reach: int | None = None
    sent_count: int | None = None
    undelivered_count: int | None = None
    created_at: str | None = None
    account_id: str | None = None
    message_id: str | None = None
    groups: tuple[dict[str, Any], ...] = ()
    operation: str | None = None
    attempts: int = 1
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_result(cls, result: Result) -> CampaignResult:
        d = result.data if isinstance(result.data, dict) else {}
        return cls(
            campaign_id=_str(d.get("CampaignId")),
            status=_str(d.get("Status")),
            type=_str(d.get("Type")),
            body=_str(d.get("Body")),
            send_date=_str(d.get("SendDate")),
            place_id=_str(d.get("PlaceId")),
            reach=_int(d.get("Reach")),
            sent_count=_int(d.get("SentCount")),
            undelivered_count=_int(d.get("UndeliveredCount")),
            created_at=_str(d.get("CreatedAt")),
            account_id=_str(d.get("AccountId")),
            message_id=_str(d.get("MessageId")),
            groups=_groups(d.get("Groups")),
            operation=result.operation,
            attempts=result.attempts,
            raw=d,
        )


def campaign_id_of(result: Result) -> str | None:
    """``CampaignResult.from_result(result).campaign_id``, without building the rest."""
    d = result.data
    return _str(d.get("CampaignId")) if isinstance(d, dict) else None


@dataclass(frozen=True, slots=True)
class Contact:
    """A Power Textor contact (``GetContacts`` / ``CreateAContact``)."""

    contact_id: str | None
    phone: str
    name: str | None = None
    welcome_sent: bool | None = None
    status: str | None = None
    #: group names as Power Textor reports them (a string in GetContacts, a list elsewhere)
    groups: str | None = None

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Contact:
        groups = d.get("Groups")
        if isinstance(groups, list):
            groups = ", ".join(str(g.get("Name", "")) for g in groups if isinstance(g, dict))
        return cls(
            contact_id=_str(d.get("ContactId")),
            phone=_str(d.get("Phone")) or "",
            name=_str(d.get("Name")),
            welcome_sent=d.get("WelcomeSent") if isinstance(d.get("WelcomeSent"), bool) else None,
            status=_str(d.get("Status")),
            groups=_str(groups),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A Power Textor group (``GetGroups``): send to it by ``group_id``."""

    group_id: str
    name: str
    contacts_count: int | None = None

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Group:
        return cls(
            _str(d.get("GroupId")) or "", _str(d.get("Name")) or "", _int(d.get("ContactsCount"))
        )


@dataclass(frozen=True, slots=True)
class Place:
    """A place for review requests (``GetPlaces``); the API wants its ``google_place_id``."""

    place_id: str
    google_place_id: str
    name: str
    account_id: str | None = None
    created_at: str | None = None

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Place:
        return cls(
            _str(d.get("PlaceId")) or "",
            _str(d.get("GooglePlaceId")) or "",
            _str(d.get("Name")) or "",
            _str(d.get("AccountId")),
            _str(d.get("CreatedAt")),
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """A webhook registration; ``registration_id`` deletes it again."""

    registration_id: str | None
    kind: str
    url: str
    location: str | None = None


T = TypeVar("T")


class Records(list, Generic[T]):
    """A list of contacts, groups or places that also turns into a DataFrame."""

    def to_frame(self):
        """A DataFrame with one row per record and the record's fields as string columns."""
        import pandas as pd

        if not self:
            return pd.DataFrame()
        cols = [f.name for f in fields(self[0])]
        return pd.DataFrame([[getattr(r, c) for c in cols] for r in self], columns=cols)

    def _repr_html_(self) -> str:  # a notebook shows the table
        return self.to_frame()._repr_html_()


def _groups(value: Any) -> tuple[dict[str, Any], ...]:
    """Campaign ``Groups``: a list of group objects, or (in some replies) a comma-joined string."""
    if isinstance(value, str):
        return tuple({"Name": n.strip()} for n in value.split(",") if n.strip())
    if isinstance(value, list):
        return tuple(g for g in value if isinstance(g, dict))
    return ()


def _str(v: Any) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else str(v)


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/odd."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import time as _time

    return max(0.0, when.timestamp() - (now if now is not None else _time.time()))


def _error_parts(body: Any) -> tuple[str | None, str | None]:
    """(Status, Message) from an envelope's Error (an object, or a plain string on lists)."""
    if isinstance(body, dict):
        err = body.get("Error")
        if isinstance(err, dict):
            return _str(err.get("Status")), _str(err.get("Message"))
        if isinstance(err, str) and err:
            return None, err
        msg = body.get("Message") or body.get("message") or body.get("title")
        return None, _str(msg)
    if isinstance(body, str):
        return None, body
    return None, None


#: A secret shorter than this is not scrubbed: it would match ordinary words (only a test
#: or a sandbox uses such a key; real ones are far longer).
MIN_SCRUBBED = 8


def scrub(text: str, secret: str) -> str:
    """``text`` with every copy of ``secret`` (as is, or percent-encoded) replaced by ``***``.

    >>> scrub("bad key pt-1234/x (pt-1234%2Fx)", "pt-1234/x")
    'bad key *** (***)'
    """
    if len(secret) < MIN_SCRUBBED:
        return text
    for form in {secret, quote(secret, safe="")}:
        if form in text:
            text = text.replace(form, "***")
    return text


def _scrub_values(value: Any, secret: str) -> Any:
    """A parsed JSON value with the secret scrubbed from every string in it."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, list):
        return [_scrub_values(v, secret) for v in value]
    if isinstance(value, dict):
        return {scrub(k, secret): _scrub_values(v, secret) for k, v in value.items()}
    return value


def parse_response(
    op: Operation,
    status_code: int,
    content: bytes,
    headers: Mapping[str, str],
    *,
    attempts: int = 1,
    secret: str | None = None,
) -> Result:
    """Turn an HTTP reply into a Result, or raise the matching exception of the family.

    ``secret`` (the API key) is scrubbed from everything the server sent before any of it is
    kept: a server that echoes the key in an error never puts it in a report or an exception.
    """
    name = op.op_id
    text = content.decode("utf-8", errors="replace")
    if secret and len(secret) < MIN_SCRUBBED:
        secret = None
    if secret:
        text = scrub(text, secret)
        location = headers.get("location")
        if location:
            headers = {**headers, "location": scrub(location, secret)}
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
        parsed = False
    else:
        parsed = True
        if secret and "\\" in text:  # an escape in the JSON may have hidden a copy from scrub
            body = _scrub_values(body, secret)
    status, message = _error_parts(body if parsed else text.strip()[:500] or None)
    detail = f": {message}" if message else ""
    if status_code in (401, 403):
        raise AuthenticationError(
            f"{name}: Power Textor refused the API key (HTTP {status_code}){detail}. "
            "Check POWERTEXTOR_API_KEY; keys expire, make a new one in the Power Textor app.",
            operation=name,
            status_code=status_code,
            status=status,
            server_message=message,
        )
    if status_code == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        raise RateLimitedError(
            f"{name}: rate limited by Power Textor (HTTP 429"
            + (f", retry after {retry_after:g} s" if retry_after is not None else "")
            + f"){detail}",
            operation=name,
            status_code=429,
            status=status,
            server_message=message,
            retry_after=retry_after,
        )
    if status_code >= 500:
        raise ServerError(
            f"{name}: Power Textor failed with HTTP {status_code}{detail}. For a send, the "
            "messages may or may not have gone out.",
            operation=name,
            status_code=status_code,
            status=status,
            server_message=message,
        )
    if 300 <= status_code < 400:
        raise ResponseError(
            f"{name}: the server redirected (HTTP {status_code}) to "
            f"{headers.get('location', '?')}; not followed, so the API key stays with the "
            "configured host. Check the base URL.",
            operation=name,
            status_code=status_code,
        )
    if status_code >= 400:
        raise RejectedError(
            f"{name}: Power Textor rejected the request (HTTP {status_code}){detail}",
            operation=name,
            status_code=status_code,
            status=status,
            server_message=message,
        )
    if not parsed or not isinstance(body, dict) or "Success" not in body:
        raise ResponseError(
            f"{name}: the reply (HTTP {status_code}) is not a Power Textor envelope"
            f" ({'not JSON' if not parsed else 'no Success field'}): {text[:200]!r}",
            operation=name,
            status_code=status_code,
        )
    if body.get("Success") is not True:
        raise RejectedError(
            f"{name}: Power Textor answered Success: false{detail or ' (no message)'}",
            operation=name,
            status_code=status_code,
            status=status,
            server_message=message,
        )
    return Result(
        operation=name,
        status_code=status_code,
        data=body.get("Data"),
        envelope=body,
        location=headers.get("location"),
        attempts=attempts,
    )


def is_unknown_outcome(exc: BaseException) -> bool:
    """True when a failed send may still have gone out (the row must become ``unknown``)."""
    from ptdata.api.errors import TransportError

    if isinstance(exc, TransportError):
        return exc.sent
    return isinstance(exc, ServerError)
