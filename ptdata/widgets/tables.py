"""The plan and report tables as the form shows them: the columns that matter first, narrow
enough for the form, notes wrapped, and every note in the form's words.

The download keeps every column; the form shows who (row, name or group, phone), what
happened (status), when it goes out (in the recipient's own time), segments, and one wrapped
``note`` with the reason, the message and how the time was chosen.

>>> import pandas as pd
>>> frame = pd.DataFrame({"row": [2], "phone": ["+14155550101"], "name": ["Ana"],
...     "status": ["skipped"], "reason": ["invalid"], "message": ["the message is 12 segments "
...     "/ 1700 characters (the limit is 10 segments or 1600 characters); shorten it or pass "
...     "force_long=True"], "note": [None], "segments": [12]})
>>> print(table_frame(frame).loc[0, "note"].partition("; ")[2])
shorten it, or tick “Allow a long message” under the message
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

__all__ = ["MAX_SHOWN_ROWS", "form_words", "table_frame", "table_html"]

MAX_SHOWN_ROWS = 50

#: what the library says to a programmer → what the form's user can do about it
_FORM_WORDS = (
    (
        re.compile(r"^at=(.+?) is in the past \(now is (.+?)\)$"),
        r"When: \1 is in the past (now is \2); pick a later date or time.",
    ),
    (
        re.compile(
            r"^local_at=(.+?) is already past in every recipient's time zone \(now is (.+?)\)$"
        ),
        r"When: \1 is already past in every recipient's time zone (now is \2); pick a later date "
        "or time.",
    ),
    (
        re.compile(r"shorten it or pass force_long=True"),
        "shorten it, or tick “Allow a long message” under the message",
    ),
    (
        re.compile(r"add a TimeZone, ZIP or State column, or pass default_tz="),
        "add a TimeZone, ZIP or State column to the sheet, or choose “Send at any hour” under When",
    ),
    (
        re.compile(r"add a TimeZone column, pass default_tz=, or send at any hour with quiet=None"),
        "choose a time zone under When, or “Send at any hour”",
    ),
    (re.compile(r"^template: "), "Message: "),
    (re.compile(r"^test number "), "Test numbers: "),
)


def form_words(text: str) -> str:
    """A library message reworded for the form: its fields, not Python arguments.

    >>> print(form_words("at=2026-11-01 10:00:00-05:00 is in the past (now is 2026-11-20)"))
    When: 2026-11-01 10:00:00-05:00 is in the past (now is 2026-11-20); pick a later date or time.
    """
    for pattern, words in _FORM_WORDS:
        text = pattern.sub(words, text)
    return text


def _when(frame: pd.DataFrame) -> pd.Series:
    """Each row's send time in its own zone (``2026-12-03 10:00 EST``), or ``now``."""
    out = pd.Series("", index=frame.index, dtype="str")
    if "scheduled_for" not in frame.columns:
        return out
    zones = frame["tz"] if "tz" in frame.columns else pd.Series(pd.NA, index=frame.index)
    for i, moment in frame["scheduled_for"].items():
        if pd.isna(moment):
            continue
        zone = zones.get(i)
        local = moment.tz_convert(zone) if isinstance(zone, str) and zone else moment
        out[i] = local.strftime("%Y-%m-%d %H:%M %Z")
    if "status" in frame.columns:
        now = frame["status"].isin(["planned", "sent"]) & (out == "")
        out[now] = "now"
    return out


def _note(frame: pd.DataFrame) -> pd.Series:
    """The message and the timing note of each row in one text (else its reason)."""

    def cell(col: str) -> list[str]:
        if col not in frame.columns:
            return [""] * len(frame)
        return ["" if pd.isna(v) else str(v) for v in frame[col]]

    notes = [
        "; ".join(p for p in (m, n) if p) or r.replace("_", " ")
        for m, n, r in zip(cell("message"), cell("note"), cell("reason"), strict=True)
    ]
    return pd.Series([form_words(t) for t in notes], index=frame.index, dtype="str")


def table_frame(frame: pd.DataFrame, *, members: Any = None) -> pd.DataFrame:
    """The rows to show (at most ``MAX_SHOWN_ROWS``) in the form's columns.

    ``members`` (per row, as in the plan) names a group row by its group and member count.
    """
    head = frame.head(MAX_SHOWN_ROWS)
    name = head["name"].astype("str") if "name" in head.columns else pd.Series("", index=head.index)
    if "group" in head.columns and head["group"].notna().any():
        group = head["group"].astype("str")
        if members is not None:
            count = pd.Series(list(members)[: len(head)], index=head.index)
            group = group + count.map(lambda m: "" if pd.isna(m) else f" ({int(m):,} members)")
        name = name.where(head["group"].isna(), group)
    out = pd.DataFrame(
        {
            "row": head["row"] if "row" in head.columns else pd.Series(range(len(head))),
            "name": name.fillna(""),
            "phone": head["phone"].astype("str").fillna("") if "phone" in head.columns else "",
            "status": head["status"],
            "when": _when(head),
            "segments": head["segments"] if "segments" in head.columns else pd.NA,
            "note": _note(head),
        }
    )
    blank = [c for c in ("name", "phone") if not (out[c].astype("str") != "").any()]
    return out.drop(columns=blank)


_CSS = (
    "<style>.ptdata-table{border-collapse:collapse;font-size:12px;width:100%}"
    ".ptdata-table td,.ptdata-table th{padding:2px 6px;text-align:left;vertical-align:top;"
    "border-bottom:1px solid #eee;white-space:nowrap}"
    ".ptdata-table td.ptdata-note{white-space:normal;overflow-wrap:anywhere;min-width:180px}"
    "</style>"
)


def table_html(frame: pd.DataFrame, css_class: str, *, members: Any = None) -> str:
    """The table inside a box the form's width, scrolling down past a few hundred pixels."""
    shown = table_frame(frame, members=members)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, values, strict=True):
            text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
            cls = ' class="ptdata-note"' if col == "note" else ""
            cells.append(f"<td{cls}>{html.escape(str(text))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        f'<table class="ptdata-table {css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    more = len(frame) - len(shown)
    tail = (
        f"<div style='opacity:.7'>… and {more:,} more rows in the download</div>"
        if more > 0
        else ""
    )
    return f'<div style="max-height:320px;overflow:auto;max-width:100%">{_CSS}{table}{tail}</div>'
