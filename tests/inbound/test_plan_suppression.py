"""Replies reach the next plan: a STOP in a dump skips that number, however the sheet writes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

import ptdata

NOW = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # noon in California: not quiet hours


def write_dump(path, rows):
    path.write_text(
        "".join(
            json.dumps(
                {"received_at": at, "kind": "sms", "SmsSid": f"SM{i}", "From": frm, "Body": body}
            )
            + "\n"
            for i, (at, frm, body) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return path


def test_opted_out_numbers_from_a_dump_are_skipped(tmp_path):
    dump = write_dump(
        tmp_path / "inbound.jsonl",
        [
            ("2026-10-01T10:00:00Z", "+14155550142", "Stop."),
            ("2026-10-01T10:01:00Z", "+14155550143", "please stop texting me"),
            ("2026-10-01T10:02:00Z", "+14155550144", "STOP"),
            ("2026-10-02T10:00:00Z", "+14155550144", "START"),
            ("2026-10-01T10:03:00Z", "+14155550145", "Thanks! See you Tuesday"),
        ],
    )
    sheet = pd.DataFrame(
        {"Phone": ["(415) 555-0142", "415.555.0143", "1 415 555 0144", "+1 415-555-0145"]},
        dtype="str",
    )
    plan = ptdata.plan(sheet, body="Doors open at 9", suppress=dump, now=NOW)
    assert plan.frame["skip_reason"].tolist()[:2] == ["opted_out", "opted_out"]
    assert plan.frame["skip_reason"].isna().tolist()[2:] == [True, True]
    assert plan.recipients == 2

    # once a person has read the review sentence, it can be let through
    reviewed = ptdata.suppression_list(dump, include_review=False)
    plan = ptdata.plan(sheet, body="Doors open at 9", suppress=reviewed, now=NOW)
    assert plan.frame["skip_reason"].tolist()[0] == "opted_out"
    assert plan.recipients == 3


def test_an_inbound_frame_can_be_passed_directly(tmp_path):
    inbound = ptdata.load_inbound(
        write_dump(tmp_path / "d.jsonl", [("2026-10-01T10:00:00Z", "+14155550142", "UNSUBSCRIBE")])
    )
    sheet = pd.DataFrame({"Phone": ["4155550142", "4155550143"]}, dtype="str")
    plan = ptdata.plan(sheet, body="Hi", suppress=inbound, now=NOW)
    assert plan.frame["skip_reason"].tolist()[0] == "opted_out"
    assert plan.recipients == 1
