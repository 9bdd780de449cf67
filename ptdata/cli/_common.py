"""What several commands share: the sheet options, the client (``--sandbox`` / ``--base-url``),
the confirmation, and errors worded in the command line's own spelling.

>>> with contextlib.ExitStack() as stack:
...     client = open_client(stack, base_url=None, use_sandbox=True)
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click

from ptdata._words import plural

__all__ = [
    "SheetOptions",
    "cli_words",
    "confirm_or_exit",
    "finish",
    "planning_errors",
    "open_client",
    "parse_now",
    "plural",
    "read_or_exit",
    "region_option",
    "server_options",
    "sheet_options",
    "write_plan",
]


def _region(ctx: click.Context, param: click.Parameter, value: str) -> str | None:
    import phonenumbers

    if value.lower() == "none":
        return None
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter(
            f"{value!r} is not a region code; use a two-letter code like US, CA or GB"
        )
    return value.upper()


#: --region, as the commands that read phone numbers from a sheet take it
region_option = click.option(
    "--region",
    default="US",
    show_default=True,
    callback=_region,
    help="How numbers written without + are read (two-letter code, e.g. US, CA, DE; 'none' "
    "accepts only + numbers).",
)


@dataclass(frozen=True)
class SheetOptions:
    """How to read the sheet: what ``--sheet``, ``--encoding``... said (``None`` = detect)."""

    sheet: str | int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    phone_columns: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    keep_columns: tuple[str, ...] = ()

    def read_kwargs(self) -> dict[str, Any]:
        """The ``read_sheet`` arguments."""
        return {
            "sheet": self.sheet,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "phone_columns": list(self.phone_columns) or None,
            "columns": dict(self.columns) or None,
        }


def _sheet(ctx: click.Context, param: click.Parameter, value: str | None) -> str | int | None:
    if value is None:
        return None
    if value.strip().lstrip("-").isdigit():
        number = int(value)
        if number < 1:
            raise click.BadParameter(
                "sheets count from 1 (the first sheet is --sheet 1), or give the sheet's name"
            )
        return number - 1
    return value


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise click.BadParameter("give one character, or tab / comma / semicolon / pipe")
    return value


def _column_map(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise click.BadParameter(
                f'{item!r}: write NAME=HEADER, e.g. --column Name="Given Name"'
            )
        out[name.strip()] = header.strip()
    return out


def _keep(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.strip() for v in value for c in v.split(",") if c.strip()))


_SHEET_OPTIONS = (
    click.option(
        "--sheet",
        "sheet_name",
        metavar="NAME|N",
        callback=_sheet,
        help="XLSX: the sheet to read, by name or number (1 = the first; default the first).",
    ),
    click.option(
        "--encoding",
        metavar="NAME",
        help="CSV: read with this encoding (e.g. cp1252, latin-1) instead of detecting it.",
    ),
    click.option(
        "--delimiter",
        metavar="CHAR",
        callback=_delimiter,
        help="CSV: the delimiter (, ; | or tab) instead of sniffing it.",
    ),
    click.option(
        "--header-row",
        type=click.IntRange(min=1),
        metavar="N",
        help="The row holding the column names (default: found, skipping title rows).",
    ),
    click.option(
        "--phone-column",
        "phone_columns",
        multiple=True,
        metavar="COL",
        help="Take numbers from this column (repeatable, in priority order: the first "
        "valid number of each row is used). Default: mobile columns first, then "
        "the other phone columns.",
    ),
    click.option(
        "--column",
        "column_map",
        multiple=True,
        metavar="NAME=HEADER",
        callback=_column_map,
        help='Read the column HEADER as NAME (repeatable), e.g. --column Name="Given Name".',
    ),
    click.option(
        "--keep-columns",
        "keep_columns",
        multiple=True,
        metavar="COL,...",
        callback=_keep,
        help="Carry these sheet columns into the report (your own ids, to join it back).",
    ),
)


def sheet_options(command):
    """The options every command that reads a sheet takes, gathered into one ``sheet_options``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opts = SheetOptions(
            sheet=kwargs.pop("sheet_name"),
            encoding=kwargs.pop("encoding"),
            delimiter=kwargs.pop("delimiter"),
            header_row=kwargs.pop("header_row"),
            phone_columns=tuple(kwargs.pop("phone_columns")),
            columns=kwargs.pop("column_map"),
            keep_columns=kwargs.pop("keep_columns"),
        )
        return command(*args, sheet_options=opts, **kwargs)

    for option in reversed(_SHEET_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def read_or_exit(path: str, opts: SheetOptions):
    """``read_sheet`` with the command's options; an unreadable sheet exits 2 saying why."""
    from ptdata.sheets.errors import SheetError
    from ptdata.sheets.reading import read_sheet

    try:
        return read_sheet(path, **opts.read_kwargs())
    except (SheetError, OSError) as exc:
        shown = "<stdin>" if path == "-" else path
        message = cli_words(str(exc))
        message = message if message.startswith(shown) else f"{shown}: {message}"
        click.echo(f"error: cannot read {message}", err=True)
        sys.exit(2)


#: library keyword -> the option that says it on the command line
_OPTIONS = {
    "skip_invalid": "--skip-invalid",
    "force_long": "--force-long",
    "to": "--to",
    "group_name": "--group-name",
    "body": "--body",
    "template": "--template",
    "body_column": "--body-column",
    "place": "--review",
    "attachment": "--mms",
    "appointments": "--appointments",
    "offsets": "--offset",
    "appointment_tz": "--appointment-tz",
    "appointment_time_column": "--appointment-time-column",
    "skip_weekends": "--skip-weekends",
    "event_date": "--remind",
    "event_date_column": "--remind-column",
    "days_before": "--days-before",
    "time": "--time",
    "at": "--at",
    "at_column": "--at-column",
    "local_at": "--local-time",
    "local_at_column": "--local-time-column",
    "quiet_policy": "--quiet-policy",
    "tz_rule": "--tz-rule",
    "default_tz": "--default-tz",
    "batch_size": "--batch-size",
    "suppress": "--suppress",
    "on_blank": "--on-blank",
    "keep_columns": "--keep-columns",
    "phone_columns": "--phone-column",
    "columns": "--column",
    "header_row": "--header-row",
    "region": "--region",
}
_KINDS = {"review": "--review", "reminder": "--remind", "mms": "--mms"}
_BOTH = re.compile(
    r"\b[a-z_]+=(?:\[[^\]]*\]|\{[^}]*\}|'[^']*'|[^\s(),;]*)\s*\((?:CLI: )?(--[^)]*)\)"
)
_KWARG = re.compile(
    r"\b("
    + "|".join(sorted(_OPTIONS, key=len, reverse=True))
    + r")=('([^']*)'|True\b|\[[^\]]*\]|([^\s,;()'\"]*[^\s,;:()'\".]))?"
)
_KIND = re.compile(r" \(kind='(?:review|reminder|mms)'\)|kind='(review|reminder|mms)'")


def cli_words(message: str) -> str:
    """A library message in the command line's spelling (``skip_invalid=True`` ->
    ``--skip-invalid``).

    >>> cli_words("skip them with skip_invalid=True (--skip-invalid): they are then listed")
    'skip them with --skip-invalid: they are then listed'
    >>> cli_words("to='new-group' needs group_name= (the new group's name)")
    "--to new-group needs --group-name (the new group's name)"
    >>> cli_words("local_at=2030-12-03T10:00:00-05:00 has a zone: use at= for that")
    '--local-time 2030-12-03T10:00:00-05:00 has a zone: use --at for that'
    """
    out = _BOTH.sub(lambda m: m[1], message)

    def option(m: re.Match) -> str:
        flag = _OPTIONS[m[1]]
        value = m[3] if m[3] is not None else m[4]
        return f"{flag} {value}" if value else flag

    out = _KIND.sub(lambda m: _KINDS[m[1]] if m[1] else "", out)
    return _KWARG.sub(option, out)


def server_options(command):
    """--base-url and --sandbox: which Power Textor a command talks to."""
    command = click.option(
        "--sandbox",
        "use_sandbox",
        is_flag=True,
        help="Run against a local sandbox started for this run (any key works).",
    )(command)
    return click.option(
        "--base-url",
        metavar="URL",
        help="Power Textor address (default POWERTEXTOR_BASE_URL, else the real service).",
    )(command)


def open_client(
    stack: contextlib.ExitStack, base_url: str | None, use_sandbox: bool, *, needed: bool = True
) -> Any:
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


def confirm_or_exit(
    question: str, yes: bool, *, verb: str = "send", declined: str = "nothing sent."
) -> None:
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
    from ptdata.api.errors import UsageError
    from ptdata.timing.parse import parse_moment

    try:
        return parse_moment(text, field="--now")
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


def finish(result: Any, report_path: str) -> None:
    """Write a run's report, print its summary and the first problem rows, exit 0 or 1.

    A report that cannot be written (a full disk) is one line saying so and how to get it
    (exit 1): the outcome of every message is already in the send history.
    """
    import pandas as pd

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
        # a test send's rows are staff numbers, not sheet rows: they are named by number
        where = f"row {r['row']}" if pd.notna(r["row"]) else str(r["phone"])
        click.echo(f"  {where}: {r['status']} ({r['reason']}): {r['message']}", err=True)
    click.echo(f"report: {out}")
    sys.exit(0 if result.ok else 1)


def _how_to_get_the_report(result: Any, report_path: str) -> str:
    import shlex

    campaigns = result.frame["campaign"].dropna().unique() if "campaign" in result.frame else []
    if len(campaigns) != 1:
        return "Free some space and run the same command again."
    return (
        "Every outcome is in the send history: free some space and run `ptdata history "
        f"--campaign {shlex.quote(str(campaigns[0]))} --report {shlex.quote(str(report_path))}`"
        " (running the send again texts nobody twice)."
    )


@contextlib.contextmanager
def history_full_exits():
    """A send history on a full disk is one line (what it holds, how to go on), exit 1."""
    from ptdata.bulk.ledger import HistoryFullError

    try:
        yield
    except HistoryFullError as exc:
        click.echo(f"error: {cli_words(str(exc))}.", err=True)
        sys.exit(1)


def write_plan(plan: Any, report_path: str) -> Any:
    """Write a dry run's plan as the report; a full disk is one line and exit 1."""
    from ptdata.bulk.writers import ReportWriteError

    try:
        return plan.write(report_path)
    except ReportWriteError as exc:
        click.echo(
            f"error: {exc}. Nothing was sent: free some space and run the same command again.",
            err=True,
        )
        sys.exit(1)


@contextlib.contextmanager
def planning_errors():
    """While planning: invalid sheet rows exit 1 (the message names them), other errors exit 2."""
    from ptdata.api.errors import PowerTextorError
    from ptdata.bulk.make_plan import InvalidRowsError
    from ptdata.sheets.errors import SheetError

    try:
        yield
    except InvalidRowsError as exc:
        click.echo(f"error: {cli_words(str(exc))}", err=True)
        sys.exit(1)
    except (PowerTextorError, SheetError) as exc:
        raise click.UsageError(cli_words(str(exc))) from None
