"""``ptdata validate``: check a sheet before anything is sent, and say which rows to fix.

A thin shell over ``read_sheet`` -> ``validate`` -> the failures report. Exit codes: 0 every
row is valid, 1 some rows failed (the report lists them), 2 usage errors or an unreadable file.
"""

from __future__ import annotations

import sys

import click

__all__ = ["COMMANDS", "validate_command"]

_SHOWN_FAILURES = 10


def _region(ctx: click.Context, param: click.Parameter, value: str) -> str | None:
    import phonenumbers

    if value.lower() == "none":
        return None
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter(f"{value!r} is not a region code; use a two-letter code like US, CA or GB")
    return value.upper()


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise click.BadParameter("give one character, or tab / comma / semicolon / pipe")
    return value


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice(["contacts", "groups", "campaign"]), default="contacts",
              show_default=True, help="What the sheet holds: people, group memberships, or one "
              "message per row.")
@click.option("--region", default="US", show_default=True, callback=_region,
              help="How numbers written without + are read (two-letter code; 'none' accepts only "
                   "+ numbers).")
@click.option("--report", type=click.Path(dir_okay=False, writable=True), metavar="OUT",
              help="Write every failure (row, column, value, reason, message) to this file: "
                   ".csv (UTF-8 with BOM, safe to open in Excel), .xlsx or .parquet.")
@click.option("--sheet", metavar="NAME", help="XLSX: the sheet to read (name or 1-based number; "
              "default the first).")
@click.option("--encoding", metavar="NAME", help="CSV: read with this encoding instead of detecting it.")
@click.option("--delimiter", metavar="CHAR", callback=_delimiter,
              help="CSV: the delimiter (, ; | or tab) instead of sniffing it.")
def validate_command(file: str, kind: str, region: str | None, report: str | None, sheet: str | None,
                     encoding: str | None, delimiter: str | None) -> None:
    """Check FILE (CSV, TSV or XLSX; - for stdin) and report every row that cannot be used.

    Prints rows read, valid and failed by reason, duplicates, blank rows and how the file was
    read (encoding, delimiter). Exits 0 when every row is valid, 1 when some rows failed, 2
    when the file cannot be read.

    \b
    Example:
      ptdata validate contacts.csv --report problems.csv
    """
    from ptdata.bulk.writers import write_frame
    from ptdata.sheets.errors import SheetError
    from ptdata.sheets.reading import read_sheet
    from ptdata.sheets.validate import validate

    which: str | int | None = sheet
    if sheet is not None and sheet.isdigit():
        which = int(sheet) - 1
    try:
        frame = read_sheet(file, sheet=which, encoding=encoding, delimiter=delimiter)
    except SheetError as exc:
        shown = "<stdin>" if file == "-" else file
        message = str(exc) if str(exc).startswith(shown) else f"{shown}: {exc}"
        click.echo(f"error: cannot read {message}", err=True)
        sys.exit(2)
    result = validate(frame, kind, region=region)
    click.echo(result.summary())
    failures = result.failures
    for line in failures.head(_SHOWN_FAILURES).itertuples(index=False):
        click.echo(f"row {line.row}, {line.column}: {line.message}")
    if len(failures) > _SHOWN_FAILURES:
        more = len(failures) - _SHOWN_FAILURES
        click.echo(f"... and {more} more{'' if report else ' (write them all with --report OUT.csv)'}")
    if report:
        try:
            write_frame(failures, report)   # by its extension, as send writes its report
        except (OSError, ValueError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        click.echo(f"report: {report} ({len(failures)} failure{'s' * (len(failures) != 1)})")
    sys.exit(0 if result.ok else 1)


COMMANDS = [validate_command]
