"""The send history: every API call ptdata made, and every recipient each message call reached.

A POST to Power Textor has no idempotency key, so the only way never to text someone twice is
to write down, durably, *before* each POST, who it is about to reach, and after it, how it
ended. The history is one SQLite file (rollback journal, ``synchronous=FULL``: every commit
is on disk before the POST it announces). For each call: its *intent* (the call and its
recipients, one transaction, one fsync) and then its *outcome* (another). A call with an
intent and no outcome - the process died while it was in flight - is ``unknown``: it may or
may not have gone out, so its recipients are only texted again when the user asks.

What a later run reads (``reached``): per account and campaign, every recipient a message
reached or may have reached - whatever the sheet, batch size, suppression list, clock or
working folder of that later run. A campaign is the name the user gives it, or else the
message as written with its kind, place, timing as asked and target kind (see
``ptdata.bulk.campaigns``). Sending a campaign again on purpose opens a new *round* of it.

Accounts: history is kept per Power Textor account *and* server (``account_key``): a sandbox
never shares history with another server, two accounts never share it, and one account keeps
it across key rotations (the account is the ``AccountId`` Power Textor returns).

Damage: a file that is truncated, corrupt, unreadable or has fewer records than it had stops
the run (``LedgerDamagedError``) with a message that never suggests anything that could text
someone twice.

The default file is ``history.sqlite`` in the user's data folder (``PTDATA_HOME`` overrides
the folder), the same from every working folder.

>>> with Ledger() as ledger:                         # the user's history
...     ptdata.history(phone="+14155550123", ledger=ledger)
Empty DataFrame
Columns: [phone, group_id, members, campaign, ...]
Index: []
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptdata.api.errors import PtdataError, UsageError

__all__ = [
    "CampaignChangedError",
    "HistoryFullError",
    "JobLockedError",
    "Ledger",
    "LedgerDamagedError",
    "LedgerRecord",
    "default_path",
    "utc_now",
]

#: call states: ``intent`` (about to POST, or in flight), then sent / scheduled / rejected (the
#: server said no) / not_sent (nothing reached the server, or it refused the key) / unknown
DONE_STATES = ("sent", "scheduled", "rejected")
#: states whose recipients count as reached (or maybe reached) by the call
REACHED_STATES = ("sent", "scheduled", "unknown", "intent")

_SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account    TEXT PRIMARY KEY,
    server     TEXT NOT NULL,
    account_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_keys (key_fp TEXT PRIMARY KEY, account TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id        TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    stopped       TEXT,
    description   TEXT,
    account       TEXT,
    campaign      TEXT,
    campaign_name TEXT,
    round         INTEGER,
    shape         TEXT,
    message       TEXT,
    test          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_campaign ON jobs (account, campaign, round);
CREATE TABLE IF NOT EXISTS calls (
    job_id            TEXT NOT NULL,
    batch_id          INTEGER NOT NULL,
    call_key          TEXT NOT NULL,
    operation         TEXT NOT NULL,
    recipients        INTEGER NOT NULL,
    state             TEXT NOT NULL,
    reason            TEXT,
    message           TEXT,
    campaign_id       TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    first_attempt_at  TEXT,
    finished_at       TEXT,
    reach             INTEGER,
    sent_count        INTEGER,
    undelivered_count INTEGER,
    PRIMARY KEY (job_id, batch_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    job_id        TEXT NOT NULL,
    batch_id      INTEGER NOT NULL,
    recipient     TEXT NOT NULL,
    occasion      TEXT NOT NULL DEFAULT '',
    target        TEXT NOT NULL,
    members       INTEGER,
    text_fp       TEXT,
    scheduled_for TEXT,
    row           INTEGER,
    PRIMARY KEY (job_id, batch_id, recipient, occasion)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_recipient ON messages (recipient);
"""


#: the messages of these accounts' real (not test) runs whose call reached or may have reached
#: Power Textor; ``.format(account marks, state marks)``
_REACHED = (
    "FROM jobs j JOIN messages m ON m.job_id = j.job_id "
    "JOIN calls c ON c.job_id = m.job_id AND c.batch_id = m.batch_id "
    "WHERE j.account IN ({}) AND j.test = 0 AND c.state IN ({})"
)


class JobLockedError(UsageError):
    """Another process is sending this campaign (or job) right now."""


class HistoryFullError(PtdataError, OSError):
    """The send history could not be written: its disk (or the user's quota) is full. What
    was being written is rolled back whole, so the history stays consistent; the message says
    what it holds and how to go on (``errno`` is ``ENOSPC``)."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


class LedgerDamagedError(UsageError):
    """The history file is damaged: ptdata will not send with it (it can no longer tell who
    already got what)."""


class CampaignChangedError(UsageError):
    """Kept for code that catches it: campaigns no longer refuse a changed plan (a later run of
    a campaign skips everyone who already got it, whatever changed)."""

    def __init__(
        self, message: str, *, earlier_job_id: str = "", planned_at: str | None = None
    ) -> None:
        super().__init__(message)
        self.earlier_job_id = earlier_job_id
        self.planned_at = planned_at


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One call of a job as the history knows it."""

    batch_id: int
    call_key: str
    operation: str
    recipients: int
    state: str
    reason: str | None
    message: str | None
    campaign_id: str | None
    attempts: int
    first_attempt_at: str | None
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class Account:
    """Whose history a run reads and writes.

    ``key`` names the account in the file; ``exact`` is False when Power Textor has not told
    ptdata the ``AccountId`` yet (a new key on an account without places): then ``related``
    lists every account known on the same server, whose history is all counted, to be safe.
    """

    key: str
    server: str
    exact: bool
    related: tuple[str, ...]


def default_path() -> Path:
    """``$PTDATA_HOME/history.sqlite``, else ``history.sqlite`` in the user's data folder."""
    home = os.environ.get("PTDATA_HOME")
    if home:
        return Path(home).expanduser() / "history.sqlite"
    import platformdirs

    return platformdirs.user_data_path("ptdata", appauthor=False) / "history.sqlite"


def utc_now() -> str:
    """The current UTC time as ISO text (what the history stores)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _damaged(path: Path, what: str) -> LedgerDamagedError:
    return LedgerDamagedError(
        f"the send history {str(path)!r} is damaged ({what}). ptdata will not send with it: it "
        "could no longer tell who already got which message, and would text them again. Put "
        "back a copy of this file from your backups if you have one made after your last "
        "send, or ask whoever looks after this computer to recover it; until then, check "
        "what went out in the Power Textor web app."
    )


class Ledger:
    """The send history in an SQLite file; thread-safe (one connection, one lock).

    Args:
        path: the file; default ``default_path()`` (``PTDATA_HOME`` or the user's data folder).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._marker = self.path.with_name(self.path.name + ".count")
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            # the first read rolls back what a killed writer left half-done (a hot journal):
            # only then do the file's size and its header agree
            if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _damaged(self.path, "SQLite's integrity check failed")
            self._check_file()
            self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise _damaged(self.path, str(exc)) from None
        except LedgerDamagedError:
            self._close_quietly()
            raise
        self._lock = threading.Lock()
        self._calls = self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        self._check_count()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_quietly(self) -> None:
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self._db.close()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    # -- damage ---------------------------------------------------------------------------------

    def _check_file(self) -> None:
        """The header's page count against the file's size: a truncated file says so here."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            if self._marker.exists() and int(self._read_marker() or 0) > 0:
                raise _damaged(
                    self.path, f"the file is gone, but it held {self._read_marker()} calls"
                ) from None
            return
        if size == 0:
            if int(self._read_marker() or 0) > 0:
                raise _damaged(self.path, "the file is empty")
            return
        try:
            with open(self.path, "rb") as f:
                header = f.read(100)
        except OSError as exc:
            raise _damaged(self.path, f"it cannot be read: {exc.strerror}") from None
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            raise _damaged(self.path, "it is not an SQLite file")
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        if size % page_size or (pages and size < pages * page_size):
            raise _damaged(
                self.path, f"the file is cut short: {size:,} bytes of {pages * page_size:,}"
            )

    def _read_marker(self) -> str | None:
        try:
            return self._marker.read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def _check_count(self) -> None:
        """Fewer calls than the file held after its last run: truncated or replaced."""
        known = self._read_marker()
        if known is None or not known.isdigit():
            return
        have = self._calls
        if have < int(known):
            raise _damaged(
                self.path,
                f"it has {have:,} calls on record but had {int(known):,} "
                "after the last run: it was cut short or replaced",
            )

    def _write_marker(self) -> None:
        """How many calls the file holds, beside it (written after they are committed). On a
        full disk the marker keeps its last count: lower is only a weaker check, never wrong."""
        tmp = self._marker.with_name(self._marker.name + ".tmp")
        try:
            tmp.write_text(f"{self._calls}\n", encoding="ascii")
            os.replace(tmp, self._marker)
        except OSError as exc:
            if not _is_full(exc):
                raise
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _migrate(self) -> None:
        version = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if version is None:
            jobs = {r[1] for r in self._db.execute("PRAGMA table_info(jobs)")}
            for name in (
                "finished_at",
                "stopped",
                "account",
                "campaign",
                "campaign_name",
                "round",
                "shape",
                "message",
            ):
                if name not in jobs:  # a ledger from before the history
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} TEXT")
            if "test" not in jobs:
                self._db.execute("ALTER TABLE jobs ADD COLUMN test INTEGER NOT NULL DEFAULT 0")
            calls = {r[1] for r in self._db.execute("PRAGMA table_info(calls)")}
            for name in ("reach", "sent_count", "undelivered_count"):
                if name not in calls:
                    self._db.execute(f"ALTER TABLE calls ADD COLUMN {name} INTEGER")
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_SCHEMA_VERSION,)
            )
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),)
            )

    # -- one sender at a time -------------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Hold the lock called ``name`` (a campaign, a job) for the duration.

        JobLockedError if another process holds it; the lock is the kernel's, so a killed
        process never leaves it behind.
        """
        lock_dir = self.path.with_name(self.path.name + ".locks")
        lock_dir.mkdir(exist_ok=True)
        lock_path = lock_dir / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock_file(fd, lock_path)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # -- accounts -------------------------------------------------------------------------------

    @property
    def salt(self) -> bytes:
        """This file's random salt for key fingerprints (a key is never stored)."""
        with self._lock:
            return bytes.fromhex(
                self._db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
            )

    def account(self, server: str, account_id: str | None, key_fp: str) -> Account:
        """The account a run belongs to: by ``AccountId`` when known, else by the key."""
        with self._lock, self._writing() as db:
            if account_id:
                key = f"{server}#{account_id}"
                db.execute(
                    "INSERT OR IGNORE INTO accounts VALUES (?, ?, ?, ?)",
                    (key, server, account_id, utc_now()),
                )
                db.execute("INSERT OR REPLACE INTO account_keys VALUES (?, ?)", (key_fp, key))
                return Account(key, server, True, (key,))
            row = db.execute(
                "SELECT a.account FROM account_keys k JOIN accounts a ON "
                "a.account = k.account WHERE k.key_fp = ? AND a.server = ?",
                (key_fp, server),
            ).fetchone()
            if row is not None:
                return Account(row[0], server, True, (row[0],))
            key = f"{server}#key:{key_fp[:16]}"
            db.execute(
                "INSERT OR IGNORE INTO accounts VALUES (?, ?, NULL, ?)", (key, server, utc_now())
            )
            db.execute("INSERT OR REPLACE INTO account_keys VALUES (?, ?)", (key_fp, key))
            related = tuple(
                r[0]
                for r in db.execute(
                    "SELECT account FROM accounts WHERE server = ? ORDER BY account", (server,)
                )
            )
            return Account(key, server, False, related)

    def learn_account_id(self, account: Account, account_id: str) -> Account:
        """Power Textor named the account of a provisional one: move its history there."""
        if account.exact:
            return account
        real = f"{account.server}#{account_id}"
        with self._lock, self._writing() as db:
            db.execute(
                "INSERT OR IGNORE INTO accounts VALUES (?, ?, ?, ?)",
                (real, account.server, account_id, utc_now()),
            )
            db.execute("UPDATE jobs SET account = ? WHERE account = ?", (real, account.key))
            db.execute("UPDATE account_keys SET account = ? WHERE account = ?", (real, account.key))
            db.execute("DELETE FROM accounts WHERE account = ?", (account.key,))
        return Account(real, account.server, True, (real,))

    # -- jobs -----------------------------------------------------------------------------------

    def start_job(
        self,
        job_id: str,
        description: dict | None = None,
        *,
        account: str | None = None,
        campaign: str | None = None,
        campaign_name: str | None = None,
        round: int | None = None,
        shape: str | None = None,
        message: str | None = None,
        test: bool = False,
    ) -> None:
        """Record a run (``INSERT OR IGNORE``: a job id met again is the same job)."""
        with self._lock, self._writing() as db:
            db.execute(
                "INSERT OR IGNORE INTO jobs (job_id, created_at, description, account, campaign, "
                "campaign_name, round, shape, message, test) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    utc_now(),
                    json.dumps(description or {}, default=str),
                    account,
                    campaign,
                    campaign_name,
                    round,
                    shape,
                    message,
                    int(test),
                ),
            )

    def finish_job(self, job_id: str, stopped: str | None) -> None:
        """The run ended: how (``stopped`` is None when it went to the end)."""
        with self._lock, self._writing() as db:
            db.execute(
                "UPDATE jobs SET finished_at = ?, stopped = ? WHERE job_id = ?",
                (utc_now(), stopped, job_id),
            )
            self._write_marker()

    # -- calls ----------------------------------------------------------------------------------

    def intent(
        self,
        job_id: str,
        batch_id: int,
        call_key: str,
        operation: str,
        recipients: int,
        started_at: str,
        *,
        attempts: int = 0,
        messages: Sequence[tuple] = (),
    ) -> None:
        """Record, durably, that a call is about to be POSTed, and whom it reaches.

        ``messages``: (recipient, occasion, target, members, text_fp, scheduled_for, row) per
        recipient of a message call. ``attempts`` carries an earlier run's count for the call.
        """
        with self._lock, self._writing() as db:
            known = db.execute(
                "UPDATE calls SET call_key = ?, operation = ?, recipients = ?, state = 'intent', "
                "reason = NULL, message = NULL, first_attempt_at = COALESCE(first_attempt_at, ?) "
                "WHERE job_id = ? AND batch_id = ?",
                (call_key, operation, recipients, started_at, job_id, batch_id),
            ).rowcount
            if not known:
                db.execute(
                    "INSERT INTO calls (job_id, batch_id, call_key, operation, recipients, state, "
                    "attempts, first_attempt_at) VALUES (?, ?, ?, ?, ?, 'intent', ?, ?)",
                    (job_id, batch_id, call_key, operation, recipients, attempts, started_at),
                )
            if messages:
                db.executemany(
                    "INSERT OR REPLACE INTO messages (job_id, batch_id, recipient, occasion, "
                    "target, members, text_fp, scheduled_for, row) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(job_id, batch_id, *m) for m in messages],
                )
        if not known:  # counted once committed: a write that failed adds no call
            with self._lock:
                self._calls += 1
                if self._calls % 16 == 0:
                    self._write_marker()

    def outcome(
        self,
        job_id: str,
        batch_id: int,
        state: str,
        *,
        reason: str | None = None,
        message: str | None = None,
        campaign_id: str | None = None,
        attempts: int = 0,
        finished_at: str | None = None,
        counts: Sequence[int | None] = (None,) * 3,
    ) -> None:
        """Record, durably, how the call ended (``counts``: Reach, SentCount, UndeliveredCount)."""
        with self._lock, self._writing() as db:
            db.execute(
                "UPDATE calls SET state = ?, reason = ?, message = ?, campaign_id = ?, "
                "attempts = attempts + ?, finished_at = ?, reach = ?, sent_count = ?, "
                "undelivered_count = ? WHERE job_id = ? AND batch_id = ?",
                (
                    state,
                    reason,
                    message,
                    campaign_id,
                    attempts,
                    finished_at or utc_now(),
                    *counts,
                    job_id,
                    batch_id,
                ),
            )

    def records(self, job_id: str) -> dict[int, LedgerRecord]:
        """Every call of the job the history knows, by batch id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT batch_id, call_key, operation, recipients, state, reason, message, "
                "campaign_id, attempts, first_attempt_at, finished_at FROM calls WHERE job_id = ?",
                (job_id,),
            ).fetchall()
        return {r[0]: LedgerRecord(*r) for r in rows}

    def settle_interrupted(
        self,
        job_ids: Iterable[str] | None = None,
        *,
        account: str | None = None,
        campaign: str | None = None,
    ) -> int:
        """Calls an earlier sender left in flight (it died) become ``unknown``; how many.

        Call it holding the lock of those jobs (or of the campaign): only a dead sender
        leaves an intent behind then.
        """
        in_flight = (
            "the run stopped while this call was in flight; it may or may not have been sent"
        )
        with self._lock, self._writing() as db:
            if job_ids is not None:
                ids = list(job_ids)
            else:
                ids = [
                    r[0]
                    for r in db.execute(
                        "SELECT job_id FROM jobs WHERE account = ? AND campaign = ?",
                        (account, campaign),
                    )
                ]
            n = 0
            for job_id in ids:
                n += db.execute(
                    "UPDATE calls SET state = 'unknown', reason = 'interrupted', message = ?, "
                    "finished_at = ? WHERE job_id = ? AND state = 'intent'",
                    (in_flight, utc_now(), job_id),
                ).rowcount
            return n

    # -- campaigns --------------------------------------------------------------------------

    def campaigns(self, accounts: Sequence[str], shape: str) -> list[tuple[str, str, str]]:
        """(campaign, message, last sent) of the unnamed campaigns of this shape, newest first."""
        marks = ",".join("?" * len(accounts))
        with self._lock:
            return self._db.execute(
                f"SELECT campaign, message, MAX(created_at) FROM jobs WHERE account IN ({marks}) "
                "AND shape = ? AND campaign_name IS NULL AND test = 0 GROUP BY campaign "
                "ORDER BY MAX(created_at) DESC LIMIT 50",
                (*accounts, shape),
            ).fetchall()

    def rounds(self, accounts: Sequence[str], campaign: str) -> list[tuple[int, bool]]:
        """(round, finished) of the campaign, oldest first: finished when a run of it went to
        the end."""
        marks = ",".join("?" * len(accounts))
        with self._lock:
            return [
                (int(r), bool(done))
                for r, done in self._db.execute(
                    f"SELECT round, MAX(finished_at IS NOT NULL AND stopped IS NULL) FROM jobs "
                    f"WHERE account IN ({marks}) AND campaign = ? AND test = 0 GROUP BY round "
                    "ORDER BY round",
                    (*accounts, campaign),
                )
            ]

    def reached(self, accounts: Sequence[str], campaign: str, round: int) -> list[tuple]:
        """Every recipient the campaign's round reached or may have reached.

        (recipient, occasion, state, when, job_id, campaign_id), the latest call per recipient.
        """
        marks = ",".join("?" * len(accounts))
        states = ",".join("?" * len(REACHED_STATES))
        with self._lock:
            return self._db.execute(
                "SELECT m.recipient, m.occasion, c.state, COALESCE(c.finished_at, "
                f"c.first_attempt_at), m.job_id, c.campaign_id {_REACHED.format(marks, states)} "
                "AND j.campaign = ? AND j.round = ? ORDER BY c.first_attempt_at",
                (*accounts, *REACHED_STATES, campaign, round),
            ).fetchall()

    def sent_since(self, accounts: Sequence[str], since: str) -> list[tuple[str, int]]:
        """(recipient, messages) reached since ``since`` (ISO UTC) in any campaign, by when each
        message goes out (its scheduled time, else when it was sent)."""
        marks = ",".join("?" * len(accounts))
        states = ",".join("?" * len(REACHED_STATES))
        with self._lock:
            return self._db.execute(
                f"SELECT m.recipient, COUNT(*) {_REACHED.format(marks, states)} AND "
                "COALESCE(m.scheduled_for, c.first_attempt_at) >= ? GROUP BY m.recipient",
                (*accounts, *REACHED_STATES, since),
            ).fetchall()

    def history_rows(self, where: str = "", params: Sequence[Any] = ()) -> tuple[list[str], list]:
        """Every recorded message (one row per recipient per call), for ``ptdata.history``."""
        sql = (
            "SELECT m.recipient, m.target, m.members, j.campaign_name, j.campaign, j.round, "
            "m.job_id, m.batch_id, j.account, m.occasion, m.text_fp, c.operation, c.state, "
            "c.reason, c.message, c.campaign_id, c.reach, c.sent_count, c.undelivered_count, "
            "c.recipients, c.attempts, c.first_attempt_at, c.finished_at, m.scheduled_for, "
            "m.row, j.message AS written, j.test "
            "FROM messages m JOIN jobs j ON j.job_id = m.job_id "
            "JOIN calls c ON c.job_id = m.job_id AND c.batch_id = m.batch_id"
        )
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY c.first_attempt_at, m.job_id, m.batch_id, m.row"
        with self._lock:
            cur = self._db.execute(sql, tuple(params))
            return [d[0] for d in cur.description], cur.fetchall()

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction (with self._lock held), committed with an fsync; on a full disk it
        is rolled back whole (SQLite may have done so already) and HistoryFullError raised."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if _is_full(exc):
                raise HistoryFullError(
                    errno.ENOSPC,
                    f"could not write the send history {self.path}: the disk is full (no space "
                    "left on device); what was being recorded was rolled back. Free some space "
                    "and run the same command again: the history skips everyone it reached",
                ) from None
            raise


def _lock_file(fd: int, lock_path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - msvcrt's lock, released when the process dies
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise JobLockedError(_busy(lock_path)) from None
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JobLockedError(_busy(lock_path)) from None


def _busy(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text().strip()
    except OSError:
        pid = "?"
    return (
        f"another ptdata process (pid {pid}) is sending this campaign right now; wait for it "
        "to finish (or stop it), then run again: the history skips everyone it reached"
    )
