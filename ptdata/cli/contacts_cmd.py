"""``ptdata contacts sync``: bring Power Textor's contacts in step with a sheet, with a report.

A thin shell over ``read_sheet`` → ``plan_sync`` (the diff) → ``apply_sync`` → ``write``.
"""

from __future__ import annotations

import contextlib

import click

from ptdata.cli._common import (
    SheetOptions,
    cli_words,
    confirm_or_exit,
    finish,
    history_full_exits,
    open_client,
    planning_errors,
    plural,
    read_or_exit,
    region_option,
    server_options,
    sheet_options,
    write_plan,
)

__all__ = ["COMMANDS", "contacts"]


@click.group("contacts")
def contacts() -> None:
    """Power Textor's contacts: keep them in step with your sheet."""


@contacts.command("sync")
@click.argument("sheet", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--report",
    "report_path",
    required=True,
    metavar="OUT",
    type=click.Path(dir_okay=False),
    help="Where to write the report: .csv (Excel-safe), .xlsx or .parquet.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only compare: write the diff as the report (status planned); change nothing.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="API calls per second, never exceeded.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Sync the valid rows and list invalid ones as skipped (default: refuse).",
)
@region_option
@click.option("--yes", "-y", is_flag=True, help="Make the changes without asking.")
@server_options
@click.option(
    "--ledger",
    "ledger_path",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="The ledger (default .ptdata/ledger.sqlite): a call an earlier sync left "
    "unknown is not made again.",
)
@click.option(
    "--resend-unknown", is_flag=True, help="Make again the calls an earlier sync left unknown."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@sheet_options
def sync(
    sheet: str,
    report_path: str,
    dry_run: bool,
    rate: float,
    skip_invalid: bool,
    region: str,
    yes: bool,
    base_url: str | None,
    use_sandbox: bool,
    ledger_path: str | None,
    resend_unknown: bool,
    no_progress: bool,
    sheet_options: SheetOptions,
) -> None:
    """Create the contacts of SHEET that Power Textor lacks and rename those whose name differs.

    Contacts are matched by phone number (E.164, however either side writes it); a sheet
    with several phone columns gives each row its first valid mobile, else its next valid
    number (or say which with --phone-column). Every sheet row is a report row. Contacts
    only in Power Textor are listed, never deleted (the API has no delete). Group names in
    the Groups column are checked against your groups; the API cannot add an existing
    contact to a group, so membership differences are reported, not changed.

    \b
    Examples:
      ptdata contacts sync crm.csv --dry-run --report diff.csv
      ptdata contacts sync crm.xlsx --report sync.xlsx --yes --rate 5

    \b
    Exit status: 0 every row was created, updated, unchanged or skipped by rule (duplicate,
    invalid with --skip-invalid); 1 some row failed or is unknown, or the sheet has invalid
    rows; 2 usage errors (bad options, unreadable sheet, bad key). Changes are confirmed on
    the terminal unless --yes; without a terminal they need --yes.
    """
    from ptdata.api.errors import UsageError
    from ptdata.contacts.sync import apply_sync, plan_sync

    with contextlib.ExitStack() as stack:
        frame = read_or_exit(sheet, sheet_options)
        with planning_errors():
            client = open_client(stack, base_url, use_sandbox)
            the_plan = plan_sync(
                frame,
                client,
                region=region,
                skip_invalid=skip_invalid,
                keep_columns=list(sheet_options.keep_columns) or None,
            )
        click.echo(the_plan.summary())
        if dry_run:
            out = write_plan(the_plan, report_path)
            click.echo(f"dry run: nothing changed; the diff is in {out}")
            return
        if the_plan.n_calls:
            c = the_plan.counts
            confirm_or_exit(
                f"Create {plural(c['create'], 'contact')} "
                f"and update {plural(c['update'], 'contact')} "
                f"({plural(the_plan.n_calls, 'API call')}) in Power Textor at "
                f"{client.base_url}?",
                yes,
                verb="make the changes",
                declined="nothing changed.",
            )
        try:
            with history_full_exits():
                result = apply_sync(
                    the_plan,
                    client,
                    rate=rate,
                    progress=not no_progress,
                    ledger=ledger_path,
                    resend_unknown=resend_unknown,
                )
        except UsageError as exc:
            raise click.UsageError(cli_words(str(exc))) from None
        finish(result, report_path)


COMMANDS = [contacts]
