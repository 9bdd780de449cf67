"""A test send: the campaign's message to a few staff numbers, now, before anyone else gets it.

``ptdata.send(plan, client, test_to=["+14155550199"])`` texts only those numbers, right away,
even when the campaign itself is scheduled or a reminder. The text is the plan's first
recipient's message as they would get it - their merge values filled in, the opt-out footer
if the campaign has one - and nothing marks it as a test: what the staff see is exactly what
recipients will see. A review request goes as a review request (Power Textor adds its link),
an MMS with its file; a reminder goes now as a plain text.

The history records it as a test of the campaign (``ptdata.history()``'s ``test`` column):
a test never counts as reaching anyone, so a later real send of the campaign still texts
every recipient - a staff number that is also on the list included - and a test never counts
toward ``max_per_recipient``.

Test numbers are read like recipients' (any format ``normalize_phones`` reads; a number that
is not valid stops the test, naming it). Opt-outs still apply: a test number on the plan's
suppression list, or one the plan skipped because it opted out, is not texted (its report row
is ``skipped``/``opted_out``). Power Textor saves numbers it texts as contacts.

>>> report = ptdata.send(plan, client, test_to=["+14155550199"], progress=False)
>>> print(report.summary())
job ...: 1 row
  sent        1
  1 API call made, 1 segment sent or scheduled
  note: a test: only the test numbers were texted, now; the campaign itself was not sent ...
  note: the message row 2 (Ana) gets, their merge values filled in
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.api.operations import find_operation
from ptdata.bulk.plan_object import Plan

__all__ = ["plan_for_test", "read_test_numbers", "refuse_campaign_options"]

#: the message kind a test goes as, and its recipient shape (a reminder has no "now")
_TEST_KIND = {
    "text": ("text", "numbers"),
    "reminder": ("text", "numbers"),
    "review": ("review", "new-contacts"),
    "mms": ("mms", "numbers"),
}
#: what ``send`` options mean nothing for a test
_CAMPAIGN_ONLY = ("again", "resend_unknown", "max_per_recipient")
_OPTED_OUT = ("opted_out", "unsubscribed_at_power_textor")
_TIMING_REASONS = ("quiet_hours", "quiet_hours_no_schedule", "in_past", "after_appointment")


def read_test_numbers(numbers: Any, region: str = "US") -> tuple[list[str], list[str]]:
    """(E.164, as written) of the test numbers, each once; a number that is not valid stops.

    >>> read_test_numbers(["(415) 555-0199", "+14155550199", "415 555 0198"])
    (['+14155550199', '+14155550198'], ['(415) 555-0199', '415 555 0198'])
    """
    from ptdata.sheets.phones import phone_problem_message, phone_verdicts

    if isinstance(numbers, str):
        numbers = [numbers]
    if not isinstance(numbers, Iterable):
        raise UsageError(
            f"test_to= takes a list of phone numbers, e.g. ['+14155550199'], not {numbers!r}"
        )
    written = [str(n).strip() for n in numbers if n is not None and str(n).strip()]
    if not written:
        raise UsageError("test_to= needs at least one phone number, e.g. ['+14155550199']")
    _, e164, problem = phone_verdicts(pd.Series(written, dtype="str"), region)
    for value, why in zip(written, problem, strict=True):
        if isinstance(why, str):
            raise UsageError(
                f"test number {value!r} cannot be texted: "
                f"{phone_problem_message(why, value, region)}"
            )
    seen: dict[str, str] = {}
    for number, value in zip(e164, written, strict=True):
        seen.setdefault(str(number), value)
    return list(seen), list(seen.values())


def plan_for_test(plan: Plan, numbers: list[str], written: list[str] | None = None) -> Plan:
    """The plan of a test: the first recipient's message, now, to ``numbers`` (E.164).

    One row per test number, ``note`` saying whose message it is; numbers that opted out
    (the plan's suppression list, or rows the plan skipped as opted out) are skipped.
    """
    f = plan.frame
    # the first row sent; else the first held back only by its timing (quiet hours, past...)
    live = np.flatnonzero((f["status"] == "planned").to_numpy())
    if not len(live):
        live = np.flatnonzero(f["skip_reason"].isin(_TIMING_REASONS).to_numpy())
    if not len(live):
        raise UsageError(
            "no row of this plan would be sent, so there is no message to test: fix the "
            "reasons the plan lists for its rows first"
        )
    first = f.iloc[[int(live[0])]]
    kind, to = _TEST_KIND[plan.settings.kind]
    n = len(numbers)
    op = find_operation(kind, "now", "numbers" if n > 1 and to == "numbers" else _single(to))
    assert op is not None  # every kind has a send-now action to one number
    out = first.loc[first.index.repeat(n)].reset_index(drop=True)
    phones = pd.Series(numbers, dtype="str")
    na = pd.Series(pd.NA, index=range(n), dtype="str")
    out["row"] = pd.array([pd.NA] * n, dtype="Int64")
    out["phone"] = out["recipient"] = phones
    out["phone_as_written"] = pd.Series(written or numbers, dtype="str")
    for col in ("phone_column", "name", "last_name", "group", "api_date", "api_time", "tz"):
        out[col] = na
    for col in ("offset", "skip_reason", "message"):
        out[col] = na.copy()
    out["members"] = pd.array([1] * n, dtype="Int64")
    out["kind"] = pd.Series(kind, index=range(n), dtype="str")
    out["operation"] = pd.Series(op.op_id, index=range(n), dtype="str")
    out["timing"] = pd.Series("now", index=range(n), dtype="str")
    out["scheduled_for"] = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    out["api_day"] = pd.array([pd.NA] * n, dtype="Int64")
    out["shifted"] = False
    out["note"] = pd.Series(_whose(first.iloc[0], plan.settings.kind), index=range(n), dtype="str")
    out["status"] = pd.Series("planned", index=range(n), dtype="str")
    out["batch_id"] = pd.array(np.zeros(n) if op.target == "numbers" else np.arange(n), "Int64")
    settings = dataclasses.replace(
        plan.settings, kind=kind, to=to, group_name=None, batch_size=max(n, 1)
    )
    test = Plan(out, settings)
    opted = set(plan.settings.suppressed) | set(
        f.loc[f["skip_reason"].isin(_OPTED_OUT), "recipient"].dropna()
    )
    return test.skip(
        phones.isin(opted).to_numpy(),
        "opted_out",
        "this number opted out (the campaign's suppression list or Power Textor's "
        "unsubscribed contacts): a test is not texted to it either",
    )


def _single(to: str) -> str:
    return {"numbers": "number", "new-contacts": "new_contact"}[to]


def _whose(row: pd.Series, kind: str) -> str:
    """Whose message a test is, in words."""
    who = f"row {int(row['row'])}" if pd.notna(row["row"]) else "the first recipient"
    name = row.get("name")
    if isinstance(name, str) and name.strip():
        who += f" ({name.strip()})"
    elif isinstance(row.get("group"), str):
        who = f"the group {row['group']}"
    text = f"test: the message {who} gets, their merge values filled in"
    if kind == "reminder":
        text += "; sent now as a text (the reminder itself goes at its time)"
    return text


def refuse_campaign_options(**options: Any) -> None:
    """A test takes none of the options about who already got the campaign."""
    given = [k for k in _CAMPAIGN_ONLY if options.get(k)]
    if given:
        raise UsageError(
            f"test_to= sends only a test, to the test numbers; {', '.join(given)}= "
            "go with the campaign's own send (leave them out of the test)"
        )
