"""``ptdata demo``: the sample campaign through a local sandbox, with reports (what ``make demo`` runs)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

__all__ = ["COMMANDS", "demo"]

_SAMPLES = Path("sample_data")
_FALLBACK = {  # used when sample_data/ is not beside the current directory
    "Phone": ["(415) 555-0142", "415.555.0143", "+1 415 555 0144", "4155550145", "555-0199",
              "415-555-0142", "+14155550146"],
    "Name": ["Ana", "Bo", "Chen", "Dee", "Eve", "Ana", "Finn"],
    "LastName": ["Silva", "Lund", "Wei", "Ray", "Moss", "Silva", "Hart"],
    "Appointment": ["2030-06-12", "2030-06-12", "2030-06-13", "2030-06-13", "2030-06-14",
                    "2030-06-12", "2030-06-14"],
}


@click.command("demo")
@click.option("--out", "out_dir", default="demo_output", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the reports.")
@click.option("--progress/--no-progress", default=False, help="Show progress bars.")
def demo(out_dir: str, progress: bool) -> None:
    """Run the sample campaign against a local sandbox and write the reports.

    \b
    Three jobs from the sample sheets, each planned, sent and reported:
      1. a text to every number (identical bodies: batched into few API calls),
         with one number on the suppression list;
      2. a review request for "Main Street Bakery", scheduled for tomorrow 17:00 UTC,
         to new contacts made from the rows, personalised with {Name};
      3. appointment reminders, one day before each row's date at 14:00 UTC.
    Nothing leaves this machine: the sandbox is a local Power Textor.
    """
    import pandas as pd

    import ptdata
    from ptdata.bulk import plan, send

    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)  # a fresh ledger too, so the demo sends every time
    out.mkdir(parents=True)
    frame = _sample_frame(pd)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(
        hour=17, minute=0, second=0, microsecond=0)
    ledger = out / "ledger.sqlite"
    with ptdata.serve_sandbox(latency=0.02) as server, \
            ptdata.PowerTextor(api_key="demo", base_url=server.url) as client:
        click.echo(f"sandbox: {server.url} (a local Power Textor; nothing leaves this machine)\n")
        jobs = [
            ("1-text", "Text to every number", dict(
                body="Spring sale: 20% off everything this weekend!", to="numbers",
                suppress=[frame["Phone"].iloc[-1]], opt_out_footer=True)),
            ("2-review", "Review request, scheduled", dict(
                kind="review", place="Main Street Bakery", at=tomorrow, to="new-contacts",
                template="Hi {Name}, thanks for visiting! Would you review us?")),
            ("3-reminder", "Appointment reminders", dict(
                kind="reminder", event_date_column=_date_column(frame), days_before=1,
                time="14:00", to="new-contacts",
                template="Hi {Name}, see you tomorrow for your appointment.")),
        ]
        failed = False
        for name, title, options in jobs:
            p = plan(frame, client=client, skip_invalid=True, **options)
            click.echo(f"== {title}\n{p.summary()}")
            report = send(p, client, rate=20, progress=progress, ledger=ledger)
            path = report.write(out / f"{name}.csv")
            click.echo(f"{report.summary()}\n  report: {path}\n")
            failed |= not report.ok
        received = len(server.sandbox.requests())
        click.echo(f"The sandbox received {received} API requests. Reports are in {out}/ "
                   "(open them in Excel: they are safe to).")
    if failed:
        raise SystemExit(1)


def _sample_frame(pd):
    from ptdata.sheets.reading import read_sheet

    for name in ("campaign.csv", "appointments.csv", "contacts_messy.csv"):
        path = _SAMPLES / name
        if path.is_file():
            frame = read_sheet(path)
            if "Phone" in frame.columns and "Name" in frame.columns and _date_column(frame):
                return frame
    return pd.DataFrame(_FALLBACK, dtype="str")


def _date_column(frame) -> str | None:
    for col in ("Appointment", "AppointmentDate", "EventDate", "Date"):
        if col in frame.columns:
            return col
    return None


COMMANDS = [demo]
