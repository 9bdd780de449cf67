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
from ptdata.sheets.schemas import TIME_ZONES

__all__ = ["REASONS", "failure_message"]

#: Every reason code a failures table can hold, with a short description for summaries.
REASONS: dict[str, str] = {
    **PHONE_REASONS,
    "duplicate": "already on an earlier row",
    "missing_column": "the sheet lacks a required column",
    "required": "a required cell is empty",
    "unknown_timezone": "not an IANA time zone",
    "invalid_zip": "not a 5-digit ZIP code",
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

_EXAMPLES = {
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
        return f"{column} is empty: fill in {_EXAMPLES.get(column, column)}."
    if reason == "unknown_timezone":
        return _zone_message(shown)
    if reason == "invalid_zip":
        if shown.isdigit() and len(shown) < 5:
            return (
                f"{shown!r} is not a 5-digit ZIP code; if Excel dropped leading zeros it was "
                f"{shown.zfill(5)}: format the ZIP column as Text and re-enter it."
            )
        return f"{shown!r} is not a ZIP code: write 5 digits (02134) or ZIP+4 (02134-1234)."
    return REASONS.get(reason, reason)
