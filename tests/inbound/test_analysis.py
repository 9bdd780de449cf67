"""Reply analysis on small hand-made frames, with exact expected numbers."""

from __future__ import annotations

import pandas as pd
import pytest

import ptdata
from ptdata.inbound.loader import frame_from_records

D1, D2 = "2025-03-03", "2025-03-04"


def inbound(rows) -> pd.DataFrame:
    """(iso time, From, Body[, kind, state, city]) → the typed inbound frame."""
    recs = []
    for i, (at, frm, body, *rest) in enumerate(rows):
        kind, state, city = (rest + [None, None, None])[:3]
        rec = {"received_at": at, "From": frm, "Body": body, "SmsSid": f"SM{i}"}
        if kind:
            rec["kind"] = kind
        if state:
            rec["FromState"] = state
        if city:
            rec["FromCity"] = city
        recs.append(rec)
    return frame_from_records(recs)


def report(rows) -> pd.DataFrame:
    cols = [
        "row",
        "phone",
        "status",
        "campaign_id",
        "group",
        "body",
        "finished_at",
        "scheduled_for",
    ]
    return pd.DataFrame(rows, columns=cols).astype("str")


@pytest.fixture
def sent():
    return report(
        [
            (1, "(415) 555-0101", "sent", "C1", "A", "Hi", f"{D1}T10:00:00Z", None),
            (2, "+14155550102", "sent", "C1", "A", "Hi", f"{D1}T10:00:00Z", None),
            (3, "415.555.0103", "sent", "C1", "B", "Hi", f"{D1}T10:00:00Z", None),
            (4, "+14155550104", "failed", "C1", "B", "Hi", None, None),
            (5, "+14155550101", "sent", "C2", "A", "Sale", f"{D2}T10:00:00Z", None),
            (6, "+14155550105", "scheduled", "C2", "B", "Sale", None, f"{D2}T12:00:00Z"),
        ]
    )


@pytest.fixture
def replies():
    return inbound(
        [
            (f"{D1}T10:05:00Z", "+14155550101", "Yes"),
            (f"{D1}T10:30:00Z", "+14155550101", "thanks!"),
            (f"{D1}T11:00:00Z", "+14155550102", "STOP"),
            (f"{D1}T10:20:00Z", "+14155550103", "please stop texting me"),
            (f"{D1}T10:10:00Z", "+14155550104", "hi"),  # its send failed: not counted
            (f"{D2}T10:15:00Z", "+14155550101", "Stop."),  # answers C2, not C1
            (f"{D2}T11:00:00Z", "+14155550105", "ok"),  # before its scheduled send
            (f"{D2}T12:30:00Z", "+14155550105", "ok"),
            ("2025-03-12T10:00:00Z", "+14155550102", "late"),  # 9 days on: outside 7 days
            (f"{D1}T10:01:00Z", "+14155550999", "who?"),  # never sent to
        ]
    )


def minutes(values) -> list[float]:
    return [v.total_seconds() / 60 for v in values]


def test_reply_stats_by_campaign(replies, sent):
    got = ptdata.reply_stats(replies, sent, by="campaign")
    assert list(got.columns) == [
        "campaign_id",
        "sent",
        "replied",
        "reply_rate",
        "replies",
        "opted_out",
        "opt_out_rate",
        "review",
        "median_time_to_first_reply",
    ]
    assert got[
        ["campaign_id", "sent", "replied", "replies", "opted_out", "review"]
    ].values.tolist() == [["C1", 3, 3, 4, 1, 1], ["C2", 2, 2, 2, 1, 0]]
    assert got["reply_rate"].tolist() == [1.0, 1.0]
    assert got["opt_out_rate"].tolist() == [pytest.approx(1 / 3), 0.5]
    assert minutes(got["median_time_to_first_reply"]) == [20.0, 22.5]


def test_reply_stats_by_group_and_overall(replies, sent):
    got = ptdata.reply_stats(replies, sent, by="group")
    assert got[["group", "sent", "replied", "replies", "opted_out", "review"]].values.tolist() == [
        ["A", 3, 3, 4, 2, 0],
        ["B", 2, 2, 2, 0, 1],
    ]
    assert minutes(got["median_time_to_first_reply"]) == [15.0, 25.0]
    overall = ptdata.reply_stats(replies, sent, by=None)
    assert overall[["sent", "replied", "replies", "opted_out", "review"]].values.tolist() == [
        [5, 5, 6, 2, 1]
    ]
    assert minutes(overall["median_time_to_first_reply"]) == [20.0]


def test_reply_stats_by_body_and_window(replies, sent):
    got = ptdata.reply_stats(replies, sent, by="body")
    assert got[["body", "sent", "replied"]].values.tolist() == [["Hi", 3, 3], ["Sale", 2, 2]]
    unlimited = ptdata.reply_stats(replies, sent, by="campaign", within=None)
    assert unlimited["replies"].tolist() == [5, 2]  # the late reply now counts for C1
    short = ptdata.reply_stats(replies, sent, by="campaign", within=pd.Timedelta(minutes=10))
    assert short[["replied", "replies"]].values.tolist() == [[1, 1], [0, 0]]


def test_a_report_with_real_date_times_gives_the_same_numbers(replies, sent):
    typed = sent.copy()
    for col in ("finished_at", "scheduled_for"):
        typed[col] = pd.to_datetime(typed[col].where(typed[col] != "None"), utc=True)
    assert ptdata.reply_stats(replies, typed).equals(ptdata.reply_stats(replies, sent))


def test_reply_stats_needs_report_columns(replies):
    with pytest.raises(ValueError, match="missing: campaign_id"):
        ptdata.reply_stats(replies, report([]).drop(columns="campaign_id"))


def test_no_replies_gives_zero_rates(sent):
    got = ptdata.reply_stats(inbound([]), sent, by="campaign")
    assert got[["sent", "replied", "opted_out"]].values.tolist() == [[3, 0, 0], [2, 0, 0]]
    assert got["reply_rate"].tolist() == [0.0, 0.0]
    assert got["median_time_to_first_reply"].isna().all()


def test_review_funnel_per_place():
    rep = pd.DataFrame(
        {
            "phone": [
                "+14155550201",
                "+14155550202",
                "+14155550203",
                "+14155550204",
                "+14155550205",
                "+14155550206",
            ],
            "status": ["sent", "sent", "failed", "sent", "unknown", "sent"],
            "place": ["Main St", "Main St", "Main St", "Elm St", "Elm St", ""],
            "finished_at": [f"{D1}T09:00:00Z"] * 6,
        }
    ).astype("str")
    replies = inbound(
        [
            (f"{D1}T09:30:00Z", "+14155550201", "5 stars, done!"),
            (f"{D1}T09:40:00Z", "+14155550204", "STOP"),
            (f"{D1}T09:45:00Z", "+14155550206", "no place"),
        ]
    )
    got = ptdata.review_funnel(rep, replies)
    assert list(got.columns) == [
        "place",
        "requests",
        "sent",
        "failed",
        "unknown",
        "replied",
        "opted_out",
        "reply_rate",
        "opt_out_rate",
    ]
    assert got.drop(columns=["reply_rate", "opt_out_rate"]).values.tolist() == [
        ["Elm St", 2, 1, 0, 1, 1, 1],
        ["Main St", 3, 2, 1, 0, 1, 0],
    ]
    assert got["reply_rate"].tolist() == [1.0, 0.5]
    assert got["opt_out_rate"].tolist() == [1.0, 0.0]


def test_volume_by_hour_and_weekday():
    frame = inbound(
        [
            ("2025-03-03T00:15:00Z", "+14155550101", "a"),  # Monday 00h UTC
            ("2025-03-03T00:45:00Z", "+14155550102", "b", "mms"),
            ("2025-03-04T13:00:00Z", "+14155550103", "c"),  # Tuesday 13h
            ("2025-03-09T23:59:59Z", "+14155550104", "d"),  # Sunday 23h
        ]
    )
    hours = ptdata.volume_by_hour(frame)
    assert list(hours.columns) == ["hour", "sms", "mms", "messages"]
    assert len(hours) == 24
    assert hours.loc[hours["messages"] > 0, ["hour", "sms", "mms", "messages"]].values.tolist() == [
        [0, 1, 1, 2],
        [13, 1, 0, 1],
        [23, 1, 0, 1],
    ]
    days = ptdata.volume_by_weekday(frame)
    assert days["weekday"].tolist()[0] == "Monday"
    assert days["messages"].tolist() == [2, 1, 0, 0, 0, 0, 1]
    ny = ptdata.volume_by_weekday(frame, tz="America/New_York")  # 00:15 UTC Monday = Sunday evening
    assert ny["messages"].tolist() == [0, 1, 0, 0, 0, 0, 3]
    ny_hours = ptdata.volume_by_hour(frame, tz="America/New_York")
    # 23:59:59 UTC on 9 March is 19:59 EDT: daylight saving started that morning
    assert ny_hours.loc[ny_hours["messages"] > 0, ["hour", "messages"]].values.tolist() == [
        [8, 1],
        [19, 3],
    ]


def test_geography_counts_messages_and_senders():
    frame = inbound(
        [
            (f"{D1}T10:00:00Z", "+16175550101", "a", None, "MA", "BOSTON"),
            (f"{D1}T10:01:00Z", "+16175550101", "b", None, "MA", "BOSTON"),
            (f"{D1}T10:02:00Z", "+16175550102", "c", None, "MA", "CAMBRIDGE"),
            (f"{D1}T10:03:00Z", "+12125550101", "d", None, "NY", "NEW YORK"),
            (f"{D1}T10:04:00Z", "+12125550102", "e", None, "NY", "NEW YORK"),
            (f"{D1}T10:05:00Z", "+13125550101", "f"),
        ]
    )
    got = ptdata.geography(frame)
    assert list(got.columns) == ["FromState", "FromCity", "messages", "senders"]
    rows = [[None if pd.isna(v) else v for v in r] for r in got.values.tolist()]
    assert rows == [
        ["MA", "BOSTON", 2, 1],
        ["NY", "NEW YORK", 2, 2],
        ["MA", "CAMBRIDGE", 1, 1],
        [None, None, 1, 1],
    ]
    by_state = ptdata.geography(frame, by=("FromState",))
    assert by_state.values.tolist()[:2] == [["MA", 3, 2], ["NY", 2, 2]]
