"""Plan a campaign: a frame of recipients + a message + a timing → one row per recipient, batched.

The plan is the dry run. It says, for every input row, what will be sent (the rendered body,
its encoding and segments), through which connector operation, in which API call (rows whose
body, timing, place and attachment are identical share one multi-recipient call where the API
has one), with the exact UTC strings the API will receive, or why the row will not be sent
(``skip_reason``: invalid, opted_out, in_past, duplicate).

>>> import ptdata
>>> p = ptdata.plan(frame, body="Doors open at 9!", to="numbers")
>>> print(p.summary())
250 rows → 3 API calls, 250 segments
>>> report = ptdata.send(p, client)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.api.operations import Operation, find_operation
from ptdata.api.request import Attachment, load_attachment
from ptdata.bulk import when
from ptdata.bulk.plans import Plan, PlanSettings

__all__ = ["KINDS", "RECIPIENTS", "InvalidRowsError", "plan"]


class InvalidRowsError(UsageError):
    """The sheet has rows that cannot be sent; ``rows`` lists their row numbers."""

    def __init__(self, message: str, rows: list[int]) -> None:
        super().__init__(message)
        self.rows = rows

KINDS = ("text", "review", "reminder", "mms")
#: recipient shapes: (operation target for one recipient, for several in one call)
RECIPIENTS: dict[str, tuple[str | None, str | None]] = {
    "numbers": ("number", "numbers"),
    "contacts": ("contact", "contacts"),
    "new-contacts": ("new_contact", None),
    "groups": ("group", "groups"),
    "new-group": (None, "new_group"),
}
_PHONE_TARGETS = ("numbers", "contacts", "new-contacts", "new-group")
MAX_SEGMENTS = 10
MAX_CHARS = 1600


def plan(
    frame: Any,
    *,
    body: str | None = None,
    template: str | None = None,
    body_column: str | None = None,
    kind: str = "text",
    to: str = "numbers",
    group_name: str | None = None,
    at: datetime | str | None = None,
    at_column: str | None = None,
    place: Any = None,
    event_date: Any = None,
    event_date_column: str | None = None,
    days_before: int | None = None,
    time: Any = None,
    days_before_column: str | None = None,
    time_column: str | None = None,
    attachment: Any = None,
    attachment_column: str | None = None,
    opt_out_footer: bool = False,
    suppress: Any = None,
    batch_size: int = 100,
    client: Any = None,
    skip_invalid: bool = False,
    now: datetime | None = None,
    force_long: bool = False,
    region: str = "US",
) -> Plan:
    """Turn a frame of recipients into a plan: one row per input row, one batch id per API call.

    Args:
        frame: a DataFrame (``read_sheet``/``validate(...).clean``; columns Phone, Name,
            LastName, Groups...) or a ``Validation`` (its failed rows become ``invalid``).
        body / template / body_column: the message: one text for all, a merge-field
            template rendered per row, or a column holding each row's text (exactly one).
        kind: ``text``, ``review`` (needs ``place``), ``reminder`` (needs ``event_date`` or
            ``event_date_column``, ``days_before`` and ``time``, a UTC time of day, each also
            per row with ``days_before_column``/``time_column``, e.g. the EventDate/Day/Time
            columns of ``ptdata.timing.appointment_reminders``) or ``mms``
            (needs ``attachment`` or ``attachment_column``).
        to: ``numbers``, ``contacts``, ``new-contacts`` (created with Name/LastName),
            ``groups`` (the Groups column: group names or ids) or ``new-group`` (the rows
            become the members of a new group called ``group_name``).
        at / at_column: schedule every row at one aware moment, or each row at the moment
            in a column (aware datetimes or ISO text with an offset; blank = send now).
        opt_out_footer: ask Power Textor to append "STOP to opt out" (counted in segments).
        suppress: numbers never to text (a set of numbers, a suppression file, an inbound
            dump or frame, or a list of those): their rows are skipped as ``opted_out``.
        batch_size: most recipients in one multi-recipient call.
        client: a ``PowerTextor``; needed only to resolve group and place names to ids.
        skip_invalid: plan the valid rows and list invalid ones as skipped, instead of
            refusing the whole sheet (validation fails closed).
        now: the current time (for tests); rows scheduled before it are ``in_past``.
        force_long: allow messages over 10 segments or 1,600 characters.

    >>> p = plan(frame, template="Hi {Name}, your table is ready", to="contacts",
    ...          at=datetime(2026, 12, 3, 18, 0, tzinfo=ZoneInfo("America/New_York")))
    """
    kind = str(kind).strip().lower()
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    to = str(to).strip().lower().replace("_", "-")
    if to not in RECIPIENTS:
        raise UsageError(f"to must be one of {', '.join(RECIPIENTS)}, not {to!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(f"batch_size must be a whole number ≥ 1, not {batch_size!r}")
    now_utc = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)

    data, pre_reason, pre_message = _input_frame(frame)
    n = len(data)
    marks = _Marks(n)
    if pre_reason is not None:
        for why in ("invalid", "duplicate"):
            marks.mark((pre_reason == why).fillna(False).to_numpy(dtype=bool), why, pre_message)
    rows = _row_numbers(data)

    # -- recipients ---------------------------------------------------------------------------
    phone = pd.Series(pd.NA, index=range(n), dtype="str")
    group = pd.Series(pd.NA, index=range(n), dtype="str")
    recipient: pd.Series
    if to in _PHONE_TARGETS:
        raw = _column(data, "Phone", "the recipients' numbers")
        phone = _normalise(raw, region)
        bad = phone.isna().to_numpy()
        marks.mark(bad, "invalid", "Phone " + _quoted(raw) + f" is not a valid {region} phone number")
        recipient = phone
        if to == "contacts" and client is not None:
            known = _normalise(pd.Series([c.phone for c in client.contacts()], dtype="str"), region)
            marks.mark((phone.notna() & ~phone.isin(set(known.dropna()))).to_numpy(), "invalid",
                       "Phone " + _quoted(raw) + " is not one of your Power Textor contacts "
                       "(to='new-contacts' creates them)")
        if to == "new-group":
            if not group_name or not str(group_name).strip():
                raise UsageError("to='new-group' needs group_name= (the new group's name)")
            group = pd.Series(str(group_name).strip(), index=range(n), dtype="str")
    else:
        raw = _column(data, "Groups", "the group names or GroupIds")
        group, recipient, err = _resolve_groups(raw, client)
        marks.mark(err.notna().to_numpy(), "invalid", err)
        if "Phone" in data.columns:
            phone = _normalise(data["Phone"], region)
    if group_name and to != "new-group":
        raise UsageError("group_name= goes with to='new-group'")

    name = _text_or_na(data, "Name", n)
    last_name = _text_or_na(data, "LastName", n)

    # -- the message ---------------------------------------------------------------------------
    bodies = _bodies(data, body=body, template=template, body_column=body_column)
    body_codes, body_uniques = pd.factorize(bodies, use_na_sentinel=True)
    seg = _segments(list(body_uniques), opt_out_footer)
    empty = (body_codes < 0) | np.isin(body_codes, np.flatnonzero(seg["chars"].to_numpy() == 0))
    marks.mark(empty, "invalid", "the message is empty")
    if not force_long:
        long_u = (seg["segments"].to_numpy() > MAX_SEGMENTS) | (seg["chars"].to_numpy() > MAX_CHARS)
        if long_u.any():
            too_long = np.isin(body_codes, np.flatnonzero(long_u))
            msg_u = pd.Series(
                [f"the message is {s} segments / {c} characters (the limit is {MAX_SEGMENTS} "
                 f"segments or {MAX_CHARS} characters); shorten it or pass force_long=True"
                 for s, c in zip(seg["segments"], seg["chars"])], dtype="str")
            marks.mark(too_long, "invalid", _take(msg_u, body_codes))

    # -- timing ---------------------------------------------------------------------------------
    timing, moment, api_date, api_time, api_day = _timing(
        data, kind, at, at_column, event_date, event_date_column, days_before, time, marks,
        days_before_column, time_column,
    )
    floor_now = pd.Timestamp(now_utc).floor("min")
    past = (moment < floor_now).fillna(False).to_numpy(dtype=bool)
    if at is not None and past.any():
        raise UsageError(f"at={at!s} is in the past (now is {floor_now:%Y-%m-%d %H:%M} UTC)")
    marks.mark(past, "in_past",
               "scheduled for " + moment.dt.strftime("%Y-%m-%d %H:%M").fillna("") + " UTC, already past")

    # -- place, attachment, operations --------------------------------------------------------
    ops = _operations(kind, to, set(timing.tolist()) or {"event" if kind == "reminder" else "now"})
    place_name, place_id = _place(kind, place, client)
    shared_att, att_col = _attachments(kind, data, attachment, attachment_column, marks)

    # -- opted out, duplicates ----------------------------------------------------------------
    suppressed = _suppression(suppress, region)
    if suppressed and to in _PHONE_TARGETS:
        marks.mark(phone.isin(suppressed).to_numpy(), "opted_out",
                   "the number opted out (on the suppression list)")
    _mark_duplicates(marks, recipient, api_date, api_time, api_day, rows)

    invalid = marks.reason == "invalid"
    if invalid.any() and not skip_invalid:
        raise InvalidRowsError(_invalid_message(rows, marks, invalid),
                               [int(r) for r in rows[invalid]])

    # -- batches --------------------------------------------------------------------------------
    send = marks.reason == None  # noqa: E711 - elementwise on an object array
    batch = _batches(send, to, ops, timing, body_codes, api_date, api_time, api_day, att_col,
                     batch_size)
    op_ids = _op_per_row(batch, send, ops, timing)

    status = np.where(send, "planned", "skipped")
    out = pd.DataFrame({
        "row": pd.array(rows, dtype="Int64"),
        "phone": phone,
        "name": name,
        "last_name": last_name,
        "group": group,
        "recipient": recipient.astype("str"),
        "kind": pd.Series(kind, index=range(n), dtype="str"),
        "operation": pd.Series(op_ids, dtype="str"),
        "batch_id": pd.array(np.where(send, batch, 0), dtype="Int64"),
        "body": bodies.astype("str"),
        "encoding": _take(seg["encoding"].astype("str"), body_codes),
        "segments": pd.array(_take_int(seg["segments"].to_numpy(), body_codes), dtype="Int64"),
        "timing": pd.Series(timing, dtype="str"),
        "scheduled_for": moment,
        "api_date": api_date,
        "api_time": api_time,
        "api_day": api_day,
        "place": pd.Series(place_name, index=range(n), dtype="str"),
        "place_id": pd.Series(place_id, index=range(n), dtype="str"),
        "attachment": att_col,
        "opt_out_footer": pd.Series(bool(opt_out_footer), index=range(n), dtype=bool),
        "status": pd.Series(status, dtype="str"),
        "skip_reason": pd.Series(marks.reason, dtype="str"),
        "message": pd.Series(marks.message, dtype="str"),
    })
    out.loc[~send, "batch_id"] = pd.NA
    settings = PlanSettings(kind=kind, to=to, group_name=group_name, batch_size=batch_size,
                            opt_out_footer=bool(opt_out_footer), attachment=shared_att,
                            place_name=place_name, place_id=place_id)
    return Plan(out, settings)


# -- helpers ---------------------------------------------------------------------------------


class _Marks:
    """Why each row will not be sent; the first reason found wins."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)

    def mark(self, mask: np.ndarray, reason: str, message: Any) -> None:
        mask = np.asarray(mask, dtype=bool) & (self.reason == None)  # noqa: E711
        if not mask.any():
            return
        self.reason[mask] = reason
        if isinstance(message, pd.Series):
            self.message[mask] = message.to_numpy(dtype=object, na_value=None)[mask]
        else:
            self.message[mask] = message


def _input_frame(frame: Any) -> tuple[pd.DataFrame, pd.Series | None, pd.Series | None]:
    """The rows to plan, with the reason and message of rows a ``Validation`` already refused."""
    if hasattr(frame, "clean") and hasattr(frame, "failures"):
        clean = frame.clean.reset_index(drop=True)
        failures = frame.failures
        if failures is None or len(failures) == 0:
            return clean, None, None
        failures = failures[failures["row"] > 1]  # row 1 is the header (a missing column)
        if len(failures) != len(frame.failures):
            raise UsageError("; ".join(frame.failures.loc[frame.failures["row"] <= 1, "message"]))
        by_row = failures.groupby("row", sort=True)
        msgs = by_row["message"].agg(lambda s: "; ".join(map(str, s)))
        only_dup = by_row["reason"].agg(lambda s: bool((s == "duplicate").all()))
        stub = failures.pivot_table(index="row", columns="column", values="value",
                                    aggfunc="first").reset_index()
        stub.columns.name = None
        data = pd.concat([clean, stub.astype({c: "str" for c in stub.columns if c != "row"})],
                         ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
        failed = data["row"].isin(msgs.index)
        reason = pd.Series(pd.NA, index=data.index, dtype="str")
        reason[failed] = np.where(data.loc[failed, "row"].map(only_dup).to_numpy(dtype=bool),
                                  "duplicate", "invalid")
        message = data["row"].map(msgs).astype("str").where(failed, pd.NA)
        return data, reason, message
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"plan() takes a DataFrame (or a Validation), not {type(frame).__name__}")
    if frame.index.name == "row" and "row" not in frame.columns:  # read_sheet: index = sheet row
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    return _drop_blank_rows(frame), None, None


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with every cell empty are spacing in a spreadsheet, not recipients."""
    cells = frame.drop(columns=["row"], errors="ignore")
    if cells.empty or len(cells.columns) == 0:
        return frame
    blank = np.ones(len(frame), dtype=bool)
    for col in cells.columns:
        v = cells[col]
        empty = v.isna().to_numpy(dtype=bool).copy()
        if pd.api.types.is_string_dtype(v.dtype) or v.dtype == object:
            empty |= (v.astype("str").str.strip() == "").fillna(True).to_numpy(dtype=bool)
        blank &= empty
        if not blank.any():
            return frame
    return frame[~blank].reset_index(drop=True)


def _row_numbers(data: pd.DataFrame) -> np.ndarray:
    if "row" in data.columns:
        return pd.to_numeric(data["row"]).to_numpy(dtype=np.int64)
    # as a spreadsheet numbers them: the header is row 1, the first recipient row 2
    return np.arange(2, len(data) + 2, dtype=np.int64)


def _column(data: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in data.columns:
        raise UsageError(
            f"the sheet has no {name!r} column ({what}); its columns are: "
            f"{', '.join(map(str, data.columns)) or '(none)'}"
        )
    return data[name]


def _text_or_na(data: pd.DataFrame, col: str, n: int) -> pd.Series:
    if col not in data.columns:
        return pd.Series(pd.NA, index=range(n), dtype="str")
    s = data[col].astype("str").str.strip()
    return s.where(s != "", pd.NA)


def _quoted(raw: pd.Series) -> pd.Series:
    return "'" + raw.astype("str").fillna("") + "'"


def _take(u: pd.Series, codes: np.ndarray) -> pd.Series:
    arr = u.to_numpy(dtype=object, na_value=None)
    if len(arr) == 0:
        return pd.Series(pd.NA, index=range(len(codes)), dtype="str")
    out = pd.Series(arr[np.where(codes < 0, 0, codes)], dtype="str")
    out[codes < 0] = pd.NA
    return out


def _take_int(u: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if len(u) == 0:
        return np.zeros(len(codes), dtype=np.int64)
    return np.where(codes < 0, 0, u[np.where(codes < 0, 0, codes)]).astype(np.int64)


def _normalise(raw: pd.Series, region: str) -> pd.Series:
    from ptdata.sheets.phones import normalize_phones

    codes, uniques = pd.factorize(raw.astype("str"), use_na_sentinel=True)
    normal = pd.Series(normalize_phones(pd.Series(uniques, dtype="str"), region=region), dtype="str")
    return _take(normal, codes)


def _bodies(data, *, body, template, body_column) -> pd.Series:
    given = [k for k, v in (("body", body), ("template", template), ("body_column", body_column))
             if v is not None]
    if len(given) != 1:
        raise UsageError("give the message as exactly one of body=, template= or body_column="
                         + (f" (got {', '.join(given)})" if given else ""))
    n = len(data)
    if body is not None:
        if not isinstance(body, str):
            raise UsageError(f"body= takes text, not {type(body).__name__}")
        return pd.Series(body, index=range(n), dtype="str")
    if body_column is not None:
        return _column(data, body_column, "each row's message").astype("str").reset_index(drop=True)
    from ptdata.sheets.errors import TemplateError
    from ptdata.sheets.templates import render

    try:
        rendered = render(template, data)
    except TemplateError as exc:
        raise UsageError(f"template: {exc}") from None
    return pd.Series(rendered, dtype="str").reset_index(drop=True)


def _segments(uniques: list[str], footer: bool) -> pd.DataFrame:
    from ptdata.sheets.segments import segments_frame

    if not uniques:
        return pd.DataFrame({"encoding": pd.Series([], dtype="str"), "units": [],
                             "segments": np.array([], dtype=np.int64), "chars": []})
    seg = segments_frame(pd.Series(uniques, dtype="str"), opt_out_footer=footer)
    seg = seg.reset_index(drop=True)
    seg["chars"] = np.array([len(u) for u in uniques], dtype=np.int64)
    return seg


def _timing(data, kind, at, at_column, event_date, event_date_column, days_before, time_, marks,
            days_before_column=None, time_column=None):
    n = len(data)
    na_str = pd.Series(pd.NA, index=range(n), dtype="str")
    nat = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    day = pd.array([pd.NA] * n, dtype="Int64")
    if kind == "reminder":
        if at is not None or at_column is not None:
            raise UsageError("a reminder is timed by event_date/days_before/time, not at=/at_column=")
        if (event_date is None) == (event_date_column is None):
            raise UsageError("a reminder needs event_date= (one date) or event_date_column=")
        if (days_before is None) == (days_before_column is None) or \
                (time_ is None) == (time_column is None):
            raise UsageError("a reminder needs days_before= (days before the event) and time= "
                             "(the UTC time of day it goes out, e.g. '14:00'), or their columns")
        if days_before is not None and (isinstance(days_before, bool) or
                                        not isinstance(days_before, int) or days_before < 0):
            raise UsageError(f"days_before must be a whole number ≥ 0, not {days_before!r}")
        if event_date is not None:
            dates = pd.Series([when.parse_event_date(event_date)] * n, dtype=object)
        else:
            dates, err = when.parse_event_date_column(
                _column(data, event_date_column, "the event dates"), event_date_column)
            marks.mark(err.notna().to_numpy(), "invalid", err)
        if days_before is not None:
            days = np.full(n, days_before, dtype=np.int64)
        else:
            raw = _column(data, days_before_column, "the days before each event")
            num = pd.to_numeric(raw, errors="coerce")
            bad = (num.isna() | (num < 0) | (num % 1 != 0)).to_numpy(dtype=bool)
            marks.mark(bad, "invalid", days_before_column + ": " + _quoted(raw)
                       + " is not a whole number of days ≥ 0")
            days = num.fillna(0).clip(lower=0).to_numpy().astype(np.int64)
        if time_ is not None:
            times = pd.Series(when.parse_event_time(time_), index=range(n), dtype="str")
        else:
            raw = _column(data, time_column, "each reminder's UTC time of day")
            codes, uniques = pd.factorize(raw.astype("str"), use_na_sentinel=True)
            parsed, errs = [], []
            for u in uniques:
                try:
                    parsed.append(when.parse_event_time(u, field=time_column))
                    errs.append(None)
                except UsageError as exc:
                    parsed.append(None)
                    errs.append(str(exc))
            times = _take(pd.Series(parsed, dtype="str"), codes)
            err = _take(pd.Series(errs, dtype="str"), codes)
            err[codes < 0] = f"{time_column}: the time is empty"
            marks.mark(err.notna().to_numpy(), "invalid", err)
        keys = pd.DataFrame({"d": dates, "y": days, "t": times})
        codes = keys.groupby(["d", "y", "t"], sort=False, dropna=False).ngroup().to_numpy()
        firsts = keys.drop_duplicates(["d", "y", "t"])
        u_moment, u_date = [], []
        for d, y, t in zip(firsts["d"], firsts["y"], firsts["t"]):
            ok = d is not None and isinstance(t, str)
            u_moment.append(when.reminder_moment(d, y, t) if ok else pd.NaT)
            u_date.append(f"{d.month:02d}/{d.day:02d}/{d.year:04d}" if d is not None else None)
        moment = pd.Series(pd.to_datetime(pd.Series(u_moment, dtype=object), utc=True)
                           .to_numpy()[codes], dtype="datetime64[ns, UTC]")
        timing = np.full(n, "event", dtype=object)
        return timing, moment, _take(pd.Series(u_date, dtype="str"), codes), times, \
            pd.array(days, dtype="Int64")
    if any(v is not None for v in (event_date, event_date_column, days_before, time_,
                                   days_before_column, time_column)):
        raise UsageError("event_date/days_before/time go with kind='reminder'")
    if at is not None and at_column is not None:
        raise UsageError("give at= (one moment for all) or at_column= (per row), not both")
    if at is not None:
        utc = when.parse_at(at)
        moment = pd.Series(pd.Timestamp(utc), index=range(n), dtype="datetime64[ns, UTC]")
        d, t = when.format_moments(moment.iloc[:1])
        return (np.full(n, "scheduled", dtype=object), moment,
                pd.Series(d.iloc[0], index=range(n), dtype="str"),
                pd.Series(t.iloc[0], index=range(n), dtype="str"), day)
    if at_column is not None:
        moment, err = when.parse_at_column(_column(data, at_column, "each row's send time"),
                                           at_column)
        marks.mark(err.notna().to_numpy(), "invalid", err)
        d, t = when.format_moments(moment)
        timing = np.where(moment.isna().to_numpy(), "now", "scheduled").astype(object)
        return timing, moment, d, t, day
    return np.full(n, "now", dtype=object), nat, na_str, na_str.copy(), day


def _place(kind: str, place: Any, client: Any) -> tuple[Any, Any]:
    if kind != "review":
        if place is not None:
            raise UsageError("place= goes with kind='review'")
        return pd.NA, pd.NA
    if place is None:
        raise UsageError("a review request needs place= (the place's name or id, from GetPlaces)")
    if hasattr(place, "google_place_id"):
        return place.name, place.google_place_id
    if client is None:
        raise UsageError(f"to find place {place!r} ptdata needs client= (it asks GetPlaces for its "
                         "GooglePlaceId)")
    p = client.resolve_place(place)
    return p.name, p.google_place_id


def _attachments(kind, data, attachment, attachment_column, marks):
    n = len(data)
    if kind != "mms":
        if attachment is not None or attachment_column is not None:
            raise UsageError("attachment= goes with kind='mms'")
        return None, pd.Series(pd.NA, index=range(n), dtype="str")
    if (attachment is None) == (attachment_column is None):
        raise UsageError("an MMS needs attachment= (one file for all) or attachment_column=")
    if attachment is not None:
        att: Attachment = load_attachment(attachment)
        return att, pd.Series(att.filename, index=range(n), dtype="str")
    col = _column(data, attachment_column, "each row's attachment file").astype("str").str.strip()
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    ok = np.array([bool(u) and os.path.isfile(u) for u in uniques] + [False])
    bad = ~ok[np.where(codes < 0, len(uniques), codes)]
    marks.mark(bad, "invalid", attachment_column + ": no such file " + _quoted(col))
    return None, col.reset_index(drop=True)


def _operations(kind: str, to: str, timings: set[str]) -> dict[str, tuple[Operation | None, Operation | None]]:
    single_t, multi_t = RECIPIENTS[to]
    ops: dict[str, tuple[Operation | None, Operation | None]] = {}
    for timing in sorted(timings):
        single = find_operation(kind, timing, single_t) if single_t else None
        multi = find_operation(kind, timing, multi_t) if multi_t else None
        if single is None and multi is None:
            options = [t for t, (s, m) in RECIPIENTS.items()
                       if (s and find_operation(kind, timing, s)) or (m and find_operation(kind, timing, m))]
            what = {"now": "send", "scheduled": "schedule", "event": "schedule"}[timing]
            raise UsageError(
                f"Power Textor cannot {what} a {kind} message to {to}; use to= one of: "
                f"{', '.join(options) or '(none)'}"
            )
        ops[timing] = (single, multi)
    return ops


def _resolve_groups(raw: pd.Series, client: Any) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(group name, GroupId, error) per row; names are looked up once each through GetGroups."""
    names = raw.astype("str").str.strip().reset_index(drop=True)
    codes, uniques = pd.factorize(names.where(names != "", pd.NA), use_na_sentinel=True)
    if len(uniques) and client is None:
        raise UsageError("to='groups' needs client= to look the group names up (GetGroups)")
    found_name, found_id, errors = [], [], []
    for u in uniques:
        try:
            g = client.resolve_group(u)
            found_name.append(g.name)
            found_id.append(g.group_id)
            errors.append(None)
        except UsageError as exc:
            found_name.append(u)
            found_id.append(None)
            errors.append(f"Groups: {exc}")
    name = _take(pd.Series(found_name, dtype="str"), codes)
    gid = _take(pd.Series(found_id, dtype="str"), codes)
    err = _take(pd.Series(errors, dtype="str"), codes)
    err[codes < 0] = "Groups: the group is empty"
    return name, gid, err


def _suppression(suppress: Any, region: str) -> set[str]:
    """The E.164 numbers not to text: files and dumps go to ``suppression_list`` together (so a
    START in one dump lifts a STOP in another); plain numbers are normalised here."""
    if suppress is None:
        return set()
    sources = suppress if isinstance(suppress, (list, tuple)) else [suppress]
    numbers: set[str] = set()
    files: list[Any] = []
    plain: list[str] = []
    for src in sources:
        if isinstance(src, os.PathLike) or (isinstance(src, str) and _looks_like_path(src)):
            files.append(Path(src))
        elif isinstance(src, pd.DataFrame):
            from ptdata.inbound import suppression_list

            numbers |= set(suppression_list(src))
        elif isinstance(src, str):
            plain.append(src)
        elif isinstance(src, Iterable):
            plain.extend(str(v) for v in src)
        else:
            raise UsageError(f"suppress= takes numbers, a file or a frame, not {type(src).__name__}")
    if files:
        from ptdata.inbound import suppression_list

        try:
            numbers |= set(suppression_list(files if len(files) > 1 else files[0]))
        except (OSError, ValueError) as exc:
            raise UsageError(f"suppress=: {exc}") from None
    if plain:
        normal = _normalise(pd.Series(plain, dtype="str"), region)
        numbers |= set(normal.dropna())
    return numbers


def _looks_like_path(text: str) -> bool:
    return any(c in text for c in "/\\") or text.lower().endswith((".csv", ".txt", ".jsonl", ".xlsx"))


def _mark_duplicates(marks, recipient, api_date, api_time, api_day, rows) -> None:
    """A recipient gets one message per send moment: later rows repeating one are duplicates."""
    live = marks.reason == None  # noqa: E711
    keys = pd.DataFrame({"r": recipient, "d": api_date, "t": api_time,
                         "y": pd.Series(api_day, dtype="Int64")})[live]
    if keys.empty:
        return
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    first = pd.Series(rows[live], index=keys.index).groupby(
        [keys["r"], keys["d"], keys["t"], keys["y"]], dropna=False, sort=False).transform("first")
    mask = np.zeros(len(live), dtype=bool)
    mask[dup.index[dup.to_numpy()]] = True
    msg = pd.Series(pd.NA, index=range(len(live)), dtype="str")
    idx = dup.index[dup.to_numpy()]
    msg[idx] = "the same recipient and send time as row " + first[idx].astype("str")
    marks.mark(mask, "duplicate", msg)


def _invalid_message(rows: np.ndarray, marks: _Marks, invalid: np.ndarray) -> str:
    idx = np.flatnonzero(invalid)
    shown = "; ".join(f"row {rows[i]}: {marks.message[i]}" for i in idx[:10])
    more = f"; and {len(idx) - 10} more" if len(idx) > 10 else ""
    return (f"{len(idx)} row{'s' if len(idx) != 1 else ''} cannot be sent ({shown}{more}). "
            "Fix the sheet, or skip them with skip_invalid=True (--skip-invalid): they are then "
            "listed in the report as skipped/invalid.")


def _batches(send, to, ops, timing, body_codes, api_date, api_time, api_day, att_col, batch_size):
    n = len(send)
    batch = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(send)
    if len(idx) == 0:
        return batch
    keys = pd.DataFrame({
        "b": body_codes[idx], "d": api_date.to_numpy(dtype=object, na_value="")[idx],
        "t": api_time.to_numpy(dtype=object, na_value="")[idx],
        "y": pd.Series(api_day, dtype="Int64").fillna(-1).to_numpy()[idx],
        "a": att_col.to_numpy(dtype=object, na_value="")[idx],
    })
    gid = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    if to == "new-group":
        if gid.max() > 0:
            raise UsageError(
                "a new group gets one message at one time, but the rows have "
                f"{gid.max() + 1} different messages/times; send to contacts instead"
            )
        batch[idx] = 0
        return batch
    multi_ok = np.array([ops[t][1] is not None for t in timing[idx]], dtype=bool) \
        if len(ops) > 1 else np.full(len(idx), next(iter(ops.values()))[1] is not None)
    pos = pd.Series(gid).groupby(gid).cumcount().to_numpy()
    chunk = np.where(multi_ok, pos // batch_size, pos)
    combined = gid.astype(np.int64) * (int(chunk.max()) + 1) + chunk
    batch[idx] = pd.factorize(combined)[0]
    return batch


def _op_per_row(batch, send, ops, timing) -> np.ndarray:
    n = len(batch)
    out = np.full(n, None, dtype=object)
    if not send.any():
        return out
    sizes = np.bincount(batch[send])
    multi = np.zeros(n, dtype=bool)
    multi[send] = sizes[batch[send]] > 1
    for t, (single, many) in ops.items():
        at_t = send & (timing == t)
        one = single or many
        out[at_t & ~multi] = one.op_id
        if many is not None:
            out[at_t & multi] = many.op_id
    return out
