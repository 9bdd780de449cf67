"""What the compose form holds, and how that becomes the arguments of ``ptdata.plan``.

Pure: no widgets, no network. The form reads its widgets into a ``FormState`` and hands it to
``plan_arguments``; everything the form sends goes through ``ptdata.plan`` / ``ptdata.send``,
so the form and a notebook cell that calls them directly behave the same.

>>> state = FormState(source="numbers", numbers="+14155550101\\n415 555 0102", body="Hi!")
>>> frame, kwargs = plan_arguments(state)
>>> frame["Phone"].tolist(), kwargs["to"], kwargs["template"]
(['+14155550101', '415 555 0102'], 'numbers', 'Hi!')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ptdata.api.errors import UsageError

__all__ = [
    "KIND_LABELS",
    "QUIET_LABELS",
    "SOURCE_LABELS",
    "TIMING_LABELS",
    "FormState",
    "contacts_frame",
    "missing",
    "missing_for_test",
    "parse_numbers",
    "plan_arguments",
    "quiet_arguments",
    "recipient_target",
    "reminder_arguments",
    "recipients_frame",
]

SOURCE_LABELS = {"contacts": "Contacts", "groups": "Groups", "numbers": "Paste numbers"}
KIND_LABELS = {
    "text": "Text",
    "review": "Review request",
    "reminder": "Event reminder",
    "mms": "MMS",
}
TIMING_LABELS = {
    "now": "Now",
    "at": "At a date and time",
    "local": "At a time in each recipient's zone",
}
#: what happens to a message that would reach someone outside 08:00-21:00 their time
QUIET_LABELS = {
    "shift": "Move it to the next allowed time",
    "skip": "Skip that recipient",
    "off": "Send at any hour (they asked for it)",
}

_SPLIT = re.compile(r"[\n,;\t]+")


@dataclass(frozen=True)
class FormState:
    """Everything the user chose in the form, as plain values."""

    source: str = "contacts"  # contacts | groups | numbers
    contacts: tuple[str, ...] = ()  # phones picked from the contacts frame
    groups: tuple[str, ...] = ()  # GroupIds
    numbers: str = ""  # pasted text, one number per line (or , ; separated)
    kind: str = "text"  # text | review | reminder | mms
    place: str | None = None  # a GooglePlaceId (review)
    event_date: date | None = None  # reminder
    days_before: int = 1
    event_time: time | None = None  # reminder: wall-clock time in ``timezone``
    attachment: tuple[str, bytes] | None = field(default=None, repr=False)  # mms: (name, bytes)
    timing: str = "now"  # now | at | local (the recipient's own zone)
    at_date: date | None = None
    at_time: time | None = None
    timezone: str = "America/New_York"  # for ``at``, the reminder time and groups' quiet hours
    quiet: str = "shift"  # shift | skip | off: quiet hours policy
    body: str = ""
    opt_out_footer: bool = False
    allow_long: bool = False  # over 10 segments or 1,600 characters, on purpose
    #: the contacts frame holds Power Textor contacts (send with the contact actions)
    contacts_are_powertextor: bool = False
    #: staff numbers for "Send test" (pasted like ``numbers``)
    test_numbers: str = ""


def parse_numbers(text: str) -> list[str]:
    """The pasted numbers, one per line or separated by commas, semicolons or tabs.

    >>> parse_numbers("+14155550101, 415-555-0102\\n\\n(415) 555 0103")
    ['+14155550101', '415-555-0102', '(415) 555 0103']
    """
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


def contacts_frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The contacts with the columns ``plan`` reads (``Phone``, ``Name``, ``LastName``).

    Accepts a sheet (``read_sheet``: ``Phone``, ``Name``...) or ``client.contacts().to_frame()``
    (``phone``, ``name``...); other columns stay and serve as merge fields.

    >>> contacts_frame(pd.DataFrame({"phone": ["+14155550101"], "name": ["Ana"]})).columns.tolist()
    ['Phone', 'Name']
    """
    if frame is None:
        return pd.DataFrame({"Phone": pd.Series([], dtype="str")})
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"contacts= takes a DataFrame, not {type(frame).__name__}")
    out = frame.reset_index(drop=True)
    if "Phone" not in out.columns:
        renames = {"phone": "Phone", "name": "Name", "last_name": "LastName"}
        out = out.rename(
            columns={k: v for k, v in renames.items() if k in out.columns and v not in out.columns}
        )
    if "Phone" not in out.columns:
        raise UsageError(
            "the contacts frame has no 'Phone' column; its columns are: "
            + (", ".join(map(str, out.columns)) or "(none)")
        )
    return out


def recipient_target(state: FormState) -> str:
    """The ``to=`` of ``plan`` for this source and kind.

    Groups go to groups; Power Textor contacts to contacts. Numbers from a sheet or pasted go
    as plain numbers for a text sent now; Power Textor has no plain-number action for
    anything else (scheduled texts, review requests, reminders, MMS), so those recipients are
    sent as (new or updated) contacts.

    >>> recipient_target(FormState(source="numbers", kind="review"))
    'new-contacts'
    """
    if state.source == "groups":
        return "groups"
    if state.source == "contacts" and state.contacts_are_powertextor:
        return "contacts"
    return "numbers" if state.kind == "text" and state.timing == "now" else "new-contacts"


def recipients_frame(state: FormState, contacts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows to plan: the picked contacts (all their columns), the groups or the numbers.

    >>> recipients_frame(FormState(source="groups", groups=("g1", "g2")))["Groups"].tolist()
    ['g1', 'g2']
    """
    if state.source == "groups":
        return pd.DataFrame({"Groups": pd.Series(list(state.groups), dtype="str")})
    if state.source == "numbers":
        return pd.DataFrame({"Phone": pd.Series(parse_numbers(state.numbers), dtype="str")})
    if state.source != "contacts":
        raise UsageError(f"recipients come from contacts, groups or numbers, not {state.source!r}")
    frame = contacts_frame(contacts)
    picked = set(state.contacts)
    # keep the sheet's order and its row numbers, so the report points at the sheet's rows
    keep = frame["Phone"].astype("str").isin(picked).to_numpy()
    rows = pd.Series(range(2, len(frame) + 2))[keep] if "row" not in frame.columns else None
    out = frame[keep].reset_index(drop=True)
    if rows is not None:
        out.insert(0, "row", rows.to_numpy())
    return out


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"time zone {name!r} is not known; pick one from the list, e.g. America/New_York"
        ) from None


def plan_arguments(
    state: FormState,
    contacts: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(frame, keyword arguments) for ``ptdata.plan(frame, **kwargs)`` from the form's state.

    The message is always a template: ``{Name}`` is a merge field and ``{{`` a literal brace,
    in the live preview and in what is sent alike.

    >>> from datetime import date, time
    >>> _, kw = plan_arguments(FormState(source="numbers", numbers="+14155550101", body="Hi",
    ...     timing="at", at_date=date(2030, 1, 2), at_time=time(9, 30), timezone="UTC"))
    >>> kw["at"].isoformat()
    '2030-01-02T09:30:00+00:00'
    >>> _, kw = plan_arguments(FormState(source="contacts", body="Hi", timing="local",
    ...     at_date=date(2030, 1, 2), at_time=time(10, 0), quiet="skip"))
    >>> kw["local_at"].isoformat(), kw["quiet_policy"]
    ('2030-01-02T10:00:00', 'skip')
    """
    frame = recipients_frame(state, contacts)
    if state.kind not in KIND_LABELS:
        raise UsageError(f"kind must be one of {', '.join(KIND_LABELS)}, not {state.kind!r}")
    if state.kind != "reminder" and state.timing not in TIMING_LABELS:
        raise UsageError(f"timing must be one of {', '.join(TIMING_LABELS)}, not {state.timing!r}")
    problems = choice_problems(state)
    if problems:
        raise UsageError(problems[0])
    kwargs: dict[str, Any] = {
        "template": state.body,
        "kind": state.kind,
        "to": recipient_target(state),
        "opt_out_footer": bool(state.opt_out_footer),
    }
    if state.allow_long:
        kwargs["force_long"] = True
    if state.kind == "review":
        kwargs["place"] = state.place
    if state.kind == "mms":
        from ptdata.api.request import Attachment

        assert state.attachment is not None  # choice_problems() asked for it
        name, content = state.attachment
        kwargs["attachment"] = Attachment(name, bytes(content), _content_type(name))
    # choice_problems() has asked for every date and time the chosen timing needs
    if state.kind == "reminder":
        assert state.event_date is not None and state.event_time is not None
        kwargs.update(
            reminder_arguments(
                state.event_date, int(state.days_before), state.event_time, state.timezone
            )
        )
    elif state.timing in ("at", "local"):
        assert state.at_date is not None and state.at_time is not None
        if state.timing == "at":
            zone = _zone(state.timezone)
            kwargs["at"] = datetime.combine(state.at_date, state.at_time, tzinfo=zone)
        else:  # the same wall-clock time in each recipient's own zone
            kwargs["local_at"] = datetime.combine(state.at_date, state.at_time)
    kwargs.update(quiet_arguments(state))
    return frame, kwargs


def choice_problems(state: FormState) -> list[str]:
    """What the chosen kind and timing still need, each naming the form's section.

    >>> for problem in choice_problems(FormState(kind="review", timing="at")):
    ...     print(problem)
    Message kind: pick the place the review request is for.
    When: pick the date and the time to send at.
    """
    out = []
    if state.kind == "review" and not state.place:
        out.append("Message kind: pick the place the review request is for.")
    if state.kind == "mms" and state.attachment is None:
        out.append("Message kind: an MMS needs a file: attach a picture (or another file).")
    if state.kind == "reminder":
        if state.event_date is None or state.event_time is None:
            out.append(
                "Message kind: a reminder needs the event date and the time it goes out "
                "(“Send at”)."
            )
        if state.days_before is None or int(state.days_before) < 0:
            out.append("Message kind: “Days before” must be 0 or more.")
    elif state.timing in ("at", "local"):
        if state.kind == "mms":
            out.append(
                "When: Power Textor sends an MMS right away; it cannot be scheduled. Choose “Now”."
            )
        elif state.at_date is None or state.at_time is None:
            out.append("When: pick the date and the time to send at.")
    return out


def missing(state: FormState, now: datetime | None = None) -> list[str]:
    """What to fill in before Preview, in the form's order (empty when the form is ready).

    ``now`` (aware; default the clock) tells a send time that is already past.

    >>> for problem in missing(FormState(source="contacts", body="   ")):
    ...     print(problem)
    Recipients: pick at least one contact.
    Message: it is only spaces; write the text to send.
    >>> missing(FormState(source="numbers", numbers="+14155550101", body="Hi"))
    []
    """
    out = []
    if state.source == "contacts" and not state.contacts:
        out.append("Recipients: pick at least one contact.")
    elif state.source == "groups" and not state.groups:
        out.append("Recipients: choose at least one group.")
    elif state.source == "numbers" and not parse_numbers(state.numbers):
        out.append("Recipients: paste at least one number.")
    out += choice_problems(state)
    if not any(p.startswith(("When:", "Message kind:")) for p in out):
        past = _past(state, now or datetime.now(UTC))
        if past:
            out.append(past)
    if not state.body:
        out.append("Message: write the message.")
    elif not state.body.strip():
        out.append("Message: it is only spaces; write the text to send.")
    return out


def _past(state: FormState, now: datetime) -> str | None:
    """ "When: … is in the past" for a send time or reminder that has already gone by."""
    try:
        zone = _zone(state.timezone)
    except UsageError as exc:
        return f"When: {exc}."
    if state.kind == "reminder":
        if state.event_date is None or state.event_time is None or state.days_before is None:
            return None
        moment = datetime.combine(
            state.event_date - timedelta(days=int(state.days_before)), state.event_time, tzinfo=zone
        )
        what = "the reminder would go out at"
    elif state.timing == "at" and state.at_date and state.at_time:
        moment = datetime.combine(state.at_date, state.at_time, tzinfo=zone)
        what = "the send time"
    else:
        return None
    if moment >= now:
        return None
    return (
        f"When: {what} {moment:%H:%M on %m/%d/%Y} ({zone.key}), which is in the past; "
        "pick a later date or time."
    )


def quiet_arguments(state: FormState) -> dict[str, Any]:
    """``quiet``/``quiet_policy`` (and ``default_tz`` for groups) for ``plan``.

    Quiet hours are on unless the user says the recipients asked for the message at any hour.
    A group's members are not known to the form, so their quiet hours are checked in the
    form's time zone.

    >>> quiet_arguments(FormState(quiet="off"))
    {'quiet': None}
    >>> quiet_arguments(FormState(source="groups", timezone="America/Chicago"))
    {'quiet_policy': 'shift', 'default_tz': 'America/Chicago'}
    """
    if state.quiet not in QUIET_LABELS:
        raise UsageError(
            f"quiet hours: choose one of {', '.join(QUIET_LABELS)}, not {state.quiet!r}"
        )
    if state.quiet == "off":
        return {"quiet": None}
    out: dict[str, Any] = {"quiet_policy": state.quiet}
    if state.source == "groups":
        out["default_tz"] = _zone(state.timezone).key
    return out


def reminder_arguments(event_date: date, days_before: int, at: time, zone: str) -> dict[str, Any]:
    """``event_date``/``days_before``/``time`` for ``plan``: a reminder at ``at`` in ``zone``.

    Power Textor sends a reminder ``Day`` days before ``EventDate`` at ``Time`` read as UTC;
    the form asks for the local time, and ``ptdata.timing.reminder_fields`` finds the fields
    that fire at that moment (an evening in Los Angeles is the next day in UTC).

    >>> from datetime import date, time
    >>> reminder_arguments(date(2030, 5, 10), 1, time(18, 0), "America/Los_Angeles")
    {'event_date': '05/11/2030', 'days_before': 1, 'time': '01:00 AM'}
    """
    from ptdata.timing import reminder_fields

    local = datetime.combine(event_date - timedelta(days=days_before), at, tzinfo=_zone(zone))
    event, day, time_text = reminder_fields(local.astimezone(UTC), days_before)
    return {"event_date": event, "days_before": day, "time": time_text}


def _content_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def missing_for_test(state: FormState, now: datetime | None = None) -> list[str]:
    """What "Send test" still needs: what Preview needs, and a number to send the test to.

    >>> missing_for_test(FormState(source="numbers", numbers="+14155550101", body="Hi"))
    ['Test numbers: type the number(s) to send the test to, e.g. your own mobile.']
    >>> missing_for_test(FormState(source="numbers", numbers="+14155550101", body="Hi",
    ...                         test_numbers="+14155550199"))
    []
    """
    out = missing(state, now)
    if not parse_numbers(state.test_numbers):
        out.append("Test numbers: type the number(s) to send the test to, e.g. your own mobile.")
    return out
