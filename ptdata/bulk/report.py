"""The report: one row per input row, in input order, saying what happened to it.

Statuses: ``sent`` / ``scheduled`` (Power Textor accepted the call; ``campaign_id`` says which
campaign), ``failed`` (not sent: the server refused it, or it could not be reached),
``unknown`` (the call may or may not have gone out: a timeout, a dropped connection, a 5xx;
never re-sent unless you ask), ``skipped`` (not sent by rule: invalid, duplicate, opted out,
in the past, quiet hours, no time zone to check them in, or the run stopped before it) and
``planned`` (a dry run). ``tz`` is the recipient's time zone the timing used, ``offset`` the
reminder offset of a row planned from appointments (one report row per sheet row and
offset), and ``note`` how the send time was chosen (moved out of quiet hours, a DST gap...).
``phone_as_written`` and ``phone_column`` say which cell each number came from; the sheet
columns the plan was asked to keep (``keep_columns``) follow the report's own columns.

>>> report = ptdata.send(plan, client, progress=False)
>>> print(report.summary())
job ...: 10 rows
  sent       10
  1 API call made, 10 segments sent or scheduled
>>> report.write("report.xlsx")           # or .csv (Excel-safe) or .parquet
PosixPath('report.xlsx')
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ptdata._words import Summary, plural
from ptdata.bulk.writers import write_frame

if TYPE_CHECKING:
    from ptdata.bulk.plan_object import Plan

__all__ = [
    "OUTCOME_COLUMNS",
    "REPORT_COLUMNS",
    "RULE_REASONS",
    "STATUSES",
    "STATUS_OF_STATE",
    "Report",
    "RowOutcomes",
    "kept_columns",
    "planned_frame",
    "results_frame",
]

REPORT_COLUMNS = (
    "row",
    "phone",
    "phone_as_written",
    "phone_column",
    "name",
    "status",
    "reason",
    "message",
    "operation",
    "campaign_id",
    "batch_id",
    "attempts",
    "first_attempt_at",
    "finished_at",
    "scheduled_for",
    "tz",
    "offset",
    "note",
    "segments",
    "encoding",
    "body",
    "group",
    "place",
    "kind",
    "reach",
    "sent_count",
    "undelivered_count",
    "call_recipients",
    "campaign",
    "job_id",
)
STATUSES = ("sent", "scheduled", "failed", "unknown", "skipped", "planned")
#: skip reasons that are the rules doing their job (a run that only has these is a success)
RULE_REASONS = (
    "invalid",
    "duplicate",
    "opted_out",
    "in_past",
    "quiet_hours",
    "quiet_hours_no_schedule",
    "unknown_timezone",
    "ambiguous_timezone",
    "invalid_timezone",
    "invalid_appointment",
    "after_appointment",
    "already_sent",
    "unsubscribed_at_power_textor",
    "frequency_cap",
    "blank_merge_field",
)

#: what a run records per call (the report's columns a call's outcome fills in)
OUTCOME_COLUMNS = (
    "status",
    "reason",
    "message",
    "campaign_id",
    "attempts",
    "first_attempt_at",
    "finished_at",
    "reach",
    "sent_count",
    "undelivered_count",
)
#: a call's state in the send history -> the status its rows get in a report
STATUS_OF_STATE = {
    "sent": "sent",
    "scheduled": "scheduled",
    "rejected": "failed",
    "not_sent": "failed",
    "unknown": "unknown",
    "intent": "unknown",
}
_COUNTS = ("reach", "sent_count", "undelivered_count")


def planned_frame(plan: Plan, *, job_id: str | None = None) -> pd.DataFrame:
    """The plan in the report's columns: ``planned``, or ``skipped`` with the reason."""
    f = plan.frame
    n = len(f)
    no_count = pd.array([pd.NA] * n, dtype="Int64")
    sizes = f["batch_id"].map(f["batch_id"].value_counts()).astype("Int64")
    na = pd.Series(pd.NA, index=range(n), dtype="str")
    nat = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    return pd.DataFrame(
        {
            "row": f["row"],
            "phone": f["phone"],
            "phone_as_written": f["phone_as_written"],
            "phone_column": f["phone_column"],
            "name": f["name"],
            "status": f["status"],
            "reason": f["skip_reason"],
            "message": f["message"],
            "operation": f["operation"],
            "campaign_id": na,
            "batch_id": f["batch_id"],
            "attempts": pd.array([0] * n, dtype="Int64"),
            "first_attempt_at": nat,
            "finished_at": nat.copy(),
            "scheduled_for": f["scheduled_for"],
            "tz": f["tz"],
            "offset": f["offset"],
            "note": f["note"],
            "segments": f["segments"],
            "encoding": f["encoding"],
            "body": f["body"],
            "group": f["group"],
            "place": f["place"],
            "kind": f["kind"],
            "reach": no_count,
            "sent_count": no_count.copy(),
            "undelivered_count": no_count.copy(),
            "call_recipients": sizes,
            "campaign": pd.Series(plan.campaign_label, index=range(n), dtype="str"),
            "job_id": pd.Series(job_id or plan.job_id, index=range(n), dtype="str"),
            **{c: f[c] for c in kept_columns(f)},
        },
        columns=list(REPORT_COLUMNS) + kept_columns(f),
    )


def kept_columns(frame: pd.DataFrame) -> list[str]:
    """The sheet columns a plan (or a diff) carries into its report (``keep_columns``)."""
    kept = frame.attrs.get("ptdata.keep_columns", ()) if isinstance(frame.attrs, dict) else ()
    return [c for c in kept if c in frame.columns]


def results_frame(
    plan: Plan,
    outcomes: pd.DataFrame,
    *,
    not_attempted: tuple[str, str, str],
    job_id: str | None = None,
) -> pd.DataFrame:
    """The report after a run: each planned row takes the outcome of its call.

    ``outcomes`` is indexed by batch id with the columns of ``OUTCOME_COLUMNS``; planned
    rows whose call has no outcome get ``not_attempted`` = (status, reason, message). A call
    to one recipient whose reply counted it undelivered says so (reason ``undelivered``).
    """
    out = planned_frame(plan, job_id=job_id)
    planned = (out["status"] == "planned").to_numpy(dtype=bool)
    if not planned.any():
        return out
    idx = np.flatnonzero(planned)
    batch = out["batch_id"].to_numpy(dtype=np.int64, na_value=-1)[idx]
    o = outcomes.reindex(pd.RangeIndex(plan.n_calls))
    status, reason, message = not_attempted
    attempted = o["status"].notna().to_numpy()[batch]
    fill: dict[str, Any] = {"status": status, "reason": reason, "message": message, "attempts": 0}
    for col in OUTCOME_COLUMNS:
        if col not in o.columns:
            continue
        values = o[col].to_numpy(dtype=object)[batch]
        if col in fill:
            values = np.where(attempted, values, fill[col])
        if col == "attempts":
            new = out[col].copy()
            new.iloc[idx] = pd.array(values.astype(np.int64), dtype="Int64")
        elif col in _COUNTS:
            new = out[col].copy()
            new.iloc[idx] = pd.array(
                pd.Series(values, dtype=object).where(pd.notna(values), None).tolist(),
                dtype="Int64",
            )
        elif col in ("first_attempt_at", "finished_at"):
            new = out[col].copy()
            new.iloc[idx] = (
                pd.to_datetime(pd.Series(values), utc=True, format="ISO8601")
                .dt.floor("s")
                .to_numpy()
            )
        else:
            new = out[col].to_numpy(dtype=object, na_value=None)
            new[idx] = values
            new = pd.Series(new, dtype="str")
        out[col] = new
    single = (
        (out["call_recipients"] == 1)
        & (out["undelivered_count"] > 0)
        & (out["sent_count"].fillna(0) == 0)
        & out["status"].isin(["sent", "scheduled"])
    )
    single = single.fillna(False).to_numpy(dtype=bool)
    out.loc[single, "reason"] = "undelivered"
    out.loc[single, "message"] = (
        "Power Textor accepted the call but counted it undelivered "
        "(UndeliveredCount 1: the contact may have opted out there)"
    )
    return out


class RowOutcomes:
    """What happened to every row of a run (``frame``): counts by status, ``ok``, writing.

    The shared base of a campaign's ``Report`` and a contact sync's result; a subclass names
    its ``STATUSES`` (display order) and the skip reasons that are by rule (``RULE_REASONS``).
    """

    STATUSES: tuple[str, ...] = STATUSES
    RULE_REASONS: tuple[str, ...] = RULE_REASONS

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        calls_made: int = 0,
        stopped: str | None = None,
        dry_run: bool = False,
    ) -> None:
        self.frame = frame
        self.calls_made = calls_made
        self.stopped = stopped
        self.dry_run = dry_run

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"{type(self).__name__}(rows={len(self.frame)}, {counts})"

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.frame.head(20)._repr_html_()

    def summary(self) -> Summary:  # pragma: no cover - every subclass words its own
        raise NotImplementedError

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status, in the order of ``STATUSES``."""
        vc = self.frame["status"].value_counts()
        return {s: int(vc[s]) for s in self.STATUSES if s in vc.index}

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing is unknown and every skip was by rule."""
        s = self.frame["status"]
        if s.isin(["failed", "unknown"]).any() or self.stopped:
            return False
        skipped = self.frame.loc[s == "skipped", "reason"]
        return bool(skipped.isin(self.RULE_REASONS).all())

    def _status_lines(self) -> list[str]:
        """One line per status with its count and reasons, for ``summary``."""
        f = self.frame
        width = max((len(s) for s in self.counts), default=0)
        lines = []
        for status, count in self.counts.items():
            reasons = f.loc[f["status"] == status, "reason"].dropna().value_counts()
            detail = ", ".join(f"{k} {v:,}" for k, v in reasons.items())
            lines.append(f"  {status:<{width}}  {count:>7,}" + (f"  ({detail})" if detail else ""))
        return lines

    def write(self, path: str | Path) -> Path:
        """Write the rows by extension: ``.csv`` (Excel-safe, UTF-8 with BOM), ``.xlsx`` or
        ``.parquet``."""
        return write_frame(self.frame, path)


class Report(RowOutcomes):
    """What happened to every row of a campaign; ``frame`` holds the rows.

    ``ok`` is True when every row ended ``sent``, ``scheduled`` or skipped by rule (invalid,
    duplicate, opted out, in the past, quiet hours and the time-zone reasons: see
    ``RULE_REASONS``); ``stopped`` explains a run that stopped early.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        job_id: str,
        calls_made: int = 0,
        stopped: str | None = None,
        dry_run: bool = False,
        already_sent: int = 0,
        notes: list[str] | None = None,
    ) -> None:
        super().__init__(frame, calls_made=calls_made, stopped=stopped, dry_run=dry_run)
        self.job_id = job_id
        self.already_sent = already_sent
        self.notes = notes or []

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"Report(job_id={self.job_id[:12]!r}, rows={len(self.frame)}, {counts})"

    @property
    def segments_sent(self) -> int:
        """Segments in the rows Power Textor accepted (sent or scheduled)."""
        done = self.frame["status"].isin(["sent", "scheduled"])
        return int(self.frame.loc[done, "segments"].sum())

    def summary(self) -> Summary:
        """Rows by status and reason, API calls made and segments sent."""
        lines = [f"job {self.job_id[:12]}: {plural(len(self.frame), 'row')}", *self._status_lines()]
        if not self.dry_run:
            lines.append(
                f"  {plural(self.calls_made, 'API call')} made, "
                f"{plural(self.segments_sent, 'segment')} sent or scheduled"
            )
        if self.already_sent and not (
            self.frame["status"].isin(["sent", "scheduled"]).any() or self.calls_made
        ):
            lines.append(
                f"  everyone already got this campaign ({self.already_sent:,} skipped "
                "as already_sent): nothing sent. To send it again on purpose, pass "
                "--again (again=True) or give it another --campaign name."
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.stopped:
            lines.append(f"  stopped: {self.stopped}")
        return Summary("\n".join(lines))
