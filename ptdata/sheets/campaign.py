"""Campaign-sheet cleaning: column aliases, defaults, dates and times in one form, body checks.

Dates, times and moments are accepted as people type them and cleaned to one form so that
the planner never parses free text: ``12/03/2026 10:30 AM`` -> ``2026-12-03 10:30``,
``2:30 PM`` -> ``14:30``, ``12/03/2026`` -> ``2026-12-03``. A value that cannot be read is left
as written, and the schema reports it.

>>> normalise_moment("12/03/2026 2:30 pm"), normalise_time("9:05 AM"), normalise_date("12/3/2026")
('2026-12-03 14:30', '09:05', '2026-12-03')
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from ptdata.api.operations import find_operation
from ptdata.sheets.errors import TemplateError
from ptdata.sheets.headers import header_key
from ptdata.sheets.schemas import CAMPAIGN_COLUMNS
from ptdata.sheets.segments import MAX_CHARS, MAX_SEGMENTS, segments_frame
from ptdata.sheets.templates import blank_merge_values, check_template, render

__all__ = [
    "body_problems",
    "campaign_headers",
    "no_operation_detail",
    "normalise_date",
    "normalise_moment",
    "normalise_time",
    "prepare_campaign",
]

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?",
    re.I,
)
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP])\.?M\.?)?"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?",
    re.I,
)
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(?:([AP])\.?M\.?)?", re.I)


def _hour(hour: int, half: str | None) -> int | None:
    if half is None:
        return hour if hour < 24 else None
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if half.upper() == "P" else 0)


def _parts(text: str) -> tuple[date, int | None, int | None, str | None] | None:
    """(date, hour, minute, offset) of an ISO or US date with an optional time."""
    text = text.strip()
    if m := _ISO.fullmatch(text):
        y, mo, d, hh, mm, _ss, off = m.groups()
        hour = int(hh) if hh is not None else None
        minute = int(mm) if mm is not None else None
        if off:
            off = "+00:00" if off.upper() == "Z" else f"{off[:3]}:{off[-2:]}"
    elif m := _US.fullmatch(text):
        mo, d, y, h12, m12, _s12, half, h24, m24, _s24 = m.groups()
        if h12 is not None and h24 is not None:
            return None
        hour = _hour(int(h12), half) if h12 is not None else (int(h24) if h24 is not None else None)
        minute = int(m12 or m24) if (m12 or m24) else None
        if (h12 is not None and hour is None) or (hour is not None and hour > 23):
            return None
        off = None
    else:
        return None
    try:
        day = date(int(y), int(mo), int(d))
    except ValueError:
        return None
    if hour is not None and (hour > 23 or minute is None or minute > 59):
        return None
    return day, hour, minute, off


def normalise_moment(text: str) -> str | None:
    """``YYYY-MM-DD HH:MM`` (plus ``+HH:MM`` when an offset was given), None if unreadable."""
    parts = _parts(text)
    if parts is None or parts[1] is None:
        return None
    day, hour, minute, offset = parts
    return f"{day.isoformat()} {hour:02d}:{minute:02d}{offset or ''}"


def normalise_date(text: str) -> str | None:
    """``YYYY-MM-DD`` for a date (a time part must be midnight), None if unreadable."""
    parts = _parts(text)
    if parts is None or parts[3] is not None or (parts[1] or 0) != 0 or (parts[2] or 0) != 0:
        return None
    return parts[0].isoformat()


def normalise_time(text: str) -> str | None:
    """``HH:MM`` (24-hour) for 14:30, 2:30 PM, 2 pm; None if unreadable."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    hh, mm, _ss, half = m.groups()
    if mm is None and half is None:
        return None
    hour = _hour(int(hh), half)
    minute = int(mm or 0)
    if hour is None or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _normalised(values: pd.Series, how) -> pd.Series:
    present = values.dropna()
    if present.empty:
        return values
    cleaned = {v: how(v) for v in present.unique()}
    out = values.copy()
    out[present.index] = [cleaned[v] or v for v in present]
    return out


def campaign_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename campaign columns written another way (``Message`` -> ``Body``, ``Send At`` -> ``SendAt``)."""
    by_key = {
        header_key(alias): name for name, aliases in CAMPAIGN_COLUMNS.items() for alias in aliases
    }
    renames = {}
    for column in frame.columns:
        name = by_key.get(header_key(column))
        if name and name != column and name not in frame.columns and name not in renames.values():
            renames[column] = name
    return frame.rename(columns=renames) if renames else frame


def prepare_campaign(df: pd.DataFrame) -> pd.DataFrame:
    """Defaults and one form for every cell the planner reads (the frame is already stripped)."""
    out = df.copy()
    kind = (
        out["Kind"].str.lower() if "Kind" in out else pd.Series(pd.NA, index=out.index, dtype="str")
    )
    out["Kind"] = kind.fillna("text")
    recipient = out["Recipient"].str.lower().str.replace(" ", "_") if "Recipient" in out else None
    has_groups = out["Groups"].notna() if "Groups" in out else pd.Series(False, index=out.index)
    # A phone goes to a plain number where Power Textor has such an action (text now, MMS now),
    # otherwise to an existing contact (scheduled texts, reviews, reminders).
    timing = pd.Series("now", index=out.index, dtype="str")
    if "SendAt" in out:
        timing = timing.mask(out["SendAt"].notna(), "scheduled")
    timing = timing.mask(out["Kind"] == "reminder", "event")
    plain = pd.Series(
        [find_operation(k, t, "number") is not None for k, t in zip(out["Kind"], timing)],
        index=out.index,
        dtype=bool,
    )
    default = (
        pd.Series("contact", index=out.index, dtype="str")
        .mask(plain, "number")
        .mask(has_groups, "group")
    )
    out["Recipient"] = default if recipient is None else recipient.fillna(default)
    if "SendAt" in out:
        out["SendAt"] = _normalised(out["SendAt"], normalise_moment)
    if "EventDate" in out:
        out["EventDate"] = _normalised(out["EventDate"], normalise_date)
    if "Time" in out:
        out["Time"] = _normalised(out["Time"], normalise_time)
    if "DaysBefore" in out:
        out["DaysBefore"] = _normalised(
            out["DaysBefore"], lambda v: str(int(v)) if v.isdigit() else None
        )
    return out


def no_operation_detail(kind: str, timing: str, target: str) -> str:
    """Why Power Textor has no action for this (kind, timing, recipient), and what to change."""
    if kind == "mms" and timing == "scheduled":
        return "Power Textor cannot schedule an MMS: clear SendAt to send it now, or send a text instead."
    if kind == "mms" and target == "groups":
        return "Power Textor sends an MMS to one group at a time: put each group on its own row."
    if target == "number":
        options = [t for t in ("contact", "new_contact") if find_operation(kind, timing, t)]
        return (
            f"Power Textor has no {timing if timing != 'now' else ''} {kind} action for a plain "
            f"number: set Recipient to {' or '.join(options) or 'contact'}."
        ).replace("  ", " ")
    return f"Power Textor has no {kind} action for recipient {target} ({timing})."


def body_problems(df: pd.DataFrame) -> pd.DataFrame:
    """``reason`` and ``detail`` for rows whose Body cannot be sent: unknown field, bad braces, a
    field empty on the row without a fallback (``blank_merge_field``), too long."""
    out = pd.DataFrame(
        {
            "reason": pd.Series(pd.NA, index=df.index, dtype="str"),
            "detail": pd.Series(pd.NA, index=df.index, dtype="str"),
        }
    )
    if "Body" not in df:
        return out
    body = df["Body"]
    columns = [c for c in df.columns if not str(c).startswith("_")]
    templated = body.str.contains(r"[{}]", regex=True, na=False)
    rendered = body.where(~templated)
    for template in body[templated].unique():
        rows = body.index[body == template]
        try:
            check_template(template, columns)
        except TemplateError as exc:
            out.loc[rows, "reason"] = "unknown_field" if exc.field else "bad_template"
            out.loc[rows, "detail"] = str(exc)[0].upper() + str(exc)[1:]
            continue
        rendered[rows] = render(template, df.loc[rows, columns])
        blanks = blank_merge_values(template, df.loc[rows, columns]).dropna()
        for row, fields in blanks.items():
            named = "{" + fields.replace(", ", "}, {") + "}"
            first = fields.split(", ")[0]
            out.at[row, "reason"] = "blank_merge_field"
            out.at[row, "detail"] = (
                f"{named} is empty on this row: fill it in, or give the field a "
                f"fallback, e.g. {{{first}|there}}."
            )
    counted = segments_frame(rendered.dropna())
    chars = rendered.dropna().str.len()
    long = (counted["segments"] > MAX_SEGMENTS) | (chars > MAX_CHARS)
    for row in long.index[long]:
        segs, enc, n = counted.at[row, "segments"], counted.at[row, "encoding"], chars[row]
        out.at[row, "reason"] = "too_long"
        out.at[row, "detail"] = (
            f"This message is {segs} segments ({enc}, {n} characters) for this row; the limit is "
            f"{MAX_SEGMENTS} segments and {MAX_CHARS:,} characters: shorten it."
        )
    return out
