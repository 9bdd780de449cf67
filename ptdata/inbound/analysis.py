"""Replies as numbers: reply and opt-out rates per campaign, review funnels, volume, geography.

``reply_stats`` and ``review_funnel`` join replies back to a send report (the bulk report:
columns ``phone`` (E.164), ``status``, ``campaign_id``, ``group``, ``body``, ``place`` and a
send time: ``sent_at``, else ``finished_at``, else ``first_attempt_at``; ``scheduled_for`` for
rows whose status is ``scheduled``). A reply counts for the most recent message sent to that
phone at or before it, within ``within`` (7 days by default). Rows without a send time take
any later reply. Only rows whose status is ``sent`` or ``scheduled`` count as sent.

>>> import ptdata
>>> inbound = ptdata.load_inbound("dumps/")                       # doctest: +SKIP
>>> report = pd.read_csv("report.csv", dtype=str, keep_default_na=False)  # doctest: +SKIP
>>> ptdata.reply_stats(inbound, report, by="campaign")          # doctest: +SKIP
>>> ptdata.volume_by_hour(inbound, tz="America/New_York")       # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.inbound.optouts import _normalise, classify_reply

__all__ = [
    "SENT_STATUSES",
    "WEEKDAYS",
    "geography",
    "reply_stats",
    "review_funnel",
    "volume_by_hour",
    "volume_by_weekday",
]

SENT_STATUSES = ("sent", "scheduled")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BY = {"campaign": "campaign_id", "group": "group", "body": "body", "place": "place"}
_TIME_COLUMNS = ("sent_at", "finished_at", "first_attempt_at")
_UTC = "datetime64[us, UTC]"


def _times(values: pd.Series) -> pd.Series:
    """UTC times from a report column: date-times as they are, text parsed as ISO 8601."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        aware = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
        return aware.dt.tz_convert("UTC").astype(_UTC)
    text = values.astype("str").str.strip().str.lstrip("'")
    text = text.where(text != "")
    out = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    return out.astype(_UTC)


def _send_times(report: pd.DataFrame) -> pd.Series:
    when = pd.Series(pd.NaT, index=report.index, dtype=_UTC)
    for col in _TIME_COLUMNS:
        if col in report.columns:
            when = when.fillna(_times(report[col]))
    if "scheduled_for" in report.columns:
        scheduled = report["status"].astype("str").str.strip() == "scheduled"
        at = _times(report["scheduled_for"])
        when = when.where(~(scheduled & at.notna()), at)
    return when


def _require(report: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in report.columns]
    if missing:
        raise UsageError(
            f"{what} needs the report columns {', '.join(columns)}; missing: {', '.join(missing)}"
            " (pass the report ptdata writes after a send)"
        )


def _attributed(report: pd.DataFrame, inbound: pd.DataFrame, within, region) -> pd.DataFrame:
    """The report with per-row reply facts: replies, first_reply_at, opted_out, review."""
    _require(report, ("phone", "status"), "reply analysis")
    rep = report.copy()
    rep["_sent"] = rep["status"].astype("str").str.strip().isin(SENT_STATUSES).to_numpy()
    rep["_phone"] = _normalise(rep["phone"], region).to_numpy()
    rep["_at"] = _send_times(rep).to_numpy()
    rep["_row"] = np.arange(len(rep))
    for col, default in (("replies", 0), ("opted_out", False), ("review", False)):
        rep[col] = default
    rep["first_reply_at"] = pd.Series(pd.NaT, index=rep.index, dtype=_UTC)
    sends = rep.loc[rep["_sent"] & rep["_phone"].notna(), ["_row", "_phone", "_at"]]
    if sends.empty or inbound.empty:
        return rep
    replies = pd.DataFrame(
        {
            "_phone": _normalise(inbound["From"], region).to_numpy(),
            "reply_at": inbound["received_at"].astype(_UTC).to_numpy(),
            "_body": inbound["Body"].astype("str").to_numpy() if "Body" in inbound else None,
            "_oot": inbound["OptOutType"].astype("str").to_numpy()
            if "OptOutType" in inbound
            else None,
        }
    ).dropna(subset=["_phone", "reply_at"])
    if replies.empty:
        return rep
    floor = pd.Timestamp("1970-01-01", tz="UTC")
    sends = sends.assign(_key=sends["_at"].fillna(floor), _undated=sends["_at"].isna())
    sends = sends.sort_values(["_key", "_row"])
    replies = replies.sort_values("reply_at")
    joined = pd.merge_asof(
        replies,
        sends,
        left_on="reply_at",
        right_on="_key",
        by="_phone",
        direction="backward",
        allow_exact_matches=True,
    )
    joined = joined[joined["_row"].notna()]
    if within is not None:
        late = (joined["reply_at"] - joined["_key"]) > pd.Timedelta(within)
        joined = joined[~late | joined["_undated"].astype(bool)]
    if joined.empty:
        return rep
    status = [
        classify_reply(None if pd.isna(b) else b, None if pd.isna(o) else o)[0]
        for b, o in zip(joined["_body"], joined["_oot"], strict=True)
    ]
    joined = joined.assign(
        _out=[s == "opted_out" for s in status],
        _review=[s == "review" for s in status],
        _row=joined["_row"].astype(np.int64),
    )
    per_row = joined.groupby("_row").agg(
        replies=("reply_at", "size"),
        first_reply_at=("reply_at", "min"),
        opted_out=("_out", "any"),
        review=("_review", "any"),
    )
    idx = per_row.index.to_numpy()
    for col in ("replies", "opted_out", "review"):
        values = rep[col].to_numpy().copy()
        values[idx] = per_row[col].to_numpy()
        rep[col] = values
    first = rep["first_reply_at"].copy()
    first.iloc[idx] = per_row["first_reply_at"].to_numpy()
    rep["first_reply_at"] = first
    return rep


def _summarise(rep: pd.DataFrame, key: str | None) -> pd.DataFrame:
    sent = rep[rep["_sent"]].copy()
    sent["_replied"] = sent["replies"] > 0
    sent["_delay"] = sent["first_reply_at"] - sent["_at"]
    group = (
        sent.groupby(key, dropna=False, sort=True)
        if key
        else sent.groupby(np.zeros(len(sent), dtype=int))
    )
    out = group.agg(
        sent=("_sent", "size"),
        replied=("_replied", "sum"),
        replies=("replies", "sum"),
        opted_out=("opted_out", "sum"),
        review=("review", "sum"),
    )
    out["median_time_to_first_reply"] = group["_delay"].median()
    for col in ("sent", "replied", "replies", "opted_out", "review"):
        out[col] = out[col].astype(np.int64)
    out["reply_rate"] = out["replied"] / out["sent"]
    out["opt_out_rate"] = out["opted_out"] / out["sent"]
    cols = [
        "sent",
        "replied",
        "reply_rate",
        "replies",
        "opted_out",
        "opt_out_rate",
        "review",
        "median_time_to_first_reply",
    ]
    out = out[cols]
    return out.reset_index() if key else out.reset_index(drop=True)


def reply_stats(
    inbound: pd.DataFrame,
    sent_report: pd.DataFrame,
    *,
    by: str | None = "campaign",
    within=pd.Timedelta(days=7),
    region: str | None = "US",
) -> pd.DataFrame:
    """Reply rate, opt-out rate and time to first reply per campaign, group or body.

    ``by``: ``"campaign"`` (column ``campaign_id``), ``"group"``, ``"body"`` (``body``, else
    ``body_hash``), any other report column, or None for one overall row. Columns: the key,
    sent, replied (rows with at least one reply), reply_rate, replies, opted_out (rows whose
    reply was an opt-out keyword), opt_out_rate, review (a stop-me sentence),
    median_time_to_first_reply.

    >>> ptdata.reply_stats(inbound, report, by="group")             # doctest: +SKIP
    """
    key = _BY.get(by, by) if by else None
    if key == "body" and "body" not in sent_report.columns and "body_hash" in sent_report.columns:
        key = "body_hash"
    if key:
        _require(sent_report, (key,), f"reply_stats(by={by!r})")
    return _summarise(_attributed(sent_report, inbound, within, region), key)


def review_funnel(
    report: pd.DataFrame,
    inbound: pd.DataFrame,
    *,
    within=pd.Timedelta(days=7),
    region: str | None = "US",
) -> pd.DataFrame:
    """Per place: review requests, sent, failed, unknown (outcome not known), replied, opted out.

    ``reply_rate`` and ``opt_out_rate`` are shares of the requests sent.

    >>> ptdata.review_funnel(report, inbound)                      # doctest: +SKIP
    """
    _require(report, ("place", "status"), "review_funnel")
    place = report["place"].astype("str").str.strip()
    rows = report[place.notna() & (place != "")]
    rep = _attributed(rows, inbound, within, region)
    status = rep["status"].astype("str").str.strip()
    rep = rep.assign(
        _failed=(status == "failed").to_numpy(),
        _unknown=(status == "unknown").to_numpy(),
        _replied=(rep["_sent"] & (rep["replies"] > 0)).to_numpy(),
        _out=(rep["_sent"] & rep["opted_out"].astype(bool)).to_numpy(),
    )
    out = (
        rep.groupby("place", sort=True)
        .agg(
            requests=("_row", "size"),
            sent=("_sent", "sum"),
            failed=("_failed", "sum"),
            unknown=("_unknown", "sum"),
            replied=("_replied", "sum"),
            opted_out=("_out", "sum"),
        )
        .astype(np.int64)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reply_rate"] = out["replied"] / out["sent"].replace(0, np.nan)
        out["opt_out_rate"] = out["opted_out"] / out["sent"].replace(0, np.nan)
    return out.reset_index()


def _local(inbound: pd.DataFrame, tz: str) -> pd.Series:
    when = inbound["received_at"]
    return when.dt.tz_convert(tz) if tz != "UTC" else when


def _volume(inbound: pd.DataFrame, unit: pd.Series, labels, name: str) -> pd.DataFrame:
    kind = (
        inbound["kind"].astype("str")
        if "kind" in inbound
        else pd.Series("sms", index=inbound.index)
    )
    table = (
        pd.crosstab(unit, kind)
        .reindex(index=range(len(labels)), columns=["sms", "mms"], fill_value=0)
        .astype(np.int64)
    )
    table["messages"] = table["sms"] + table["mms"]
    table.index = pd.Index(labels, name=name)
    table.columns.name = None
    return table.reset_index()


def volume_by_hour(inbound: pd.DataFrame, *, tz: str = "UTC") -> pd.DataFrame:
    """Messages received per hour of the day (0-23, in ``tz``): sms, mms, messages.

    >>> ptdata.volume_by_hour(inbound, tz="America/Chicago")       # doctest: +SKIP
    """
    local = _local(inbound, tz)
    return _volume(inbound, local.dt.hour, list(range(24)), "hour")


def volume_by_weekday(inbound: pd.DataFrame, *, tz: str = "UTC") -> pd.DataFrame:
    """Messages received per weekday (Monday first, in ``tz``): sms, mms, messages."""
    local = _local(inbound, tz)
    return _volume(inbound, local.dt.day_of_week, list(WEEKDAYS), "weekday")


def geography(
    inbound: pd.DataFrame, *, by: tuple[str, ...] = ("FromState", "FromCity")
) -> pd.DataFrame:
    """Messages and distinct senders per sender state and city, most messages first.

    >>> ptdata.geography(inbound).head(10)                          # doctest: +SKIP
    """
    cols = [c for c in by if c in inbound.columns]
    if not cols:
        raise UsageError(f"geography needs one of the columns {', '.join(by)}")
    out = (
        inbound.groupby(cols, dropna=False, sort=True)
        .agg(
            messages=("kind", "size") if "kind" in inbound else (cols[0], "size"),
            senders=("From", "nunique"),
        )
        .astype(np.int64)
        .reset_index()
    )
    return out.sort_values(
        ["messages", *cols], ascending=[False] + [True] * len(cols), kind="stable"
    ).reset_index(drop=True)
