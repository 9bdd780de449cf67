"""Keep Power Textor's contacts in step with a sheet: diff first (a dry run), then apply.

``plan_sync`` reads ``GetContacts`` (and ``GetGroups`` when the sheet has a Groups column) and
returns a ``SyncPlan`` whose ``frame`` is the diff: for every sheet row ``create``,
``update`` (the name differs), ``unchanged`` or ``skipped`` (invalid or duplicate), then the
Power Textor contacts the sheet does not mention (``only_in_powertextor``: listed, never
deleted — the API has no delete). ``apply_sync`` makes the calls (``CreateAContact`` for
creates, ``UpdateAPowerTextorContact`` for updates) paced, with progress, the send ledger
and the send's retry rules: only failures before anything reached the server are retried;
a timeout, dropped connection or 5xx leaves the row ``unknown`` and a later sync does not
repeat that call unless ``resend_unknown=True``.

Groups: the sheet's group names are resolved to GroupIds (``GetGroups``); unknown names are
reported with the closest existing names. Power Textor's API has **no action that adds an
existing contact to a group** (groups are only made by the "new group" send actions), so the
sync reports membership differences (``missing_groups``, ``extra_groups``) as information
and changes no membership.

>>> import ptdata
>>> client = ptdata.PowerTextor()
>>> p = ptdata.plan_sync(ptdata.read_sheet("crm.csv"), client)     # the dry run
>>> print(p.summary()); p.frame.head()
10 sheet rows against 8 Power Textor contacts: 7 create, 3 update, 0 unchanged,
5 only in Power Textor
  contacts only in Power Textor are listed, never deleted (the API has no delete)
  unknown group names: VIP (no close name)
  group membership differs on 7 rows (see missing_groups, extra_groups)
  note: Power Textor's API has no action that adds a contact to a group ...
  10 API calls to make
   row         phone  ...   extra_groups       unknown_groups
0    2  +14155550101  ...  VIP customers  VIP (no close name)
...
>>> result = ptdata.apply_sync(p, client, rate=5)                  # or sync_contacts(...)
>>> result.write("sync-report.xlsx")
PosixPath('sync-report.xlsx')
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptdata._words import Summary
from ptdata.api.errors import UsageError
from ptdata.api.operations import get_operation
from ptdata.bulk.ledger import Ledger
from ptdata.bulk.plan_object import Call
from ptdata.bulk.report import RowOutcomes, kept_columns
from ptdata.bulk.writers import write_frame
from ptdata.contacts.diff import GroupResolution, diff_contacts, resolve_group_names

__all__ = [
    "NO_GROUP_ACTION",
    "REPORT_COLUMNS",
    "STATUSES",
    "SyncPlan",
    "SyncResult",
    "apply_sync",
    "plan_sync",
    "sync_contacts",
]

#: what became of each row
STATUSES = (
    "created",
    "updated",
    "unchanged",
    "failed",
    "unknown",
    "skipped",
    "planned",
    "only_in_powertextor",
)
#: skip reasons that are the rules doing their job (a sync with only these is a success)
RULE_REASONS = ("invalid", "duplicate", "names_not_updated")
REPORT_COLUMNS = (
    "row",
    "phone",
    "phone_as_written",
    "phone_column",
    "action",
    "status",
    "reason",
    "message",
    "name",
    "previous_name",
    "operation",
    "attempts",
    "first_attempt_at",
    "finished_at",
    "groups",
    "group_ids",
    "current_groups",
    "missing_groups",
    "extra_groups",
    "unknown_groups",
    "contact_id",
    "pt_phone",
    "job_id",
)
NO_GROUP_ACTION = (
    "Power Textor's API has no action that adds a contact to a group (groups "
    "are only made by the new-group send actions): group differences are "
    "reported, not changed"
)
_JOB_VERSION = "ptdata-contacts-sync-1"
_CREATE = get_operation("CreateAContact")
_UPDATE = get_operation("UpdateAPowerTextorContact")


class SyncPlan:
    """The contact diff (``frame``, one row per sheet row then Power Textor's other contacts)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        groups: GroupResolution,
        powertextor_contacts: int,
        job_id: str,
        update_names: bool = True,
    ) -> None:
        self.frame = frame
        self.groups = groups
        self.powertextor_contacts = powertextor_contacts
        self.job_id = job_id
        self.update_names = update_names

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"SyncPlan({counts})"

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.frame.head(20)._repr_html_()

    @property
    def counts(self) -> dict[str, int]:
        """Rows per action."""
        vc = self.frame["action"].value_counts()
        order = ("create", "update", "unchanged", "skipped", "only_in_powertextor")
        return {a: int(vc.get(a, 0)) for a in order}

    @cached_property
    def _todo(self) -> pd.DataFrame:
        want = ["create", "update"] if self.update_names else ["create"]
        return self.frame[self.frame["action"].isin(want)]

    @property
    def n_calls(self) -> int:
        """API calls applying the plan makes."""
        return len(self._todo)

    def calls(self) -> dict[int, Call]:
        """The API calls by batch id (the phone's digits: stable from one sync to the next)."""
        out: dict[int, Call] = {}
        for pos, r in zip(self._todo.index, self._todo.itertuples(index=False), strict=True):
            batch_id = int(r.phone[1:])
            name = None if pd.isna(r.name) else r.name
            last = None if pd.isna(r.last_name) else r.last_name
            if r.action == "create":
                fields = {"Phone": r.phone, "Name": name, "LastName": last}
                op = _CREATE
            else:
                fields = {
                    "Contact": r.pt_phone,
                    "UpdatedContactName": name,
                    "UpdatedContactLastName": last,
                }
                op = _UPDATE
            fields = {k: v for k, v in fields.items() if v is not None}
            out[batch_id] = Call(batch_id, op, fields, np.array([pos]), 1, 0)
        return out

    def summary(self) -> Summary:
        """``N create, M update, K unchanged, J only in Power Textor``, skips and group notes."""
        c = self.counts
        f = self.frame
        sheet_rows = int(f["row"].notna().sum())
        lines = [
            f"{_count(sheet_rows, 'sheet row')} against "
            f"{_count(self.powertextor_contacts, 'Power Textor contact')}: "
            f"{c['create']:,} create, {c['update']:,} update, "
            f"{c['unchanged']:,} unchanged, {c['only_in_powertextor']:,} only in Power Textor"
        ]
        if c["skipped"]:
            reasons = f.loc[f["action"] == "skipped", "reason"].value_counts()
            lines.append(
                f"  skipped {_rows(c['skipped'])}: "
                + ", ".join(f"{k} {v:,}" for k, v in reasons.items())
            )
        if c["update"] and not self.update_names:
            lines.append(
                f"  {_rows(c['update'])} with another name left as they are (update_names=False)"
            )
        if c["only_in_powertextor"]:
            lines.append(
                "  contacts only in Power Textor are listed, never deleted (the API has no delete)"
            )
        if self.groups.unknown or self.groups.ambiguous:
            names = list(self.groups.ambiguous) + list(self.groups.unknown)
            lines.append(
                "  unknown group names: "
                + "; ".join(self.groups.describe_unknown(n) for n in names)
            )
        differ = int((f["missing_groups"].notna() | f["extra_groups"].notna()).sum())
        if differ:
            lines.append(
                f"  group membership differs on {_rows(differ)} (see missing_groups, extra_groups)"
            )
        if differ or self.groups.unknown or self.groups.ambiguous:
            lines.append(f"  note: {NO_GROUP_ACTION}")
        lines.append(f"  {_count(self.n_calls, 'API call')} to make")
        return Summary("\n".join(lines))

    def report_frame(self) -> pd.DataFrame:
        """The plan in the report's columns, as a dry run: ``planned`` rows to create/update."""
        return _report_frame(self, {}, dry_run=True)

    def write(self, path: str | Path) -> Path:
        """Write the dry run like a report (CSV, XLSX or Parquet, by the file's extension)."""
        return write_frame(self.report_frame(), path)


class SyncResult(RowOutcomes):
    """What the sync did to every row (``frame``); ``ok`` when nothing failed or is unknown."""

    STATUSES = STATUSES
    RULE_REASONS = RULE_REASONS

    def __init__(
        self,
        plan: SyncPlan,
        frame: pd.DataFrame,
        *,
        calls_made: int = 0,
        stopped: str | None = None,
        dry_run: bool = False,
    ) -> None:
        super().__init__(frame, calls_made=calls_made, stopped=stopped, dry_run=dry_run)
        self.plan = plan

    def summary(self) -> Summary:
        """Rows by status (with reasons) and the API calls made."""
        f = self.frame
        lines = [
            ("dry run, nothing changed: " if self.dry_run else "contacts sync: ")
            + f"{_rows(int(f['row'].notna().sum()))} of the sheet",
            *self._status_lines(),
        ]
        if not self.dry_run:
            lines.append(f"  {_count(self.calls_made, 'API call')} made")
        if self.stopped:
            lines.append(f"  stopped: {self.stopped}")
        return Summary("\n".join(lines))


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


# -- building the plan -------------------------------------------------------------------------


def plan_sync(
    frame: Any,
    client: Any,
    *,
    region: str | None = "US",
    skip_invalid: bool = False,
    update_names: bool = True,
    phone_columns: Any = None,
    columns: Any = None,
    keep_columns: Any = None,
) -> SyncPlan:
    """Diff a contact sheet against Power Textor's contacts (``GetContacts``); changes nothing.

    ``frame``: a sheet from ``read_sheet`` (validated here as ``contacts``), a ``Validation``,
    or a validated ``.clean`` frame. Invalid rows stop the sync (``InvalidRowsError`` naming
    them) unless ``skip_invalid=True``; duplicate numbers keep their first row, the later ones
    are skipped. ``update_names=False`` only creates; name differences are listed.
    ``phone_columns``/``columns`` say which column is which (as in ``read_sheet``);
    ``keep_columns`` carries sheet columns (your ids) into the diff and the report. Every
    non-blank sheet row is a row of the diff, skipped ones with their own values.

    >>> p = ptdata.plan_sync(ptdata.read_sheet("crm.csv"), ptdata.PowerTextor())
    >>> p.frame[["row", "phone", "action", "current_name", "new_name"]]
         row         phone               action   current_name      new_name
    0      2  +14155550101               update   Ava Martinez    Ana García
    1      3  +14155550102               update     Ben Carter    Ben Okafor
    ...
    10  <NA>  +14155550104  only_in_powertextor  Diego Alvarez           NaN
    ...
    """
    from ptdata.api.results import Records

    clean, skipped, keep = _sheet_rows(
        frame,
        region,
        skip_invalid,
        phone_columns=phone_columns,
        columns=columns,
        keep_columns=keep_columns,
    )
    contacts = client.contacts()
    pt = (
        Records(contacts).to_frame()
        if contacts
        else pd.DataFrame(columns=["contact_id", "phone", "name", "groups"])
    )
    pt = pd.DataFrame(
        {
            "contact_id": pt["contact_id"].astype("str"),
            "pt_phone": pt["phone"].astype("str"),
            "current_name": pt["name"].astype("str"),
            "current_groups": pt["groups"].astype("str"),
        }
    )
    wants_groups = "Groups" in clean.columns and clean["Groups"].notna().any()
    groups = list(client.groups()) if wants_groups else []
    diff = diff_contacts(clean, pt, groups, region=region, skipped=skipped, keep=keep)
    names = [
        g
        for v in clean.get("Groups", pd.Series(dtype="str")).dropna()
        for g in (p.strip() for p in str(v).split(";"))
        if g
    ]
    resolution = resolve_group_names(names, groups) if wants_groups else GroupResolution()
    job = hashlib.sha256(f"{_JOB_VERSION}\x1e{getattr(client, 'base_url', '')}".encode())
    return SyncPlan(
        diff,
        groups=resolution,
        powertextor_contacts=len(pt),
        job_id=job.hexdigest(),
        update_names=update_names,
    )


def _sheet_rows(
    frame: Any,
    region: str | None,
    skip_invalid: bool,
    *,
    phone_columns: Any = None,
    columns: Any = None,
    keep_columns: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(clean rows, skipped rows with their own values and reason, kept columns)."""
    from ptdata.bulk.make_plan import InvalidRowsError
    from ptdata.sheets.mapping import resolve_columns
    from ptdata.sheets.validate import validate

    if not (hasattr(frame, "clean") and hasattr(frame, "failures")):
        if not isinstance(frame, pd.DataFrame):
            raise UsageError(
                f"plan_sync() takes a sheet (DataFrame) or a Validation, not {type(frame).__name__}"
            )
        if "row" in frame.columns and frame.index.name != "row":
            frame = frame.set_index("row")
        try:
            frame = validate(
                frame, kind="contacts", region=region, phone_columns=phone_columns, columns=columns
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    elif phone_columns is not None or columns:
        raise UsageError(
            "phone_columns= and columns= go to validate() (or read_sheet()); this "
            "Validation has its columns chosen already"
        )
    verdicts = frame.row_verdicts()
    rows = frame.frame
    try:
        keep = resolve_columns(
            rows,
            [keep_columns] if isinstance(keep_columns, str) else list(keep_columns or ()),
            what="keep_columns",
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    reason, message = verdicts["reason"], verdicts["message"]
    invalid = reason[reason == "invalid"]
    if len(invalid) and not skip_invalid:
        raise InvalidRowsError.listing(
            [int(r) for r in invalid.index], [message[r] for r in invalid.index], "be synced"
        )
    # a skipped row keeps its own values; a duplicate's number is valid (kept on an earlier
    # row), an invalid one is not shown repaired (e.g. an Excel-damaged 4.15555E+09)
    own = rows.set_index("row").reindex(reason.index)

    def col(name: str) -> np.ndarray:
        return (
            (own[name] if name in own.columns else pd.Series(pd.NA, index=own.index, dtype="str"))
            .astype("str")
            .to_numpy(dtype=object, na_value=None)
        )

    first, last = col("Name"), col("LastName")
    skipped = pd.DataFrame(
        {
            "row": reason.index.to_numpy(dtype=np.int64),
            "phone": col("Phone"),
            "reason": reason.to_numpy(),
            "message": message.to_numpy(),
            "name": first,
            "last_name": last,
            "new_name": [
                " ".join(p.strip() for p in (a, b) if p and p.strip()) or None
                for a, b in zip(first, last, strict=True)
            ],
            "phone_as_written": col("phone_as_written"),
            "phone_column": col("phone_column"),
            "groups": col("Groups"),
            **{c: col(c) for c in keep},
        }
    )
    clean = frame.clean.reset_index(drop=True)
    return clean, skipped, keep


# -- applying it -------------------------------------------------------------------------------


def apply_sync(
    plan: SyncPlan,
    client: Any,
    *,
    rate: float = 5.0,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    resend_unknown: bool = False,
    concurrency: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """Make the plan's creates and updates, paced and recorded in the ledger; the report.

    Same rules as ``ptdata.send``: ``rate`` calls per second at most; only failures before
    anything reached the server are retried; a timeout, dropped connection or 5xx makes the
    row ``unknown`` and no later sync repeats that exact call unless ``resend_unknown=True``;
    a refused API key stops the run (the rest are ``skipped``, reason ``run_stopped``).
    ``ledger``: the file (default ``.ptdata/ledger.sqlite``), a ``Ledger``, or False.

    >>> result = ptdata.apply_sync(ptdata.plan_sync(sheet, client), client, rate=5)
    >>> print(result.summary())
    contacts sync: 10 rows of the sheet
      created                    7
      updated                    3
      only_in_powertextor        5
      10 API calls made
    """
    from ptdata.bulk.runner import run_calls

    if not isinstance(plan, SyncPlan):
        raise UsageError(
            f"apply_sync() takes the SyncPlan made by plan_sync(...), not {type(plan).__name__}"
        )
    calls = plan.calls()
    if not calls:
        return SyncResult(plan, _report_frame(plan, {}, dry_run=False))
    keys = {b: c.key for b, c in calls.items()}

    def replay(batch_id: int, record: Any) -> bool | None:
        # a ledger record speaks for this call only if it was written for exactly this request;
        # one left unknown stands (it may have happened); any other is done again if the
        # diff still asks for it (someone changed it back in Power Textor since)
        if record.call_key != keys.get(batch_id):
            return None
        return record.state in ("unknown", "intent") and not resend_unknown

    run = run_calls(
        plan.job_id,
        list(calls),
        calls.__getitem__,
        client,
        description={"sync": "contacts", "calls": len(calls)},
        replay=replay,
        rate=rate,
        concurrency=concurrency,
        progress=progress,
        ledger=ledger,
        resend_unknown=resend_unknown,
        clock=clock,
        sleep=sleep,
        unit="contact",
        desc="syncing contacts",
    )
    return SyncResult(
        plan,
        _report_frame(plan, run.outcomes, dry_run=False, stopped=run.stopped),
        calls_made=run.calls_made,
        stopped=run.stopped,
    )


def sync_contacts(
    frame: Any,
    client: Any,
    *,
    dry_run: bool = False,
    region: str | None = "US",
    rate: float = 5.0,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    update_names: bool = True,
    skip_invalid: bool = False,
    resend_unknown: bool = False,
    phone_columns: Any = None,
    columns: Any = None,
    keep_columns: Any = None,
) -> SyncResult:
    """Bring Power Textor's contacts in step with a sheet: create the new, rename the changed.

    ``plan_sync`` then (unless ``dry_run``) ``apply_sync``; ``result.plan.frame`` is the diff,
    ``result.frame`` the report (one row per sheet row, then the contacts only in Power
    Textor), ``result.write("report.csv")`` writes it.

    >>> result = ptdata.sync_contacts(ptdata.read_sheet("crm.csv"), ptdata.PowerTextor())
    >>> print(result.plan.summary()); print(result.summary())
    10 sheet rows against 8 Power Textor contacts: 7 create, 3 update, 0 unchanged,
    5 only in Power Textor
      contacts only in Power Textor are listed, never deleted (the API has no delete)
      unknown group names: VIP (no close name)
      group membership differs on 7 rows (see missing_groups, extra_groups)
      note: Power Textor's API has no action that adds a contact to a group ...
      10 API calls to make
    contacts sync: 10 rows of the sheet
    ...
    """
    plan = plan_sync(
        frame,
        client,
        region=region,
        skip_invalid=skip_invalid,
        update_names=update_names,
        phone_columns=phone_columns,
        columns=columns,
        keep_columns=keep_columns,
    )
    if dry_run:
        return SyncResult(plan, plan.report_frame(), dry_run=True)
    return apply_sync(
        plan, client, rate=rate, progress=progress, ledger=ledger, resend_unknown=resend_unknown
    )


# -- the report --------------------------------------------------------------------------------

_DONE = {"create": "created", "update": "updated"}


def _report_frame(
    plan: SyncPlan, outcomes: pd.DataFrame | dict, *, dry_run: bool, stopped: str | None = None
) -> pd.DataFrame:
    f = plan.frame
    n = len(f)
    action = f["action"].to_numpy(dtype=object)
    status = np.array(action, dtype=object)
    reason = f["reason"].to_numpy(dtype=object, na_value=None).copy()
    message = f["message"].to_numpy(dtype=object, na_value=None).copy()
    operation = np.full(n, None, dtype=object)
    attempts = np.zeros(n, dtype=np.int64)
    first_at = np.full(n, None, dtype=object)
    finished = np.full(n, None, dtype=object)
    todo = np.isin(action, ["create", "update"])
    operation[action == "create"] = _CREATE.op_id
    operation[action == "update"] = _UPDATE.op_id
    if not plan.update_names:
        names_off = action == "update"
        status[names_off] = "skipped"
        reason[names_off] = "names_not_updated"
        message[names_off] = "the name differs; left as it is (update_names=False)"
        operation[names_off] = None
        todo &= ~names_off
    if dry_run:
        status[todo] = "planned"
    else:
        idx = np.flatnonzero(todo)
        batch = np.array(
            [int(p[1:]) for p in f["phone"].to_numpy(dtype=object)[idx]], dtype=np.int64
        )
        o = (
            outcomes
            if isinstance(outcomes, pd.DataFrame) and len(outcomes)
            else pd.DataFrame(
                columns=[
                    "status",
                    "reason",
                    "message",
                    "attempts",
                    "first_attempt_at",
                    "finished_at",
                ]
            )
        )
        got = o.reindex(batch)
        st = got["status"].to_numpy(dtype=object, na_value=None)
        has = st != None  # noqa: E711 - elementwise
        sent = has & (st == "sent")
        other = has & ~sent
        status[idx[sent]] = np.where(action[idx[sent]] == "create", "created", "updated")
        status[idx[other]] = st[other]
        for target, col in ((reason, "reason"), (message, "message")):
            target[idx[other]] = got[col].to_numpy(dtype=object, na_value=None)[other]
        attempts[idx[has]] = got["attempts"].to_numpy(dtype=object)[has].astype(np.int64)
        first_at[idx[has]] = got["first_attempt_at"].to_numpy(dtype=object)[has]
        finished[idx[has]] = got["finished_at"].to_numpy(dtype=object)[has]
        status[idx[~has]], reason[idx[~has]] = "skipped", "run_stopped"
        message[idx[~has]] = stopped or "not attempted"
    for i, note in enumerate(_group_notes(f)):
        if note:
            message[i] = f"{message[i]}; {note}" if message[i] else note
    times = {
        c: pd.to_datetime(pd.Series(v, dtype=object), utc=True, format="ISO8601")
        .dt.floor("s")
        .astype("datetime64[ns, UTC]")
        for c, v in (("first_attempt_at", first_at), ("finished_at", finished))
    }
    kept = kept_columns(f)
    out = pd.DataFrame(
        {
            "row": f["row"],
            "phone": f["phone"],
            "phone_as_written": f["phone_as_written"],
            "phone_column": f["phone_column"],
            "action": f["action"],
            "status": pd.Series(status, dtype="str"),
            "reason": pd.Series(reason, dtype="str"),
            "message": pd.Series(message, dtype="str"),
            "name": f["new_name"],
            "previous_name": f["current_name"],
            "operation": pd.Series(operation, dtype="str"),
            "attempts": pd.array(attempts, dtype="Int64"),
            **times,
            **{
                c: f[c]
                for c in (
                    "groups",
                    "group_ids",
                    "current_groups",
                    "missing_groups",
                    "extra_groups",
                    "unknown_groups",
                    "contact_id",
                    "pt_phone",
                )
            },
            "job_id": pd.Series(plan.job_id, index=range(n), dtype="str"),
            **{c: f[c] for c in kept},
        },
        columns=list(REPORT_COLUMNS) + kept,
    )
    return out


def _group_notes(f: pd.DataFrame) -> list[str | None]:
    """Per row, the group differences in words (the API cannot act on them)."""
    cols = [
        f[c].to_numpy(dtype=object, na_value=None)
        for c in ("missing_groups", "extra_groups", "unknown_groups")
    ]
    notes: list[str | None] = []
    for missing, extra, unknown in zip(*cols, strict=True):
        parts = []
        if missing:
            parts.append(f"not in Power Textor's group {missing.replace(';', ', ')}")
        if extra:
            parts.append(f"also in {extra.replace(';', ', ')}")
        if unknown:
            parts.append(f"unknown group {unknown}")
        notes.append(
            "groups: " + "; ".join(parts) + " (not changed: the API cannot add a "
            "contact to a group)"
            if parts
            else None
        )
    return notes
