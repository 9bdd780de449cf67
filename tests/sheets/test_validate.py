"""validate: clean rows plus one failure line per problem, at the row the spreadsheet shows."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from ptdata import Validation, read_sheet, validate

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"

MESSY_FAILURES = [
    (4, "Phone", "4.15555E+09", "excel_scientific"),
    (5, "Phone", "4155550114.0", "excel_decimal"),
    (7, "Phone", "(415) 555-0111", "duplicate"),
    (8, "Phone", "555-0116", "invalid"),
    (9, "Phone", "call me", "not_a_number"),
    (11, "TimeZone", "EST", "unknown_timezone"),
    (12, "ZIP", "2134", "invalid_zip"),
    (13, "Phone", None, "missing"),
    (16, "Phone", '=HYPERLINK("http://example.com","click")', "not_a_number"),
    (17, "Phone", "1234567890123456780", "excel_truncated"),
    (18, "Phone", "+1 415 555 0112", "duplicate"),
]


def failure_tuples(result: Validation) -> list[tuple]:
    return [
        (r.row, r.column, None if pd.isna(r.value) else r.value, r.reason)
        for r in result.failures.itertuples(index=False)
    ]


def test_the_messy_sample_reports_exactly_its_bad_rows():
    result = validate(read_sheet(SAMPLES / "contacts_messy.csv"))
    assert failure_tuples(result) == MESSY_FAILURES
    assert (result.rows_read, result.blank_rows, len(result.clean)) == (17, 2, 4)
    assert result.failed_rows == [4, 5, 7, 8, 9, 11, 12, 13, 16, 17, 18]
    assert result.duplicates == 2
    assert not result.ok
    messages = dict(zip(result.failures["row"], result.failures["message"], strict=True))
    assert (
        messages[7]
        == "+14155550111 is already on row 2, which is kept: delete this row or correct the number."
    )
    assert (
        messages[18]
        == "+14155550112 is already on row 3, which is kept: delete this row or correct the number."
    )
    assert messages[12].startswith(
        "'2134' is not a 5-digit ZIP code; if Excel dropped leading zeros it was 02134"
    )


def test_the_messy_sample_clean_rows_are_normalised():
    result = validate(read_sheet(SAMPLES / "contacts_messy.csv"))
    clean = result.clean
    assert clean["row"].tolist() == [2, 3, 14, 15]
    assert clean["Phone"].tolist() == [
        "+14155550111",
        "+14155550112",
        "+442079460958",
        "+14155550120",
    ]
    assert clean.loc[1, "Groups"] == "Newsletter;VIP"  # "Newsletter | VIP"
    assert clean.loc[1, "TimeZone"] == "America/New_York"  # "america/new_york"
    assert clean.loc[1, "ZIP"] == "02134"
    assert list(clean.columns) == [
        "row",
        "Phone",
        "Name",
        "LastName",
        "Groups",
        "TimeZone",
        "ZIP",
        "Notes",
        "phone_column",
        "phone_as_written",
    ]
    assert clean["phone_as_written"].tolist() == [
        "+1 (415) 555-0111",
        "415.555.0112",
        "+44 20 7946 0958",
        "14155550120",
    ]
    assert set(clean["phone_column"]) == {"Mobile #"}
    assert clean.attrs["ptdata.read"]["encoding"] == "utf-8-sig"


def test_the_summary_counts_rows_reasons_and_how_the_file_was_read():
    result = validate(read_sheet(SAMPLES / "contacts_messy.csv"))
    lines = result.summary().splitlines()
    assert lines[0].endswith(
        "contacts_messy.csv: 17 rows read as contacts (2 blank skipped): 4 valid, 11 failed"
    )
    assert lines[1] == "  read as UTF-8 with BOM, semicolon-separated"
    assert "  duplicate              2  rows 7, 18" in lines
    assert "  not_a_number           2  rows 9, 16" in lines
    assert result.counts().to_dict() == {
        "duplicate": 2,
        "excel_decimal": 1,
        "excel_scientific": 1,
        "excel_truncated": 1,
        "invalid": 1,
        "invalid_zip": 1,
        "missing": 1,
        "not_a_number": 2,
        "unknown_timezone": 1,
    }
    assert repr(result).startswith("<Validation ")


@pytest.mark.parametrize(
    ("name", "kind", "rows"),
    [
        pytest.param("contacts_clean.csv", "contacts", 10, id="contacts"),
        pytest.param("groups.csv", "groups", 8, id="groups"),
        pytest.param("appointments.csv", "contacts", 10, id="appointments"),
    ],
)
def test_the_clean_samples_are_valid(name, kind, rows):
    result = validate(read_sheet(SAMPLES / name), kind)
    assert result.ok, result.failures.to_string()
    assert len(result.clean) == rows
    assert result.clean["row"].tolist() == list(range(2, 2 + rows))


def test_groups_long_splits_the_groups_cells():
    result = validate(read_sheet(SAMPLES / "contacts_clean.csv"))
    long = result.groups_long()
    assert long.head(3).to_dict("records") == [
        {"row": 2, "Group": "VIP", "Phone": "+14155550101"},
        {"row": 2, "Group": "Newsletter", "Phone": "+14155550101"},
        {"row": 3, "Group": "Newsletter", "Phone": "+14155550102"},
    ]
    assert set(long["Group"]) == {"VIP", "Newsletter", "Staff"}


def test_a_plain_dataframe_starts_at_row_2_and_non_text_columns_are_read_as_text():
    frame = pd.DataFrame({"Phone": [4155550123, 4155550124], "Visits": [3, 4]})
    result = validate(frame)
    assert result.clean.drop(columns=["phone_column", "phone_as_written"]).to_dict("records") == [
        {"row": 2, "Phone": "+14155550123", "Visits": "3"},
        {"row": 3, "Phone": "+14155550124", "Visits": "4"},
    ]


def test_a_filtered_read_keeps_its_spreadsheet_row_numbers():
    frame = read_sheet(SAMPLES / "contacts_messy.csv")
    result = validate(frame.loc[[8, 9, 15]])
    assert [(r, reason) for r, _, _, reason in failure_tuples(result)] == [
        (8, "invalid"),
        (9, "not_a_number"),
    ]
    assert result.clean["row"].tolist() == [15]


def test_a_sheet_without_a_phone_column_fails_at_the_header_row():
    frame = read_sheet(io.BytesIO(b"Name,Email\nAna,ana@example.com\n"))
    result = validate(frame)
    assert failure_tuples(result) == [(1, "Phone", None, "missing_column")]
    assert result.failures.loc[0, "message"] == (
        "The sheet has no Phone column (its columns are Name, Email): add one, or name the column "
        "that holds them with phone_columns=[...] (--phone-column COL)."
    )
    assert result.clean.empty


def test_zip_codes_are_checked_as_us_zips_only_for_region_us():
    frame = pd.DataFrame({"Phone": ["+44 20 7946 0958"], "ZIP": ["SW1A 1AA"]})
    assert [f[3] for f in failure_tuples(validate(frame))] == ["invalid_zip"]
    assert validate(frame, region="GB").ok


@pytest.mark.parametrize(
    ("zone", "reason", "fixed"),
    [
        pytest.param("America/Chicago", None, "America/Chicago", id="iana"),
        pytest.param("europe/london", None, "Europe/London", id="case-fixed"),
        pytest.param("UTC", None, "UTC", id="utc"),
        pytest.param("EST", "unknown_timezone", None, id="fixed-offset-refused"),
        pytest.param("Pacific Time", "unknown_timezone", None, id="words"),
        pytest.param("America/New_Yrok", "unknown_timezone", None, id="typo"),
    ],
)
def test_time_zones(zone, reason, fixed):
    result = validate(pd.DataFrame({"Phone": ["4155550123"], "TimeZone": [zone]}))
    if reason is None:
        assert result.clean.loc[0, "TimeZone"] == fixed
    else:
        assert result.failures.loc[0, "reason"] == reason


def test_time_zone_messages_suggest_a_fix():
    result = validate(
        pd.DataFrame(
            {
                "Phone": ["4155550123", "4155550124", "4155550125"],
                "TimeZone": ["Pacific Time", "America/New_Yrok", "MST"],
            }
        )
    )
    assert result.failures["message"].tolist()[1:] == [
        "'America/New_Yrok' is not an IANA time zone name (did you mean America/New_York?); write "
        "it like "
        "America/New_York or Europe/London, or leave it empty to use the number's own zone.",
        "MST is a fixed offset without daylight saving time; use the IANA name of the place, e.g. "
        "America/Denver.",
    ]
    assert (
        result.failures["message"].iloc[0]
        == "'Pacific Time' is not an IANA time zone name; use e.g. America/Los_Angeles."
    )


def test_groups_sheet_duplicates_are_per_group():
    frame = pd.DataFrame(
        {
            "Group": ["VIP", "Staff", "VIP", ""],
            "Phone": ["4155550123", "415-555-0123", "(415) 555-0123", "4155550124"],
        }
    )
    frame.columns = ["Groups", "Phone"]
    result = validate(frame, "groups")
    assert failure_tuples(result) == [
        (4, "Phone", "(415) 555-0123", "duplicate"),
        (5, "Groups", "", "required"),
    ]
    assert (
        result.failures.loc[0, "message"]
        == "This number is already in this group on row 2; delete this row."
    )


def test_an_unknown_kind_is_a_usage_error():
    with pytest.raises(
        ValueError, match="unknown sheet kind 'people': use one of contacts, groups"
    ):
        validate(pd.DataFrame({"Phone": []}), "people")


def test_a_sheet_column_called_row_does_not_clash_with_the_row_number():
    result = validate(read_sheet(io.BytesIO(b"Phone,row\n4155550123,7\n")))
    assert result.clean.to_dict("records") == [
        {
            "row": 2,
            "Phone": "+14155550123",
            "row (from sheet)": "7",
            "phone_column": "Phone",
            "phone_as_written": "4155550123",
        }
    ]
