"""A group is its members: the plan counts GetGroups' ContactsCount in messages, segments and
the progress bar, while the API call and the report keep one row per group."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

import ptdata

NOW = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)
TWO_SEGMENTS = "Winter menu! " * 13  # 169 GSM-7 characters


def test_a_group_plan_counts_its_members(client):
    frame = pd.DataFrame({"Groups": ["VIP customers", "Staff"]}, dtype="str")
    p = ptdata.plan(
        frame,
        body=TWO_SEGMENTS,
        to="groups",
        client=client,
        now=NOW,
        default_tz="America/Los_Angeles",
    )
    assert (p.recipients, p.n_calls) == (2, 1)
    assert p.frame["members"].tolist() == [3, 2]
    assert (p.messages, p.segments) == (5, 10)
    lines = str(p.summary()).splitlines()
    assert lines[:2] == [
        "2 rows → 1 API call, 10 segments",
        "  5 messages: a group counts its members (VIP customers 3, Staff 2)",
    ]


def test_plain_numbers_are_one_message_each(client):
    frame = pd.DataFrame({"Phone": ["+14155550101", "+14155550102"]}, dtype="str")
    p = ptdata.plan(frame, body=TWO_SEGMENTS, now=NOW)
    assert (p.recipients, p.messages, p.segments) == (2, 2, 4)
    assert "a group counts" not in p.summary()


def test_the_progress_bar_counts_members_not_groups(client, run, capsys):
    frame = pd.DataFrame({"Groups": ["VIP customers", "Staff"]}, dtype="str")
    p = ptdata.plan(
        frame, body="Hi", to="groups", client=client, now=NOW, default_tz="America/Los_Angeles"
    )
    report = run(p, client, progress=True)
    assert report.counts == {"sent": 2}
    bar = capsys.readouterr().err
    assert " 5/5 " in bar and " 2/2 " not in bar
