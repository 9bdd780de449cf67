"""``ptdata validate``: check a sheet before anything is sent, and say which rows to fix.

A thin shell over ``read_sheet`` -> ``validate`` -> the failures report. Exit codes: 0 every
row is valid, 1 some rows failed (the report lists them), 2 usage errors or an unreadable file.
"""

from __future__ import annotations

import sys

import click

from ptdata.cli._common import (
    SheetOptions,
    cli_words,
    plural,
    read_or_exit,
    region_option,
    sheet_options,
)

__all__ = ["COMMANDS", "validate_command"]

_SHOWN_FAILURES = 10


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--kind",
    type=click.Choice(["contacts", "groups"]),
    default="contacts",
    show_default=True,
    help="What the sheet holds: people, group memberships, or one message per row.",
)
@region_option
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True),
    metavar="OUT",
    help="Write every failure (row, column, value, reason, message) to this file: "
    ".csv (UTF-8 with BOM, safe to open in Excel), .xlsx or .parquet.",
)
@sheet_options
def validate_command(
    file: str, kind: str, region: str | None, report: str | None, sheet_options: SheetOptions
) -> None:
    """Check FILE (CSV, TSV or XLSX; - for stdin) and report every row that cannot be used.

    Prints rows read, valid and failed by reason, duplicates, blank rows, how the file was
    read (encoding, delimiter, header row) and which column numbers were taken from. Exits 0
    when every row is valid, 1 when some rows failed, 2 when the file cannot be read.

    \b
    Examples:
      ptdata validate contacts.csv --report problems.csv
      ptdata validate salesforce.csv --phone-column Mobile --phone-column Phone
      ptdata validate google.csv --column Name="Given Name" --keep-columns "E-mail 1 - Value"
    """
    from ptdata.bulk.writers import write_frame
    from ptdata.sheets.validate import validate

    frame = read_or_exit(file, sheet_options)
    try:
        result = validate(frame, kind, region=region)
        kept = _kept(result, sheet_options.keep_columns)
    except ValueError as exc:
        raise click.UsageError(cli_words(str(exc))) from None
    click.echo(result.summary())
    failures = result.failures
    for line in failures.head(_SHOWN_FAILURES).itertuples(index=False):
        click.echo(f"row {line.row}, {line.column}: {line.message}")
    if len(failures) > _SHOWN_FAILURES:
        more = len(failures) - _SHOWN_FAILURES
        click.echo(
            f"... and {more} more{'' if report else ' (write them all with --report OUT.csv)'}"
        )
    if report:
        if kept:
            by_row = result.frame.set_index("row")[kept]
            failures = failures.join(by_row, on="row")
        try:
            write_frame(failures, report)  # by its extension, as send writes its report
        except (OSError, ValueError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        click.echo(f"report: {report} ({plural(len(failures), 'failure')})")
    sys.exit(0 if result.ok else 1)


def _kept(result, names: tuple[str, ...]) -> list[str]:
    from ptdata.sheets.mapping import resolve_columns

    return resolve_columns(result.frame, names, what="--keep-columns") if names else []


COMMANDS = [validate_command]
