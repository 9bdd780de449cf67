"""One set of sheet options on validate, send and contacts sync, spelled as the command line spells
them."""

from __future__ import annotations

import openpyxl
import pytest

import ptdata

SHEET_OPTIONS = (
    "--sheet",
    "--encoding",
    "--delimiter",
    "--header-row",
    "--phone-column",
    "--column",
    "--keep-columns",
    "--region",
)
COMMANDS = (("validate",), ("send",), ("contacts", "sync"))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_that_reads_a_sheet_takes_the_same_sheet_options(cli, command):
    out = cli(*command, "--help").output
    for option in SHEET_OPTIONS:
        assert option in out, option


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Old"
    wb.active.append(["Phone"])
    wb.active.append(["+14155550101"])
    new = wb.create_sheet("December")
    new.append(["Appointments for December"])
    new.append([])
    new.append(["Cell", "Name"])
    new.append(["(415) 555-0102", "Bo"])
    new.append(["(415) 555-0103", "Cy"])
    wb.save(path)
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_sheet_counts_from_1_and_0_is_refused(cli, book, tmp_path, command, sandbox):
    tail = (
        ()
        if command == ("validate",)
        else ("--report", tmp_path / "out.csv", "--dry-run", "--base-url", sandbox.url)
    )
    if command == ("send",):
        tail += ("--body", "Hi", "--no-quiet-hours")
    zero = cli(*command, book, "--sheet", "0", *tail)
    assert zero.exit_code == 2
    assert "sheets count from 1 (the first sheet is --sheet 1)" in zero.output
    second = cli(*command, book, "--sheet", "2", *tail)
    assert second.exit_code == 0, second.output
    missing = cli(*command, book, "--sheet", "3", *tail)
    assert missing.exit_code == 2
    assert "no sheet 3; the workbook has 1 'Old', 2 'December'" in missing.output


def test_the_second_sheet_by_number_or_name_finds_its_header_under_the_title(cli, book, tmp_path):
    for which in ("2", "December"):
        result = cli(
            "send",
            book,
            "--sheet",
            which,
            "--body",
            "Hi",
            "--report",
            tmp_path / "o.csv",
            "--dry-run",
            "--no-quiet-hours",
        )
        assert result.exit_code == 0, result.output
        assert "  header on row 3 (the 2 rows above it skipped)" in result.output.splitlines()
        report = ptdata.read_report(tmp_path / "o.csv")
        assert report["row"].tolist() == [4, 5] and report["phone_column"].tolist() == [
            "Cell",
            "Cell",
        ]
    named = cli("validate", book, "--sheet", "December", "--header-row", "3")
    assert named.exit_code == 0, named.output


def test_encoding_and_delimiter_on_send_and_sync(cli, tmp_path, sandbox):
    path = tmp_path / "latin.txt"
    path.write_bytes("Telefon|Vorname\n+14155550101|Jürgen\n".encode("latin-1"))
    sent = cli(
        "send",
        path,
        "--encoding",
        "latin-1",
        "--delimiter",
        "pipe",
        "--template",
        _msg(tmp_path),
        "--report",
        tmp_path / "o.csv",
        "--dry-run",
        "--no-quiet-hours",
    )
    assert sent.exit_code == 0, sent.output
    assert "  read as latin-1, pipe-separated" in sent.output.splitlines()
    assert ptdata.read_report(tmp_path / "o.csv")["body"].tolist() == ["Hallo Jürgen"]
    synced = cli(
        "contacts",
        "sync",
        path,
        "--encoding",
        "latin-1",
        "--delimiter",
        "|",
        "--report",
        tmp_path / "d.csv",
        "--dry-run",
        "--base-url",
        sandbox.url,
    )
    assert synced.exit_code == 0, synced.output
    assert ptdata.read_report(tmp_path / "d.csv")["name"].tolist()[0] == "Jürgen"
    bad = cli(
        "send",
        path,
        "--encoding",
        "klingon",
        "--body",
        "Hi",
        "--report",
        tmp_path / "o.csv",
        "--dry-run",
    )
    assert bad.exit_code == 2
    assert "unknown encoding 'klingon': try utf-8, cp1252 or latin-1" in bad.output


def _msg(tmp_path):
    path = tmp_path / "msg.txt"
    path.write_text("Hallo {Vorname}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "words", "not_words"),
    [
        pytest.param(
            ["--to", "new-group"],
            "--to new-group needs --group-name",
            "group_name=",
            id="group-name",
        ),
        pytest.param(
            ["--body", "Hi {Name}"],
            "pass it as --template FILE",
            "template=",
            id="body-with-fields",
        ),
    ],
)
def test_errors_name_the_options_as_the_command_line_spells_them(
    cli, tmp_path, args, words, not_words
):
    path = tmp_path / "c.csv"
    path.write_text("Phone,Name\n+14155550101,Ana\n", encoding="utf-8")
    base = ["--body", "Hi"] if "--body" not in args else []
    result = cli(
        "send", path, *base, *args, "--report", tmp_path / "o.csv", "--dry-run", "--no-quiet-hours"
    )
    assert result.exit_code == 2
    assert words in result.output and not_words not in result.output
