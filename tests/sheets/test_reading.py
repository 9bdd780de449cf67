"""read_sheet: every encoding, delimiter and container, with the exact strings that come out."""

from __future__ import annotations

import io
from datetime import datetime, time

import openpyxl
import pandas as pd
import pytest

from ptdata import SheetError, read_sheet

HEADER = "Phone,Name,ZIP"
ROW = "+14155550123,José,02134"
EXPECTED = [
    {"Phone": "+14155550123", "Name": "José", "ZIP": "02134"},
    {"Phone": "(415) 555-0187", "Name": None, "ZIP": None},
]


def records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]


def csv_text(delimiter: str = ",") -> str:
    return (HEADER + "\n" + ROW + "\n" + "(415) 555-0187,,\n").replace(",", delimiter)


@pytest.mark.parametrize(
    ("data", "encoding", "bom", "guessed"),
    [
        pytest.param(csv_text().encode("utf-8"), "utf-8", False, False, id="utf-8"),
        pytest.param(
            b"\xef\xbb\xbf" + csv_text().encode("utf-8"), "utf-8-sig", True, False, id="utf-8-bom"
        ),
        pytest.param(csv_text().encode("utf-16"), "utf-16", True, False, id="utf-16-bom"),
        pytest.param(
            csv_text().encode("utf-16-be").join([b"\xfe\xff", b""]),
            "utf-16",
            True,
            False,
            id="utf-16-be-bom",
        ),
        pytest.param(csv_text().encode("cp1252"), "cp1252", False, True, id="cp1252-guessed"),
    ],
)
def test_each_encoding_gives_the_same_text(data, encoding, bom, guessed):
    frame = read_sheet(io.BytesIO(data))
    assert records(frame) == EXPECTED
    info = frame.attrs["ptdata.read"]
    assert (info["encoding"], info["bom"], info["encoding_guessed"]) == (encoding, bom, guessed)
    assert frame.index.tolist() == [2, 3] and frame.index.name == "row"
    assert all(str(dtype) == "str" for dtype in frame.dtypes)


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [
        pytest.param(",", "comma", id="comma"),
        pytest.param(";", "semicolon", id="semicolon"),
        pytest.param("\t", "tab", id="tab"),
        pytest.param("|", "pipe", id="pipe"),
    ],
)
def test_the_delimiter_is_sniffed(delimiter, name):
    frame = read_sheet(io.BytesIO(csv_text(delimiter).encode()))
    assert records(frame) == EXPECTED
    assert frame.attrs["ptdata.read"]["delimiter"] == delimiter


def test_a_semicolon_sheet_with_commas_in_values_is_still_semicolon():
    data = b"Phone;Name;Notes\n+14155550123;Ana;likes texts, not calls\n"
    frame = read_sheet(io.BytesIO(data))
    assert frame.loc[2, "Notes"] == "likes texts, not calls"


def test_an_excel_sep_line_is_honoured_and_not_counted_as_a_row():
    data = b"sep=;\r\nPhone;Name\r\n+14155550123;Ana, Jr\r\n"
    frame = read_sheet(io.BytesIO(data))
    assert records(frame) == [{"Phone": "+14155550123", "Name": "Ana, Jr"}]
    assert frame.index.tolist() == [2]
    info = frame.attrs["ptdata.read"]
    assert (info["delimiter"], info["sep_line"]) == (";", True)


def test_given_encoding_and_delimiter_override_detection():
    data = "Phone|Name\n+14155550123|Zoë\n".encode("latin-1")
    frame = read_sheet(io.BytesIO(data), encoding="latin-1", delimiter="|")
    assert records(frame) == [{"Phone": "+14155550123", "Name": "Zoë"}]
    assert frame.attrs["ptdata.read"]["encoding"] == "latin-1"


def test_values_are_never_converted_blank_is_missing_and_spaces_are_kept():
    data = b'Phone,ZIP,Count,Flag,Note\n+14155550123,02134,007,TRUE,"  "\n4155550123,,1e3,NA,\n'
    frame = read_sheet(io.BytesIO(data))
    assert records(frame) == [
        {"Phone": "+14155550123", "ZIP": "02134", "Count": "007", "Flag": "TRUE", "Note": "  "},
        {"Phone": "4155550123", "ZIP": None, "Count": "1e3", "Flag": "NA", "Note": None},
    ]


def test_blank_lines_stay_as_rows_so_row_numbers_match_the_spreadsheet():
    data = b'Phone,Name\n+14155550123,Ana\n\n,,\n"(415)\n555-0187",Bo\n+14155550199,Cy\n'
    with pytest.raises(SheetError, match="row 4"):
        read_sheet(io.BytesIO(data))  # ",," has 3 values for 2 columns
    data = b'Phone,Name\n+14155550123,Ana\n\n,\n"(415)\n555-0187",Bo\n+14155550199,Cy\n'
    frame = read_sheet(io.BytesIO(data))
    assert frame.index.tolist() == [2, 3, 4, 5, 6]
    assert frame.loc[5, "Phone"] == "(415)\n555-0187"
    assert frame.loc[6, "Name"] == "Cy"
    assert frame.loc[[3, 4]].isna().all().all()


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        pytest.param(
            "Mobile #,First Name,Surname,Group,Time Zone,Zip Code",
            ["Phone", "Name", "LastName", "Groups", "TimeZone", "ZIP"],
            id="aliases",
        ),
        pytest.param(
            "PHONE NUMBER,name,last_name,GROUPS,timezone,Postal Code",
            ["Phone", "Name", "LastName", "Groups", "TimeZone", "ZIP"],
            id="case-and-spacing",
        ),
        pytest.param(
            "Cell,First name,Last Name,Order Id, Visit Date ",
            ["Phone", "Name", "LastName", "Order Id", "Visit Date"],
            id="merge-fields-kept",
        ),
    ],
)
def test_headers_are_canonicalised(header, canonical):
    frame = read_sheet(
        io.BytesIO((header + "\n" + ",".join(["x"] * len(canonical)) + "\n").encode())
    )
    assert list(frame.columns) == canonical
    assert (
        frame.attrs["ptdata.read"]["headers"][
            "Mobile #" if "Mobile #" in header else header.split(",")[0].strip()
        ]
        == "Phone"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"Phone,Name\n+14155550123,Ana\n+14155550124,Bo,extra\n",
            "row 3: 3 values but the header has 2 columns",
            id="ragged-long",
        ),
        pytest.param(
            b"Phone,Name,ZIP\n+14155550123,Ana,02134\n+14155550124\n",
            "row 3: 1 values but the header has 3 columns",
            id="ragged-short",
        ),
        pytest.param(
            b'Phone,Name\n"+1415\n5550123",Ana\n1,2\nSmith, Jr,+14155550124\n',
            "row 4: 3 values",
            id="ragged-after-multiline-cell",
        ),
        pytest.param(
            b"Phone,Name\n1,2\n3,\x004\n",
            "row 3: the file contains NUL bytes; a sheet never has them",
            id="nul-bytes",
        ),
        pytest.param(
            csv_text().encode("utf-16-le"),
            "row 1: the file contains NUL bytes; it is probably UTF-16 without a byte-order mark",
            id="utf-16-without-bom",
        ),
        pytest.param(
            b"Phone,Name\n1,2\n3,\x81\x81\n", "row 3: byte 0x81 is neither UTF-8", id="undecodable"
        ),
        pytest.param(
            b"Phone,\n1,\n2,x\n", "row 3: column B has values but no header", id="unnamed-column"
        ),
        pytest.param(b"", "the sheet is empty", id="empty"),
    ],
)
def test_unreadable_sheets_name_the_row_and_the_fix(data, message):
    with pytest.raises(SheetError) as err:
        read_sheet(io.BytesIO(data))
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("data", "columns", "phones", "notes"),
    [
        pytest.param(
            b"Phone,Name,Phone\n1,2,3\n",
            ["Phone", "Name", "Phone (C)"],
            ["Phone", "Phone"],
            ["phone: Phone, else Phone"],
            id="same-header-twice",
        ),
        pytest.param(
            b"Mobile,Name,Cell\n1,2,3\n",
            ["Mobile", "Name", "Cell"],
            ["Mobile", "Cell"],
            ["phone: Mobile, else Cell"],
            id="two-mobiles",
        ),
        pytest.param(
            b"Name,Given Name,Family Name,Phone\nAna Ruiz,Ana,Ruiz,1\n",
            ["Name (A)", "Name", "LastName", "Phone"],
            ["Phone"],
            ["Name: Given Name (not Name, kept as 'Name (A)')"],
            id="google-names",
        ),
        pytest.param(
            b"First Name,Last Name,Phone,Mobile\nAna,Ruiz,1,2\n",
            ["Name", "LastName", "Phone", "Mobile"],
            ["Mobile", "Phone"],
            ["phone: Mobile, else Phone"],
            id="salesforce-phones",
        ),
    ],
)
def test_two_headers_with_one_meaning_are_read_by_priority_and_the_choice_is_said(
    data, columns, phones, notes
):
    frame = read_sheet(io.BytesIO(data))
    info = frame.attrs["ptdata.read"]
    assert list(frame.columns) == columns
    assert [s["label"] for s in info["phone_sources"]] == phones
    assert info["layout_notes"] == notes


def test_phone_columns_and_column_mapping_replace_the_guesses():
    data = b"Given Name,Nickname,Home,Work Phone,Cell\nAna,Annie,212 555 0101,212 555 0102,\n"
    frame = read_sheet(
        io.BytesIO(data), phone_columns=["Work Phone", "home"], columns={"Name": "Nickname"}
    )
    assert list(frame.columns) == ["Given Name", "Name", "Home", "Work Phone", "Cell"]
    assert [(s["column"], s["tier"]) for s in frame.attrs["ptdata.read"]["phone_sources"]] == [
        ("Work Phone", "given"),
        ("Home", "given"),
    ]
    one = read_sheet(io.BytesIO(data), columns={"Phone": "Home"})
    assert list(one.columns) == ["Name", "Nickname", "Phone", "Work Phone", "Cell"]
    with pytest.raises(
        SheetError,
        match=r"a phone column: the sheet has no column 'Mobil' \(did you mean 'Cell'\?\)|"
        r"a phone column: the sheet has no column 'Mobil'",
    ):
        read_sheet(io.BytesIO(data), phone_columns=["Mobil"])
    with pytest.raises(SheetError, match="named as both Name and LastName"):
        read_sheet(io.BytesIO(data), columns={"Name": "Nickname", "LastName": "nickname"})


def test_ragged_rows_error_suggests_quoting_and_the_delimiter():
    with pytest.raises(SheetError) as err:
        read_sheet(io.BytesIO(b"Phone,Name\n1,Smith, Jr\n"))
    assert str(err.value) == (
        "row 2: 3 values but the header has 2 columns. A value containing the delimiter ',' must "
        "be in double quotes (\"Smith, Jr.\"); fix the row, or pass --delimiter if ',' is the "
        "wrong one"
    )
    assert err.value.row == 2


def test_empty_unnamed_columns_are_dropped():
    frame = read_sheet(io.BytesIO(b"Phone,Name,,\n+14155550123,Ana,,\n"))
    assert list(frame.columns) == ["Phone", "Name"]


def test_a_path_a_text_file_object_and_a_missing_file(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv_text().encode())
    assert records(read_sheet(path)) == EXPECTED
    assert read_sheet(str(path)).attrs["ptdata.read"]["source"] == str(path)
    assert records(read_sheet(io.StringIO(csv_text()))) == EXPECTED
    with pytest.raises(SheetError, match="no such file"):
        read_sheet(tmp_path / "missing.csv")


def make_xlsx(path, *, start_row: int = 1) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Contacts"
    r = start_row
    ws.cell(r, 1, "Mobile")
    ws.cell(r, 2, "First Name")
    ws.cell(r, 3, "ZIP")
    ws.cell(r, 4, "Appointment")
    ws.cell(r, 5, "Time")
    ws.cell(r, 6, "Note")
    ws.cell(r + 1, 1, 4155550123)
    ws.cell(r + 1, 2, "Ana")
    ws.cell(r + 1, 3, 2134)
    ws.cell(r + 1, 3).number_format = "00000"
    ws.cell(r + 1, 4, datetime(2026, 12, 3, 10, 30))
    ws.cell(r + 1, 5, time(9, 0))
    ws.cell(
        r + 1, 6, "=1+1 is text"
    ).data_type = "s"  # a text cell, as Excel stores one typed with '=
    ws.cell(r + 3, 1, "+1 (415) 555-0187")
    ws.cell(r + 3, 3, "02134")
    ws.cell(r + 3, 4, datetime(2026, 12, 4))
    ws.cell(r + 3, 6, 12.5)
    other = book.create_sheet("Other")
    other["A1"] = "Phone"
    other["A2"] = "+14155550199"
    book.save(path)


def test_xlsx_cells_come_out_as_the_text_excel_shows(tmp_path):
    path = tmp_path / "contacts.xlsx"
    make_xlsx(path)
    frame = read_sheet(path)
    assert records(frame) == [
        {
            "Phone": "4155550123",
            "Name": "Ana",
            "ZIP": "02134",
            "Appointment": "2026-12-03 10:30",
            "Time": "09:00",
            "Note": "=1+1 is text",
        },
        {"Phone": None, "Name": None, "ZIP": None, "Appointment": None, "Time": None, "Note": None},
        {
            "Phone": "+1 (415) 555-0187",
            "Name": None,
            "ZIP": "02134",
            "Appointment": "2026-12-04",
            "Time": None,
            "Note": "12.5",
        },
    ]
    assert frame.index.tolist() == [2, 3, 4]
    info = frame.attrs["ptdata.read"]
    assert (info["format"], info["sheet"], info["headers"]["Mobile"]) == (
        "xlsx",
        "Contacts",
        "Phone",
    )


def test_xlsx_rows_keep_the_sheets_own_numbers_and_another_sheet_can_be_chosen(tmp_path):
    path = tmp_path / "contacts.xlsx"
    make_xlsx(path, start_row=3)
    frame = read_sheet(path)
    assert frame.index.tolist() == [4, 5, 6]
    assert frame.attrs["ptdata.read"]["header_row"] == 3
    assert records(read_sheet(path, sheet="Other")) == [{"Phone": "+14155550199"}]
    assert records(read_sheet(path, sheet=1)) == [{"Phone": "+14155550199"}]
    with pytest.raises(
        SheetError, match="no sheet 'Nope'; the workbook has 1 'Contacts', 2 'Other'"
    ):
        read_sheet(path, sheet="Nope")


def test_an_xlsx_file_object_is_recognised_by_its_content(tmp_path):
    path = tmp_path / "contacts.xlsx"
    make_xlsx(path)
    frame = read_sheet(io.BytesIO(path.read_bytes()))
    assert frame.loc[2, "Phone"] == "4155550123"


def test_the_sample_sheets_read_as_expected():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "sample_data"
    messy = read_sheet(root / "contacts_messy.csv")
    info = messy.attrs["ptdata.read"]
    assert (info["encoding"], info["delimiter"], info["rows"]) == ("utf-8-sig", ";", 17)
    assert list(messy.columns) == [
        "Phone",
        "Name",
        "LastName",
        "Groups",
        "TimeZone",
        "ZIP",
        "Notes",
    ]
    assert messy.loc[4, "Phone"] == "4.15555E+09"
    assert messy.loc[3, "Notes"] == "Prefers texts; not calls"


@pytest.mark.parametrize(
    "data",
    [pytest.param(b"Phone,Name", id="no-newline"), pytest.param(b"Phone,Name\r\n", id="crlf")],
)
def test_a_header_without_rows_is_an_empty_sheet(data):
    frame = read_sheet(io.BytesIO(data))
    assert list(frame.columns) == ["Phone", "Name"] and len(frame) == 0
    assert frame.attrs["ptdata.read"]["rows"] == 0
