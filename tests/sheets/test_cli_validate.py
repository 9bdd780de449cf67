"""``ptdata validate``: the summary a person reads, the report file, and the exit codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ptdata.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, ["validate", *args], input=input)


def test_the_messy_sample_fails_with_a_summary_of_its_bad_rows(tmp_path):
    report = tmp_path / "problems.csv"
    result = run(str(SAMPLES / "contacts_messy.csv"), "--report", str(report))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"{SAMPLES / 'contacts_messy.csv'}: 17 rows read as contacts (2 blank skipped): "
        "4 valid, 11 failed"
    )
    assert lines[1:12] == [
        "  read as UTF-8 with BOM, semicolon-separated",
        "  phone: Mobile #",
        "  duplicate              2  rows 7, 18",
        "  excel_decimal          1  row 5",
        "  excel_scientific       1  row 4",
        "  excel_truncated        1  row 17",
        "  invalid                1  row 8",
        "  invalid_zip            1  row 12",
        "  missing                1  row 13",
        "  not_a_number           2  rows 9, 16",
        "  unknown_timezone       1  row 11",
    ]
    assert lines[12].startswith(
        "row 4, Phone: Excel changed this number to scientific notation (4.15555E+09)"
    )
    assert lines[-2] == "... and 1 more"
    assert lines[-1] == f"report: {report} (11 failures)"


def test_the_report_is_utf8_with_bom_lists_every_failure_and_is_safe_in_excel(tmp_path):
    report = tmp_path / "problems.csv"
    run(str(SAMPLES / "contacts_messy.csv"), "--report", str(report))
    data = report.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfrow,column,value,reason,message\r\n")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["row"], r["reason"]) for r in rows] == [
        ("4", "excel_scientific"),
        ("5", "excel_decimal"),
        ("7", "duplicate"),
        ("8", "invalid"),
        ("9", "not_a_number"),
        ("11", "unknown_timezone"),
        ("12", "invalid_zip"),
        ("13", "missing"),
        ("16", "not_a_number"),
        ("17", "excel_truncated"),
        ("18", "duplicate"),
    ]
    by_row = {r["row"]: r for r in rows}
    assert by_row["16"]["value"] == '\'=HYPERLINK("http://example.com","click")'
    assert by_row["18"]["value"] == "'+1 415 555 0112"
    assert by_row["13"]["value"] == ""


def test_the_clean_sample_exits_0():
    result = run(str(SAMPLES / "contacts_clean.csv"))
    assert result.exit_code == 0
    assert result.stdout == (
        f"{SAMPLES / 'contacts_clean.csv'}: 10 rows read as contacts (0 blank skipped): 10 valid, "
        "0 failed\n"
        "  read as UTF-8, comma-separated\n"
    )


def test_a_clean_report_has_only_its_header(tmp_path):
    report = tmp_path / "ok.csv"
    assert (
        run(str(SAMPLES / "groups.csv"), "--kind", "groups", "--report", str(report)).exit_code == 0
    )
    assert report.read_bytes() == b"\xef\xbb\xbfrow,column,value,reason,message\r\n"


def test_stdin_is_read_with_a_dash():
    result = run("-", input=(SAMPLES / "contacts_clean.csv").read_bytes())
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "<stdin>: 10 rows read as contacts (0 blank skipped): 10 valid, 0 failed\n"
    )


def test_a_cp1252_sheet_on_stdin_is_detected_and_reported():
    data = "Phone;Name\n+14155550123;José\n(415) 555-012;Zoë\n".encode("cp1252")
    result = run("-", input=data)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:3] == [
        "<stdin>: 2 rows read as contacts (0 blank skipped): 1 valid, 1 failed",
        "  read as Windows-1252 (guessed: not UTF-8), semicolon-separated",
        "  invalid       1  row 3",
    ]


def test_an_xlsx_sheet_by_number(tmp_path):
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "Nothing"
    ws = book.create_sheet("Contacts")
    ws.append(["Mobile", "Name"])
    ws.append([4155550123, "Ana"])
    ws.append(["4.15555E+09", "Bo"])
    book.save(path)
    result = run(str(path), "--sheet", "2")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:3] == [
        f"{path}: 2 rows read as contacts (0 blank skipped): 1 valid, 1 failed",
        "  read as XLSX, sheet 'Contacts'",
        "  phone: Mobile",
    ]


@pytest.mark.parametrize(
    ("args", "data", "error"),
    [
        pytest.param(
            ["-"],
            b"Phone,Name\n+14155550123,Ana\n+14155550124,Smith, Jr\n",
            "error: cannot read <stdin>: row 3: 3 values but the header has 2 columns.",
            id="ragged",
        ),
        pytest.param(
            ["missing.csv"], None, "error: cannot read missing.csv: no such file", id="missing-file"
        ),
        pytest.param(
            ["-", "--header-row", "5"],
            b"Phone\n1\n",
            "error: cannot read <stdin>: row 5 is past the end of the sheet",
            id="header-row-past-the-end",
        ),
    ],
)
def test_unreadable_input_exits_2_with_the_reason(args, data, error, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args, input=data)
    assert result.exit_code == 2
    assert result.stderr.startswith(error)
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--region", "XX"], id="bad-region"),
        pytest.param(["--kind", "people"], id="bad-kind"),
        pytest.param(["--delimiter", "ab"], id="bad-delimiter"),
    ],
)
def test_usage_errors_exit_2(args):
    result = run(str(SAMPLES / "contacts_clean.csv"), *args)
    assert result.exit_code == 2


def test_delimiter_and_region_options():
    data = b"Phone|Name\n020 7946 0958|Ana\n"
    result = run("-", "--delimiter", "pipe", "--region", "gb", input=data)
    assert result.exit_code == 0
    assert "  read as UTF-8, pipe-separated" in result.stdout
