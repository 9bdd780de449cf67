"""Who got what: the send history as a frame, and the opt-out audit built on it.

``history()`` lists every message ptdata sent or scheduled, one row per recipient per call,
from the send history in the user's data folder. ``history(scheduled=True)`` lists the
scheduled messages still due: Power Textor can neither list nor cancel them, so this is the
only place to see what is about to go out. ``opt_out_audit(inbound)`` lists texts sent after
a person's STOP, and scheduled messages still due to people who have opted out since.

>>> ptdata.history(phone="+14155550123")
Empty DataFrame
Columns: [phone, group_id, members, campaign, ...]
Index: []
>>> ptdata.history(scheduled=True)               # what is still to go out
Empty DataFrame
Columns: [phone, group_id, members, campaign, ...]
Index: []
>>> ptdata.opt_out_audit(ptdata.load_inbound("inbound.jsonl"))
Empty DataFrame
Columns: [phone, opted_out_at, problem, campaign, status, sent_at, scheduled_for, campaign_id]
Index: []
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.bulk.ledger import Ledger
from ptdata.bulk.plan_object import campaign_label
from ptdata.bulk.report import STATUS_OF_STATE
from ptdata.timing.parse import parse_moment

__all__ = ["HISTORY_COLUMNS", "history", "opt_out_audit"]

HISTORY_COLUMNS = (
    "phone",
    "group_id",
    "members",
    "campaign",
    "round",
    "status",
    "reason",
    "message",
    "sent_at",
    "scheduled_for",
    "finished_at",
    "campaign_id",
    "reach",
    "sent_count",
    "undelivered_count",
    "call_recipients",
    "attempts",
    "operation",
    "row",
    "text_fp",
    "test",
    "job_id",
    "account",
)


def history(
    *,
    campaign: str | None = None,
    phone: str | None = None,
    since: Any = None,
    scheduled: bool = False,
    ledger: Ledger | str | os.PathLike[str] | None = None,
    region: str = "US",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Every message in the send history, one row per recipient per API call, oldest first.

    Args:
        campaign: only this campaign (its name, or the start of an unnamed one's digest).
        phone: only messages to this number (any format ``normalize_phones`` reads).
        since: only messages sent (or due) since this moment (aware datetime or ISO text;
            a date alone is midnight UTC).
        scheduled: only scheduled messages still due (``scheduled_for`` after now).
        ledger: the history file (default the user's, see ``ptdata.bulk.ledger``).

    >>> ptdata.history(campaign="November newsletter")[["phone", "status", "sent_at"]]
    Empty DataFrame
    Columns: [phone, status, sent_at]
    Index: []
    """
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    try:
        names, rows = book.history_rows()
    finally:
        if book is not ledger:
            book.close()
    raw = pd.DataFrame(rows, columns=names)
    out = _frame(raw)
    keep = pd.Series(True, index=out.index)
    if campaign is not None:
        keep &= (out["campaign"] == campaign) | raw["campaign"].str.startswith(
            "auto:" + str(campaign)
        ).fillna(False).to_numpy()
    if phone is not None:
        from ptdata.sheets.phones import normalize_phones

        wanted = normalize_phones(pd.Series([str(phone)], dtype="str"), region=region).iloc[0]
        if pd.isna(wanted):
            raise UsageError(f"phone={phone!r} is not a valid {region} phone number")
        keep &= out["phone"] == wanted
    if since is not None:
        moment = _moment(since, "since")
        keep &= (out["sent_at"] >= moment) | (out["scheduled_for"] >= moment)
    if scheduled:
        at = pd.Timestamp(now or datetime.now(UTC))
        keep &= (out["status"] == "scheduled") & (out["scheduled_for"] > at)
    return out[keep.fillna(False).to_numpy()].reset_index(drop=True)


def _frame(raw: pd.DataFrame) -> pd.DataFrame:
    group = raw["target"] == "group"
    text = lambda s: s.astype("str")  # noqa: E731
    when = lambda s: pd.to_datetime(s, utc=True, format="ISO8601")  # noqa: E731
    label = raw["campaign"].map(campaign_label, na_action="ignore")
    return pd.DataFrame(
        {
            "phone": text(raw["recipient"].where(~group)),
            "group_id": text(raw["recipient"].where(group)),
            "members": raw["members"].astype("Int64"),
            "campaign": text(label),
            "round": raw["round"].astype("Int64"),
            "status": text(raw["state"].map(STATUS_OF_STATE)),
            "reason": text(raw["reason"]),
            "message": text(raw["message"]),
            "sent_at": when(raw["first_attempt_at"]),
            "scheduled_for": when(raw["scheduled_for"]),
            "finished_at": when(raw["finished_at"]),
            "campaign_id": text(raw["campaign_id"]),
            "reach": raw["reach"].astype("Int64"),
            "sent_count": raw["sent_count"].astype("Int64"),
            "undelivered_count": raw["undelivered_count"].astype("Int64"),
            "call_recipients": raw["recipients"].astype("Int64"),
            "attempts": raw["attempts"].astype("Int64"),
            "operation": text(raw["operation"]),
            "row": raw["row"].astype("Int64"),
            "text_fp": text(raw["text_fp"]),
            "test": raw["test"].astype(bool),
            "job_id": text(raw["job_id"]),
            "account": text(raw["account"]),
        },
        columns=list(HISTORY_COLUMNS),
    )


def _moment(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, str):
        return pd.Timestamp(parse_moment(value, field=f"{name}=", naive="utc"))
    try:
        moment = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(
            f"{name}={value!r} is not a date or moment, e.g. 2026-11-01 or 2026-11-01T09:00+00:00"
        ) from None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def opt_out_audit(
    inbound: Any,
    *,
    sent: pd.DataFrame | None = None,
    ledger: Ledger | str | os.PathLike[str] | None = None,
    region: str = "US",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Texts that went out after the person's STOP, and scheduled ones still due to them.

    ``inbound`` is an inbound frame (``load_inbound``) or what ``load_inbound`` reads;
    ``sent`` a history frame (default ``history(ledger=ledger)``). One row per problem:
    phone, opted_out_at, problem (``sent_after_opt_out`` or ``scheduled_after_opt_out``),
    campaign, status, sent_at, scheduled_for, campaign_id. Empty when all is well.

    >>> ptdata.opt_out_audit(ptdata.load_inbound("inbound.jsonl"))
    Empty DataFrame
    Columns: [phone, opted_out_at, problem, campaign, status, sent_at, scheduled_for, campaign_id]
    Index: []
    """
    from ptdata.inbound import load_inbound, opt_outs

    frame = inbound if isinstance(inbound, pd.DataFrame) else load_inbound(inbound)
    decisions = opt_outs(frame, region=region)
    stopped = decisions[decisions["status"].isin(["opted_out", "review"])][["phone", "received_at"]]
    stopped = stopped.rename(columns={"received_at": "opted_out_at"})
    messages = sent if sent is not None else history(ledger=ledger)
    at = pd.Timestamp(now or datetime.now(UTC))
    both = messages.merge(stopped, on="phone", how="inner")
    goes_at = both["scheduled_for"].where(both["scheduled_for"].notna(), both["sent_at"])
    after = both["status"].isin(["sent", "unknown", "scheduled"]) & (goes_at > both["opted_out_at"])
    due = (both["status"] == "scheduled") & (both["scheduled_for"] > at)
    problem = pd.Series("sent_after_opt_out", index=both.index, dtype="str").where(
        ~due, "scheduled_after_opt_out"
    )
    out = both.assign(problem=problem)[after.fillna(False).to_numpy()]
    return out[
        [
            "phone",
            "opted_out_at",
            "problem",
            "campaign",
            "status",
            "sent_at",
            "scheduled_for",
            "campaign_id",
        ]
    ].reset_index(drop=True)
