"""Opt-out rules on real-looking replies, the latest decision per phone, suppression sources."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

import ptdata
from ptdata.inbound.loader import frame_from_records
from ptdata.inbound.optouts import classify_reply

P = pytest.param
KEYWORD_TABLE = [
    # whole-message keywords: opted out
    P("STOP", None, "opted_out", "STOP", id="STOP"),
    P("Stop.", None, "opted_out", "STOP", id="Stop-period"),
    P(" stop ", None, "opted_out", "STOP", id="spaces"),
    P("STOP!!", None, "opted_out", "STOP", id="bangs"),
    P("stop 🛑", None, "opted_out", "STOP", id="emoji"),
    P("S T O P", None, "opted_out", "STOP", id="spaced-letters"),
    P("Stop stop", None, "opted_out", "STOP", id="repeated"),
    P("STOPALL", None, "opted_out", "STOPALL", id="STOPALL"),
    P("stop all", None, "opted_out", "STOPALL", id="stop-all"),
    P("Unsubscribe", None, "opted_out", "UNSUBSCRIBE", id="UNSUBSCRIBE"),
    P("cancel", None, "opted_out", "CANCEL", id="CANCEL"),
    P("End", None, "opted_out", "END", id="END"),
    P("QUIT", None, "opted_out", "QUIT", id="QUIT"),
    P("revoke", None, "opted_out", "REVOKE", id="REVOKE"),
    P("opt-out", None, "opted_out", "OPTOUT", id="opt-out"),
    P("OPT OUT", None, "opted_out", "OPTOUT", id="OPT-OUT-spaced"),
    P("ＳＴＯＰ", None, "opted_out", "STOP", id="fullwidth"),
    # OptOutType is authoritative
    P("whatever they typed", "STOP", "opted_out", "STOP", id="OptOutType-STOP"),
    P("STOP", "START", "resubscribed", "START", id="OptOutType-wins"),
    P("info please", "HELP", "help", "HELP", id="OptOutType-HELP"),
    # opt-in and help keywords
    P("START", None, "resubscribed", "START", id="START"),
    P("Yes", None, "resubscribed", "YES", id="YES"),
    P("unstop", None, "resubscribed", "UNSTOP", id="UNSTOP"),
    P("HELP", None, "help", "HELP", id="HELP"),
    P("info?", None, "help", "INFO", id="INFO"),
    P("help please", None, "help", "HELP", id="help-please"),
    # sentences asking to stop messages: review
    P("please stop texting me", None, "review", None, id="please-stop-texting"),
    P("stop sending these", None, "review", None, id="stop-sending-these"),
    P("Can you stop sending me these messages?", None, "review", None, id="can-you-stop"),
    P("why won't you stop texting me", None, "review", None, id="why-wont-you"),
    P("Stop texting this number", None, "review", None, id="stop-texting-number"),
    P("quit messaging me", None, "review", None, id="quit-messaging"),
    P("Please stop all the promotional texts", None, "review", None, id="filler-between"),
    P("Remove me from your list", None, "review", None, id="remove-me"),
    P("take me off this list", None, "review", None, id="take-me-off"),
    P("how do I unsubscribe", None, "review", None, id="unsubscribe-in-sentence"),
    P("Don't text me again", None, "review", None, id="dont-text-me"),
    P("Do not contact me", None, "review", None, id="do-not-contact"),
    P("I don't want these texts", None, "review", None, id="dont-want-texts"),
    P("no more messages please", None, "review", None, id="no-more-messages"),
    P("leave me alone", None, "review", None, id="leave-me-alone"),
    P("STOP please", None, "review", "STOP", id="stop-please"),
    P("stop now thanks", None, "review", "STOP", id="stop-now-thanks"),
    P("Stop it", None, "review", None, id="stop-it"),
    # not opt-outs
    P("don't stop the music", None, None, None, id="dont-stop-the-music"),
    P("Please don't stop sending these deals!", None, None, None, id="dont-stop-sending"),
    P("Thanks! See you Tuesday", None, None, None, id="see-you-tuesday"),
    P("Can I stop by Tuesday?", None, None, None, id="stop-by"),
    P("I'll be stopping by at 5", None, None, None, id="stopping-by"),
    P("lol I can't stop laughing", None, None, None, id="cant-stop-laughing"),
    P("Cancel my appointment please", None, None, None, id="cancel-appointment"),
    P("Is this the end of the sale?", None, None, None, id="end-of-sale"),
    P("I need help with my order", None, None, None, id="need-help"),
    P("Don't forget to text me the address", None, None, None, id="dont-forget-to-text"),
    P("Who is this?", None, None, None, id="who-is-this"),
    P("", None, None, None, id="empty"),
    P(None, None, None, None, id="missing"),
    P("Yes please", None, None, None, id="yes-please-not-strict-optin"),
]


@pytest.mark.parametrize("body, opt_out_type, status, keyword", KEYWORD_TABLE)
def test_keyword_table(body, opt_out_type, status, keyword):
    got_status, got_keyword, reason = classify_reply(body, opt_out_type)
    assert (got_status, got_keyword) == (status, keyword)
    assert bool(reason) == (status is not None)


def test_table_is_big_enough():
    assert len(KEYWORD_TABLE) >= 30


def inbound(rows: list[tuple]) -> pd.DataFrame:
    """A small inbound frame: (minute, From, Body[, OptOutType])."""
    recs = []
    for i, r in enumerate(rows):
        minute, frm, body, *rest = r
        recs.append(
            {
                "received_at": f"2025-03-04T10:{minute:02d}:00Z",
                "From": frm,
                "Body": body,
                "OptOutType": rest[0] if rest else "",
                "SmsSid": f"SM{i}",
            }
        )
    return frame_from_records(recs)


def test_latest_decision_per_phone_wins():
    frame = inbound(
        [
            (0, "+14155550101", "STOP"),
            (5, "(415) 555-0101", "START"),  # same phone, other format: re-subscribed
            (1, "+14155550102", "Yes"),  # a confirmation, no opt-out: nothing
            (2, "+14155550103", "Stop."),
            (3, "415.555.0103", "please stop texting me"),  # never downgrades an opt-out
            (4, "+14155550104", "please stop texting me"),
            (6, "+14155550105", "HELP"),
            (7, "+14155550106", "HELP"),
            (8, "+14155550106", "STOP"),
            (9, "+14155550106", "HELP"),  # help after a STOP changes nothing
            (10, "+14155550107", "please stop texting me"),
            (11, "+14155550107", "YES"),  # opt-in lifts a review too
        ]
    )
    got = ptdata.opt_outs(frame)
    assert list(got.columns) == ["phone", "status", "keyword", "reason", "received_at", "body"]
    table = {r.phone: (r.status, r.body, r.received_at.minute) for r in got.itertuples()}
    assert table == {
        "+14155550101": ("resubscribed", "START", 5),
        "+14155550103": ("opted_out", "Stop.", 2),
        "+14155550104": ("review", "please stop texting me", 4),
        "+14155550105": ("help", "HELP", 6),
        "+14155550106": ("opted_out", "STOP", 8),
        "+14155550107": ("resubscribed", "YES", 11),
    }
    assert ptdata.suppression_list(frame) == {"+14155550103", "+14155550104", "+14155550106"}
    assert ptdata.suppression_list(frame, include_review=False) == {"+14155550103", "+14155550106"}


def test_order_is_by_time_not_file_order():
    frame = inbound([(30, "+14155550101", "START"), (10, "+14155550101", "STOP")])
    assert ptdata.opt_outs(frame)["status"].tolist() == ["resubscribed"]
    frame = inbound([(10, "+14155550101", "START"), (30, "+14155550101", "STOP")])
    assert ptdata.opt_outs(frame)["status"].tolist() == ["opted_out"]


def test_opt_out_type_is_authoritative():
    frame = inbound([(0, "+14155550101", "Stop the presses, great news", "STOP")])
    got = ptdata.opt_outs(frame)
    assert got[["phone", "status", "keyword"]].values.tolist() == [
        ["+14155550101", "opted_out", "STOP"]
    ]


def test_no_decisions_gives_typed_empty_frame():
    got = ptdata.opt_outs(inbound([(0, "+14155550101", "Thanks! See you Tuesday")]))
    assert got.empty
    assert list(got.columns) == ["phone", "status", "keyword", "reason", "received_at", "body"]


def test_suppression_from_dump_path_and_glob(tmp_path):
    dump = tmp_path / "in.jsonl"
    dump.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "received_at": "2025-03-04T10:00:00Z",
                    "From": "+14155550101",
                    "Body": "STOP",
                    "SmsSid": "S1",
                },
                {
                    "received_at": "2025-03-04T10:01:00Z",
                    "From": "+14155550102",
                    "Body": "ok",
                    "SmsSid": "S2",
                },
            ]
        )
        + "\n"
    )
    assert ptdata.suppression_list(dump) == {"+14155550101"}
    assert ptdata.suppression_list(str(dump)) == {"+14155550101"}
    assert ptdata.suppression_list(str(tmp_path / "*.jsonl")) == {"+14155550101"}


def test_a_folder_of_dumps_and_a_do_not_text_list(tmp_path):
    (tmp_path / "in.jsonl").write_text(
        json.dumps(
            {
                "received_at": "2025-03-04T10:00:00Z",
                "From": "+14155550101",
                "Body": "STOP",
                "SmsSid": "S1",
            }
        )
        + "\n"
    )
    (tmp_path / "dnc.csv").write_text("Name,Cell\nAnn,(415) 555-0102\n")
    (tmp_path / "more.txt").write_text("415-555-0103\n")
    assert ptdata.suppression_list(tmp_path) == {"+14155550101", "+14155550102", "+14155550103"}


def test_dumps_in_a_list_are_read_together(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(
        json.dumps(
            {
                "received_at": "2025-03-04T10:00:00Z",
                "From": "+14155550101",
                "Body": "STOP",
                "SmsSid": "S1",
            }
        )
        + "\n"
    )
    b.write_text(
        json.dumps(
            {
                "received_at": "2025-03-05T10:00:00Z",
                "From": "+14155550101",
                "Body": "START",
                "SmsSid": "S2",
            }
        )
        + "\n"
    )
    assert ptdata.suppression_list([a, b]) == set()


@pytest.mark.parametrize(
    "content, name",
    [
        P("phone\n(415) 555-0101\n+1 415 555 0102\n4155550103\n", "dnc.csv", id="csv-phone-column"),
        P(
            "Name,Mobile Number,Notes\nAnn,415-555-0101,x\nBo,415.555.0102,\nCy,1 415 555 0103,y\n",
            "dnc.csv",
            id="csv-named-column",
        ),
        P(
            "Name;Mobile\nAnn;(415) 555-0101\nBo;+14155550102\nCy;415 555 0103\n",
            "dnc.csv",
            id="csv-semicolon",
        ),
        P("(415) 555-0101\n+1 415 555 0102\n415-555-0103\n", "dnc.txt", id="txt-one-per-line"),
        P("phone\n(415) 555-0101\n+1 415 555 0102\n415-555-0103\n", "dnc.txt", id="txt-header"),
    ],
)
def test_suppression_files_any_format(tmp_path, content, name):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert ptdata.suppression_list(path) == {"+14155550101", "+14155550102", "+14155550103"}


def test_opt_outs_csv_round_trip_honours_status(tmp_path):
    frame = inbound(
        [
            (0, "+14155550101", "STOP"),
            (1, "+14155550102", "STOP"),
            (2, "+14155550102", "START"),
            (3, "+14155550103", "stop texting me"),
        ]
    )
    path = tmp_path / "opt_outs.csv"
    ptdata.opt_outs(frame).to_csv(path, index=False)
    assert ptdata.suppression_list(path) == {"+14155550101", "+14155550103"}
    assert ptdata.suppression_list(path, include_review=False) == {"+14155550101"}


def test_suppression_from_values_and_bad_entries_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="ptdata.inbound"):
        got = ptdata.suppression_list(["(415) 555-0101", "+1 415-555-0102", "n/a", ""])
    assert got == {"+14155550101", "+14155550102"}
    assert "1 entry is not a valid phone number" in caplog.text and "'n/a'" in caplog.text


def test_suppression_file_without_phone_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Notes\nAnn,x\n")
    with pytest.raises(ValueError, match="no phone column"):
        ptdata.suppression_list(path)


def test_suppression_rejects_unknown_types():
    with pytest.raises(ptdata.UsageError, match="suppression_list takes"):
        ptdata.suppression_list(42)


def test_samples_suppression():
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "sample_data"
    got = ptdata.suppression_list(str(samples / "inbound_*"))
    # STOP (+1212...0142) later UNSTOP'd; Stop. (+1512...0163) later START'ed
    assert got == {"+14155550171", "+13055550104", "+17735550119"}
