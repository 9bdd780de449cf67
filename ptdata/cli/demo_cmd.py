"""``ptdata demo``: the sample campaign through a local sandbox, with reports (what
``make demo`` runs)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ptdata.cli._common import parse_now

__all__ = ["COMMANDS", "demo"]

_FALLBACK = {  # used when the sample sheets are not found
    "Phone": [
        "(415) 555-0142",
        "415.555.0143",
        "+1 415 555 0144",
        "4155550145",
        "555-0199",
        "415-555-0142",
        "+14155550146",
    ],
    "Name": ["Ana", "Bo", "Chen", "Dee", "Eve", "Ana", "Finn"],
    "Appointment": [
        "2030-06-12 10:30",
        "2030-06-12 11:00",
        "2030-06-13 09:00",
        "2030-06-13 15:00",
        "2030-06-14 10:00",
        "2030-06-12 10:30",
        "2030-06-14 16:00",
    ],
    "TimeZone": ["America/Los_Angeles"] * 7,
    "Provider": ["Dr. Patel"] * 7,
}


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo_output",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the reports.",
)
@click.option("--progress/--no-progress", default=False, help="Show progress bars.")
@click.option(
    "--now",
    "now_text",
    metavar="WHEN",
    help="Run as if it were this moment (ISO with an offset, e.g. "
    "2030-06-10T18:00Z) instead of the clock: the same answers any time.",
)
def demo(out_dir: str, progress: bool, now_text: str | None) -> None:
    """Run the sample campaign against a local sandbox and write the reports.

    \b
    Three jobs from the sample sheets in sample_data/, each planned, sent and reported:
      1. a text to every contact's number (one message: batched into one API call),
         with one number on the suppression list and the opt-out footer;
      2. a review request for "Main Street Bakery", scheduled for tomorrow 17:00 UTC,
         personalised with {Name}, to the contacts (created on the way);
      3. appointment reminders, one day before each appointment at 18:00 the
         recipient's local time (EventDate/Day/Time per row).
    Quiet hours apply as in a real run (08:00-21:00 in each recipient's time): run at night,
    the text to plain numbers is skipped, since Power Textor cannot schedule it for the
    morning; the report says so.
    Nothing leaves this machine: the sandbox is a local Power Textor.
    """
    import ptdata
    from ptdata.bulk import plan, send

    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)  # a fresh ledger too, so the demo sends every time
    out.mkdir(parents=True)
    now = _now(now_text)
    contacts, appointments = _samples()
    tomorrow = (now + timedelta(days=1)).replace(hour=17, minute=0, second=0, microsecond=0)
    reminders = _moved(appointments, now)
    ledger = out / "ledger.sqlite"
    with (
        ptdata.serve_sandbox(latency=0.02) as server,
        ptdata.PowerTextor(api_key="demo", base_url=server.url) as client,
    ):
        click.echo(f"sandbox: {server.url} (a local Power Textor; nothing leaves this machine)\n")
        first_phone = contacts.clean["Phone"].iloc[-1] if hasattr(contacts, "clean") else None
        jobs: list[tuple[str, str, Any, dict[str, Any]]] = [
            (
                "1-text",
                "A text to every contact",
                contacts,
                dict(
                    body="Spring sale: 20% off everything this weekend!",
                    to="numbers",
                    suppress=[first_phone] if first_phone else None,
                    opt_out_footer=True,
                ),
            ),
            (
                "2-review",
                "Review request, scheduled for tomorrow",
                contacts,
                dict(
                    kind="review",
                    place="Main Street Bakery",
                    at=tomorrow,
                    to="new-contacts",
                    template="Hi {Name}, thanks for visiting! Would you leave us a quick review?",
                ),
            ),
            (
                "3-reminder",
                "Appointment reminders",
                reminders,
                dict(
                    kind="reminder",
                    appointments="Appointment",
                    offsets=["1 day before at 18:00"],
                    to="new-contacts",
                    template="Hi {Name}, a reminder: you see {Provider} tomorrow.",
                ),
            ),
        ]
        failed = False
        for name, title, frame, options in jobs:
            p = plan(frame, client=client, skip_invalid=True, now=now, **options)
            click.echo(f"== {title}\n{p.summary()}")
            report = send(p, client, rate=20, progress=progress, ledger=ledger)
            path = report.write(out / f"{name}.csv")
            click.echo(f"{report.summary()}\n  report: {path}\n")
            failed |= not report.ok
        received = len(server.sandbox.requests())
        click.echo(
            f"The sandbox received {received} API requests. The reports are in {out}/ "
            "(safe to open in Excel)."
        )
    if failed:
        raise SystemExit(1)


def _samples():
    """(contacts as a Validation, appointments frame) from sample_data/, or a small built-in
    sheet."""
    import pandas as pd

    from ptdata.sheets.reading import read_sheet
    from ptdata.sheets.validate import validate

    for folder in (Path("sample_data"), Path(__file__).resolve().parents[2] / "sample_data"):
        contacts, appts = folder / "contacts_clean.csv", folder / "appointments.csv"
        if contacts.is_file() and appts.is_file():
            return validate(read_sheet(contacts), kind="contacts"), read_sheet(appts)
    frame = pd.DataFrame(_FALLBACK, dtype="str")
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return validate(frame[["Phone", "Name"]], kind="contacts"), frame


def _now(text: str | None) -> datetime:
    return parse_now(text) or datetime.now(UTC)


def _moved(appointments, now: datetime):
    """The appointments moved to the coming days, so the demo never goes stale."""
    import pandas as pd

    when = pd.to_datetime(appointments["Appointment"], errors="coerce")
    shift = (pd.Timestamp(now.date()) + pd.Timedelta(days=3)) - when.min().normalize()
    moved = appointments.copy()
    moved["Appointment"] = (when + shift).dt.strftime("%Y-%m-%d %H:%M")
    return moved


COMMANDS = [demo]
