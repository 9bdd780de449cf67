"""The send ledger: what each API call of a job was meant to do, and what became of it.

A POST to Power Textor has no idempotency key, so the only way to never send twice after a
crash is to write down, durably, *before* each POST, that it is about to happen, and after it,
how it ended. The ledger is an SQLite file (WAL journal) keyed by the plan's job id and the
call's batch id. Re-running the same plan reads it and skips what already went out; a call
whose intent was written but whose outcome never was (the process died mid-flight) is
``unknown``: it may or may not have been sent, so it is only sent again when the user asks.

How a bulk run writes it, so that each message costs one cheap write instead of one fsync:

1. ``reserve`` the next few dozen calls (state ``reserved``), durably: one transaction, one
   fsync (``synchronous=FULL``: it survives a power cut). No call is ever POSTed without it.
2. Right before each POST, ``posting`` marks the call ``intent``: a commit without an fsync
   (``synchronous=NORMAL``), which survives the process being killed - not a power cut.
3. The outcome waits in memory and is committed with the next write (or by ``flush()``).

After a crash, ``settle_interrupted`` reads the file: a call marked ``intent`` with no outcome
is ``unknown``. A call still ``reserved`` was never posted if the machine has not restarted
since (the marks of the killed process are all in the file: its writes reached the operating
system) - it is sent again; after a restart (a power cut may have lost marks) it is
``unknown`` too. The machine's boot id tells the two apart; where there is none, reserved
calls are taken as ``unknown``.

Only one process may send a job at a time: ``Ledger.hold(job_id)`` takes an OS file lock
(``flock``) that the kernel releases when the process dies, so a killed run never leaves a
stale lock behind.

The default file is ``.ptdata/ledger.sqlite`` in the current directory.

>>> with Ledger(".ptdata/ledger.sqlite") as ledger, ledger.hold(plan.job_id):
...     done = ledger.records(plan.job_id)
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ptdata.api.errors import UsageError

__all__ = ["DEFAULT_LEDGER", "CampaignChangedError", "JobLockedError", "Ledger", "LedgerRecord"]

DEFAULT_LEDGER = Path(".ptdata") / "ledger.sqlite"

#: call states: ``reserved`` (to be POSTed soon), ``intent`` (about to POST), then sent /
#: scheduled / rejected (the server said no) / not_sent (nothing reached the server, or it
#: refused the key) / unknown
DONE_STATES = ("sent", "scheduled", "rejected")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id      TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    description TEXT,
    family_id   TEXT,
    planned_at  TEXT
);
CREATE TABLE IF NOT EXISTS calls (
    job_id           TEXT NOT NULL,
    batch_id         INTEGER NOT NULL,
    call_key         TEXT NOT NULL,
    operation        TEXT NOT NULL,
    recipients       INTEGER NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT,
    message          TEXT,
    campaign_id      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_attempt_at TEXT,
    finished_at      TEXT,
    boot_id          TEXT,
    PRIMARY KEY (job_id, batch_id)
) WITHOUT ROWID;
"""


class JobLockedError(UsageError):
    """Another process is sending this job right now."""


class CampaignChangedError(UsageError):
    """The same campaign was already (partly) sent under a plan that has since changed.

    The plan of a campaign depends on the clock (quiet hours shift rows, rows fall in the
    past), so re-planning the same sheet and message later gives another job: sending it would
    text again the people the first run reached. ``planned_at`` is the ``now`` of the earlier
    plan: plan again with ``now=planned_at`` to resume that job exactly.
    """

    def __init__(self, message: str, *, earlier_job_id: str, planned_at: str | None) -> None:
        super().__init__(message)
        self.earlier_job_id = earlier_job_id
        self.planned_at = planned_at


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One call of a job as the ledger knows it."""

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


def boot_id() -> str | None:
    """This boot of the machine (Linux), or None: tells a killed process from a power cut."""
    return _read_boot_id()


@functools.lru_cache(maxsize=1)
def _read_boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip() or None
    except OSError:
        return None


def utc_now() -> str:
    """The current UTC time as ISO text (what the ledger stores)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Ledger:
    """An SQLite ledger of API calls; thread-safe (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_LEDGER) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(jobs)")}
            for name in ("family_id", "planned_at"):  # ledgers made before these columns
                if name not in columns:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} TEXT")
            if "boot_id" not in {r[1] for r in self._db.execute("PRAGMA table_info(calls)")}:
                self._db.execute("ALTER TABLE calls ADD COLUMN boot_id TEXT")
            # marks and outcomes go through a second connection, without an fsync of their own
            self._fast = sqlite3.connect(self.path, check_same_thread=False,
                                         isolation_level=None, timeout=30)
            self._fast.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"the ledger {str(self.path)!r} cannot be used ({exc}); "
                             "pass another ledger path") from None
        self._lock = threading.Lock()
        self._pending: list[tuple] = []  # outcomes not yet committed (see outcome())

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit the outcomes still in memory, then close the file."""
        with self._lock:
            self._commit_pending()
            self._fast.close()
            self._db.close()

    # -- one sender per job -------------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self, job_id: str) -> Iterator[None]:
        """Hold the job's lock for the duration; JobLockedError if another sender holds it."""
        lock_dir = self.path.with_name(self.path.name + ".locks")
        lock_dir.mkdir(exist_ok=True)
        lock_path = lock_dir / f"{job_id[:32]}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock_file(fd, lock_path)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # -- records ------------------------------------------------------------------------------

    def start_job(self, job_id: str, description: dict | None = None, *,
                  family_id: str | None = None, planned_at: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO jobs (job_id, created_at, description, family_id, "
                "planned_at) VALUES (?, ?, ?, ?, ?)",
                (job_id, utc_now(), json.dumps(description or {}, default=str), family_id,
                 planned_at),
            )

    def check_family(self, family_id: str, job_id: str) -> None:
        """CampaignChangedError when another job of the same campaign reached the server.

        A job "reached the server" when any of its calls was sent, scheduled, is unknown or
        was about to be posted (or was reserved before the machine restarted: its mark may
        have been lost); jobs that only failed to connect do not count.
        """
        with self._lock:
            self._commit_pending()
            row = self._db.execute(
                "SELECT j.job_id, j.planned_at, COUNT(c.batch_id) FROM jobs j JOIN calls c "
                "ON c.job_id = j.job_id WHERE j.family_id = ? AND j.job_id <> ? AND (c.state IN "
                "('sent', 'scheduled', 'unknown', 'intent') OR (c.state = 'reserved' AND "
                "(c.boot_id IS NULL OR c.boot_id IS NOT ?))) GROUP BY j.job_id "
                "ORDER BY j.created_at DESC LIMIT 1",
                (family_id, job_id, boot_id()),
            ).fetchone()
        if row is None:
            return
        earlier, planned_at, calls = row
        raise CampaignChangedError(
            f"this campaign (the same sheet, message and timing) already went out as job "
            f"{earlier[:12]}, planned at {planned_at} ({calls} call(s) reached Power Textor); "
            "its plan has changed since (quiet hours or past times depend on the clock), so "
            "sending this plan could text people twice. To resume that run, plan again with "
            f"now={planned_at!r} (CLI: --now {planned_at}); to send the campaign again on "
            "purpose, pass force_new_job=True (CLI: --force-new-job).",
            earlier_job_id=earlier, planned_at=planned_at,
        )

    def records(self, job_id: str) -> dict[int, LedgerRecord]:
        """Every call of the job the ledger knows, by batch id."""
        with self._lock:
            self._commit_pending()
            rows = self._db.execute(
                "SELECT batch_id, call_key, operation, recipients, state, reason, message, "
                "campaign_id, attempts, first_attempt_at, finished_at FROM calls WHERE job_id = ?",
                (job_id,),
            ).fetchall()
        return {r[0]: LedgerRecord(*r) for r in rows}

    def settle_interrupted(self, job_id: str) -> int:
        """Settle the calls an earlier sender left half-way (it died); how many there were.

        ``intent`` (maybe posted) becomes ``unknown``; ``reserved`` becomes ``not_sent`` (sent
        again) when this machine has not restarted since it was reserved, ``unknown``
        otherwise (see the module doc).
        """
        in_flight = "the run stopped while this call was in flight; it may or may not have " \
                    "been sent"
        with self._lock, self._writing(self._db) as db:
            settled = db.execute(
                "UPDATE calls SET state = 'unknown', reason = 'interrupted', message = ?, "
                "finished_at = ? WHERE job_id = ? AND state = 'intent'",
                (in_flight, utc_now(), job_id)).rowcount
            return settled + self._unreserve(db, job_id, "interrupted", restarted=True,
                                             reason_unknown="interrupted",
                                             message_unknown=in_flight)

    def reserve(self, job_id: str, calls: list[tuple]) -> None:
        """Record, durably (fsync), the calls about to be sent: one transaction for them all.

        ``calls``: (batch_id, call_key, operation, recipients, attempts, first_attempt_at,
        earlier_state) for each: what an earlier run recorded (0, None, None if nothing). A
        call an earlier run left ``unknown`` goes back to ``unknown`` if this run stops
        before posting it, never to ``not_sent``.
        """
        boot = boot_id()
        rows = [(job_id, b, key, op, n, "was_unknown" if earlier == "unknown" else None,
                 attempts, first, boot)
                for b, key, op, n, attempts, first, earlier in calls]
        with self._lock, self._writing(self._db) as db:
            db.executemany(
                "INSERT OR REPLACE INTO calls (job_id, batch_id, call_key, operation, "
                "recipients, state, reason, message, campaign_id, attempts, "
                "first_attempt_at, finished_at, boot_id) "
                "VALUES (?, ?, ?, ?, ?, 'reserved', ?, NULL, NULL, ?, ?, NULL, ?)", rows)

    def posting(self, job_id: str, batch_id: int, started_at: str) -> None:
        """Mark a reserved call as about to be POSTed (no fsync: see the module doc).

        The outcomes recorded since the last write go in the same transaction.
        """
        with self._lock, self._writing(self._fast) as db:
            cur = db.execute(
                "UPDATE calls SET state = 'intent', reason = NULL, first_attempt_at = "
                "COALESCE(first_attempt_at, ?) WHERE job_id = ? AND batch_id = ? "
                "AND state = 'reserved'", (started_at, job_id, batch_id))
            if cur.rowcount != 1:  # never POST a call the ledger did not reserve
                raise UsageError(f"the ledger has no reservation for call {batch_id} "
                                 f"of job {job_id[:12]}")

    def release(self, job_id: str) -> int:
        """Calls reserved but never posted (the run stopped first) go back to how they were:
        ``not_sent``, or ``unknown`` for those an earlier run had left unknown."""
        with self._lock, self._writing(self._db) as db:
            return self._unreserve(
                db, job_id, "run_stopped", reason_unknown="unknown",
                message_unknown="left unknown by an earlier run; this run stopped before "
                                "sending it again", restarted=False)

    def _unreserve(self, db: sqlite3.Connection, job_id: str, reason: str, *,
                   reason_unknown: str, message_unknown: str, restarted: bool) -> int:
        """Reserved calls that were not posted: ``unknown`` when an earlier run left them so
        (or, with ``restarted``, when reserved before the machine restarted: their marks may
        have been lost), ``not_sent`` otherwise. How many there were."""
        now = utc_now()
        unknown = db.execute(
            "UPDATE calls SET state = 'unknown', reason = ?, message = ?, finished_at = ? "
            "WHERE job_id = ? AND state = 'reserved' AND (reason = 'was_unknown' OR "
            "(? AND (boot_id IS NULL OR boot_id IS NOT ?)))",
            (reason_unknown, message_unknown, now, job_id, restarted, boot_id())).rowcount
        return unknown + db.execute(
            "UPDATE calls SET state = 'not_sent', reason = ?, "
            "message = 'the run stopped before this call was sent', finished_at = ? "
            "WHERE job_id = ? AND state = 'reserved'", (reason, now, job_id)).rowcount

    def outcome(self, job_id: str, batch_id: int, state: str, *, reason: str | None = None,
                message: str | None = None, campaign_id: str | None = None, attempts: int = 0,
                finished_at: str | None = None) -> None:
        """Record how the call ended: committed with the next write, or by ``flush()``.

        A bulk run writes every few tens of milliseconds. Should the process die before, the
        call reads as ``unknown`` - the same as a call that was in flight - never as not sent.
        """
        with self._lock:
            self._pending.append((state, reason, message, campaign_id, attempts,
                                  finished_at or utc_now(), job_id, batch_id))

    def flush(self) -> None:
        """Commit, durably (fsync), everything recorded so far."""
        with self._lock:
            self._commit_pending()

    def _commit_pending(self) -> None:  # with self._lock held
        if self._pending:
            with self._writing(self._db):
                pass

    @contextlib.contextmanager
    def _writing(self, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """One transaction on ``db`` (with self._lock held) that starts by committing the
        outcomes waiting in memory: ``_db`` commits with an fsync, ``_fast`` without."""
        db.execute("BEGIN")
        try:
            for pending in self._pending:
                db.execute(_OUTCOME_SQL, pending)
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._pending.clear()


_OUTCOME_SQL = (
    "UPDATE calls SET state = ?, reason = ?, message = ?, campaign_id = ?, "
    "attempts = attempts + ?, finished_at = ? WHERE job_id = ? AND batch_id = ?"
)


def _lock_file(fd: int, lock_path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: msvcrt's lock, released when the process dies
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise JobLockedError(_busy(lock_path)) from None
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JobLockedError(_busy(lock_path)) from None


def _busy(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text().strip()
    except OSError:
        pid = "?"
    return (f"another ptdata process (pid {pid}) is sending this job right now; wait for it to "
            "finish (or stop it), then run again: the ledger skips what it sent")
