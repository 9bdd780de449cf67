"""The compose form's read-outs as HTML: the message counter, previews, plan, report, errors.

Pure functions of the objects ``ptdata`` already returns (``SegmentInfo``, ``Plan``,
``Report``, an exception), so what the form shows is tested without a browser. Every piece
of user text is escaped.

>>> from ptdata.sheets.segments import sms_segments
>>> "UCS-2" in counter_html(sms_segments("Café ☕"))
True
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ptdata.api.errors import PowerTextorError

__all__ = [
    "confirm_html",
    "counter_html",
    "download_link",
    "error_html",
    "error_text",
    "groups_html",
    "note_html",
    "plan_html",
    "previews_html",
    "recipients_html",
    "report_html",
]

#: the report's columns shown in the form (all of them are in the download)
SHOWN_COLUMNS = ("row", "phone", "name", "status", "reason", "message", "operation",
                 "campaign_id", "segments", "scheduled_for", "tz", "note")
MAX_SHOWN_ROWS = 50

_BOX = ("padding:6px 10px;border-radius:4px;margin:4px 0;line-height:1.4;box-sizing:border-box;"
        "font-family:var(--jp-ui-font-family, sans-serif);")
_ERROR = _BOX + "background:#fdecea;border:1px solid #f5c2c0;color:#611a15;"
_NOTE = _BOX + "background:#eef4fb;border:1px solid #c5d9ef;color:#0d3c61;"
_WARN = _BOX + "background:#fff8e1;border:1px solid #f3d98b;color:#5f4b00;"
_OK = _BOX + "background:#edf7ed;border:1px solid #b7dfb9;color:#1e4620;"


_TABLE_STYLE = (
    "<style>.ptdata-plan-table, .ptdata-report-table {border-collapse:collapse;font-size:12px}"
    ".ptdata-plan-table td, .ptdata-plan-table th, .ptdata-report-table td,"
    ".ptdata-report-table th {white-space:nowrap;padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #eee}</style>"
)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def counter_html(info: Any, *, rendered: bool = False) -> str:
    """Characters, encoding, segments, and the characters that forced UCS-2.

    >>> from ptdata.sheets.segments import sms_segments
    >>> counter_html(sms_segments("Hi there"))
    '<div class="ptdata-counter">8 characters · GSM-7 · 1 segment</div>'
    """
    parts = [_plural(info.chars, "character"), _e(info.encoding), _plural(info.segments, "segment")]
    text = " · ".join(parts)
    if rendered:
        text += " <span style='opacity:.7'>(the first recipient's message)</span>"
    extra = []
    if info.ucs2_chars:
        shown = " ".join(f"<code>{_e(ch)}</code>" for ch in info.ucs2_chars)
        extra.append(f"UCS-2 (70 characters per segment) because of: {shown}")
    if info.hint:
        extra.append(_e(info.hint))
    if getattr(info, "warn", False):
        extra.append(f"Each recipient is billed {info.segments} messages.")
    style = f' style="{_WARN}"' if extra else ""
    body = text + "".join(f"<br>{x}" for x in extra)
    return f'<div class="ptdata-counter"{style}>{body}</div>'


def previews_html(messages: Iterable[tuple[str, str]]) -> str:
    """The first rendered messages, each under the recipient it goes to.

    >>> previews_html([("+14155550101", "Hi Ana")])
    '<div class="ptdata-previews"><div><b>+14155550101</b>: Hi Ana</div></div>'
    """
    rows = "".join(f"<div><b>{_e(who)}</b>: {_e(text)}</div>" for who, text in messages)
    return f'<div class="ptdata-previews">{rows}</div>' if rows else ""


def recipients_html(counts: dict[str, int]) -> str:
    """``3 recipients · 2 excluded (1 invalid, 1 duplicate)`` from skip-reason counts.

    ``counts`` has ``recipients`` and one entry per skip reason.

    >>> recipients_html({"recipients": 3, "invalid": 1, "duplicate": 1})
    '<div class="ptdata-recipients"><b>3 recipients</b> · 2 excluded (1 invalid, 1 duplicate)</div>'
    """
    n = int(counts.get("recipients", 0))
    reasons = {k: v for k, v in counts.items() if k != "recipients" and v}
    text = f"<b>{_plural(n, 'recipient')}</b>"
    if reasons:
        detail = ", ".join(f"{v:,} {_e(k.replace('_', ' '))}" for k, v in reasons.items())
        text += f" · {sum(reasons.values()):,} excluded ({detail})"
    return f'<div class="ptdata-recipients">{text}</div>'


def groups_html(labels: list[str]) -> str:
    """``2 groups: VIP customers (12), Staff (3)``.

    >>> groups_html(["Staff (3)"])
    '<div class="ptdata-recipients"><b>1 group</b>: Staff (3)</div>'
    """
    listed = ", ".join(_e(x) for x in labels)
    return (f'<div class="ptdata-recipients"><b>{_plural(len(labels), "group")}</b>'
            + (f": {listed}" if listed else "") + "</div>")


def _table(frame: pd.DataFrame, css_class: str) -> str:
    shown = frame[[c for c in SHOWN_COLUMNS if c in frame.columns]].head(MAX_SHOWN_ROWS)
    table = shown.to_html(index=False, na_rep="", classes=css_class, border=0, escape=True)
    more = len(frame) - len(shown)
    if more > 0:
        table += f"<div style='opacity:.7'>… and {more:,} more rows in the download</div>"
    return f'<div style="max-height:320px;overflow:auto">{_TABLE_STYLE}{table}</div>'


def plan_html(plan: Any) -> str:
    """The dry run: rows → calls and segments, skip reasons, and the first rows of the plan."""
    summary = f'<pre class="ptdata-plan-summary" style="margin:0">{_e(plan.summary())}</pre>'
    frame = plan.report_frame()
    return (f'<div class="ptdata-plan"><div style="{_NOTE}">{summary}</div>'
            f"{_table(frame, 'ptdata-plan-table')}</div>")


def confirm_html(plan: Any) -> str:
    """The question asked before sending: how many messages, calls and skipped rows."""
    skipped = len(plan.frame) - plan.recipients
    live = plan.frame["status"] == "planned"
    verb = "Schedule" if bool((plan.frame.loc[live, "timing"] != "now").all()) else "Send"
    text = (f"{verb} {_plural(plan.recipients, 'message')} in {_plural(plan.n_calls, 'API call')} "
            f"({_plural(plan.segments, 'segment')})")
    if skipped:
        text += f"; {_plural(skipped, 'row')} will be skipped (see the reasons in the preview)"
    return f'<div class="ptdata-confirm-question" style="{_WARN}">{text}. Confirm?</div>'


def download_link(frame: pd.DataFrame, filename: str = "report.csv") -> str:
    """A link that downloads ``frame`` as an Excel-safe CSV (a ``data:`` URI, no server needed)."""
    import tempfile
    from pathlib import Path

    from ptdata.bulk.writers import write_frame

    with tempfile.TemporaryDirectory() as tmp:
        path = write_frame(frame, Path(tmp) / filename)
        data = Path(path).read_bytes()
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a class="ptdata-download" download="{_e(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{b64}">Download the report ({_e(filename)})</a>')


def report_html(report: Any, filename: str = "report.csv") -> str:
    """The report: its summary, the table of rows and a download link."""
    style = _OK if report.ok else _WARN
    summary = f'<pre class="ptdata-report-summary" style="margin:0">{_e(report.summary())}</pre>'
    return (f'<div class="ptdata-report"><div style="{style}">{summary}</div>'
            f"{_table(report.frame, 'ptdata-report-table')}"
            f"<div>{download_link(report.frame, filename)}</div></div>")


def error_html(exc: BaseException) -> str:
    """A readable message for a failure, never a traceback.

    >>> "did you mean {Name}?</div>" in error_html(ValueError("unknown merge field {Nmae}: did you mean {Name}?"))
    True
    """
    return f'<div class="ptdata-error" style="{_ERROR}">{_e(error_text(exc))}</div>'


def error_text(exc: BaseException) -> str:
    """The message a person reads for a failure.

    >>> error_text(KeyError("x"))
    "Something went wrong (KeyError): 'x'"
    """
    if isinstance(exc, (PowerTextorError, ValueError)):
        return str(exc)
    return f"Something went wrong ({type(exc).__name__}): {exc}"  # a bug: still no traceback


def note_html(text: str) -> str:
    """A neutral note (e.g. what the preview is waiting for)."""
    return f'<div class="ptdata-note" style="{_NOTE}">{_e(text)}</div>'
