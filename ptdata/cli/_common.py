"""What several commands share: the client (``--sandbox`` / ``--base-url``) and the confirmation.

>>> with contextlib.ExitStack() as stack:
...     client = open_client(stack, base_url=None, use_sandbox=True)
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import datetime, timezone
from typing import Any

import click

__all__ = ["confirm_or_exit", "finish", "planning_errors", "open_client", "parse_now", "region_option", "server_options",
           "write_plan"]


#: --region, as the commands that read phone numbers from a sheet take it
region_option = click.option("--region", default="US", show_default=True,
                             help="Region for numbers written without a country code.")


def server_options(command):
    """--base-url and --sandbox: which Power Textor a command talks to."""
    command = click.option(
        "--sandbox", "use_sandbox", is_flag=True,
        help="Run against a local sandbox started for this run (any key works).")(command)
    return click.option(
        "--base-url", metavar="URL",
        help="Power Textor address (default POWERTEXTOR_BASE_URL, else the real service).",
    )(command)


def open_client(stack: contextlib.ExitStack, base_url: str | None, use_sandbox: bool, *,
                needed: bool = True) -> Any:
    """The ``PowerTextor`` client, closed with ``stack``; ``--sandbox`` starts a local one.

    ``needed=False`` (a dry run that asks nothing of the server) returns None unless
    ``--sandbox`` was given.
    """
    from ptdata.api.client import PowerTextor

    if use_sandbox:
        if base_url:
            raise click.UsageError("--sandbox and --base-url exclude each other")
        from ptdata.sandbox import serve_sandbox

        server = stack.enter_context(serve_sandbox())
        click.echo(f"sandbox running at {server.url}", err=True)
        key = os.environ.get("POWERTEXTOR_API_KEY") or "sandbox"
        return stack.enter_context(PowerTextor(api_key=key, base_url=server.url))
    if not needed:
        return None
    return stack.enter_context(PowerTextor(base_url=base_url))


def confirm_or_exit(question: str, yes: bool, *, verb: str = "send",
                    declined: str = "nothing sent.") -> None:
    """Ask ``question`` on the terminal unless ``--yes``; exit 2 with no terminal, 1 on "no"."""
    if yes:
        return
    if not sys.stdin or not sys.stdin.isatty():
        click.echo(f"{question}\nerror: no terminal to confirm on; add --yes to {verb}.", err=True)
        sys.exit(2)
    if not click.confirm(question, default=False, err=True):
        click.echo(declined, err=True)
        sys.exit(1)


def parse_now(text: str | None) -> datetime | None:
    """``--now WHEN``: an ISO date-time with an offset, in UTC; None when not given."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise click.UsageError(f"--now {text!r}: give an ISO date-time with an offset, e.g. "
                               "2026-11-03T01:55:00+00:00")
    return moment.astimezone(timezone.utc)


def finish(result: Any, report_path: str) -> None:
    """Write a run's report, print its summary and the first problem rows, exit 0 or 1.

    A report that cannot be written (a full disk) is one line saying so and how to get it
    (exit 1): the outcome of every message is already in the send history.
    """
    from ptdata.bulk.writers import ReportWriteError

    try:
        out = result.write(report_path)
    except ReportWriteError as exc:
        click.echo(result.summary())
        click.echo(f"error: {exc}. {_how_to_get_the_report(result, report_path)}", err=True)
        sys.exit(1)
    click.echo(result.summary())
    problems = result.frame[result.frame["status"].isin(["failed", "unknown"])]
    for _, r in problems.head(5).iterrows():
        click.echo(f"  row {r['row']}: {r['status']} ({r['reason']}): {r['message']}", err=True)
    click.echo(f"report: {out}")
    sys.exit(0 if result.ok else 1)


def _how_to_get_the_report(result: Any, report_path: str) -> str:
    import shlex

    campaigns = result.frame["campaign"].dropna().unique() if "campaign" in result.frame else []
    if len(campaigns) != 1:
        return "Free some space and run the same command again."
    return ("Every outcome is in the send history: free some space and run `ptdata history "
            f"--campaign {shlex.quote(str(campaigns[0]))} --report {shlex.quote(str(report_path))}`"
            " (running the send again texts nobody twice).")


def write_plan(plan: Any, report_path: str) -> Any:
    """Write a dry run's plan as the report; a full disk is one line and exit 1."""
    from ptdata.bulk.writers import ReportWriteError

    try:
        return plan.write(report_path)
    except ReportWriteError as exc:
        click.echo(f"error: {exc}. Nothing was sent: free some space and run the same command "
                   "again.", err=True)
        sys.exit(1)


@contextlib.contextmanager
def planning_errors():
    """While planning: invalid sheet rows exit 1 (the message names them), other errors exit 2."""
    from ptdata.api.errors import PowerTextorError
    from ptdata.bulk.planner import InvalidRowsError

    try:
        yield
    except InvalidRowsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except PowerTextorError as exc:
        raise click.UsageError(str(exc)) from None
