"""The sandbox's state in SQLite: contacts, groups, places, campaigns, per-recipient messages,
webhook registrations and the log of received requests.

One connection guarded by one lock: uvicorn's loop thread, the in-process transport's loop
and test threads all touch it, and every statement is short (indexed look-ups, no scans on
the request path). In memory by default; a file keeps the state across restarts.

>>> store = Store()                        # seeded with places, groups and 555 contacts
>>> [p["Name"] for p in store.places()]
['Main Street Bakery', 'Harbor Dental', 'Uptown Salon']
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["ACCOUNT_ID", "Store", "api_time", "new_id"]

_NS = uuid.UUID("6f1d3c2e-3a52-4e55-9c1b-5a0d5b7e0a11")
#: The sandbox's one account (every AccountId in replies).
ACCOUNT_ID = str(uuid.uuid5(_NS, "account"))
USER_ID = str(uuid.uuid5(_NS, "user"))

SEED_PLACES = (
    ("Main Street Bakery", "ChIJsBx1Ez-AhYARkM3nStBkry4"),
    ("Harbor Dental", "ChIJ7cmHrbrDntlRq9xWQ4sLp2E"),
    ("Uptown Salon", "ChIJupTwnSln_3kPz8LmVa0YcQw"),
)
SEED_CONTACTS = (
    ("+14155550101", "Ava", "Martinez"),
    ("+14155550102", "Ben", "Carter"),
    ("+14155550103", "Chloe", "Nguyen"),
    ("+14155550104", "Diego", "Alvarez"),
    ("+14155550105", "Emma", "Johnson"),
    ("+14155550106", "Farah", "Khan"),
    ("+14155550107", "Gabe", "Wilson"),
    ("+14155550108", "Hana", "Sato"),
)
SEED_GROUPS = (
    ("VIP customers", ("+14155550101", "+14155550102", "+14155550103")),
    ("Newsletter", ("+14155550101", "+14155550104", "+14155550105", "+14155550106")),
    ("Staff", ("+14155550107", "+14155550108")),
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS contacts (
    contact_id TEXT PRIMARY KEY, phone TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'Active',
    welcome_sent INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS groups_name ON groups(name);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL, contact_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (group_id, contact_id));
CREATE INDEX IF NOT EXISTS group_members_contact ON group_members(contact_id);
CREATE TABLE IF NOT EXISTS places (
    place_id TEXT PRIMARY KEY, google_place_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id TEXT PRIMARY KEY, operation TEXT NOT NULL, kind TEXT NOT NULL,
    type TEXT NOT NULL, body TEXT NOT NULL, place_id TEXT, send_at TEXT NOT NULL,
    scheduled INTEGER NOT NULL, status TEXT NOT NULL, reach INTEGER NOT NULL,
    sent_count INTEGER NOT NULL, undelivered_count INTEGER NOT NULL, group_ids TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, campaign_id TEXT NOT NULL,
    operation TEXT NOT NULL, phone TEXT NOT NULL, contact_id TEXT, body TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, send_at TEXT NOT NULL, place_id TEXT,
    attachment_name TEXT, attachment_size INTEGER, attachment_type TEXT,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_campaign ON messages(campaign_id);
CREATE INDEX IF NOT EXISTS messages_phone ON messages(phone);
CREATE TABLE IF NOT EXISTS webhooks (
    registration_id TEXT PRIMARY KEY, kind TEXT NOT NULL, url TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY, received_at TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, operation TEXT, record TEXT NOT NULL, status TEXT, fault TEXT,
    duration_ms REAL);
"""

_TABLES = (
    "contacts",
    "groups",
    "group_members",
    "places",
    "campaigns",
    "messages",
    "webhooks",
    "requests",
    "meta",
)


def new_id() -> str:
    """A fresh id in the GUID form Power Textor uses."""
    return str(uuid.uuid4())


def api_time(moment: datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ss.fffZ`` (UTC), the spec's timestamp format."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _now() -> str:
    return api_time(datetime.now(UTC))


class Store:
    """SQLite-backed state of one sandbox; every method is thread-safe."""

    def __init__(self, path: str | None = None, *, seed: bool = True) -> None:
        self.path = path or ":memory:"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._seed_data = seed
        if seed and self._meta("seeded") is None:
            self._seed()

    # -- housekeeping ------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def reset(self) -> None:
        """Forget everything (messages, requests, webhooks, new contacts) and re-seed."""
        with self._lock, self._tx():
            for table in _TABLES:
                self._db.execute(f"DELETE FROM {table}")
        if self._seed_data:
            self._seed()

    def _tx(self):
        db = self._db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, exc_type, *rest):
                db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _seed(self) -> None:
        with self._lock, self._tx():
            now = _now()
            for name, gpid in SEED_PLACES:
                self._db.execute(
                    "INSERT INTO places VALUES (?,?,?,?)",
                    (str(uuid.uuid5(_NS, "place:" + name)), gpid, name, now),
                )
            for phone, first, last in SEED_CONTACTS:
                self._db.execute(
                    "INSERT INTO contacts VALUES (?,?,?,?, 'Active', 1, ?)",
                    (str(uuid.uuid5(_NS, "contact:" + phone)), phone, first, last, now),
                )
            for name, phones in SEED_GROUPS:
                gid = str(uuid.uuid5(_NS, "group:" + name))
                self._db.execute("INSERT INTO groups VALUES (?,?,?)", (gid, name, now))
                for i, phone in enumerate(phones):
                    cid = str(uuid.uuid5(_NS, "contact:" + phone))
                    self._db.execute("INSERT INTO group_members VALUES (?,?,?)", (gid, cid, i))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('seeded', '1')")

    # -- contacts ----------------------------------------------------------------------------

    def contact_by_phone(self, phone: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM contacts WHERE phone=?", (phone,)).fetchone()
            return dict(row) if row else None

    def contacts_by_phone(self, phones: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The contacts among ``phones``, keyed by phone (one indexed look-up each)."""
        with self._lock:
            out = {}
            for phone in dict.fromkeys(phones):
                row = self._db.execute("SELECT * FROM contacts WHERE phone=?", (phone,)).fetchone()
                if row:
                    out[phone] = dict(row)
            return out

    def upsert_contact(
        self, phone: str, name: str | None = None, last_name: str | None = None
    ) -> dict[str, Any]:
        """Create the contact, or update the names given (non-empty) of the existing one."""
        with self._lock, self._tx():
            return self._upsert_contact(phone, name, last_name)

    def _upsert_contact(
        self, phone: str, name: str | None, last_name: str | None
    ) -> dict[str, Any]:
        row = self._db.execute("SELECT * FROM contacts WHERE phone=?", (phone,)).fetchone()
        if row is None:
            cid = new_id()
            self._db.execute(
                "INSERT INTO contacts VALUES (?,?,?,?, 'Active', 0, ?)",
                (cid, phone, name or "", last_name or "", _now()),
            )
        else:
            cid = row["contact_id"]
            if name:
                self._db.execute("UPDATE contacts SET name=? WHERE contact_id=?", (name, cid))
            if last_name:
                self._db.execute(
                    "UPDATE contacts SET last_name=? WHERE contact_id=?", (last_name, cid)
                )
        return dict(
            self._db.execute("SELECT * FROM contacts WHERE contact_id=?", (cid,)).fetchone()
        )

    def update_contact(self, contact_id: str, **changes: str) -> dict[str, Any]:
        """Set ``name``, ``last_name`` or ``phone`` of a contact (columns given by keyword)."""
        allowed = {"name", "last_name", "phone", "status", "welcome_sent"}
        with self._lock, self._tx():
            for column, value in changes.items():
                if column not in allowed:
                    raise KeyError(column)
                self._db.execute(
                    f"UPDATE contacts SET {column}=? WHERE contact_id=?",
                    (value, contact_id),
                )
            row = self._db.execute("SELECT * FROM contacts WHERE contact_id=?", (contact_id,))
            return dict(row.fetchone())

    def set_status_by_phone(self, phone: str, status: str) -> bool:
        """Mark the contact with this phone Active/Unsubscribed; False when there is none."""
        with self._lock:
            cur = self._db.execute("UPDATE contacts SET status=? WHERE phone=?", (status, phone))
            return cur.rowcount > 0

    def contacts(self) -> list[dict[str, Any]]:
        """Every contact with the names of its groups (comma-separated), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.*, (SELECT group_concat(g.name, ', ') FROM group_members m "
                "JOIN groups g ON g.group_id = m.group_id WHERE m.contact_id = c.contact_id) "
                "AS group_names FROM contacts c ORDER BY c.rowid"
            ).fetchall()
            return [dict(r) for r in rows]

    def groups_of(self, contact_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT g.group_id, g.name, (SELECT count(*) FROM group_members x "
                "WHERE x.group_id = g.group_id) AS contacts_count FROM group_members m "
                "JOIN groups g ON g.group_id = m.group_id WHERE m.contact_id=? ORDER BY g.rowid",
                (contact_id,),
            ).fetchall()
            return [dict(r) for r in rows]

    # -- groups and places -------------------------------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT g.group_id, g.name, (SELECT count(*) FROM group_members m "
                "WHERE m.group_id = g.group_id) AS contacts_count FROM groups g ORDER BY g.rowid"
            ).fetchall()
            return [dict(r) for r in rows]

    def group(self, group_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT g.group_id, g.name, (SELECT count(*) FROM group_members m "
                "WHERE m.group_id = g.group_id) AS contacts_count FROM groups g WHERE group_id=?",
                (group_id,),
            ).fetchone()
            return dict(row) if row else None

    def groups_named(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT group_id, name FROM groups WHERE name = ? COLLATE NOCASE", (name,)
            ).fetchall()
            return [dict(r) for r in rows]

    def members(self, group_id: str) -> list[dict[str, Any]]:
        """The group's contacts in the order they joined."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.* FROM group_members m JOIN contacts c ON c.contact_id = m.contact_id "
                "WHERE m.group_id=? ORDER BY m.seq",
                (group_id,),
            ).fetchall()
            return [dict(r) for r in rows]

    def create_group_with(
        self, name: str, phones: Sequence[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The group named ``name`` (made if missing) with ``phones`` added as members.

        Contacts are created for numbers that are not contacts yet. Returns the group and the
        member contacts for ``phones``, in order.
        """
        with self._lock, self._tx():
            row = self._db.execute(
                "SELECT group_id FROM groups WHERE name=? ORDER BY rowid LIMIT 1", (name,)
            ).fetchone()
            if row is None:
                gid = new_id()
                self._db.execute("INSERT INTO groups VALUES (?,?,?)", (gid, name, _now()))
            else:
                gid = row[0]
            seq = self._db.execute(
                "SELECT coalesce(max(seq), -1) FROM group_members WHERE group_id=?", (gid,)
            ).fetchone()[0]
            contacts = []
            for phone in phones:
                contact = self._upsert_contact(phone, None, None)
                contacts.append(contact)
                seq += 1
                self._db.execute(
                    "INSERT OR IGNORE INTO group_members VALUES (?,?,?)",
                    (gid, contact["contact_id"], seq),
                )
        return self.group(gid), contacts  # type: ignore[return-value]

    def places(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT place_id, google_place_id, name, created_at FROM places ORDER BY rowid"
            ).fetchall()
            return [
                {
                    "PlaceId": r[0],
                    "AccountId": ACCOUNT_ID,
                    "GooglePlaceId": r[1],
                    "Name": r[2],
                    "CreatedAt": r[3],
                }
                for r in rows
            ]

    def place_by_google_id(self, google_place_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM places WHERE google_place_id=?", (google_place_id,)
            ).fetchone()
            return dict(row) if row else None

    # -- campaigns and messages --------------------------------------------------------------

    def add_campaign(self, campaign: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        """Store one accepted send and its per-recipient messages in one transaction."""
        cols = (
            "campaign_id",
            "operation",
            "kind",
            "type",
            "body",
            "place_id",
            "send_at",
            "scheduled",
            "status",
            "reach",
            "sent_count",
            "undelivered_count",
            "group_ids",
            "created_at",
        )
        row = dict(campaign, group_ids=json.dumps(campaign.get("group_ids", [])))
        mcols = (
            "message_id",
            "campaign_id",
            "operation",
            "phone",
            "contact_id",
            "body",
            "kind",
            "status",
            "send_at",
            "place_id",
            "attachment_name",
            "attachment_size",
            "attachment_type",
            "created_at",
        )
        with self._lock, self._tx():
            self._db.execute(
                f"INSERT INTO campaigns ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                tuple(row.get(c) for c in cols),
            )
            self._db.executemany(
                f"INSERT INTO messages ({','.join(mcols)}) VALUES ({','.join('?' * len(mcols))})",
                [tuple(m.get(c) for c in mcols) for m in messages],
            )

    def messages(
        self, *, campaign_id: str | None = None, phone: str | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        """Per-recipient message rows in the order they were stored."""
        where = ["id > ?"]
        args: list[int | str] = [since]
        if campaign_id:
            where.append("campaign_id = ?")
            args.append(campaign_id)
        if phone:
            where.append("phone = ?")
            args.append(phone)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM messages WHERE {' AND '.join(where)} ORDER BY id",
                args,
            ).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            name, size, ctype = (
                d.pop("attachment_name"),
                d.pop("attachment_size"),
                d.pop("attachment_type"),
            )
            d["scheduled"] = d["status"] == "scheduled"
            d["attachment"] = (
                {"filename": name, "size": size, "content_type": ctype}
                if name is not None
                else None
            )
            out.append(d)
        return out

    def message_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM messages").fetchone()[0]

    def campaigns(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM campaigns ORDER BY rowid").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["group_ids"] = json.loads(d["group_ids"])
            d["scheduled"] = bool(d["scheduled"])
            out.append(d)
        return out

    # -- webhooks ----------------------------------------------------------------------------

    def add_webhook(self, kind: str, url: str) -> dict[str, Any]:
        reg = {"registration_id": new_id(), "kind": kind, "url": url, "created_at": _now()}
        with self._lock:
            self._db.execute("INSERT INTO webhooks VALUES (?,?,?,?)", tuple(reg.values()))
        return reg

    def delete_webhook(self, registration_id: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM webhooks WHERE registration_id=?", (registration_id,)
            )
            return cur.rowcount > 0

    def webhooks(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if kind:
                rows = self._db.execute(
                    "SELECT * FROM webhooks WHERE kind=? ORDER BY rowid", (kind,)
                ).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM webhooks ORDER BY rowid").fetchall()
            return [dict(r) for r in rows]

    # -- the request log ---------------------------------------------------------------------

    def log_request(self, received_at: str, method: str, path: str) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO requests (received_at, method, path, record) VALUES (?,?,?, '{}')",
                (received_at, method, path),
            )
            return cur.lastrowid  # type: ignore[return-value]

    def finish_request(
        self,
        seq: int,
        *,
        operation: str | None,
        record: dict[str, Any],
        status: str,
        fault: str | None,
        duration_ms: float,
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE requests SET operation=?, record=?, status=?, fault=?, duration_ms=? "
                "WHERE seq=?",
                (operation, json.dumps(record), status, fault, duration_ms, seq),
            )

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM requests WHERE seq > ? ORDER BY seq", (since,)
            ).fetchall()
        out = []
        for r in rows:
            status = r["status"]
            entry: dict[str, Any] = {
                "seq": r["seq"],
                "received_at": r["received_at"],
                "method": r["method"],
                "path": r["path"],
                "operationId": r["operation"],
                "status": int(status) if status and status.isdigit() else status,
                "fault": r["fault"],
                "duration_ms": r["duration_ms"],
            }
            entry.update(json.loads(r["record"]))
            out.append(entry)
        return out

    def clear_requests(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM requests")

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                t: self._db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in (
                    "contacts",
                    "groups",
                    "places",
                    "campaigns",
                    "messages",
                    "webhooks",
                    "requests",
                )
            }
