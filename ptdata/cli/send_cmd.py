"""``ptdata send``: a sheet in, texts out through Power Textor, a report of every row.

A thin shell over ``read_sheet`` → ``validate`` → ``plan`` → ``send`` → ``Report.write``.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ptdata.api.pricing import cost_text, read_price
from ptdata.cli._common import (
    SheetOptions,
    cli_words,
    confirm_or_exit,
    finish,
    history_full_exits,
    open_client,
    parse_now,
    planning_errors,
    plural,
    read_or_exit,
    region_option,
    server_options,
    sheet_options,
    write_plan,
)

__all__ = ["COMMANDS", "send"]

_TO = ("numbers", "contacts", "new-contacts", "groups", "new-group")


@click.command("send")
@click.argument("sheet", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--body", metavar="TEXT", help="The message, the same for every row.")
@click.option(
    "--template",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="A file with a merge-field template, e.g. 'Hi {Name}!', rendered per row.",
)
@click.option("--body-column", metavar="COL", help="The column holding each row's message.")
@click.option(
    "--kind",
    type=click.Choice(["text", "review", "reminder", "mms"]),
    default=None,
    help="What to send (default text; --review, --remind and --mms imply theirs).",
)
@click.option(
    "--review",
    "review_place",
    metavar="PLACE",
    help="Send a Google review request for this place (name or id, see GetPlaces).",
)
@click.option(
    "--remind",
    "event_date",
    metavar="EVENT_DATE",
    help="Schedule an event reminder for this date (YYYY-MM-DD); with --days-before and --time.",
)
@click.option(
    "--remind-column",
    "event_date_column",
    metavar="COL",
    help="Like --remind, with each row's event date in this column.",
)
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    metavar="N",
    help="Days before the event the reminder goes out.",
)
@click.option(
    "--time",
    "remind_time",
    metavar="HH:MM",
    help="Time of day (UTC, as Power Textor reads it) the reminder goes out.",
)
@click.option(
    "--mms",
    "mms_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="Send an MMS with this file attached.",
)
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="Schedule for this moment: ISO with an offset (2026-12-03T10:00-05:00), or "
    "local time with --tz.",
)
@click.option(
    "--tz", metavar="ZONE", help="Time zone of --at when it has no offset (e.g. America/New_York)."
)
@click.option(
    "--at-column",
    metavar="COL",
    help="Schedule each row at the moment in this column (ISO with offset; blank = now).",
)
@click.option(
    "--local-time",
    "local_time",
    metavar="WHEN",
    help="Schedule at this wall-clock time in each recipient's own time zone, e.g. "
    "'2026-12-03 10:00' or '10:00 local on 12/03/2026'. The zone comes from "
    "the TimeZone column, else ZIP, else State, else the number.",
)
@click.option(
    "--local-time-column",
    metavar="COL",
    help="Like --local-time, each row's local time in this column (blank = now).",
)
@click.option(
    "--appointments",
    "appointments",
    metavar="COL",
    help="Event reminders from this column of appointment times (local wall-clock "
    "time as exports write it: 2026-12-03 10:30, 12/03/2026 10:30 AM, December 3, "
    "2026 10:30 am); with one or more --offset.",
)
@click.option(
    "--appointment-time-column",
    metavar="COL",
    help="With --appointments naming a date column: the column with each appointment's "
    "time of day (e.g. --appointments 'Appt Date' --appointment-time-column 'Appt Time').",
)
@click.option(
    "--offset",
    "offsets",
    multiple=True,
    metavar="TEXT",
    help="When a reminder goes, relative to the appointment (repeatable): '2 days "
    "before at 09:00', 'the day before at 18:00', 'same day 2 hours before'. "
    "Times of day are the recipient's local time.",
)
@click.option(
    "--appointment-tz",
    metavar="ZONE",
    help="The zone the appointment times are written in (e.g. the clinic's); default "
    "each recipient's zone.",
)
@click.option(
    "--skip-weekends",
    is_flag=True,
    help="Move reminders that fall on a Saturday or Sunday (local) to the Friday before.",
)
@click.option(
    "--quiet-hours",
    "quiet_hours",
    metavar="HH:MM-HH:MM",
    default="08:00-21:00",
    show_default=True,
    help="Allowed hours in each recipient's local time (stricter state windows, e.g. "
    "Florida 08:00-20:00, apply too), checked when each message goes out.",
)
@click.option(
    "--no-quiet-hours",
    is_flag=True,
    help="Send at any hour: only for messages recipients asked to get at that time.",
)
@click.option(
    "--quiet-policy",
    type=click.Choice(["shift", "skip"]),
    default="shift",
    show_default=True,
    help="A message in quiet hours: shift it to the next allowed time (a send-now "
    "message becomes scheduled; plain numbers and MMS cannot be scheduled, so "
    "those are skipped), or skip it.",
)
@click.option(
    "--tz-rule",
    type=click.Choice(["strictest", "first", "skip"]),
    default="strictest",
    show_default=True,
    help="A number or place spanning two time zones: quiet hours must hold in all "
    "(strictest), use the first, or skip the row.",
)
@click.option(
    "--default-tz",
    metavar="ZONE",
    help="Time zone of rows nothing else places (e.g. groups); without it such rows "
    "are skipped as unknown_timezone while quiet hours are on.",
)
@click.option(
    "--to",
    "to",
    type=click.Choice(_TO),
    default="numbers",
    show_default=True,
    help="Who the rows are: plain numbers, existing contacts, new contacts (created "
    "with Name/LastName), groups (the Groups column) or a new group.",
)
@click.option(
    "--group-name",
    "--new-group",
    "group_name",
    metavar="NAME",
    help="Name of the new group (with --to new-group; --new-group NAME implies it).",
)
@click.option(
    "--opt-out-footer",
    is_flag=True,
    help="Append Power Textor's 'STOP to opt out' footer (counts toward segments).",
)
@click.option(
    "--suppress",
    multiple=True,
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="Never text these numbers: a suppression CSV/TXT or an inbound dump "
    "(repeatable). Their rows are skipped as opted_out.",
)
@click.option(
    "--report",
    "report_path",
    required=True,
    metavar="OUT",
    type=click.Path(dir_okay=False),
    help="Where to write the report: .csv (Excel-safe), .xlsx or .parquet.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="API calls per second, never exceeded.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Most recipients in one multi-recipient call.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Plan only: write the plan as the report (status planned); send nothing.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Send the valid rows and list invalid ones as skipped (default: refuse).",
)
@click.option(
    "--on-blank",
    type=click.Choice(["invalid", "send"]),
    default="invalid",
    show_default=True,
    help="A template field empty on a row and without a fallback ({First Name|there}): "
    "the row is invalid (blank_merge_field: nothing goes out unless "
    "--skip-invalid), or it is sent with the hole.",
)
@click.option(
    "--force-long", is_flag=True, help="Allow messages over 10 segments or 1,600 characters."
)
@region_option
@click.option("--yes", "-y", is_flag=True, help="Send without asking for confirmation.")
@server_options
@click.option(
    "--campaign",
    "campaign",
    metavar="NAME",
    help="The campaign's name. A later send of the same campaign skips everyone who "
    "already got it, whatever changed in the sheet. Without a name the campaign "
    "is the message as written, its kind, place, timing and target.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Send the campaign again to everyone, including those who already got it.",
)
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Send again to recipients an earlier run left unknown (only if you know "
    "it did not go out).",
)
@click.option(
    "--max-per-recipient",
    "max_per_recipient",
    metavar="N/HOURS",
    help="Skip anyone who already has N messages from this account within HOURS "
    "(scheduled ones still due count), e.g. 3/24.",
)
@click.option(
    "--ledger",
    "ledger_path",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="The send history (default: history.sqlite in your data folder, or "
    "$PTDATA_HOME): who got which campaign, the same from every folder.",
)
@click.option(
    "--now",
    "now_text",
    metavar="WHEN",
    help="Plan as if it were this moment (ISO with offset), e.g. to see what a run "
    "tomorrow morning would do in a dry run.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--test-to",
    "test_to",
    multiple=True,
    metavar="NUMBER",
    help="Send only a test, now, to this staff number (repeatable): the first "
    "recipient's message as they would get it. The campaign itself is not sent; the "
    "history records the test, which counts for no one.",
)
@click.option(
    "--price-per-segment",
    metavar="DOLLARS",
    help="What one segment costs you, e.g. 0.0079 (default "
    "POWERTEXTOR_PRICE_PER_SEGMENT): the summary shows the estimated cost.",
)
@sheet_options
def send(
    sheet: str,
    body: str | None,
    template: str | None,
    body_column: str | None,
    kind: str | None,
    review_place: str | None,
    event_date: str | None,
    event_date_column: str | None,
    days_before: int | None,
    remind_time: str | None,
    mms_file: str | None,
    at: str | None,
    tz: str | None,
    at_column: str | None,
    local_time: str | None,
    local_time_column: str | None,
    appointments: str | None,
    appointment_time_column: str | None,
    offsets: tuple[str, ...],
    appointment_tz: str | None,
    skip_weekends: bool,
    quiet_hours: str,
    no_quiet_hours: bool,
    quiet_policy: str,
    tz_rule: str,
    default_tz: str | None,
    to: str,
    group_name: str | None,
    opt_out_footer: bool,
    suppress: tuple[str, ...],
    report_path: str,
    rate: float,
    batch_size: int,
    dry_run: bool,
    skip_invalid: bool,
    on_blank: str,
    force_long: bool,
    region: str,
    yes: bool,
    base_url: str | None,
    use_sandbox: bool,
    campaign: str | None,
    again: bool,
    resend_unknown: bool,
    max_per_recipient: str | None,
    ledger_path: str | None,
    now_text: str | None,
    no_progress: bool,
    test_to: tuple[str, ...],
    price_per_segment: str | None,
    sheet_options: SheetOptions,
) -> None:
    """Send (or schedule) a message to every row of SHEET and write a report of every row.

    \b
    Examples:
      ptdata send contacts.csv --body "Doors open at 9!" --report out.csv --dry-run
      ptdata send contacts.csv --template msg.txt --to contacts --at 2026-12-03T09:00-05:00 \\
          --report out.xlsx --rate 10 --yes
      ptdata send visits.csv --review "Main Street Bakery" --body "How did we do?" \\
          --to new-contacts --report out.csv --sandbox --yes
      ptdata send appts.csv --remind-column Date --days-before 1 --time 14:00 \\
          --body "See you tomorrow" --to new-contacts --report out.csv --yes
      ptdata send contacts.csv --body "Sale today!" --to contacts \\
          --local-time "2026-12-03 10:00" --report out.csv --yes
      ptdata send appts.csv --appointments Appointment --offset "1 day before at 18:00" \\
          --offset "same day 2 hours before" --template msg.txt --to new-contacts \\
          --report out.csv --yes
      ptdata send contacts.csv --template msg.txt --test-to "+1 415 555 0199" --report test.csv

    \b
    Quiet hours are on: no message goes out before 08:00 or after 21:00 in the recipient's
    own time (stricter where a state says so), checked at the moment it will go out. A
    message that would is moved to the next allowed time (--quiet-policy shift) or skipped
    (skip); --no-quiet-hours sends at any hour. The zone is the TimeZone column, else ZIP,
    else State, else the number; rows nothing places are skipped (or use --default-tz).

    \b
    Nothing is sent twice: the send history (in your data folder) records everyone each
    campaign reached, and a later run of the campaign skips them (already_sent), whatever
    changed in the sheet, the suppression list or the batch size, and from any folder.
    --again sends to everyone once more; --campaign NAME names a campaign.

    \b
    --test-to NUMBER sends only a test, right away (even for a scheduled campaign or a
    reminder), to the staff numbers given: the first recipient's message with their merge
    values, nothing added. It needs no --yes and reaches no one as far as the campaign is
    concerned: the real send later still texts everyone. Opt-outs apply to it too.

    \b
    Exit status: 0 every row was sent, scheduled or skipped by rule (invalid with
    --skip-invalid, duplicate, opted out, already sent, in the past, quiet hours, no time
    zone); 1 some
    row failed, is unknown, or the sheet has invalid rows; 2 usage errors (bad options,
    unreadable sheet, bad key).
    A real send asks for confirmation unless --yes; without a terminal it needs --yes.
    """

    opts = _plan_options(
        body=body,
        template=template,
        body_column=body_column,
        kind=kind,
        review_place=review_place,
        event_date=event_date,
        event_date_column=event_date_column,
        days_before=days_before,
        remind_time=remind_time,
        mms_file=mms_file,
        at=at,
        tz=tz,
        at_column=at_column,
        to=to,
        group_name=group_name,
    )
    opts.update(
        _timing_options(
            local_time=local_time,
            local_time_column=local_time_column,
            appointments=appointments,
            appointment_time_column=appointment_time_column,
            offsets=offsets,
            appointment_tz=appointment_tz,
            skip_weekends=skip_weekends,
            quiet_hours=quiet_hours,
            no_quiet_hours=no_quiet_hours,
            quiet_policy=quiet_policy,
            tz_rule=tz_rule,
            default_tz=default_tz,
        )
    )
    if appointments:
        if opts["kind"] not in ("text", "reminder") or event_date or event_date_column:
            raise click.UsageError(
                "--appointments plans event reminders: leave out --remind, --review and --mms"
            )
        opts["kind"] = "reminder"
    cap = _cap(max_per_recipient)
    if test_to and (dry_run or again or resend_unknown or cap):
        raise click.UsageError(
            "--test-to sends only a test, now: leave out --dry-run, --again, --resend-unknown "
            "and --max-per-recipient (they go with the campaign's own send)"
        )
    with contextlib.ExitStack() as stack:
        frame = _read(sheet, sheet_options, opts["to"], region)
        with planning_errors():
            # a dry run reads the send history too when it can reach the server
            client = open_client(
                stack,
                base_url,
                use_sandbox,
                needed=not dry_run
                or bool(opts["needs_client"] or base_url or os.environ.get("POWERTEXTOR_API_KEY")),
            )
            price = read_price(price_per_segment)
            plan_kwargs = {k: v for k, v in opts.items() if k != "needs_client"}
            the_plan = _make_plan(
                frame,
                plan_kwargs,
                client=client,
                opt_out_footer=opt_out_footer,
                suppress=[Path(s) for s in suppress] or None,
                batch_size=batch_size,
                skip_invalid=skip_invalid,
                force_long=force_long,
                region=region,
                campaign=campaign,
                on_blank=on_blank,
                keep_columns=list(sheet_options.keep_columns) or None,
                now=parse_now(now_text),
            )
        if hasattr(frame, "summary"):
            click.echo(frame.summary(details=False))
        if client is None:  # a dry run without a server: the history cannot be read
            click.echo(the_plan.summary() + _totals(the_plan, price))
            _blank_note(the_plan)
            out = write_plan(the_plan, report_path)
            click.echo(
                "dry run: nothing sent (no API key or server given, so the send history "
                f"was not checked); the plan is in {out}"
            )
            return
        ledger: Any = ledger_path
        if use_sandbox and ledger_path is None:  # a throwaway server: a throwaway history
            import tempfile

            ledger = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "history.sqlite"
        if test_to:
            _send_test(the_plan, client, test_to, ledger, report_path, rate, no_progress, region)
            return
        pending = _pending(
            stack,
            the_plan,
            client,
            ledger=ledger,
            again=again,
            resend_unknown=resend_unknown,
            max_per_recipient=cap,
        )
        click.echo(pending.summary() + _totals(pending.plan, price))
        _blank_note(pending.plan)
        if dry_run:
            out = write_plan(pending.plan, report_path)
            click.echo(f"dry run: nothing sent; the plan is in {out}")
            return
        if pending.plan.n_calls:
            _confirm(pending, client, yes, price)
        _send_and_write(pending, report_path, rate, no_progress)


def _cap(text: str | None) -> tuple[int, float] | None:
    """``--max-per-recipient 3/24`` as (3, 24.0)."""
    if text is None:
        return None
    import re

    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*h?\s*", text)
    if not m or int(m[1]) < 1 or float(m[2]) <= 0:
        raise click.UsageError(
            f"--max-per-recipient {text!r}: write N/HOURS, e.g. 3/24 (at "
            "most 3 messages per person in 24 hours)"
        )
    return int(m[1]), float(m[2])


def _pending(stack, the_plan, client, **kwargs):
    from ptdata.api.errors import UsageError
    from ptdata.bulk.sending import PendingSend

    try:
        with history_full_exits():
            return stack.enter_context(PendingSend(the_plan, client, **kwargs))
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


def _plan_options(
    *,
    body,
    template,
    body_column,
    kind,
    review_place,
    event_date,
    event_date_column,
    days_before,
    remind_time,
    mms_file,
    at,
    tz,
    at_column,
    to,
    group_name,
) -> dict[str, Any]:
    messages = [x for x in (body, template, body_column) if x is not None]
    if len(messages) != 1:
        raise click.UsageError(
            "give the message as exactly one of --body, --template or --body-column"
        )
    implied = [
        k
        for k, on in (
            ("review", review_place),
            ("reminder", event_date or event_date_column),
            ("mms", mms_file),
        )
        if on
    ]
    if len(implied) > 1:
        raise click.UsageError("choose one of --review, --remind/--remind-column and --mms")
    if kind and implied and kind != implied[0]:
        raise click.UsageError(f"--kind {kind} contradicts --{implied[0]}")
    kind = kind or (implied[0] if implied else "text")
    if group_name and to == "numbers":
        to = "new-group"
    moment: Any = None
    if at is not None:
        moment = _parse_at(at, tz)
    elif tz:
        raise click.UsageError("--tz goes with --at")
    text = None
    if template is not None:
        text = Path(template).read_text(encoding="utf-8-sig").rstrip("\r\n")
    return {
        "body": body,
        "template": text,
        "body_column": body_column,
        "kind": kind,
        "to": to,
        "group_name": group_name if to == "new-group" else None,
        "at": moment,
        "at_column": at_column,
        "place": review_place,
        "event_date": event_date,
        "event_date_column": event_date_column,
        "days_before": days_before,
        "time": remind_time,
        "attachment": Path(mms_file) if mms_file else None,
        "needs_client": bool(review_place) or to == "groups",
    }


def _timing_options(
    *,
    local_time,
    local_time_column,
    appointments,
    appointment_time_column,
    offsets,
    appointment_tz,
    skip_weekends,
    quiet_hours,
    no_quiet_hours,
    quiet_policy,
    tz_rule,
    default_tz,
) -> dict[str, Any]:
    """The plan arguments for local times, reminders from appointments and quiet hours."""
    if offsets and not appointments:
        raise click.UsageError("--offset goes with --appointments COL (the appointment times)")
    if appointments and not offsets:
        raise click.UsageError(
            "--appointments needs at least one --offset, e.g. --offset '1 day before at 18:00'"
        )
    if (appointment_tz or skip_weekends or appointment_time_column) and not appointments:
        raise click.UsageError(
            "--appointment-tz, --appointment-time-column and --skip-weekends go with --appointments"
        )
    out: dict[str, Any] = {
        "local_at": local_time,
        "local_at_column": local_time_column,
        "quiet": None if no_quiet_hours else _quiet_hours(quiet_hours),
        "quiet_policy": quiet_policy,
        "tz_rule": tz_rule,
        "default_tz": default_tz,
    }
    if appointments:
        out.update(
            appointments=appointments,
            offsets=list(offsets),
            appointment_time_column=appointment_time_column,
            appointment_tz=appointment_tz,
            skip_weekends=skip_weekends,
        )
    return out


def _quiet_hours(text: str):
    """``08:00-21:00`` as a ``QuietHours`` (state windows included)."""
    from ptdata.api.errors import UsageError
    from ptdata.timing import QuietHours
    from ptdata.timing.parse import parse_hours

    try:
        return QuietHours(*parse_hours(text, field="--quiet-hours"))
    except UsageError as exc:
        message = str(exc)
        if not message.startswith("--quiet-hours"):
            message = f"--quiet-hours {text!r}: {message}"
        raise click.UsageError(message) from None


def _parse_at(at: str, tz: str | None) -> datetime:
    from ptdata.api.errors import UsageError
    from ptdata.timing.parse import parse_moment

    try:
        return parse_moment(at, field="--at", tz=tz, zone_hint=" (or give --tz America/New_York)")
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


def _read(sheet: str, opts: SheetOptions, to: str, region: str | None):
    """The sheet, validated as contacts when its rows are phone numbers (groups: as read)."""
    from ptdata.sheets.validate import validate

    frame = read_or_exit(sheet, opts)
    if to == "groups":
        return frame
    return validate(frame, kind="contacts", region=region)


def _make_plan(frame, kwargs: dict[str, Any], **more):
    from ptdata.bulk.make_plan import plan

    return plan(frame, **kwargs, **more)


def _blanks(the_plan) -> tuple[int, int]:
    """(rows skipped for an empty merge field, planned messages sent with one)."""
    f = the_plan.frame
    has = f["blank_fields"].notna()
    return int((has & (f["skip_reason"] == "blank_merge_field")).sum()), int(
        (has & (f["status"] == "planned")).sum()
    )


def _blank_note(the_plan) -> None:
    skipped, sent = _blanks(the_plan)
    if sent:
        fields = ", ".join(
            sorted(set(", ".join(the_plan.frame["blank_fields"].dropna()).split(", ")))
        )
        click.echo(
            f"  {plural(sent, 'message')} with an empty merge field ({fields}) "
            f"{'goes' if sent == 1 else 'go'} out as {'it is' if sent == 1 else 'they are'} "
            "(--on-blank send)"
        )


def audience(the_plan, price=None, more: str = "") -> str:
    """``5 messages to 5 recipients in 2 groups (1 segment each, 5 in all)``: a group is its
    members (GetGroups' ContactsCount, as the plan counts them), and the cost when priced."""
    p = the_plan
    live = (p.frame["status"] == "planned").to_numpy()
    first = ~p.frame["recipient"].duplicated().to_numpy()
    people = int(p.row_messages[live & first].sum())  # a recipient texted twice counts once
    groups = p.frame.loc[live, "group"].dropna().nunique() if p.settings.to == "groups" else 0
    each = p.frame.loc[live, "segments"].dropna().unique()
    if len(each) == 1:
        segments = f"{plural(int(each[0]), 'segment')} each"
        segments += f", {p.segments:,} in all" if p.messages > 1 else ""
    else:
        segments = f"{plural(p.segments, 'segment')} in all"
    cost = cost_text(p.segments, price)
    if cost:
        segments += ", " + cost.split(" (")[0]
    return (
        f"{plural(p.messages, 'message')} to {plural(people, 'recipient')}"
        + (f" in {plural(groups, 'group')}" if groups else "")
        + f" ({segments}{more})"
    )


def _totals(the_plan, price) -> str:
    """The summary's last lines: whom the messages reach, and the estimated cost."""
    cost = "" if price is None else f"\n  {cost_text(the_plan.segments, price)}"
    return f"\n  {audience(the_plan)}{cost}" if the_plan.n_calls else cost


def _confirm(pending, client, yes: bool, price=None) -> None:
    p = pending.plan
    skipped = f"; {pending.already_sent:,} skipped as already sent" if pending.already_sent else ""
    blank_skipped, blank_sent = _blanks(p)
    if blank_skipped:
        skipped += f"; {plural(blank_skipped, 'row')} skipped for an empty merge field"
    if blank_sent:
        skipped += f"; {blank_sent:,} with an empty merge field"
    confirm_or_exit(
        f"Send {audience(p, price, skipped)} in {plural(p.n_calls, 'API call')} "
        f"through {client.base_url}?",
        yes,
    )


def _send_test(the_plan, client, numbers, ledger, report_path, rate, no_progress, region):
    """``--test-to``: the test alone, said so before and after."""
    from ptdata.api.errors import UsageError
    from ptdata.bulk.sending import send_test
    from ptdata.bulk.sendtest import read_test_numbers

    try:
        many = plural(len(read_test_numbers(list(numbers), region or "US")[0]), "test number")
        click.echo(
            f"test: the first recipient's message goes now to {many} only; the campaign "
            "itself is not sent"
        )
        report = send_test(
            the_plan,
            client,
            list(numbers),
            region=region or "US",
            rate=rate,
            progress=not no_progress,
            ledger=ledger,
        )
    except UsageError as exc:
        raise click.UsageError(cli_words(str(exc)).replace("test_to=", "--test-to")) from None
    finish(report, report_path)


def _send_and_write(pending, report_path, rate, no_progress) -> None:
    from ptdata.api.errors import UsageError

    try:
        with history_full_exits():
            report = pending.run(rate=rate, progress=not no_progress)
    except UsageError as exc:
        raise click.UsageError(cli_words(str(exc))) from None
    finish(report, report_path)


COMMANDS = [send]
