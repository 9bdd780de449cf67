"""The send history file: durable intents and outcomes, unknowns wait for the user, one sender
per campaign, and a damaged file stops the run instead of texting people again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from bulk_helpers import CONTACTS, DAY, frame, posts

import ptdata
from ptdata.bulk.ledger import Ledger, LedgerDamagedError

ROWS = frame(Phone=CONTACTS, Name=["Ava", "Ben", "Chloe"])


def _states(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT state FROM calls ORDER BY first_attempt_at")]
    finally:
        db.close()


def test_running_the_same_plan_again_sends_nothing_twice(sandbox, client, run):
    first = run(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client)
    assert len(posts(sandbox)) == 3
    again = run(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client)
    assert len(posts(sandbox)) == 3
    assert again.frame["status"].tolist() == ["skipped"] * 3
    assert again.frame["reason"].tolist() == ["already_sent"] * 3
    assert again.frame["campaign_id"].tolist() == first.frame["campaign_id"].tolist()
    assert all(m.startswith("already sent on 2") for m in again.frame["message"])
    assert again.calls_made == 0 and again.ok


def test_unknown_calls_are_resent_only_when_asked(sandbox, client, run):
    sandbox.script_faults(["ok", "500", "ok"])
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    assert run(p, client, concurrency=1).frame["status"].tolist() == ["sent", "unknown", "sent"]
    again = run(p, client)
    assert len(posts(sandbox)) == 3
    assert again.frame["status"].tolist() == ["skipped", "unknown", "skipped"]
    assert "--resend-unknown" in again.frame["message"].iloc[1]
    assert not again.ok  # an unknown row still needs a decision
    forced = run(p, client, resend_unknown=True)
    assert len(posts(sandbox)) == 4
    assert [r["json"]["To"] for r in posts(sandbox)][-1] == CONTACTS[1]
    assert forced.frame["status"].tolist() == ["skipped", "sent", "skipped"]


def test_calls_stopped_by_a_refused_key_are_sent_on_the_next_run(sandbox, client, run):
    sandbox.script_faults(["401"])
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    stopped = run(p, client, concurrency=1)
    assert stopped.frame["status"].tolist() == ["failed", "skipped", "skipped"]
    fixed = run(p, client)
    assert fixed.frame["status"].tolist() == ["sent"] * 3
    assert len(posts(sandbox)) == 4  # the refused call once, then all three


def test_a_call_in_flight_when_the_process_died_becomes_unknown(sandbox, client, run, tmp_path):
    path = tmp_path / "ledger.sqlite"
    p = ptdata.plan(ROWS, template="Hi {Name}", now=DAY)
    run(p.skip([False, True, True], "invalid", "later"), client)  # reaches Ava only
    with Ledger(path) as ledger:  # what a sender killed with Ben's call in flight leaves
        job, account, campaign = ledger._db.execute(
            "SELECT job_id, account, campaign FROM jobs"
        ).fetchone()
        ledger.start_job("killed", account=account, campaign=campaign, round=1)
        ledger.intent(
            "killed",
            0,
            "k",
            "SendTextMessageToANumber",
            1,
            "2026-11-02T19:00:00Z",
            messages=[(CONTACTS[1], "", "number", None, "fp", None, 3)],
        )
    report = run(p, client)
    assert report.frame["status"].tolist() == ["skipped", "unknown", "sent"]
    assert report.frame["reason"].fillna("").tolist() == ["already_sent", "earlier_unknown", ""]
    assert [r["json"]["To"] for r in posts(sandbox)] == [CONTACTS[0], CONTACTS[2]]


def test_the_history_is_durable_sqlite_with_a_rollback_journal(tmp_path, client, run):
    run(ptdata.plan(ROWS.iloc[:1], body="Hi", now=DAY), client)
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    # every commit lands in the file itself: no -wal whose loss would forget the last calls
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    rows = db.execute(
        "SELECT c.state, c.operation, c.reach, c.sent_count, m.recipient, "
        "m.target FROM calls c JOIN messages m USING (job_id, batch_id)"
    ).fetchall()
    assert rows == [("sent", "SendTextMessageToANumber", 1, 1, CONTACTS[0], "number")]
    assert not list(tmp_path.glob("ledger.sqlite-*"))


def test_a_second_sender_of_the_same_campaign_is_refused(tmp_path, client, run):
    path = tmp_path / "ledger.sqlite"
    p = ptdata.plan(ROWS, body="Hi", now=DAY, campaign="Doors")
    with ptdata.bulk.PendingSend(p, client, ledger=path) as pending:
        lock = f"{pending.account.key}|{pending.campaign}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom ptdata.bulk.ledger import Ledger\n"
            f"ledger = Ledger({str(path)!r})\n"
            f"with ledger.hold({lock!r}):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ptdata.JobLockedError, match=f"pid {holder.pid}"):
            run(p, client)
        other = run(ptdata.plan(ROWS, body="Hi", now=DAY, campaign="Other"), client)
        assert other.counts == {"sent": 3}  # another campaign is not blocked
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert run(p, client).counts == {"sent": 3}  # the lock died with the holder


def test_a_ledger_passed_in_holds_every_outcome_when_send_returns(tmp_path, sandbox, client):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        report = ptdata.send(
            ptdata.plan(ROWS, template="Hi {Name}", now=DAY),
            client,
            ledger=ledger,
            progress=False,
            rate=200,
            concurrency=2,
        )
        assert report.ok
        assert _states(path) == ["sent"] * 3  # while still open


def _sent_history(tmp_path, client, run):
    run(ptdata.plan(ROWS, body="Hi", now=DAY), client)
    return tmp_path / "ledger.sqlite"


def test_a_truncated_history_stops_the_run_without_advice_that_texts_twice(
    tmp_path, sandbox, client, run
):
    path = _sent_history(tmp_path, client, run)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LedgerDamagedError) as info:
        run(ptdata.plan(ROWS, body="Hi", now=DAY), client)
    message = str(info.value)
    assert "will not send" in message and "another ledger" not in message
    assert "--again" not in message
    assert len(posts(sandbox)) == 1  # the first run's one call


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="emptied"),
        pytest.param(lambda p: p.unlink(), id="deleted"),
        pytest.param(lambda p: p.write_bytes(b"\0" * 4096), id="overwritten"),
    ],
)
def test_a_history_emptied_or_replaced_stops_the_run(tmp_path, sandbox, client, run, damage):
    path = _sent_history(tmp_path, client, run)
    damage(path)
    with pytest.raises(LedgerDamagedError):
        run(ptdata.plan(ROWS, body="Hi", now=DAY), client)
    assert len(posts(sandbox)) == 1  # the first run's one call


def test_the_default_history_lives_in_ptdata_home_whatever_the_folder(
    sandbox, client, tmp_path, monkeypatch, ptdata_home
):
    p = ptdata.plan(ROWS, body="Hi", now=DAY)
    monkeypatch.chdir(tmp_path)
    ptdata.send(p, client, progress=False, rate=200)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = ptdata.send(p, client, progress=False, rate=200)
    assert again.counts == {"skipped": 3} and len(posts(sandbox)) == 1
    assert (ptdata_home / "history.sqlite").exists()
    assert not list(tmp_path.rglob(".ptdata"))


def test_a_write_cut_off_by_a_kill_is_rolled_back_not_called_damage(tmp_path, client, run):
    """A killed writer leaves a hot journal and a file whose header counts pages not yet
    written: SQLite rolls it back on open, and the history is whole again."""
    path = _sent_history(tmp_path, client, run)
    journal = path.with_name(path.name + "-journal")
    before = path.read_bytes()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN IMMEDIATE")
    db.execute("CREATE TABLE filler (x)")
    db.executemany("INSERT INTO filler VALUES (?)", [("x" * 3000,)] * 50)
    db.execute("PRAGMA cache_size=1")  # make SQLite spill pages to the file mid-transaction
    db.executemany("INSERT INTO filler VALUES (?)", [("y" * 3000,)] * 50)
    db.execute("UPDATE meta SET value = value WHERE key = 'salt'")  # page 1 in the journal too
    # what a kill leaves: the journal on disk, the file part-written (header from the future)
    saved_journal = journal.read_bytes()
    half = path.read_bytes()
    db.execute("ROLLBACK")
    db.close()
    assert half != before
    pages = len(half) // 4096
    torn = bytearray(half)
    torn[28:32] = (pages + 3).to_bytes(4, "big")  # the header of pages still to be written
    path.write_bytes(bytes(torn))
    journal.write_bytes(saved_journal)
    with Ledger(path) as ledger:
        assert ledger.records(ledger._db.execute("SELECT job_id FROM jobs").fetchone()[0])
    assert not journal.exists() or journal.stat().st_size == 0
