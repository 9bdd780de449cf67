"""The compose form's read-outs as HTML: the message counter, previews, plan, report, errors.

Pure functions of the objects ``ptdata`` already returns (``SegmentInfo``, ``Plan``,
``Report``, an exception), so what the form shows is tested without a browser. Every piece
of user text is escaped. A group counts as its members (the plan's ``members``), and with a
price per segment every count of segments comes with its estimated cost.

>>> from ptdata.sheets.segments import sms_segments
>>> "UCS-2" in counter_html(sms_segments("Café ☕"))
True
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ptdata.api.errors import PowerTextorError
from ptdata.api.pricing import cost_of, cost_text, money
from ptdata.widgets.tables import form_words, table_html

__all__ = [
    "audience_text",
    "blanks_html",
    "confirm_html",
    "counter_html",
    "download_link",
    "error_html",
    "error_text",
    "groups_html",
    "note_html",
    "phone_html",
    "plan_html",
    "previews_html",
    "recipients_html",
    "report_html",
    "report_text",
    "test_html",
    "todo_html",
]

_BOX = (
    "padding:6px 10px;border-radius:4px;margin:4px 0;line-height:1.4;box-sizing:border-box;"
    "font-family:var(--jp-ui-font-family, sans-serif);"
)
_ERROR = _BOX + "background:#fdecea;border:1px solid #f5c2c0;color:#611a15;"
_NOTE = _BOX + "background:#eef4fb;border:1px solid #c5d9ef;color:#0d3c61;"
_WARN = _BOX + "background:#fff8e1;border:1px solid #f3d98b;color:#5f4b00;"
_OK = _BOX + "background:#edf7ed;border:1px solid #b7dfb9;color:#1e4620;"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def audience_text(recipients: int, segments: int, price: Decimal | None) -> str:
    """``3 recipients · 6 segments in all``, with the estimated cost when a price is set.

    >>> audience_text(3, 6, Decimal("0.0079"))
    '3 recipients · est. $0.0474 (6 segments × $0.0079)'
    """
    cost = cost_text(segments, price)
    return f"{_plural(recipients, 'recipient')} · " + (
        cost or f"{_plural(segments, 'segment')} in all"
    )


def counter_html(info: Any, *, rendered: bool = False, audience: str | None = None) -> str:
    """Characters, encoding, segments, the characters that forced UCS-2, and for how many.

    >>> from ptdata.sheets.segments import sms_segments
    >>> counter_html(sms_segments("Hi there"))
    '<div class="ptdata-counter">8 characters · GSM-7 · 1 segment</div>'
    """
    parts = [_plural(info.chars, "character"), _e(info.encoding), _plural(info.segments, "segment")]
    text = " · ".join(parts)
    if rendered:
        text += " <span style='opacity:.7'>(the first recipient's message)</span>"
    if audience:
        text += f'<br><span class="ptdata-audience">{_e(audience)}</span>'
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


def _blank_flag(blanks: Any) -> str:
    if not blanks or (not isinstance(blanks, str) and pd.isna(blanks)):
        return ""
    return f' <span class="ptdata-blank" style="color:#8a5300">⚠ blank here: {_e(blanks)}</span>'


def previews_html(messages: Iterable[tuple[str, str, Any]]) -> str:
    """The first messages as sent (footer included), each under its recipient; blanks flagged.

    >>> shown = previews_html([("+14155550101", "Hi Ana", None)])
    >>> '<b>+14155550101</b>: <span style="white-space:pre-wrap">Hi Ana</span>' in shown
    True
    """
    rows = "".join(
        f'<div style="margin:3px 0"><b>{_e(who)}</b>: <span style="white-space:pre-wrap">'
        f"{_e(text)}</span>{_blank_flag(blanks)}</div>"
        for who, text, blanks in messages
    )
    return f'<div class="ptdata-previews" style="line-height:1.35">{rows}</div>' if rows else ""


def blanks_html(blank: int, total: int, fields: list[str]) -> str:
    """The warning that some recipients have a blank merge value, and how to give a fallback.

    >>> "{Name|there}" in blanks_html(1, 3, ["Name"])
    True
    """
    if not blank or not fields:
        return ""
    names = " or ".join(fields)
    first = fields[0]
    return (
        f'<div class="ptdata-blanks" style="{_WARN}">⚠ {blank:,} of '
        f"{_plural(total, 'recipient')} {'has' if blank == 1 else 'have'} a blank "
        f"{_e(names)}: their message has a gap "
        f"there. Write <code>{{{_e(first)}|there}}</code> to say “there” when {_e(first)} "
        "is blank.</div>"
    )


def phone_html(
    label: str, text: str, position: int, total: int, segments: int, blanks: Any = None
) -> str:
    """One recipient's own message as their phone shows it, with where it is in the list.

    >>> "2 of 3" in phone_html("Bo · +14155550102", "Hi Bo", 1, 3, 1)
    True
    """
    flag = ""
    if blanks and not (not isinstance(blanks, str) and pd.isna(blanks)):
        flag = (
            f'<div class="ptdata-phone-blank" style="color:#8a5300;font-size:12px">⚠ '
            f"{_e(blanks)} is blank for this recipient</div>"
        )
    return (
        '<div class="ptdata-phone" style="width:290px;border:9px solid #1f1f1f;'
        "border-radius:26px;padding:12px 10px 10px;background:#fafafa;margin:6px 0;"
        'font-family:-apple-system,Helvetica,Arial,sans-serif">'
        f'<div class="ptdata-phone-to" style="text-align:center;font-size:12px;color:#555">'
        f"{_e(label)}</div>"
        '<div class="ptdata-phone-bubble" style="background:#e9e9eb;color:#111;'
        "border-radius:16px;padding:8px 12px;margin:10px 30px 6px 0;white-space:pre-wrap;"
        f'overflow-wrap:anywhere;font-size:14px;line-height:1.3">{_e(text)}</div>{flag}'
        f'<div class="ptdata-phone-count" style="text-align:center;font-size:11px;color:#777">'
        f"{position + 1:,} of {total:,} · {_plural(segments, 'segment')}</div></div>"
    )


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


def groups_html(labels: list[str], members: int | None = None) -> str:
    """``2 groups: VIP customers (3), Staff (2) · 5 recipients``.

    >>> groups_html(["Staff (2)"], 2)
    '<div class="ptdata-recipients"><b>1 group</b>: Staff (2) · <b>2 recipients</b></div>'
    """
    listed = ", ".join(_e(x) for x in labels)
    total = f" · <b>{_plural(members, 'recipient')}</b>" if members is not None and labels else ""
    return (
        f'<div class="ptdata-recipients"><b>{_plural(len(labels), "group")}</b>'
        + (f": {listed}" if listed else "")
        + total
        + "</div>"
    )


def todo_html(problems: list[str]) -> str:
    """What to fill in before Preview, one line each; nothing when the form is ready.

    >>> "<li>Message: write the message.</li>" in todo_html(["Message: write the message."])
    True
    >>> todo_html([])
    ''
    """
    if not problems:
        return ""
    items = "".join(f"<li>{_e(p)}</li>" for p in problems)
    return (
        f'<div class="ptdata-todo" style="{_WARN}">Before Preview:'
        f'<ul style="margin:2px 0 0 0">{items}</ul></div>'
    )


def _groups_of(plan: Any, rows: Any = None) -> list[tuple[str, int]]:
    """(group, members) of the plan's group rows that are sent (or ``rows``, a mask)."""
    f = plan.frame
    if "members" not in f.columns or not f["group"].notna().any():
        return []
    keep = (f["status"] == "planned").to_numpy() if rows is None else np.asarray(rows)
    live = f[keep & f["group"].notna().to_numpy()]
    return [
        (str(g), 1 if pd.isna(m) else int(m))
        for g, m in live.groupby("group", sort=False)["members"].first().items()
    ]


def _members(plan: Any) -> Any:
    return plan.frame["members"] if "members" in plan.frame.columns else None


def plan_html(plan: Any, price: Decimal | None = None) -> str:
    """The dry run: rows → calls and segments, its cost, skip reasons and the first rows."""
    text = str(plan.summary())
    cost = cost_text(plan.segments, price)
    if cost:
        head, _, rest = text.partition("\n")
        text = f"{head}\n  {cost}" + (f"\n{rest}" if rest else "")
    summary = (
        f'<pre class="ptdata-plan-summary" style="margin:0;white-space:pre-wrap">{_e(text)}</pre>'
    )
    table = table_html(plan.report_frame(), "ptdata-plan-table", members=_members(plan))
    return f'<div class="ptdata-plan"><div style="{_NOTE}">{summary}</div>{table}</div>'


def confirm_html(plan: Any, price: Decimal | None = None) -> str:
    """The question asked before sending: messages (a group's members), calls, segments, cost."""
    skipped = len(plan.frame) - plan.recipients
    live = plan.frame["status"] == "planned"
    verb = "Schedule" if bool((plan.frame.loc[live, "timing"] != "now").all()) else "Send"
    groups = _groups_of(plan)
    to = ""
    if groups:
        to = f" to the members of {_plural(len(groups), 'group')}"
    count = _plural(plan.segments, "segment")
    if price is not None:
        count += f" · est. {money(cost_of(plan.segments, price))}"
    text = (
        f"{verb} {_plural(plan.messages, 'message')}{to} in "
        f"{_plural(plan.n_calls, 'API call')} ({count})"
    )
    if skipped:
        text += f"; {_plural(skipped, 'row')} will be skipped (see the reasons in the preview)"
    return f'<div class="ptdata-confirm-question" style="{_WARN}">{_e(text)}. Confirm?</div>'


def report_text(report: Any, plan: Any = None, price: Decimal | None = None) -> str:
    """What a send did, in messages (a group's members each count), segments and cost.

    The first line counts messages; then the report's rows by status and reason, and the API
    calls made.
    """
    f = report.frame
    done = f["status"].isin(["sent", "scheduled"]).to_numpy()
    members = np.ones(len(f), dtype=np.int64)
    if plan is not None and len(plan.frame) == len(f):
        members = plan.row_messages
    else:
        plan = None  # not the plan of this report: count its rows
    segments = f["segments"].fillna(0).to_numpy(dtype=np.int64)
    messages, segs = int(members[done].sum()), int((members * segments)[done].sum())
    statuses = set(f.loc[done, "status"])
    verb = (
        "Scheduled"
        if statuses == {"scheduled"}
        else "Sent"
        if statuses == {"sent"}
        else "Sent or scheduled"
    )
    if not messages:
        lines = ["Nothing was sent"]
    else:
        est = "" if price is None else f", est. {money(cost_of(segs, price))}"
        lines = [f"{verb} {_plural(messages, 'message')} ({_plural(segs, 'segment')}{est})"]
        groups = _groups_of(plan, done) if plan is not None else []
        if groups:
            lines[0] += " to the members of " + ", ".join(f"{g} ({m:,})" for g, m in groups)
    width = max((len(s) for s in report.counts), default=0)
    for status, count in report.counts.items():
        reasons = f.loc[f["status"] == status, "reason"].dropna().value_counts()
        detail = ", ".join(f"{k} {v:,}" for k, v in reasons.items())
        lines.append(f"  {status:<{width}}  {count:>5,}" + (f"  ({detail})" if detail else ""))
    lines.append(f"  {_plural(report.calls_made, 'API call')} made · job {report.job_id[:12]}")
    if report.stopped:
        lines.append(f"  stopped: {form_words(str(report.stopped))}")
    return "\n".join(lines)


def test_html(report: Any) -> str:
    """What a test send did: who got it, whose message it was, and that the campaign waits.

    ``report`` is what ``send(plan, client, test_to=[...])`` returns.
    """
    f = report.frame
    sent = f.loc[f["status"] == "sent", "phone"].astype("str").tolist()
    whose = str(f["note"].iloc[0]).removeprefix("test: ") if len(f) else ""
    lines = [f"Test sent now to {', '.join(sent)}: {whose}." if sent else "No test was sent."]
    for _, r in f[f["status"] != "sent"].iterrows():
        why = r["message"] if isinstance(r["message"], str) else r["reason"]
        lines.append(f"{r['phone']}: {r['status']} ({r['reason']}): {form_words(str(why))}")
    lines.append(
        "The campaign itself was not sent: Send sends it to every recipient (a test "
        "number that is also a recipient included)."
    )
    style = _OK if report.ok and sent else _WARN
    body = "<br>".join(_e(x) for x in lines)
    return f'<div class="ptdata-test-result" style="{style}">{body}</div>'


def download_link(frame: pd.DataFrame, filename: str = "report.csv") -> str:
    """A link that downloads ``frame`` as an Excel-safe CSV (a ``data:`` URI, no server needed)."""
    import tempfile
    from pathlib import Path

    from ptdata.bulk.writers import write_frame

    with tempfile.TemporaryDirectory() as tmp:
        path = write_frame(frame, Path(tmp) / filename)
        data = Path(path).read_bytes()
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="ptdata-download" download="{_e(filename)}" '
        f'href="data:text/csv;charset=utf-8;base64,{b64}">Download the report ({_e(filename)}, '
        "every column)</a>"
    )


def report_html(
    report: Any, filename: str = "report.csv", *, plan: Any = None, price: Decimal | None = None
) -> str:
    """The report: what was sent (messages, segments, cost), the rows, and a download link."""
    style = _OK if report.ok else _WARN
    text = report_text(report, plan, price)
    summary = (
        f'<pre class="ptdata-report-summary" style="margin:0;white-space:pre-wrap">{_e(text)}</pre>'
    )
    members = _members(plan) if plan is not None and len(plan.frame) == len(report.frame) else None
    return (
        f'<div class="ptdata-report"><div style="{style}">{summary}</div>'
        f"{table_html(report.frame, 'ptdata-report-table', members=members)}"
        f"<div>{download_link(report.frame, filename)}</div></div>"
    )


def error_html(exc: BaseException) -> str:
    """A readable message for a failure, never a traceback.

    >>> shown = error_html(ValueError("unknown merge field {Nmae}: did you mean {Name}?"))
    >>> "did you mean {Name}?</div>" in shown
    True
    """
    return f'<div class="ptdata-error" style="{_ERROR}">{_e(error_text(exc))}</div>'


def error_text(exc: BaseException) -> str:
    """The message a person reads for a failure, in the form's words.

    >>> error_text(KeyError("x"))
    "Something went wrong (KeyError): 'x'"
    """
    if isinstance(exc, (PowerTextorError, ValueError)):
        return form_words(str(exc))
    return f"Something went wrong ({type(exc).__name__}): {exc}"  # a bug: still no traceback


def note_html(text: str) -> str:
    """A neutral note (e.g. what the preview is waiting for)."""
    return f'<div class="ptdata-note" style="{_NOTE}">{_e(text)}</div>'
