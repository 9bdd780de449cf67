"""What each validation reason code means and how the user fixes it, one sentence per failure.

>>> failure_message("unknown_timezone", "TimeZone", "EST")
'EST is a fixed offset without daylight saving time; use the IANA name of the place, e.g.
America/New_York.'
>>> failure_message("duplicate", "Phone", "(415) 555-0123", first_row=4, e164="+14155550123")
'+14155550123 is already on row 4, which is kept: delete this row or correct the number.'
"""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd

from ptdata.sheets.phones import PHONE_REASONS, phone_problem_message
from ptdata.sheets.schemas import KINDS, RECIPIENTS, TIME_ZONES

__all__ = ["REASONS", "failure_message"]

#: Every reason code a failures table can hold, with a short description for summaries.
REASONS: dict[str, str] = {
    **PHONE_REASONS,
    "duplicate": "already on an earlier row",
    "missing_column": "the sheet lacks a required column",
    "required": "a required cell is empty",
    "unknown_timezone": "not an IANA time zone",
    "invalid_zip": "not a 5-digit ZIP code",
    "unknown_kind": "Kind is not text, review, reminder or mms",
    "unknown_recipient": "Recipient is not number, contact, new_contact or group",
    "recipient_mismatch": "Recipient does not fit the Phone/Groups cells",
    "no_recipient": "neither Phone nor Groups",
    "two_recipients": "both Phone and Groups",
    "not_for_kind": "a cell this kind of message does not use",
    "no_operation": "Power Textor has no action for this combination",
    "bad_datetime": "not a date and time",
    "bad_date": "not a date",
    "bad_time": "not a time of day",
    "bad_days": "not a whole number of days",
    "unknown_field": "the template names a column the sheet lacks",
    "bad_template": "the template has an unmatched brace",
    "too_long": "the message is longer than 10 segments or 1,600 characters",
    "blank_merge_field": "a merge field is empty on this row and has no fallback",
}

_ZONE_HINTS = {
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "et": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "ct": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mountain": "America/Denver",
    "mt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "alaska": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
}

_NEEDED_BY = {
    "Place": "review",
    "Attachment": "mms",
    "EventDate": "reminder",
    "DaysBefore": "reminder",
    "Time": "reminder",
}

_EXAMPLES = {
    "Place": "the place's name or GooglePlaceId, as listed by GetPlaces",
    "Attachment": "the file to attach, e.g. images/flyer.jpg",
    "EventDate": "the event's date, e.g. 2026-12-03",
    "DaysBefore": "how many days before the event to send (0 = that day)",
    "Time": "the time of day to send, e.g. 09:00",
    "Body": "the message text",
    "Kind": "text, review, reminder or mms",
    "Groups": "the group's name",
    "Phone": "the phone number",
}


def _zone_message(value: str) -> str:
    hint = _ZONE_HINTS.get(value.strip().lower().replace(" time", ""))
    if hint:
        if value.upper() in ("EST", "MST", "HST"):
            return (
                f"{value} is a fixed offset without daylight saving time; use the IANA name of "
                f"the place, e.g. {hint}."
            )
        return f"{value!r} is not an IANA time zone name; use e.g. {hint}."
    close = difflib.get_close_matches(value, sorted(TIME_ZONES), n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"{value!r} is not an IANA time zone name{suggestion}; write it like America/New_York "
        "or Europe/London, or leave it empty to use the number's own zone."
    )


def failure_message(reason: str, column: str, value: Any, **context: Any) -> str:
    """The user-facing sentence for one failure; ``context`` adds first_row, kind, detail..."""
    shown = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if reason in PHONE_REASONS:
        labels = context.get("phone_labels") or []
        if reason == "missing" and len(labels) > 1:
            return f"No phone number in {' or '.join(labels)}: fill one in or delete the row."
        return phone_problem_message(reason, shown, context.get("region", "US"))
    if reason == "duplicate":
        first = context.get("first_row")
        if column == "Phone" and context.get("sheet") == "groups":
            return f"This number is already in this group on row {first}; delete this row."
        if context.get("sheet") == "campaign":
            return (
                f"Row {first} already sends this same message to the same recipient at the same "
                "time; delete this row unless it should really go twice."
            )
        number = context.get("e164") or "This number"
        return (
            f"{number} is already on row {first}, which is kept: "
            "delete this row or correct the number."
        )
    if reason == "missing_column":
        columns = context.get("columns") or []
        listed = ", ".join(columns) if columns else "(none)"
        how = (
            "name the column that holds them with phone_columns=[...] (--phone-column COL)"
            if column == "Phone"
            else (
                f"name the column that holds it with columns={{'{column}': ...}} "
                f"(--column {column}=COL)"
            )
        )
        return (
            f"The sheet has no {column} column "
            f"(its columns are {listed}{context.get('hint') or ''}): "
            f"add one, or {how}."
        )
    if reason == "required":
        kind = context.get("kind")
        needs = f" for a {kind} message" if kind and _NEEDED_BY.get(column) == kind else ""
        return f"{column} is empty{needs}: fill in {_EXAMPLES.get(column, column)}."
    if reason == "unknown_timezone":
        return _zone_message(shown)
    if reason == "invalid_zip":
        if shown.isdigit() and len(shown) < 5:
            return (
                f"{shown!r} is not a 5-digit ZIP code; if Excel dropped leading zeros it was "
                f"{shown.zfill(5)}: format the ZIP column as Text and re-enter it."
            )
        return f"{shown!r} is not a ZIP code: write 5 digits (02134) or ZIP+4 (02134-1234)."
    if reason == "unknown_kind":
        close = difflib.get_close_matches(shown.lower(), KINDS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"Kind {shown!r} is not one of {', '.join(KINDS)}{hint}; leave it empty for text."
    if reason == "unknown_recipient":
        return (
            f"Recipient {shown!r} is not one of {', '.join(RECIPIENTS)}; leave it empty to use "
            "the Phone or Groups cell as it is."
        )
    if reason == "recipient_mismatch":
        return (
            f"Recipient is {shown!r} but the row has a {'Phone' if shown == 'group' else 'Groups'} "
            "cell: use group with a Groups cell, number/contact/new_contact with a Phone cell."
        )
    if reason == "no_recipient":
        return "No recipient: fill in Phone (a number) or Groups (Power Textor group names)."
    if reason == "two_recipients":
        return (
            "Both Phone and Groups are filled: one message row goes to one of them; "
            "split it into two rows."
        )
    if reason == "not_for_kind":
        kind = context.get("kind") or "text"
        if column == "SendAt":
            return (
                "A reminder is timed by EventDate, DaysBefore and Time, not SendAt: clear SendAt."
            )
        wanted = _NEEDED_BY.get(column, "another")
        return (
            f"{column} is only used by {wanted} messages but this row is {kind}: clear the cell, "
            f"or set Kind to {wanted}."
        )
    if reason == "no_operation":
        return context.get("detail") or "Power Textor has no action for this message and recipient."
    if reason == "bad_datetime":
        return (
            f"{shown!r} is not a date and time: write 2026-12-03 10:30 (local time), "
            "2026-12-03 10:30-05:00, or 12/03/2026 10:30 AM."
        )
    if reason == "bad_date":
        return f"{shown!r} is not a date: write 2026-12-03 or 12/03/2026."
    if reason == "bad_time":
        return f"{shown!r} is not a time of day: write 14:30 or 2:30 PM."
    if reason == "bad_days":
        return (
            f"{shown!r} is not a whole number of days: "
            "write 0 for the event's day, 1 for the day before..."
        )
    if reason in ("unknown_field", "bad_template", "too_long", "blank_merge_field"):
        return context.get("detail") or REASONS[reason]
    return REASONS.get(reason, reason)
