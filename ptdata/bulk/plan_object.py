"""The ``Plan`` object: the plan frame, its API calls (built lazily, one per batch) and its job id.

>>> p = ptdata.plan(frame, body="Hi!", to="numbers")
>>> len(p.frame), p.n_calls
(10, 1)
>>> for call in p.calls():            # one per API call, built when asked for
...     print(call.operation.op_id, call.recipients, call.fields["Body"])
SendMessageToMultipleNumbers 10 Hi!
>>> p.write("plan.csv")               # the dry run, written like a report
PosixPath('plan.csv')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptdata._words import Summary, plural
from ptdata.api.operations import Operation, get_operation
from ptdata.api.request import Attachment, PreparedRequest, build_request, load_attachment

__all__ = ["Call", "Plan", "PlanSettings", "Summary"]

#: bump when the meaning of a plan's content changes, so old ledgers never match new plans
_JOB_VERSION = "ptdata-plan-1"
#: bump when what makes a campaign changes (its digests then start a new history)
_CAMPAIGN_VERSION = "ptdata-campaign-1"


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """What the whole plan shares (kind, recipient shape, footer, shared attachment, place)."""

    kind: str
    to: str
    group_name: str | None = None
    batch_size: int = 100
    opt_out_footer: bool = False
    attachment: Attachment | None = field(default=None, repr=False)
    place_name: Any = None
    place_id: Any = None
    #: what the user asked for, as canonical text, without the clock (for ``family_id``)
    request: str = ""
    #: the ``now`` the plan was made at (ISO, UTC)
    planned_at: str = ""
    #: the campaign's name, when the user gave one
    campaign_name: str | None = None
    #: the message as written (``body:...``, ``template:...`` or ``column:NAME``)
    message_as_written: str = ""
    #: the timing as asked, canonical JSON (no clock)
    timing_asked: str = ""
    #: the E.164 numbers of the suppression list the plan was made with (a test send obeys it)
    suppressed: frozenset[str] = field(default=frozenset(), repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """One API call of a plan: the operation, the spec fields, and which plan rows it carries."""

    batch_id: int
    operation: Operation
    fields: dict[str, Any] = field(repr=False)
    #: positions (0-based) in ``plan.frame`` of the rows this call carries
    rows: np.ndarray = field(repr=False)
    recipients: int = 1
    segments: int = 0

    def prepared(self) -> PreparedRequest:
        """The request, checked against the operation table (reads a per-row attachment)."""
        fields = dict(self.fields)
        if isinstance(fields.get("Attachment"), str):
            fields["Attachment"] = load_attachment(fields["Attachment"])
        return build_request(self.operation, fields)

    @property
    def key(self) -> str:
        """A digest of exactly what this call sends (for the ledger)."""
        h = hashlib.sha256(self.operation.op_id.encode())
        h.update(json.dumps(self.fields, sort_keys=True, default=_jsonable).encode())
        return h.hexdigest()


def _jsonable(v: Any) -> Any:
    if isinstance(v, Attachment):
        return {"filename": v.filename, "sha256": hashlib.sha256(v.content).hexdigest()}
    return str(v)


class Plan:
    """A planned campaign. ``frame`` has one row per input row; ``calls()`` yields the API calls."""

    def __init__(self, frame: pd.DataFrame, settings: PlanSettings) -> None:
        self.frame = frame
        self.settings = settings

    def __repr__(self) -> str:
        return f"Plan(job_id={self.job_id[:12]!r}, rows={len(self.frame)}, calls={self.n_calls})"

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.frame.head(20)._repr_html_()

    # -- figures ------------------------------------------------------------------------------

    @cached_property
    def _send_mask(self) -> np.ndarray:
        return (self.frame["status"] == "planned").to_numpy(dtype=bool)

    @property
    def recipients(self) -> int:
        """Rows that will be sent."""
        return int(self._send_mask.sum())

    @cached_property
    def row_messages(self) -> np.ndarray:
        """Messages per plan row: 1, or a group row's members (at least 1 when unknown)."""
        if "members" not in self.frame.columns:
            return np.ones(len(self.frame), dtype=np.int64)
        return self.frame["members"].fillna(1).to_numpy(dtype=np.int64).clip(min=1)

    @property
    def messages(self) -> int:
        """Messages the plan sends: one per row, or each member of a group (GetGroups' count)."""
        return int(self.row_messages[self._send_mask].sum())

    @cached_property
    def messages_per_call(self) -> np.ndarray:
        """Messages each API call carries, by batch id (what a progress bar counts)."""
        live = self._send_mask
        batch = self.frame["batch_id"].to_numpy(dtype=np.int64, na_value=-1)[live]
        return np.bincount(batch, weights=self.row_messages[live], minlength=self.n_calls).astype(
            np.int64
        )

    @cached_property
    def n_calls(self) -> int:
        """API calls the plan makes."""
        b = self.frame["batch_id"]
        return int(b.max()) + 1 if b.notna().any() else 0

    @property
    def segments(self) -> int:
        """Segments the plan sends in all (the cost: each recipient is billed per segment, and
        a group's members each get the message)."""
        per_row = self.frame["segments"].fillna(0).to_numpy(dtype=np.int64)
        return int((per_row * self.row_messages)[self._send_mask].sum())

    @cached_property
    def job_id(self) -> str:
        """A digest of the plan's content: the same sheet and message give the same job id."""
        h = hashlib.sha256(_JOB_VERSION.encode())
        s = self.settings
        h.update(
            json.dumps(
                [
                    s.kind,
                    s.to,
                    s.group_name,
                    s.opt_out_footer,
                    s.batch_size,
                    None if s.place_id is pd.NA else s.place_id,
                ],
                default=str,
            ).encode()
        )
        if s.attachment is not None:
            h.update(hashlib.sha256(s.attachment.content).digest())
        for col in (
            "row",
            "status",
            "skip_reason",
            "batch_id",
            "operation",
            "recipient",
            "name",
            "last_name",
            "group",
            "body",
            "api_date",
            "api_time",
            "api_day",
            "attachment",
        ):
            _hash_column(h, col, self.frame[col])
        return h.hexdigest()

    @cached_property
    def shape(self) -> str:
        """A digest of the campaign's kind, target kind, place, timing as asked and attachment."""
        s = self.settings
        h = hashlib.sha256(_CAMPAIGN_VERSION.encode())
        h.update(
            json.dumps(
                [
                    s.kind,
                    s.to,
                    s.group_name,
                    None if s.place_id is pd.NA else s.place_id,
                    s.timing_asked,
                ],
                default=str,
            ).encode()
        )
        if s.attachment is not None:
            h.update(hashlib.sha256(s.attachment.content).digest())
        return h.hexdigest()

    @cached_property
    def campaign(self) -> str:
        """The campaign this plan belongs to: ``name:...`` when named, else a digest of the
        message as written and ``shape`` (never the rows, batch size, clock or folder)."""
        if self.settings.campaign_name:
            return "name:" + self.settings.campaign_name
        h = hashlib.sha256(self.shape.encode())
        h.update(self.settings.message_as_written.encode())
        return "auto:" + h.hexdigest()[:32]

    @property
    def campaign_label(self) -> str:
        """The campaign as people see it: its name, else the first 12 digits of its digest."""
        return campaign_label(self.campaign)

    def recipient_keys(self) -> pd.DataFrame:
        """Who each planned row reaches, as the history records it.

        ``recipient`` (E.164, or the GroupId of a group), ``occasion`` (what makes two
        messages of one campaign to one person different: a reminder's event date and
        offset; empty otherwise) and ``text_fp`` (a digest of the text that goes out).
        """
        f = self.frame
        recipient = f["recipient"].astype("str")
        if self.settings.kind == "reminder":
            occasion = (
                f["api_date"].astype("str").fillna("") + "|" + f["offset"].astype("str").fillna("")
            )
        else:
            occasion = pd.Series("", index=f.index, dtype="str")
        footer = "1" if self.settings.opt_out_footer else "0"
        codes, uniques = pd.factorize(f["body"].astype("str"), use_na_sentinel=True)
        fps = np.array(
            [hashlib.sha256((footer + u).encode()).hexdigest()[:16] for u in uniques] + [None],
            dtype=object,
        )
        return pd.DataFrame(
            {
                "recipient": recipient,
                "occasion": occasion,
                "text_fp": fps[np.where(codes < 0, len(uniques), codes)],
            },
            index=f.index,
        )

    def skip(self, mask: np.ndarray, reason: str, message: Any) -> Plan:
        """The same plan with the rows of ``mask`` skipped for ``reason``; calls renumbered.

        A call loses only the recipients skipped (the rest still share it); a call left with
        none is gone.
        """
        mask = np.asarray(mask, dtype=bool) & self._send_mask
        if not mask.any():
            return self
        f = self.frame.copy()
        f.loc[mask, "status"] = "skipped"
        f.loc[mask, "skip_reason"] = reason
        msg = message if np.isscalar(message) else pd.Series(message, index=f.index)[mask]
        f.loc[mask, "message"] = msg
        f.loc[mask, "batch_id"] = pd.NA
        live = f["status"] == "planned"
        codes = pd.factorize(f.loc[live, "batch_id"].astype("int64"), sort=True)[0]
        f.loc[live, "batch_id"] = pd.array(codes, dtype="Int64")
        return Plan(f, self.settings)

    def summary(self) -> Summary:
        """``N rows → M API calls, S segments``, then what is skipped and why."""
        f = self.frame
        lines = [
            f"{plural(self.recipients, 'row')} → {plural(self.n_calls, 'API call')}, "
            f"{plural(self.segments, 'segment')}"
        ]
        if self.messages != self.recipients:
            live = f[self._send_mask]
            sizes = live.groupby("group", sort=False)["members"].first()
            each = ", ".join(
                f"{g} {'?' if pd.isna(m) else f'{int(m):,}'}" for g, m in sizes.items()
            )
            lines.append(f"  {self.messages:,} messages: a group counts its members ({each})")
        skipped = f.loc[~self._send_mask, "skip_reason"].value_counts()
        if len(skipped):
            parts = ", ".join(f"{k} {v:,}" for k, v in skipped.items())
            lines.append(f"  skipped {plural(int(skipped.sum()), 'row')}: {parts}")
        live = f[self._send_mask]
        if len(live):
            ops = live.drop_duplicates("batch_id")["operation"].value_counts()
            lines.append("  calls: " + ", ".join(f"{k} ×{v:,}" for k, v in ops.items()))
            enc = live["encoding"].value_counts()
            if "UCS-2" in enc.index:
                lines.append(
                    f"  {int(enc['UCS-2']):,} messages are UCS-2 (70 characters per "
                    "segment): a character outside GSM-7 makes them cost more"
                )
            when = live["scheduled_for"].dropna()
            if len(when):
                lo, hi = when.min(), when.max()
                span = f"{lo:%Y-%m-%d %H:%M}" + ("" if lo == hi else f" … {hi:%Y-%m-%d %H:%M}")
                lines.append(f"  scheduled for {span} UTC ({plural(len(when), 'row')})")
            moved = int(live["shifted"].sum()) if "shifted" in live.columns else 0
            if moved:
                lines.append(
                    f"  {plural(moved, 'row')} moved out of quiet hours to the next "
                    "allowed time (see note)"
                )
        name = self.settings.campaign_name
        lines.append(
            f"  campaign {name!r}" if name else f"  campaign {self.campaign_label} (no name given)"
        )
        return Summary("\n".join(lines))

    # -- calls --------------------------------------------------------------------------------

    @cached_property
    def _order(self) -> tuple[np.ndarray, np.ndarray]:
        """Row positions sorted by batch, and where each batch starts in that order."""
        batch = self.frame["batch_id"].to_numpy(dtype=np.int64, na_value=-1)
        pos = np.flatnonzero(batch >= 0)
        order = pos[np.argsort(batch[pos], kind="stable")]
        starts = np.searchsorted(batch[order], np.arange(self.n_calls + 1))
        return order, starts

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        cols = (
            "recipient",
            "name",
            "last_name",
            "group",
            "body",
            "operation",
            "api_date",
            "api_time",
            "api_day",
            "attachment",
            "segments",
        )
        return {c: self.frame[c].to_numpy(dtype=object, na_value=None) for c in cols}

    def call(self, batch_id: int) -> Call:
        """The API call with this batch id."""
        order, starts = self._order
        if not 0 <= batch_id < self.n_calls:
            raise IndexError(f"batch {batch_id} is not in this plan (it has {self.n_calls} calls)")
        rows = order[starts[batch_id] : starts[batch_id + 1]]
        return self._make_call(batch_id, rows)

    def calls(self, batch_ids: Iterable[int] | None = None) -> Iterator[Call]:
        """The API calls, one per batch, in batch order (or only those in ``batch_ids``)."""
        ids = range(self.n_calls) if batch_ids is None else batch_ids
        for b in ids:
            yield self.call(int(b))

    def _make_call(self, batch_id: int, rows: np.ndarray) -> Call:
        c = self._columns
        first = rows[0]
        op = get_operation(c["operation"][first])
        s = self.settings
        # a message operation always names the fields of its text and its recipients
        assert op.text_field is not None and op.recipient_field is not None
        fields: dict[str, Any] = {
            op.text_field: c["body"][first],
            "ReplySTOPToOptOut": s.opt_out_footer,
        }
        values = [c["recipient"][i] for i in rows]
        spec = op.field(op.recipient_field)
        if spec.type == "array":
            fields[op.recipient_field] = values
        elif op.target == "numbers":
            fields[op.recipient_field] = ",".join(values)  # ONE comma-separated string
        else:
            fields[op.recipient_field] = values[0]
        if op.target == "new_group":
            fields["GroupName"] = s.group_name
        if "ContactName" in op.field_names:
            fields["ContactName"] = c["name"][first]
            fields["ContactLastName"] = c["last_name"][first]
        if op.place_field:
            fields[op.place_field] = s.place_id
        if op.timing == "scheduled":
            fields["ScheduledDate"] = c["api_date"][first]
            fields["ScheduledTime"] = c["api_time"][first]
        elif op.timing == "event":
            fields["EventDate"] = c["api_date"][first]
            fields["Day"] = int(c["api_day"][first])
            fields["Time"] = c["api_time"][first]
        if op.action == "mms":
            fields["Attachment"] = (
                s.attachment if s.attachment is not None else c["attachment"][first]
            )
        fields = {k: v for k, v in fields.items() if v is not None}
        segs = int(sum(c["segments"][i] or 0 for i in rows))
        return Call(batch_id, op, fields, rows, len(rows), segs)

    # -- output -------------------------------------------------------------------------------

    def report_frame(self) -> pd.DataFrame:
        """The plan in the report's shape: status ``planned`` (or ``skipped`` with the reason)."""
        from ptdata.bulk.report import planned_frame

        return planned_frame(self)

    def write(self, path: str | Path) -> Path:
        """Write the dry run like a report (CSV, XLSX or Parquet, by the file's extension)."""
        from ptdata.bulk.report import write_frame

        return write_frame(self.report_frame(), path)


def campaign_label(campaign: str) -> str:
    """A campaign as people see it: its name, else the first 12 digits of its digest."""
    kind, _, rest = campaign.partition(":")
    return rest if kind == "name" else rest[:12]


def _hash_column(h: Any, name: str, s: pd.Series) -> None:
    """Feed a column's exact content to ``h`` from its Arrow buffers (no per-row objects)."""
    import pyarrow as pa

    h.update(b"\x1e" + name.encode())
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        arr = pa.array(s.astype("str").array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arr = arr.cast(pa.large_string())
        nulls = arr.is_null().to_numpy(zero_copy_only=False)
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        h.update(np.diff(offsets).astype("<i8").tobytes())
        if bufs[2] is not None and len(offsets):
            h.update(memoryview(bufs[2])[offsets[0] : offsets[-1]])
    else:
        nulls = s.isna().to_numpy()
        h.update(s.to_numpy(dtype=np.int64, na_value=-1).astype("<i8").tobytes())
    h.update(np.packbits(nulls).tobytes())
