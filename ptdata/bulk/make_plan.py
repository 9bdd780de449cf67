"""Plan a campaign: a frame of recipients + a message + a timing → one row per recipient, batched.

The plan is the dry run. It says, for every input row, what will be sent (the rendered body,
its encoding and segments), through which connector operation, in which API call (rows whose
body, UTC send time, place and attachment are identical share one multi-recipient call where
the API has one), with the exact UTC strings the API will receive, the recipient's time zone
and where it came from, or why the row will not be sent (``skip_reason``: invalid, opted_out,
in_past, duplicate, quiet_hours, quiet_hours_no_schedule, unknown_timezone,
ambiguous_timezone, invalid_timezone; for reminders from appointments also
invalid_appointment and after_appointment).

Quiet hours (DESIGN rule 4) are on by default: every message is checked at the instant it
will go out, in the recipient's local time (08:00-21:00, stricter in some states), and moved
to the next allowed moment (``quiet_policy="shift"``) or skipped (``"skip"``).
``quiet=None`` turns them off, for messages the recipient asked to get at that time.

>>> import ptdata
>>> p = ptdata.plan(frame, body="Doors open at 9!", to="numbers")
>>> print(p.summary())
10 rows → 1 API call, 10 segments
  calls: SendMessageToMultipleNumbers ×1
  campaign ... (no name given)
>>> p = ptdata.plan(frame, body="Sale starts now", to="new-contacts",
...                 local_at="10:00 local on 12/03/2030")   # 10:00 in each recipient's zone
>>> p.frame.groupby("tz")["scheduled_for"].first().head(3)
tz
America/Chicago       2030-12-03 16:00:00+00:00
America/Denver        2030-12-03 17:00:00+00:00
America/Los_Angeles   2030-12-03 18:00:00+00:00
Name: scheduled_for, dtype: datetime64[ns, UTC]
>>> report = ptdata.send(p, client, progress=False)
>>> report.frame["status"].value_counts().to_dict()
{'scheduled': 10}
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata._columns import take_int, take_str
from ptdata._words import plural
from ptdata.api.errors import UsageError
from ptdata.api.operations import Operation, find_operation
from ptdata.api.request import Attachment, load_attachment
from ptdata.bulk._rows import (
    INVALID_REASONS,
    Marks,
    column,
    input_frame,
    quoted,
    row_numbers,
    text_or_na,
)
from ptdata.bulk.plan_object import Plan, PlanSettings
from ptdata.bulk.plan_reminders import Reminders, expand_appointments, reminder_timing
from ptdata.bulk.plan_timing import Timing, TimingRequest, plan_timing
from ptdata.bulk.recipients import (
    Phones,
    mark_duplicates,
    normalise,
    recipient_phones,
    resolve_groups,
    suppression,
)
from ptdata.timing import QuietHours, current_utc

__all__ = ["KINDS", "RECIPIENTS", "InvalidRowsError", "plan"]


class InvalidRowsError(UsageError):
    """The sheet has rows that cannot be sent; ``rows`` lists their row numbers."""

    def __init__(self, message: str, rows: list[int]) -> None:
        super().__init__(message)
        self.rows = rows

    @classmethod
    def listing(cls, rows: list[int], messages: list[str], cannot: str) -> InvalidRowsError:
        """``2 rows cannot be sent (row 3: ...; row 7: ...). Fix the sheet, or skip them...``:
        the first ten rows and their problems, and how to go on."""
        shown = "; ".join(f"row {r}: {m}" for r, m in zip(rows[:10], messages[:10], strict=True))
        more = f"; and {len(rows) - 10} more" if len(rows) > 10 else ""
        return cls(
            f"{plural(len(rows), 'row')} cannot {cannot} ({shown}{more}). Fix the sheet, or skip "
            "them with skip_invalid=True (--skip-invalid): they are then listed in the report as "
            "skipped/invalid.",
            rows,
        )


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
_QUIET = QuietHours()


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
    local_at: datetime | str | None = None,
    local_at_column: str | None = None,
    place: Any = None,
    event_date: Any = None,
    event_date_column: str | None = None,
    days_before: int | None = None,
    time: Any = None,
    days_before_column: str | None = None,
    time_column: str | None = None,
    appointments: str | None = None,
    appointment_time_column: str | None = None,
    offsets: Any = None,
    appointment_tz: str | None = None,
    skip_weekends: bool = False,
    holidays: Any = None,
    quiet: QuietHours | None = _QUIET,
    quiet_policy: str = "shift",
    tz_rule: str = "strictest",
    default_tz: str | None = None,
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
    campaign: str | None = None,
    phone_columns: Any = None,
    columns: Any = None,
    keep_columns: Any = None,
    on_blank: str = "invalid",
) -> Plan:
    """Turn a frame of recipients into a plan: one row per input row, one batch id per API call.

    Args:
        frame: a DataFrame (``read_sheet``/``validate(...).clean``; columns Phone, Name,
            LastName, Groups, and TimeZone/ZIP/State to place recipients) or a
            ``Validation`` (its failed rows become ``invalid``).
        body / template / body_column: the message: one text for all, a merge-field
            template rendered per row, or a column holding each row's text (exactly one).
        kind: ``text``, ``review`` (needs ``place``), ``reminder`` or ``mms`` (needs
            ``attachment`` or ``attachment_column``). A reminder is timed either by
            ``event_date``/``event_date_column``, ``days_before`` and ``time`` (a UTC time of
            day; each also per row with ``days_before_column``/``time_column``), or by
            ``appointments`` (the column of local appointment times) and ``offsets`` (e.g.
            ``["2 days before at 09:00", "same day 2 hours before"]``): then each (row,
            offset) is one plan row, with ``offset`` saying which, read in the recipient's
            zone (or ``appointment_tz``); ``skip_weekends``/``holidays`` move reminders off
            those days. Appointment times are read as booking exports write them
            (``December 8, 2026 9:15 am``, ``12/08/2026 8:00 AM``, ISO...);
            ``appointment_time_column`` names the time-of-day column when ``appointments`` holds
            only dates, and date-only appointments work when every offset names a time of day.
            Reminders already past are skipped ``in_past``.
        to: ``numbers``, ``contacts``, ``new-contacts`` (created with Name/LastName),
            ``groups`` (the Groups column: group names or ids) or ``new-group`` (the rows
            become the members of a new group called ``group_name``).
        at / at_column: schedule every row at one aware moment, or each row at the moment
            in a column (aware datetimes or ISO text with an offset; blank = send now).
        local_at / local_at_column: schedule at a wall-clock time in each recipient's own
            zone: ``"10:00 local on 12/03/2026"``, ``"2026-12-03 10:00"`` or a naive
            datetime, or per row from a column (blank = send now). Rows that end up in the
            same UTC minute batch together.
        quiet: the allowed hours in the recipient's local time (default
            ``QuietHours()``: 08:00-21:00, stricter in the states of ``STATE_WINDOWS``),
            checked at the instant each message goes out (``now`` for a send-now row).
            ``quiet=None`` sends at any hour: only for messages the recipient asked to get
            then. The zone comes from TimeZone, else ZIP, else State, else the number.
        quiet_policy: ``shift`` moves a blocked message to the next allowed moment (a
            send-now row then becomes a scheduled send; plain numbers and MMS have no
            scheduled send, so those rows are skipped ``quiet_hours_no_schedule``); ``skip``
            skips it as ``quiet_hours``.
        tz_rule: for a number or place spanning two zones: ``strictest`` (quiet hours must
            hold in all of them), ``first`` or ``skip`` (``ambiguous_timezone``).
        default_tz: the zone of rows nothing else places (e.g. a group's members);
            otherwise such rows are skipped ``unknown_timezone`` when a zone is needed.
        opt_out_footer: ask Power Textor to append "STOP to opt out" (counted in segments).
        suppress: numbers never to text (a set of numbers, a suppression file, an inbound
            dump or frame, or a list of those): their rows are skipped as ``opted_out``.
        batch_size: most recipients in one multi-recipient call.
        client: a ``PowerTextor``; needed only to resolve group and place names to ids.
        skip_invalid: plan the valid rows and list invalid ones (``invalid``,
            ``invalid_timezone``, ``invalid_appointment``) as skipped, instead of refusing
            the whole sheet (validation fails closed).
        now: the current time (an aware datetime; default the clock): what is past, and
            when a send-now row goes out for quiet hours.
        force_long: allow messages over 10 segments or 1,600 characters.
        campaign: the campaign's name. A later send of the same campaign skips everyone who
            already got it (see ``ptdata.send``). Without a name the campaign is the message
            as written (the template or body, not each row's text), its kind, place, timing
            as asked and target kind: never the rows, the batch size, the clock or the folder.
        phone_columns / columns: which sheet column is which, for a frame not validated yet
            (as in ``read_sheet``): the headers numbers are taken from, in priority order
            (default: each row's first valid mobile, else its next valid phone column), and
            ``{"Name": "Given Name"}``. Each plan row says its ``phone_column`` and
            ``phone_as_written``.
        keep_columns: sheet columns carried into the plan and the report (your own ids, to
            join the report back to the CRM).
        on_blank: a template field that is empty on a row and has no fallback
            (``{First Name|there}``) makes the row ``blank_merge_field``, an invalid row
            (``"invalid"``, the default), or it is sent with the hole (``"send"``); the plan's
            ``blank_fields`` column names the empty fields either way.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> p = ptdata.plan(frame, template="Hi {Name}, your table is ready", to="contacts",
    ...                 at=datetime(2030, 12, 3, 18, 0, tzinfo=ZoneInfo("America/New_York")))
    >>> p.frame.loc[0, ["body", "scheduled_for"]].tolist()
    ['Hi Ana, your table is ready', Timestamp('2030-12-03 23:00:00+0000', tz='UTC')]
    >>> p = ptdata.plan(appts, template="See you soon, {Name}", kind="reminder",
    ...                 to="new-contacts", appointments="Appointment",
    ...                 offsets=["1 day before at 18:00"])
    >>> p.frame.loc[0, ["offset", "api_date", "api_time", "api_day"]].tolist()
    ['1 day before at 18:00', ...]
    """
    kind, to = _check_arguments(
        kind=kind,
        to=to,
        batch_size=batch_size,
        group_name=group_name,
        on_blank=on_blank,
        campaign=campaign,
        appointments=appointments,
        reminder_settings=(
            event_date,
            event_date_column,
            days_before,
            time,
            days_before_column,
            time_column,
        ),
        appointment_settings=(offsets, appointment_tz, holidays, appointment_time_column),
        skip_weekends=skip_weekends,
    )
    req = TimingRequest(
        kind=kind,
        at=at,
        at_column=at_column,
        local_at=local_at,
        local_at_column=local_at_column,
        event_date=event_date,
        event_date_column=event_date_column,
        days_before=days_before,
        time=time,
        days_before_column=days_before_column,
        time_column=time_column,
        tz_rule=tz_rule,
        quiet=quiet,
        quiet_policy=quiet_policy,
        default_tz=default_tz,
        now=current_utc(now).floor("min"),
    )
    sheet = _sheet_rows(frame, to=to, region=region, phone_columns=phone_columns, columns=columns)
    kept = _kept_columns(sheet.data, keep_columns)
    reminders = None
    if appointments is not None:
        reminders = _reminder_rows(
            sheet,
            req,
            to=to,
            appointments=appointments,
            offsets=offsets,
            appointment_tz=appointment_tz,
            skip_weekends=skip_weekends,
            holidays=holidays,
            appointment_time=appointment_time_column,
        )
        sheet = sheet.take(reminders.positions)
    data, rows, n = sheet.data, sheet.rows, len(sheet.data)
    marks = Marks(n)
    if sheet.pre_reason is not None:
        for why in ("invalid", "duplicate"):
            marks.mark(
                (sheet.pre_reason == why).fillna(False).to_numpy(dtype=bool), why, sheet.pre_message
            )
    who = _recipients(sheet, marks, to=to, client=client, region=region, group_name=group_name)
    message = _message(
        data,
        marks,
        body=body,
        template=template,
        body_column=body_column,
        opt_out_footer=opt_out_footer,
        on_blank=on_blank,
        force_long=force_long,
    )
    # opted out: before timing, so a STOP number always says so
    suppressed = suppression(suppress, region)
    if suppressed and to in _PHONE_TARGETS:
        marks.mark(
            who.phone.isin(suppressed).to_numpy(),
            "opted_out",
            "the number opted out (on the suppression list)",
        )
    timed = _timing(data, who, marks, req, reminders, kind=kind, to=to)
    ops = _operations(
        kind, to, set(timed.timing.tolist()) or {"event" if kind == "reminder" else "now"}
    )
    place_name, place_id = _place(kind, place, client)
    shared_att, att_col = _attachments(kind, data, attachment, attachment_column, marks)
    # one message per recipient and send time
    mark_duplicates(marks, who.recipient, timed.api_date, timed.api_time, timed.api_day, rows)
    invalid = np.isin(marks.reason, INVALID_REASONS)
    if invalid.any() and not skip_invalid:
        idx = np.flatnonzero(invalid)
        raise InvalidRowsError.listing(
            [int(rows[i]) for i in idx], [str(marks.message[i]) for i in idx], "be sent"
        )
    # identical body, UTC slot, place and attachment share a call
    send = marks.live
    batch = _batches(
        send,
        to,
        ops,
        timed.timing,
        message.codes,
        timed.api_date,
        timed.api_time,
        timed.api_day,
        att_col,
        batch_size,
    )
    out = _plan_frame(
        sheet,
        who,
        message,
        timed,
        marks,
        kind=kind,
        operations=_op_per_row(batch, send, ops, timed.timing),
        batch=batch,
        offset=reminders.frame["offset"] if reminders is not None else None,
        place=(place_name, place_id),
        attachment=att_col,
        opt_out_footer=bool(opt_out_footer),
        kept=kept,
    )
    settings = _settings(
        req,
        kind=kind,
        to=to,
        group_name=group_name,
        batch_size=batch_size,
        opt_out_footer=bool(opt_out_footer),
        attachment=shared_att,
        place=(place_name, place_id),
        campaign=campaign,
        message_as_written=_as_written(body, template, body_column),
        suppressed=suppressed,
        more_asked={
            "appointments": appointments,
            "offsets": offsets,
            "appointment_tz": appointment_tz,
            "skip_weekends": skip_weekends,
            "holidays": holidays,
            "suppress": suppress is not None,
        },
        appointment_time_column=appointment_time_column,
    )
    return Plan(out, settings)


# -- the steps of plan(), in the order it takes them ------------------------------------------


def _check_arguments(
    *,
    kind: Any,
    to: Any,
    batch_size: Any,
    group_name: Any,
    on_blank: Any,
    campaign: Any,
    appointments: Any,
    reminder_settings: tuple[Any, ...],
    appointment_settings: tuple[Any, ...],
    skip_weekends: bool,
) -> tuple[str, str]:
    """The arguments that make sense only together, checked before any row is read;
    returns ``(kind, to)`` as plan() spells them."""
    kind = str(kind).strip().lower()
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    to = str(to).strip().lower().replace("_", "-")
    if to not in RECIPIENTS:
        raise UsageError(f"to must be one of {', '.join(RECIPIENTS)}, not {to!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(f"batch_size must be a whole number ≥ 1, not {batch_size!r}")
    if appointments is None and (skip_weekends or any(v is not None for v in appointment_settings)):
        raise UsageError(
            "offsets=, appointment_tz=, appointment_time_column=, skip_weekends= and "
            "holidays= go with appointments= (the column of appointment times)"
        )
    if appointments is not None and (
        kind != "reminder" or any(v is not None for v in reminder_settings)
    ):
        raise UsageError(
            "appointments= plans event reminders (kind='reminder') from the "
            "appointment times; leave out event_date/days_before/time"
        )
    if to == "new-group" and (not group_name or not str(group_name).strip()):
        raise UsageError("to='new-group' needs group_name= (the new group's name)")
    if group_name and to != "new-group":
        raise UsageError("group_name= goes with to='new-group'")
    if on_blank not in ("invalid", "send"):
        raise UsageError(f"on_blank must be 'invalid' or 'send', not {on_blank!r}")
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        raise UsageError(f"campaign= takes the campaign's name, not {campaign!r}")
    return kind, to


@dataclasses.dataclass(frozen=True)
class _Sheet:
    """The input rows as plan() reads them: the frame, row numbers, numbers, earlier verdicts."""

    data: pd.DataFrame
    rows: np.ndarray
    phones: Phones
    pre_reason: pd.Series | None
    pre_message: pd.Series | None

    def take(self, positions: np.ndarray) -> _Sheet:
        """The rows at ``positions`` (a reminder row per sheet row and offset), renumbered."""

        def pick(s: pd.Series | None) -> pd.Series | None:
            return None if s is None else s.iloc[positions].reset_index(drop=True)

        return _Sheet(
            self.data.iloc[positions].reset_index(drop=True),
            self.rows[positions],
            Phones(*(s.iloc[positions].reset_index(drop=True) for s in self.phones)),
            pick(self.pre_reason),
            pick(self.pre_message),
        )


def _sheet_rows(frame: Any, *, to: str, region: str, phone_columns: Any, columns: Any) -> _Sheet:
    data, pre_reason, pre_message, layout = input_frame(
        frame, phone_columns=phone_columns, columns=columns
    )
    phones = recipient_phones(data, layout, region, required=to in _PHONE_TARGETS)
    return _Sheet(data, row_numbers(data), phones, pre_reason, pre_message)


def _reminder_rows(sheet: _Sheet, req: TimingRequest, *, to: str, **appointment: Any) -> Reminders:
    """One reminder per sheet row and offset, from the appointments column."""
    n = len(sheet.data)
    placed = sheet.phones.e164 if to != "groups" else pd.Series(pd.NA, index=range(n), dtype="str")
    return expand_appointments(sheet.data, placed, req, **appointment)


class _Recipients(NamedTuple):
    """Per row: the number, the group, its members and what the history calls the recipient."""

    phone: pd.Series
    group: pd.Series
    members: pd.Series
    recipient: pd.Series


def _recipients(
    sheet: _Sheet, marks: Marks, *, to: str, client: Any, region: str, group_name: str | None
) -> _Recipients:
    """Who each row goes to; rows without a usable recipient are marked ``invalid``."""
    n = len(sheet.data)
    phones = sheet.phones
    group = pd.Series(pd.NA, index=range(n), dtype="str")
    members = pd.Series(1, index=range(n), dtype="Int64")  # a group row: its members
    if to not in _PHONE_TARGETS:
        raw = column(sheet.data, "Groups", "the group names or GroupIds")
        group, recipient, err, members = resolve_groups(raw, client)
        marks.mark(err.notna().to_numpy(), "invalid", err)
        return _Recipients(phones.e164, group, members, recipient)
    phone = phones.e164
    marks.mark(phone.isna().to_numpy(), "invalid", phones.message)
    if to == "contacts" and client is not None:
        _mark_unknown_contacts(marks, phone, phones.written, client, region)
    if to == "new-group":
        group = pd.Series(str(group_name).strip(), index=range(n), dtype="str")
    return _Recipients(phone, group, members, phone)


def _mark_unknown_contacts(
    marks: Marks, phone: pd.Series, written: pd.Series, client: Any, region: str
) -> None:
    """to='contacts': numbers that are not Power Textor contacts, or opted out there."""
    contacts = list(client.contacts())
    known = normalise(pd.Series([c.phone for c in contacts], dtype="str"), region)
    marks.mark(
        (phone.notna() & ~phone.isin(set(known.dropna()))).to_numpy(),
        "invalid",
        "Phone " + quoted(written) + " is not one of your Power Textor contacts "
        "(to='new-contacts' creates them)",
    )
    # Power Textor's own opt-out: a contact who replied STOP is no longer active there
    inactive = {
        k: c.status
        for k, c in zip(known, contacts, strict=True)
        if isinstance(k, str)
        and c.status
        and c.status.strip().casefold() not in ("active", "subscribed")
    }
    if inactive:
        marks.mark(
            phone.isin(set(inactive)).to_numpy(),
            "unsubscribed_at_power_textor",
            "Power Textor lists this contact as "
            + phone.map(inactive).fillna("").astype("str")
            + " (they opted out there): not texted",
        )


class _Message(NamedTuple):
    """Per row: the rendered body, its blank merge fields; per distinct body: segments."""

    bodies: pd.Series
    blank_fields: pd.Series
    codes: np.ndarray  # each row's distinct body (-1: none)
    segments: pd.DataFrame  # per distinct body: segments, chars, encoding


def _message(
    data: pd.DataFrame,
    marks: Marks,
    *,
    body: str | None,
    template: str | None,
    body_column: str | None,
    opt_out_footer: bool,
    on_blank: str,
    force_long: bool,
) -> _Message:
    """Each row's text; empty, blank-field and too-long messages are marked ``invalid``."""
    from ptdata.sheets.segments import MAX_CHARS, MAX_SEGMENTS

    bodies, blank_fields = _bodies(data, body=body, template=template, body_column=body_column)
    body_codes, body_uniques = pd.factorize(bodies, use_na_sentinel=True)
    seg = _segments(list(body_uniques), opt_out_footer)
    spaces = np.array([not u.strip() for u in body_uniques], dtype=bool)
    empty = (body_codes < 0) | np.isin(body_codes, np.flatnonzero(spaces))
    marks.mark(empty, "invalid", "the message is empty")
    if on_blank == "invalid":
        fields = blank_fields.to_numpy(dtype=object, na_value=None)
        named = "{" + blank_fields.str.replace(", ", "}, {", regex=False) + "}"
        marks.mark(
            blank_fields.notna().to_numpy(),
            "blank_merge_field",
            named
            + " is empty on this row: fill it in, give the field a fallback ("
            + pd.Series(
                [f"{{{str(f).split(', ')[0]}|...}}" if f else "" for f in fields], dtype="str"
            )
            + "), or send it as it is (on_blank='send')",
        )
    if not force_long:
        long_u = (seg["segments"].to_numpy() > MAX_SEGMENTS) | (seg["chars"].to_numpy() > MAX_CHARS)
        if long_u.any():
            too_long = np.isin(body_codes, np.flatnonzero(long_u))
            msg_u = pd.Series(
                [
                    f"the message is {s} segments / {c} characters (the limit is {MAX_SEGMENTS} "
                    f"segments or {MAX_CHARS} characters); shorten it or pass force_long=True"
                    for s, c in zip(seg["segments"], seg["chars"], strict=True)
                ],
                dtype="str",
            )
            marks.mark(too_long, "invalid", take_str(body_codes, list(msg_u)))
    return _Message(bodies, blank_fields, body_codes, seg)


def _timing(
    data: pd.DataFrame,
    who: _Recipients,
    marks: Marks,
    req: TimingRequest,
    reminders: Reminders | None,
    *,
    kind: str,
    to: str,
) -> Timing:
    """When each row goes out: zones, local times, reminders, quiet hours."""
    if reminders is not None:
        timed, why, why_message = reminder_timing(reminders, req)
        marks.mark(np.ones(len(data), dtype=bool), why, why_message)
        return timed
    single_t, multi_t = RECIPIENTS[to]
    can_schedule = kind in ("text", "review") and bool(
        (single_t and find_operation(kind, "scheduled", single_t))
        or (multi_t and find_operation(kind, "scheduled", multi_t))
    )
    why_not = (
        "Power Textor sends an MMS right away (it cannot schedule one)"
        if kind == "mms"
        else f"Power Textor cannot schedule a {kind} to plain numbers"
    )
    # a group row's Phone (if any) is not where its members live
    placed = (
        who.phone if to in _PHONE_TARGETS else pd.Series(pd.NA, index=range(len(data)), dtype="str")
    )
    return plan_timing(data, placed, marks, req, can_schedule=can_schedule, no_schedule_why=why_not)


def _plan_frame(
    sheet: _Sheet,
    who: _Recipients,
    message: _Message,
    timed: Timing,
    marks: Marks,
    *,
    kind: str,
    operations: np.ndarray,
    batch: np.ndarray,
    offset: pd.Series | None,
    place: tuple[Any, Any],
    attachment: pd.Series,
    opt_out_footer: bool,
    kept: list[str],
) -> pd.DataFrame:
    """The plan frame: one row per input row (per row and offset for reminders)."""
    data, n = sheet.data, len(sheet.data)
    send = marks.live
    seg, codes = message.segments, message.codes
    if offset is None:
        offset = pd.Series(pd.NA, index=range(n), dtype="str")
    out = pd.DataFrame(
        {
            "row": pd.array(sheet.rows, dtype="Int64"),
            "phone": who.phone,
            "phone_as_written": sheet.phones.written,
            "phone_column": sheet.phones.column,
            "name": text_or_na(data, "Name", n),
            "last_name": text_or_na(data, "LastName", n),
            "group": who.group,
            "members": who.members,
            "recipient": who.recipient.astype("str"),
            "kind": pd.Series(kind, index=range(n), dtype="str"),
            "operation": pd.Series(operations, dtype="str"),
            "batch_id": pd.array(np.where(send, batch, 0), dtype="Int64"),
            "body": message.bodies.astype("str"),
            "blank_fields": message.blank_fields.astype("str"),
            "encoding": take_str(codes, list(seg["encoding"])),
            "segments": pd.array(take_int(codes, seg["segments"].to_numpy()), dtype="Int64"),
            "timing": pd.Series(timed.timing, dtype="str"),
            "scheduled_for": timed.moment.astype("datetime64[ns, UTC]").reset_index(drop=True),
            "api_date": timed.api_date.reset_index(drop=True),
            "api_time": timed.api_time.reset_index(drop=True),
            "api_day": pd.array(timed.api_day, dtype="Int64"),
            "tz": timed.tz.reset_index(drop=True).astype("str"),
            "tz_source": timed.tz_source.reset_index(drop=True).astype("str"),
            "offset": offset.reset_index(drop=True).astype("str"),
            "shifted": pd.Series(timed.shifted & send, dtype=bool),
            "note": timed.note.reset_index(drop=True).astype("str"),
            "place": pd.Series(place[0], index=range(n), dtype="str"),
            "place_id": pd.Series(place[1], index=range(n), dtype="str"),
            "attachment": attachment,
            "opt_out_footer": pd.Series(opt_out_footer, index=range(n), dtype=bool),
            "status": pd.Series(np.where(send, "planned", "skipped"), dtype="str"),
            "skip_reason": pd.Series(marks.reason, dtype="str"),
            "message": pd.Series(marks.message, dtype="str"),
        }
    )
    out.loc[~send, "batch_id"] = pd.NA
    for c in kept:
        out[c] = data[c].astype("str").reset_index(drop=True)
    out.attrs["ptdata.keep_columns"] = list(kept)
    return out


def _settings(
    req: TimingRequest,
    *,
    kind: str,
    to: str,
    group_name: str | None,
    batch_size: int,
    opt_out_footer: bool,
    attachment: Attachment | None,
    place: tuple[Any, Any],
    campaign: str | None,
    message_as_written: str,
    suppressed: Any,
    more_asked: dict[str, Any],
    appointment_time_column: str | None,
) -> PlanSettings:
    """What the plan was asked for, as the history and the campaign's identity keep it."""
    asked = {f.name: getattr(req, f.name) for f in dataclasses.fields(req) if f.name != "now"}
    asked.update(more_asked)
    timing_asked = {k: asked[k] for k in _TIMING_ASKED}
    if appointment_time_column is not None:  # only when given: older campaigns keep their identity
        asked["appointment_time_column"] = timing_asked["appointment_time_column"] = (
            appointment_time_column
        )
    return PlanSettings(
        kind=kind,
        to=to,
        group_name=group_name,
        batch_size=batch_size,
        opt_out_footer=opt_out_footer,
        attachment=attachment,
        place_name=place[0],
        place_id=place[1],
        request=json.dumps(asked, sort_keys=True, default=repr),
        planned_at=pd.Timestamp(req.now).isoformat(),
        campaign_name=campaign.strip() if campaign else None,
        message_as_written=message_as_written,
        timing_asked=json.dumps(timing_asked, sort_keys=True, default=_asked_text),
        suppressed=frozenset(suppressed),
    )


#: what "timing as asked" is, for a campaign's identity (quiet hours and zones are rules)
_TIMING_ASKED = (
    "at",
    "at_column",
    "local_at",
    "local_at_column",
    "event_date",
    "event_date_column",
    "days_before",
    "time",
    "days_before_column",
    "time_column",
    "appointments",
    "offsets",
    "appointment_tz",
)


def _as_written(body: str | None, template: str | None, body_column: str | None) -> str:
    """The message as the user wrote it (not each row's rendered text)."""
    if body is not None:
        return "body:" + body
    if template is not None:
        return "template:" + template
    return "column:" + str(body_column)


def _asked_text(value: Any) -> str:
    """A timing value as canonical text: an aware moment in UTC, anything else as written."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return pd.Timestamp(value).tz_convert("UTC").isoformat()
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        return value.tz_convert("UTC").isoformat()
    return str(value)


def _kept_columns(data: pd.DataFrame, keep_columns: Any) -> list[str]:
    """The sheet columns the plan carries (``keep_columns``), named as the frame names them."""
    if keep_columns is None:
        return []
    from ptdata.sheets.mapping import resolve_columns

    names = [keep_columns] if isinstance(keep_columns, str) else list(keep_columns)
    try:
        kept = resolve_columns(data, names, what="keep_columns")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    taken = [c for c in kept if c in _PLAN_COLUMNS]
    if taken:
        raise UsageError(
            f"keep_columns: {taken[0]!r} is also a column of the plan; rename it in "
            "the sheet (or leave it out)"
        )
    return kept


#: the plan frame's own columns (kept sheet columns come after them)
_PLAN_COLUMNS = frozenset(
    (
        "row",
        "phone",
        "phone_as_written",
        "phone_column",
        "name",
        "last_name",
        "group",
        "recipient",
        "kind",
        "operation",
        "batch_id",
        "body",
        "blank_fields",
        "encoding",
        "segments",
        "timing",
        "scheduled_for",
        "api_date",
        "api_time",
        "api_day",
        "tz",
        "tz_source",
        "offset",
        "shifted",
        "note",
        "place",
        "place_id",
        "attachment",
        "opt_out_footer",
        "status",
        "skip_reason",
        "message",
    )
)


# -- helpers ---------------------------------------------------------------------------------


def _bodies(data, *, body, template, body_column) -> tuple[pd.Series, pd.Series]:
    """Each row's text, and the template fields empty on it (NA where none)."""
    given = [
        k
        for k, v in (("body", body), ("template", template), ("body_column", body_column))
        if v is not None
    ]
    if len(given) != 1:
        raise UsageError(
            "give the message as exactly one of body=, template= or body_column="
            + (f" (got {', '.join(given)})" if given else "")
        )
    n = len(data)
    none = pd.Series(pd.NA, index=range(n), dtype="str")
    if body is not None:
        if not isinstance(body, str):
            raise UsageError(f"body= takes text, not {type(body).__name__}")
        if not body.strip():
            raise UsageError("body= is empty: write the message")
        _no_merge_fields(body, data.columns)
        return pd.Series(body, index=range(n), dtype="str"), none
    if body_column is not None:
        return (
            column(data, body_column, "each row's message").astype("str").reset_index(drop=True),
            none,
        )
    from ptdata.sheets.errors import TemplateError
    from ptdata.sheets.templates import blank_merge_values, render

    if not isinstance(template, str) or not template.strip():
        raise UsageError("template= is empty: write the message, e.g. 'Hi {Name|there}!'")
    try:
        rendered = render(template, data)
        blanks = blank_merge_values(template, data)
    except TemplateError as exc:
        raise UsageError(f"template: {exc}") from None
    return (
        pd.Series(rendered, dtype="str").reset_index(drop=True),
        pd.Series(blanks, dtype="str").reset_index(drop=True),
    )


def _no_merge_fields(body: str, columns: Any) -> None:
    """A body is sent as written: one naming a column ({Name}) was meant as a template."""
    from ptdata.sheets.templates import template_fields

    try:
        fields = template_fields(body)
    except ValueError:  # braces that are no template at all: plain text
        return
    key = {str(c).replace(" ", "").casefold() for c in columns}
    named = [f for f in fields if f.replace(" ", "").casefold() in key]
    if named:
        raise UsageError(
            f"body= is sent exactly as written, but it names the column {{{named[0]}}}: pass it "
            "as template= (CLI: --template FILE) to fill it in for each row"
        )


def _segments(uniques: list[str], footer: bool) -> pd.DataFrame:
    """Encoding, segments and characters of each distinct body, as sent (with the footer)."""
    from ptdata.sheets.segments import OPT_OUT_FOOTER, segments_frame

    if not uniques:
        return pd.DataFrame(
            {
                "encoding": pd.Series([], dtype="str"),
                "units": [],
                "segments": np.array([], dtype=np.int64),
                "chars": [],
            }
        )
    seg = segments_frame(pd.Series(uniques, dtype="str"), opt_out_footer=footer)
    seg = seg.reset_index(drop=True)
    extra = len(OPT_OUT_FOOTER) if footer else 0
    seg["chars"] = np.array([len(u) + extra for u in uniques], dtype=np.int64)
    return seg


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
        raise UsageError(
            f"to find place {place!r} ptdata needs client= (it asks GetPlaces for its "
            "GooglePlaceId)"
        )
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
    col = column(data, attachment_column, "each row's attachment file").astype("str").str.strip()
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    ok = np.array([bool(u) and os.path.isfile(u) for u in uniques] + [False])
    bad = ~ok[np.where(codes < 0, len(uniques), codes)]
    marks.mark(bad, "invalid", attachment_column + ": no such file " + quoted(col))
    return None, col.reset_index(drop=True)


def _operations(
    kind: str, to: str, timings: set[str]
) -> dict[str, tuple[Operation | None, Operation | None]]:
    single_t, multi_t = RECIPIENTS[to]
    ops: dict[str, tuple[Operation | None, Operation | None]] = {}
    for timing in sorted(timings):
        single = find_operation(kind, timing, single_t) if single_t else None
        multi = find_operation(kind, timing, multi_t) if multi_t else None
        if single is None and multi is None:
            options = [
                t
                for t, (s, m) in RECIPIENTS.items()
                if (s and find_operation(kind, timing, s))
                or (m and find_operation(kind, timing, m))
            ]
            what = {"now": "send", "scheduled": "schedule", "event": "schedule"}[timing]
            raise UsageError(
                f"Power Textor cannot {what} a {kind} message to {to}; use to= one of: "
                f"{', '.join(options) or '(none)'}"
            )
        ops[timing] = (single, multi)
    return ops


def _batches(send, to, ops, timing, body_codes, api_date, api_time, api_day, att_col, batch_size):
    n = len(send)
    batch = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(send)
    if len(idx) == 0:
        return batch
    keys = pd.DataFrame(
        {
            "b": body_codes[idx],
            "d": api_date.to_numpy(dtype=object, na_value="")[idx],
            "t": api_time.to_numpy(dtype=object, na_value="")[idx],
            "y": pd.Series(api_day, dtype="Int64").fillna(-1).to_numpy()[idx],
            "a": att_col.to_numpy(dtype=object, na_value="")[idx],
        }
    )
    gid = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    if to == "new-group":
        if gid.max() > 0:
            raise UsageError(
                "a new group gets one message at one time, but the rows have "
                f"{gid.max() + 1} different messages/times (a local time or quiet hours give "
                "each time zone its own UTC time); send to contacts instead"
            )
        batch[idx] = 0
        return batch
    multi_ok = (
        np.array([ops[t][1] is not None for t in timing[idx]], dtype=bool)
        if len(ops) > 1
        else np.full(len(idx), next(iter(ops.values()))[1] is not None)
    )
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
