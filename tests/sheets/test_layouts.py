"""Real exports in, as exported: each tool's default layout read with no options.

For every fixture (see tests/fixtures/exports/README.md): which number each row texts and the
column it came from (mobile first), the reason for the rows that have none, and a plan whose
report has exactly one row per data row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import ptdata

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)

# (file, [(row, E.164 or None, column or None, reason or None)], lines the summary must have)
LAYOUTS = [
    pytest.param(
        "salesforce_report.csv",
        [
            (2, "+16175550151", "Mobile", None),
            (3, "+13125550102", "Phone", None),
            (4, "+15125550153", "Mobile", None),  # the Phone has an extension: the mobile is used
            (5, None, "Phone", "extension"),
            (6, "+12065550105", "Phone", None),  # the Mobile 555-0155 has no area code
            (7, None, None, "missing"),
            (8, "+15035550157", "Mobile", None),
        ],
        ["  phone: Mobile, else Phone", "  Salesforce report footer (6 lines) left out"],
        id="salesforce-report",
    ),
    pytest.param(
        "salesforce_dataloader.csv",
        [
            (2, "+14155550158", "MOBILEPHONE", None),
            (3, "+12125550109", "PHONE", None),
            (4, "+18085550140", "OTHERPHONE", None),  # FAX is never texted
            (5, None, None, "missing"),
        ],
        [
            "  phone: MOBILEPHONE, else PHONE, else HOMEPHONE, else OTHERPHONE",
            "  Name: FIRSTNAME (not NAME)",
        ],
        id="salesforce-dataloader",
    ),
    pytest.param(
        "hubspot_contacts.csv",
        [
            (2, "+14155550161", "Mobile Phone Number", None),
            (3, "+12125550112", "Phone Number", None),
            (4, None, None, "missing"),
            (5, None, "Phone Number", "extension"),
            (6, "+13125550165", "Mobile Phone Number", None),
            (7, None, None, "missing"),
        ],
        ["  phone: Mobile Phone Number, else Phone Number"],
        id="hubspot",
    ),
    pytest.param(
        "google_contacts_legacy.csv",
        [
            (2, "+16175550171", "Phone 2 - Value", None),  # Phone 2 - Type says Mobile
            (3, "+14155550122", "Phone 1 - Value", None),  # the first of "a ::: b"
            (4, "+442079460958", "Phone 2 - Value", None),  # Phone 1 is a Work Fax
            (5, None, None, "missing"),
        ],
        ["  Name: Given Name (not Name, kept as 'Name (A)')"],
        id="google-legacy",
    ),
    pytest.param(
        "google_contacts.csv",
        [
            (2, "+12135550181", "Phone 2 - Value", None),
            (3, "+16465550132", "Phone 1 - Value", None),
            (4, None, "Phone 1 - Value", "extension"),
            (5, None, None, "missing"),
        ],
        [
            "  phone: the Mobile one of Phone 1 - Value, Phone 2 - Value (by its Label), else "
            "Phone 1 - Value, "
            "else Phone 2 - Value"
        ],
        id="google",
    ),
    pytest.param(
        "outlook_contacts.csv",
        [
            (2, "+15045550191", "Mobile Phone", None),
            (3, "+16155550142", "Primary Phone", None),
            (4, None, "Business Phone", "extension"),  # the assistant's number is someone else's
            (5, None, None, "missing"),
        ],
        [
            "  read as Windows-1252 (guessed: not UTF-8), comma-separated",
            "  ZIP: Home Postal Code (not Business Postal Code, Other Postal Code)",
        ],
        id="outlook",
    ),
    pytest.param(
        "mailchimp_audience.csv",
        [
            (2, "+12175550151", "Phone Number", None),
            (3, None, None, "missing"),
            (4, "+12125550153", "Phone Number", None),
            (5, None, None, "missing"),
        ],
        ["  phone: Phone Number"],
        id="mailchimp",
    ),
    pytest.param(
        "shopify_customers.csv",
        [
            (2, "+16175550111", "Phone", None),
            (3, "+19735550162", "Default Address Phone", None),
            (4, None, None, "missing"),
        ],
        ["  phone: Phone, else Default Address Phone"],
        id="shopify",
    ),
    pytest.param(
        "square_customers.csv",
        [
            (2, "+15035550171", "Phone Number", None),
            (3, None, None, "missing"),
            (4, "+17025550173", "Phone Number", None),
        ],
        ["  phone: Phone Number"],
        id="square",
    ),
    pytest.param(
        "acuity_appointments.csv",
        [
            (2, "+14155550181", "Phone", None),
            (3, "+13125550182", "Phone", None),
            (4, None, None, "missing"),
        ],
        [],
        id="acuity",
    ),
    pytest.param(
        "practice_appointments.csv",
        [
            (5, "+16175550192", "Cell Phone", None),
            (6, "+16175550193", "Home Phone", None),
            (7, None, None, "missing"),
            (8, "+16175550195", "Cell Phone", None),
        ],
        [
            "  phone: Cell Phone, else Home Phone, else Work Phone",
            "  header on row 4 (the 3 rows above it skipped)",
        ],
        id="practice-management",
    ),
    pytest.param(
        "excel_us.csv",
        [
            (2, "+14155550201", "Mobile", "invalid_zip"),  # ZIP 2134 lost its zero in Excel
            (3, None, "Mobile", "excel_scientific"),
            (4, "+14155550203", "Mobile", None),
        ],
        ["  read as Windows-1252 (guessed: not UTF-8), comma-separated"],
        id="excel-us",
    ),
    pytest.param(
        "excel_de.csv",
        [
            (2, None, "Mobil", "invalid"),  # 0151 ... is German: --region DE reads it
            (3, "+4930901821", "Telefon", None),
            (4, None, "Mobil", "excel_scientific"),
        ],
        [
            "  read as Windows-1252 (guessed: not UTF-8), semicolon-separated",
            "  phone: Mobil, else Telefon",
        ],
        id="excel-de",
    ),
    pytest.param(
        "xlsx_numeric_phones.xlsx",
        [
            (2, "+14155550211", "Cell", None),
            (3, "+442079460959", "Cell", None),  # a number cell formatted "+"0
            (4, "+16175550213", "Cell", None),
            (5, None, None, "missing"),
        ],
        ["  read as XLSX, sheet 'Customers'"],
        id="xlsx-numeric",
    ),
    pytest.param(
        "xlsx_title_rows.xlsx",
        [
            (5, "+16175550221", "Mobile Phone", None),
            (6, "+13125550272", "Home Phone", None),
            (7, None, "Mobile Phone", "invalid"),
        ],
        ["  header on row 4 (the 3 rows above it skipped)"],
        id="xlsx-title-rows",
    ),
]


def _value(v):
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


@pytest.mark.parametrize(("name", "expected", "lines"), LAYOUTS)
def test_each_export_reads_with_no_options_and_says_which_number_each_row_texts(
    name, expected, lines
):
    result = ptdata.validate(ptdata.read_sheet(EXPORTS / name))
    got = [(int(r.row), _value(r.Phone), _value(r.phone_column)) for r in result.frame.itertuples()]
    assert got == [(row, phone, column) for row, phone, column, _ in expected]
    reasons = result.failures.drop_duplicates("row").set_index("row")["reason"].to_dict()
    assert reasons == {row: reason for row, _, _, reason in expected if reason}
    summary = result.summary().splitlines()
    for line in lines:
        assert line in summary


@pytest.mark.parametrize(("name", "expected", "lines"), LAYOUTS)
def test_each_export_plans_one_report_row_per_data_row(name, expected, lines, tmp_path):
    checked = ptdata.validate(ptdata.read_sheet(EXPORTS / name))
    plan = ptdata.plan(checked, body="Hi", skip_invalid=True, quiet=None, now=NOW)
    report = ptdata.read_report(plan.write(tmp_path / "plan.csv"))
    assert report["row"].tolist() == [row for row, *_ in expected]
    assert report["status"].tolist() == [
        "skipped" if reason else "planned" for _, _, _, reason in expected
    ]
    assert [_value(c) for c in report["phone_column"]] == [column for _, _, column, _ in expected]


def test_names_and_zips_come_from_the_columns_people_mean():
    legacy = ptdata.validate(ptdata.read_sheet(EXPORTS / "google_contacts_legacy.csv")).frame
    assert legacy[["Name", "LastName", "Name (A)"]].iloc[0].tolist() == [
        "Rosa",
        "Díaz",
        "Rosa Díaz",
    ]
    assert legacy.loc[0, "ZIP"] == "02134" and legacy.loc[0, "State"] == "MA"
    shopify = ptdata.validate(ptdata.read_sheet(EXPORTS / "shopify_customers.csv")).frame
    assert shopify["ZIP"].tolist()[:2] == [
        "02134",
        "07102",
    ]  # the Excel apostrophe is not part of it
    assert shopify["State"].tolist()[:2] == ["MA", "NJ"]
    outlook = ptdata.validate(ptdata.read_sheet(EXPORTS / "outlook_contacts.csv")).frame
    assert outlook.loc[0, ["Name", "LastName", "ZIP"]].tolist() == ["Zoé", "Lefèvre", "70112"]


def test_a_german_sheet_reads_its_national_numbers_with_region_de():
    result = ptdata.validate(ptdata.read_sheet(EXPORTS / "excel_de.csv"), region="DE")
    assert result.frame["Phone"].tolist()[:2] == ["+4915123456789", "+4930901821"]
    assert result.frame.loc[0, "Umsatz"] == "1.234,56"


def test_the_header_row_can_be_named():
    frame = ptdata.read_sheet(EXPORTS / "xlsx_title_rows.xlsx", header_row=4)
    assert frame.index.tolist() == [5, 6, 7]
    csv = ptdata.read_sheet(EXPORTS / "practice_appointments.csv", header_row=4)
    assert csv.index.tolist() == [5, 6, 7, 8] and csv.loc[8, "Name"] == "Jörg"
    with pytest.raises(
        ptdata.SheetError, match="row 2 of sheet 'Report' is empty|row 3 of sheet 'Report' is empty"
    ):
        ptdata.read_sheet(EXPORTS / "xlsx_title_rows.xlsx", header_row=3)
