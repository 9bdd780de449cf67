"""A send whose history fills the disk: one line saying what the history holds and how to go
on, the history consistent, and a re-run once there is space texts nobody twice.

The disk fills for real as far as SQLite is concerned: its ``max_page_count`` is set to the
pages the file has, so SQLite itself refuses the write with SQLITE_FULL, exactly as on a full
disk, inside the history's own transaction. Every test counts what the sandbox received.
"""

from __future__ import annotations

import collections
import errno
import sqlite3

import pytest
from bulk_helpers import DAY, frame, posts

import ptdata
from ptdata.api.errors import PtdataError
from ptdata.bulk.ledger import HistoryFullError, Ledger

PHONES = [f"+1415555{3000 + i:04d}" for i in range(6)]
ROWS = frame(Phone=PHONES, Name=["Ava", "Ben", "Chloe", "Diego", "Emma", "Finn"])
_NO_LIMIT = 4294967294


def _plan(rows=ROWS):
    return ptdata.plan(rows, template="Hi {Name}, doors open at 9!", now=DAY)  # a call each


def _to(sandbox) -> list[str]:
    """Everyone the sandbox accepted a message for."""
    out = []
    for r in posts(sandbox):
        if r["status"] == 200:
            to = r["json"].get("To") or r["json"].get("ContactNumber")
            out.extend(to if isinstance(to, list) else str(to).split(","))
    return out


class _NoRoom:
    """A history's connection once its disk is full: every commit needs a page SQLite may not
    add (``max_page_count``), so SQLite fails it with SQLITE_FULL as a full disk would."""

    def __init__(self, db: sqlite3.Connection, disk: _Disk) -> None:
        self._db, self._disk = db, disk

    def execute(self, sql, *args):
        if sql == "COMMIT" and self._disk.full:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")
            try:  # what the transaction wrote, and a little more: more than the file holds
                self._db.execute(
                    "INSERT INTO messages (job_id, batch_id, recipient, target) "
                    "VALUES ('', -1, randomblob(65536), '')"
                )
            finally:
                self._db.execute(f"PRAGMA max_page_count = {_NO_LIMIT}")
            raise AssertionError("the disk was meant to be full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


class _Disk:
    """``fill_at("outcome", 3)``: the disk is full from the 3rd outcome written on, until
    ``free()``; the writes are counted over every history opened meanwhile."""

    def __init__(self, monkeypatch) -> None:
        self.full = False
        self.at: tuple[str, int] | None = None
        self.writes: collections.Counter = collections.Counter()
        for name in ("start_job", "intent", "outcome", "finish_job"):
            monkeypatch.setattr(Ledger, name, self._watch(name, getattr(Ledger, name)))

    def _watch(self, name, write):
        def watched(book, *args, **kwargs):
            self.writes[name] += 1
            if self.at == (name, self.writes[name]):
                self.full = True
            if not isinstance(book._db, _NoRoom):
                book._db = _NoRoom(book._db, self)
            return write(book, *args, **kwargs)

        return watched

    def fill_at(self, write: str, nth: int) -> None:
        self.at, self.full = (write, nth), False
        self.writes.clear()

    def free(self) -> None:
        self.at, self.full = None, False


@pytest.fixture
def disk(monkeypatch):
    return _Disk(monkeypatch)


def _send(client, book, **kw):
    kw = {"progress": False, "rate": 200, "concurrency": 1, **kw}
    return ptdata.send(_plan(), client, ledger=book, **kw)


def _consistent(path) -> dict[str, int]:
    """The history passes SQLite's integrity check; its calls by state."""
    with Ledger(path) as book:
        db = book._db
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(db.execute("SELECT state, COUNT(*) FROM calls GROUP BY state").fetchall())


def test_full_at_an_intent_sends_nothing_more_and_a_rerun_sends_the_rest(
    sandbox, client, disk, tmp_path
):
    path = tmp_path / "history.sqlite"
    disk.fill_at("intent", 3)
    with Ledger(path) as book, pytest.raises(HistoryFullError) as caught:
        _send(client, book)
    assert isinstance(caught.value, PtdataError) and caught.value.errno == errno.ENOSPC
    assert str(caught.value) == (
        f"could not write the send history {path}: the disk is full (no space left on "
        "device), so the run stopped. It holds the 2 call(s) this run made; the 4 call(s) "
        "left were not sent. Free some space and run the same command again: it skips "
        "everyone already texted and sends the rest"
    )
    assert _to(sandbox) == PHONES[:2]  # the third call's intent failed: it was never posted
    assert _consistent(path) == {"sent": 2}  # the failed intent was rolled back whole

    disk.free()
    with Ledger(path) as book:
        report = _send(client, book)
    assert report.counts == {"sent": 4, "skipped": 2}
    assert sorted(_to(sandbox)) == sorted(PHONES)  # everyone once
    assert _consistent(path) == {"sent": 6}


def test_full_at_an_outcome_keeps_that_call_maybe_sent_and_never_sends_it_again(
    sandbox, client, disk, tmp_path
):
    path = tmp_path / "history.sqlite"
    disk.fill_at("outcome", 3)
    with Ledger(path) as book, pytest.raises(HistoryFullError) as caught:
        _send(client, book)
    assert str(caught.value) == (
        f"could not write the send history {path}: the disk is full (no space left on "
        "device), so the run stopped. It holds the 2 call(s) this run made, and 1 more whose "
        "outcome could not be written (1 of them went out): kept as maybe sent, they are not "
        "sent again, so leave out resend_unknown=True (--resend-unknown); the 3 call(s) left "
        "were not sent. Free some space and run the same command again: it skips everyone "
        "already texted and sends the rest"
    )
    assert _to(sandbox) == PHONES[:3]  # the third went out before its outcome failed
    assert _consistent(path) == {"sent": 2, "intent": 1}  # its intent is what stays

    disk.free()
    with Ledger(path) as book:
        report = _send(client, book)
    assert sorted(_to(sandbox)) == sorted(PHONES)  # the third is not texted twice
    status = dict(zip(report.frame["phone"], report.frame["status"], strict=True))
    assert status[PHONES[2]] == "unknown" and report.counts == {
        "sent": 3,
        "skipped": 2,
        "unknown": 1,
    }
    assert _consistent(path) == {"sent": 5, "unknown": 1}


def test_full_before_the_first_call_sends_nothing(sandbox, client, disk, tmp_path):
    path = tmp_path / "history.sqlite"
    disk.fill_at("start_job", 1)
    with Ledger(path) as book, pytest.raises(HistoryFullError) as caught:
        _send(client, book)
    assert str(caught.value) == (
        f"could not write the send history {path}: the disk is full (no space left on "
        "device), nothing was sent. Free some space and run the same command again: it skips "
        "everyone already texted and sends the rest"
    )
    assert _to(sandbox) == []
    disk.free()
    with Ledger(path) as book:
        assert _send(client, book).counts == {"sent": 6}
    assert sorted(_to(sandbox)) == sorted(PHONES)


def test_full_as_the_run_ends_says_every_outcome_is_recorded(sandbox, client, disk, tmp_path):
    path = tmp_path / "history.sqlite"
    disk.fill_at("finish_job", 1)
    with Ledger(path) as book, pytest.raises(HistoryFullError, match="every call's outcome"):
        _send(client, book)
    assert _consistent(path) == {"sent": 6}
    disk.free()
    with Ledger(path) as book:
        assert _send(client, book).counts == {"skipped": 6}
    assert sorted(_to(sandbox)) == sorted(PHONES)


def test_a_history_that_fills_on_its_own_stays_consistent_and_nobody_is_texted_twice(
    sandbox, client, tmp_path
):
    """No hook: SQLite is given no page beyond those the file has when the send starts, and
    fails whichever write first needs one."""
    path = tmp_path / "history.sqlite"
    phones = [f"+1415555{4000 + i:04d}" for i in range(60)]
    rows = frame(Phone=phones, Name=[f"P{i}" for i in range(60)])
    with Ledger(path) as book:
        book.start_job("warm-up")  # the file has every table's first page
        pages = book._db.execute("PRAGMA page_count").fetchone()[0]
        book._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(HistoryFullError, match="so the run stopped"):
            ptdata.send(_plan(rows), client, ledger=book, progress=False, rate=500)
    first = len(_to(sandbox))
    assert 0 < first < 60
    _consistent(path)
    with Ledger(path) as book:  # a new connection: room again
        ptdata.send(_plan(rows), client, ledger=book, progress=False, rate=500)
    assert sorted(_to(sandbox)) == sorted(phones)  # everyone exactly once


SHEET = "Phone,Name\n" + "".join(f"{p},N{i}\n" for i, p in enumerate(PHONES))


def test_the_cli_says_it_in_one_line_and_the_same_command_finishes_the_send(
    cli, sandbox, disk, tmp_path, ptdata_home
):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    args = ("send", sheet, "--body", "Doors open at 9!", "--report", tmp_path / "out.csv")
    args += ("--batch-size", "1", "--yes", "--no-progress", "--base-url", sandbox.url)
    args += ("--no-quiet-hours",)
    disk.fill_at("outcome", 2)
    result = cli(*args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    history = ptdata_home / "history.sqlite"
    sent = len(_to(sandbox))  # 2, unless a reply came after the next call was paced out
    assert 2 <= sent < 6 and len(set(_to(sandbox))) == sent
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: could not write the send history {history}: the disk is full (no space left "
        f"on device), so the run stopped. It holds the 1 call(s) this run made, and {sent - 1} "
        f"more whose outcome could not be written ({sent - 1} of them went out): kept as maybe "
        f"sent, they are not sent again, so leave out --resend-unknown; the {6 - sent} call(s) "
        "left were not sent. Free some space and run the same command again: it skips everyone "
        "already texted and sends the rest."
    ]
    assert _consistent(history) == {"sent": 1, "intent": sent - 1}

    disk.free()
    again = cli(*args)
    assert again.exit_code == 1, again.output  # maybe-sent calls: not a clean success
    assert sorted(_to(sandbox)) == sorted(PHONES)  # nobody texted twice
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["status"].tolist().count("unknown") == sent - 1
