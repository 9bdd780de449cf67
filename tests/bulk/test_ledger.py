"""The ledger: re-running a job skips what went out, unknowns wait for the user, one sender per job."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

import ptdata
from bulk_helpers import CONTACTS, DAY, frame, posts
from ptdata.bulk.ledger import Ledger

ROWS = frame(Phone=CONTACTS, Name=["Ava", "Ben", "Chloe"])


def test_running_the_same_plan_again_sends_nothing_twice(sandbox, client, run):
    first = run(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client)
    assert len(posts(sandbox)) == 3
    again = run(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client)
    assert len(posts(sandbox)) == 3
    assert again.frame["status"].tolist() == ["sent"] * 3
    assert again.frame["reason"].tolist() == ["earlier_run"] * 3
    assert again.frame["campaign_id"].tolist() == first.frame["campaign_id"].tolist()
    assert again.calls_made == 0 and again.ok


def test_unknown_calls_are_resent_only_when_asked(sandbox, client, run):
    sandbox.script_faults(["ok", "500", "ok"])
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    assert run(p, client, concurrency=1).frame["status"].tolist() == ["sent", "unknown", "sent"]
    again = run(p, client)
    assert len(posts(sandbox)) == 3
    assert again.frame["status"].tolist() == ["sent", "unknown", "sent"]
    assert "resend_unknown=True" in again.frame["message"].iloc[1]
    forced = run(p, client, resend_unknown=True)
    assert len(posts(sandbox)) == 4
    assert [r["json"]["To"] for r in posts(sandbox)][-1] == CONTACTS[1]
    assert forced.frame["status"].tolist() == ["sent"] * 3
    assert forced.frame["attempts"].tolist() == [1, 2, 1]


def test_calls_stopped_by_a_refused_key_are_sent_on_the_next_run(sandbox, client, run):
    sandbox.script_faults(["401"])
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    stopped = run(p, client, concurrency=1)
    assert stopped.frame["status"].tolist() == ["failed", "skipped", "skipped"]
    fixed = run(p, client)
    assert fixed.frame["status"].tolist() == ["sent"] * 3
    assert len(posts(sandbox)) == 4  # the refused call once, then all three


def test_a_call_in_flight_when_the_process_died_becomes_unknown(sandbox, client, run, tmp_path):
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:  # what a killed sender leaves behind
        call = p.call(1)
        ledger.reserve(p.job_id, [(1, call.key, call.operation.op_id, 1, 0, None, None)])
        ledger.posting(p.job_id, 1, "2026-11-02T12:00:00Z")
    report = run(p, client)
    assert report.frame["status"].tolist() == ["sent", "unknown", "sent"]
    assert report.frame["reason"].iloc[1] == "interrupted"
    assert sorted(r["json"]["To"] for r in posts(sandbox)) == [CONTACTS[0], CONTACTS[2]]


def test_the_ledger_is_durable_sqlite(tmp_path, client, run):
    run(ptdata.plan(ROWS.iloc[:1], body="Hi", now=DAY), client)
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    states = db.execute("SELECT batch_id, state, operation, recipients FROM calls").fetchall()
    assert states == [(0, "sent", "SendTextMessageToANumber", 1)]


def test_a_second_sender_of_the_same_job_is_refused(tmp_path, client, run):
    p = ptdata.plan(ROWS, body="Hi", now=DAY)
    path = tmp_path / "ledger.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom ptdata.bulk.ledger import Ledger\n"
         f"ledger = Ledger({str(path)!r})\n"
         f"with ledger.hold({p.job_id!r}):\n"
         f"    ledger.reserve({p.job_id!r}, [(0, 'k', 'SendTextMessageToANumber', 1, 0, None, None)])\n"
         "    print('held', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ptdata.JobLockedError, match=f"pid {holder.pid}"):
            run(p, client)
        assert _states(path) == {0: "reserved"}  # the holder's reservation is left alone
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert run(p, client).frame["status"].tolist() == ["sent"] * 3  # the lock died with it


def test_another_job_is_not_blocked(tmp_path, client, run):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger, ledger.hold("a" * 64):
        report = run(ptdata.plan(ROWS, body="Hi", now=DAY), client)
    assert report.ok


def _states(path) -> dict[int, str]:
    """What another process reading the ledger file sees now."""
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT batch_id, state FROM calls"))
    finally:
        db.close()


def test_an_outcome_is_committed_with_the_next_write_or_by_flush(tmp_path):
    path = tmp_path / "ledger.sqlite"
    job = "j" * 64
    with Ledger(path) as ledger:
        ledger.reserve(job, [(b, f"k{b}", "SendTextMessageToANumber", 1, 0, None, None)
                             for b in range(2)])
        assert _states(path) == {0: "reserved", 1: "reserved"}  # durable before any POST
        ledger.posting(job, 0, "2026-11-02T19:00:00Z")
        assert _states(path) == {0: "intent", 1: "reserved"}
        ledger.outcome(job, 0, "sent", campaign_id="c0", attempts=1)
        assert _states(path) == {0: "intent", 1: "reserved"}  # waits for the next write...
        assert ledger.records(job)[0].state == "sent"  # ...but the sender sees it at once
        ledger.posting(job, 1, "2026-11-02T19:00:01Z")
        assert _states(path) == {0: "sent", 1: "intent"}  # one transaction
        ledger.outcome(job, 1, "unknown", reason="timeout", attempts=1)
        ledger.flush()
        assert _states(path) == {0: "sent", 1: "unknown"}


def test_outcomes_lost_with_the_process_read_as_unknown_never_as_not_sent(tmp_path):
    path = tmp_path / "ledger.sqlite"
    job = "j" * 64
    died = subprocess.run(
        [sys.executable, "-c",
         "import os\nfrom ptdata.bulk.ledger import Ledger\n"
         f"ledger = Ledger({str(path)!r})\n"
         f"ledger.reserve({job!r}, [(0, 'k', 'SendTextMessageToANumber', 1, 0, None, None)])\n"
         f"ledger.posting({job!r}, 0, 'now')\n"
         f"ledger.outcome({job!r}, 0, 'sent', campaign_id='c', attempts=1)\n"
         "os._exit(0)  # killed before anything else was written\n"],
        capture_output=True, text=True, timeout=60)
    assert died.returncode == 0, died.stderr
    with Ledger(path) as ledger:
        assert ledger.settle_interrupted(job) == 1
        assert ledger.records(job)[0].state == "unknown"  # maybe sent: never re-sent by itself


def test_a_ledger_passed_in_holds_every_outcome_when_send_returns(tmp_path, sandbox, client):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        report = ptdata.send(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client,
                             ledger=ledger, progress=False, rate=200, concurrency=2)
        assert report.ok
        assert _states(path) == {0: "sent", 1: "sent", 2: "sent"}  # while still open


def _reserve_and_mark(path, job, boot, monkeypatch):
    """What a sender killed mid-run leaves: calls 0-2 reserved, 0 posted (marked), 1-2 not."""
    monkeypatch.setattr("ptdata.bulk.ledger.boot_id", lambda: boot)
    with Ledger(path) as ledger:
        ledger.reserve(job, [(b, f"k{b}", "SendTextMessageToANumber", 1, 0, None, None)
                             for b in range(3)])
        ledger.posting(job, 0, "2026-11-02T19:00:00Z")


def test_after_a_kill_reserved_calls_are_sent_again_and_a_posted_one_is_unknown(
        tmp_path, monkeypatch):
    path, job = tmp_path / "ledger.sqlite", "j" * 64
    _reserve_and_mark(path, job, "boot-1", monkeypatch)
    with Ledger(path) as ledger:  # the same boot: the killed process's marks are all there
        assert ledger.settle_interrupted(job) == 3
        states = {b: (r.state, r.reason) for b, r in ledger.records(job).items()}
    assert states == {0: ("unknown", "interrupted"), 1: ("not_sent", "interrupted"),
                      2: ("not_sent", "interrupted")}


@pytest.mark.parametrize("later_boot", ["boot-2", None], ids=["machine-restarted", "no-boot-id"])
def test_after_a_restart_reserved_calls_are_unknown(tmp_path, monkeypatch, later_boot):
    path, job = tmp_path / "ledger.sqlite", "j" * 64
    _reserve_and_mark(path, job, "boot-1", monkeypatch)
    monkeypatch.setattr("ptdata.bulk.ledger.boot_id", lambda: later_boot)
    with Ledger(path) as ledger:  # a power cut may have lost marks written without an fsync
        ledger.settle_interrupted(job)
        assert {r.state for r in ledger.records(job).values()} == {"unknown"}


def test_a_call_is_never_marked_for_posting_without_a_reservation(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        with pytest.raises(ptdata.UsageError, match="no reservation"):
            ledger.posting("j" * 64, 7, "2026-11-02T19:00:00Z")


def test_a_rerun_after_a_kill_sends_the_reserved_calls_once(sandbox, client, run, tmp_path,
                                                            monkeypatch):
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    monkeypatch.setattr("ptdata.bulk.ledger.boot_id", lambda: "boot-1")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:  # killed after reserving, before posting
        ledger.reserve(p.job_id, [(b, p.call(b).key, "SendTextMessageToANumber", 1, 0, None, None)
                                  for b in range(3)])
    report = run(p, client)
    assert report.frame["status"].tolist() == ["sent"] * 3
    assert sorted(r["json"]["To"] for r in posts(sandbox)) == sorted(CONTACTS)


def test_a_call_left_unknown_and_resent_on_request_stays_unknown_if_the_resend_is_cut_off(
        tmp_path, monkeypatch):
    path, job = tmp_path / "ledger.sqlite", "j" * 64
    monkeypatch.setattr("ptdata.bulk.ledger.boot_id", lambda: "boot-1")
    with Ledger(path) as ledger:  # resend_unknown=True reserved it again, then the run died
        ledger.reserve(job, [(0, "k", "SendTextMessageToANumber", 1, 1, "t0", "unknown"),
                             (1, "k", "SendTextMessageToANumber", 1, 0, None, None)])
    with Ledger(path) as ledger:
        ledger.settle_interrupted(job)
        assert {b: r.state for b, r in ledger.records(job).items()} == {0: "unknown",
                                                                        1: "not_sent"}
    with Ledger(path) as ledger:  # the same when the run stopped (a refused key) instead
        ledger.reserve(job, [(0, "k", "SendTextMessageToANumber", 1, 1, "t0", "unknown"),
                             (1, "k", "SendTextMessageToANumber", 1, 0, None, "not_sent")])
        ledger.release(job)
        assert {b: r.state for b, r in ledger.records(job).items()} == {0: "unknown",
                                                                        1: "not_sent"}
