"""Several calls in flight: each sending thread reads its previous reply when it sends the next.

What the user sees must not change with the pipelining: every row accounted for, nothing sent
twice, a refused key stops the run with the calls in flight settled, and the ledger holds every
outcome when ``send`` returns.
"""

from __future__ import annotations

import sqlite3

from bulk_helpers import DAY, frame, posts

import ptdata

PHONES = [f"+1415555{2000 + i}" for i in range(24)]


def _plan():
    return ptdata.plan(
        frame(Phone=PHONES, Name=[f"Guest {i}" for i in range(len(PHONES))]),
        template="Hi {Name}",
        now=DAY,
    )


def _ledger_states(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [s for (s,) in db.execute("SELECT state FROM calls ORDER BY batch_id")]
    finally:
        db.close()


def test_slow_replies_overlap_and_every_row_is_sent_once(sandbox, client, tmp_path):
    sandbox.configure(latency=0.2)
    report = ptdata.send(
        _plan(), client, rate=40, concurrency=6, progress=False, ledger=tmp_path / "ledger.sqlite"
    )
    assert report.frame["status"].tolist() == ["sent"] * len(PHONES)
    sent_to = sorted(p["json"]["To"] for p in posts(sandbox))
    assert sent_to == sorted(PHONES)  # each once
    assert report.frame["campaign_id"].notna().all()
    assert _ledger_states(tmp_path / "ledger.sqlite") == ["sent"] * len(PHONES)


def test_a_refused_key_with_calls_in_flight_settles_them_and_skips_the_rest(
    sandbox, client, tmp_path
):
    sandbox.configure(latency=0.05)
    sandbox.script_faults(["ok"] * 4 + ["401"] * 40)
    ledger = tmp_path / "ledger.sqlite"
    report = ptdata.send(_plan(), client, rate=100, concurrency=4, progress=False, ledger=ledger)
    statuses = report.frame["status"].tolist()
    assert len(statuses) == len(PHONES)
    assert "refused the API key" in report.stopped
    # the server answered the first four POSTs to arrive (threads may overtake each other)
    first_four = {q["json"]["To"] for q in posts(sandbox)[:4]}
    assert set(report.frame.loc[report.frame["status"] == "sent", "phone"]) == first_four
    # the calls already in flight when the refusal was read end failed (auth); the rest were
    # not attempted; nothing is unknown and the ledger has no call left half-way
    assert statuses.count("sent") == 4 and set(statuses) == {"sent", "failed", "skipped"}
    assert 1 <= statuses.count("failed") <= 4 and "skipped" in statuses
    assert not {"intent", "reserved"} & set(_ledger_states(ledger))  # reserved → not_sent
    before = len(posts(sandbox))
    assert before == 4 + statuses.count("failed")

    sandbox.clear_faults()  # the key is fixed
    again = ptdata.send(_plan(), client, rate=100, concurrency=4, progress=False, ledger=ledger)
    reached = again.frame["reason"] == "already_sent"
    assert set(again.frame.loc[reached, "phone"]) == first_four
    assert again.frame.loc[~reached, "status"].tolist() == ["sent"] * (len(PHONES) - 4)
    delivered = [p["json"]["To"] for p in posts(sandbox) if p["status"] == 200]
    assert sorted(delivered) == sorted(PHONES)  # nobody texted twice
