"""``ptdata history``: who got which campaign, and which scheduled messages are still due."""

from __future__ import annotations

import click

__all__ = ["COMMANDS", "history"]


@click.command("history")
@click.option(
    "--campaign",
    metavar="NAME",
    help="Only this campaign (its name, or the start "
    "of an unnamed campaign's id as reports show it).",
)
@click.option("--phone", metavar="NUMBER", help="Only messages to this number.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only messages sent or due since then (2026-11-01, or 2026-11-01T09:00+00:00).",
)
@click.option(
    "--scheduled",
    is_flag=True,
    help="Only scheduled messages still due: Power "
    "Textor cannot list or cancel them, so this is where to see them.",
)
@click.option(
    "--report",
    "report_path",
    metavar="OUT",
    type=click.Path(dir_okay=False),
    help="Write the rows to OUT (.csv, .xlsx or .parquet).",
)
@click.option(
    "--ledger",
    "ledger_path",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="The send history (default: history.sqlite in your data folder, or $PTDATA_HOME).",
)
@click.option(
    "--region",
    default="US",
    show_default=True,
    help="Region for a --phone written without a country code.",
)
def history(
    campaign: str | None,
    phone: str | None,
    since: str | None,
    scheduled: bool,
    report_path: str | None,
    ledger_path: str | None,
    region: str,
) -> None:
    """List the messages ptdata sent or scheduled, one row per recipient.

    A test send (ptdata send --test-to) is listed under its campaign as "(test)": it
    reached no one as far as the campaign is concerned.

    \b
    Examples:
      ptdata history --campaign "November newsletter"
      ptdata history --phone "(415) 555-0123"
      ptdata history --scheduled --report due.csv
    """
    from ptdata.api.errors import UsageError
    from ptdata.bulk.history import history as read_history
    from ptdata.bulk.writers import write_frame

    try:
        rows = read_history(
            campaign=campaign,
            phone=phone,
            since=since,
            scheduled=scheduled,
            ledger=ledger_path,
            region=region,
        )
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    what = "scheduled messages still due" if scheduled else "messages"
    if rows.empty:
        click.echo(f"no {what} in the send history")
    else:
        # a test send is its campaign's too, but reached no one: its rows say so
        test = rows["test"].map({True: "test", False: ""}).astype("str")
        label = rows["campaign"].fillna("") + test.map({"test": " (test)", "": ""})
        counts = rows.groupby(label, sort=False)["status"].value_counts().unstack(fill_value=0)
        click.echo(f"{len(rows):,} {what}:")
        for name, row in counts.iterrows():
            parts = ", ".join(f"{k} {v:,}" for k, v in row.items() if v)
            click.echo(f"  {name}: {parts}")
        shown = rows[["phone", "group_id", "campaign", "status", "sent_at", "scheduled_for"]]
        shown = shown.assign(test=test)
        click.echo(shown.tail(20).to_string(index=False, na_rep=""))
    if report_path:
        out = write_frame(rows, report_path)
        click.echo(f"report: {out}")


COMMANDS = [history]
