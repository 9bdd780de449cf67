"""Several phone columns: each row's first valid mobile, else its next valid number, and why not."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from ptdata import read_sheet, validate
from ptdata.sheets.mapping import PhoneSource, plan_layout
from ptdata.sheets.phone_choice import choose_phones


def chosen(data: bytes, **kw) -> list[tuple]:
    result = validate(read_sheet(io.BytesIO(data)), **kw)
    frame = result.frame
    return [
        (
            r.row,
            None if pd.isna(r.Phone) else r.Phone,
            None if pd.isna(r.phone_column) else r.phone_column,
        )
        for r in frame.itertuples()
    ]


def test_a_mobile_column_wins_and_the_next_column_stands_in_when_it_is_empty_or_invalid():
    data = (
        b"First Name,Phone,Mobile\n"
        b"Ana,(212) 555-0101,(415) 555-0101\n"  # both: the mobile
        b"Bo,(212) 555-0102,\n"  # no mobile: the phone
        b"Cy,(212) 555-0103,555-01\n"  # a broken mobile: the phone
        b"Di,,\n"
    )  # none
    assert chosen(data) == [
        (2, "+14155550101", "Mobile"),
        (3, "+12125550102", "Phone"),
        (4, "+12125550103", "Phone"),
        (5, None, None),
    ]
    result = validate(read_sheet(io.BytesIO(data)))
    assert result.failures[["row", "column", "reason", "message"]].to_dict("records") == [
        {
            "row": 5,
            "column": "Mobile",
            "reason": "missing",
            "message": "No phone number in Mobile or Phone: fill one in or delete the row.",
        }
    ]
    assert "  phone: Mobile, else Phone" in result.summary().splitlines()


def test_the_priority_is_mobile_then_general_then_other_phones_whatever_the_column_order():
    layout = plan_layout(
        [
            "Home Phone",
            "Business Phone",
            "Primary Phone",
            "Mobile Phone",
            "Business Fax",
            "Assistant's Phone",
            "Pager",
        ]
    )
    assert [(s.label, s.tier) for s in layout.phones] == [
        ("Mobile Phone", "mobile"),
        ("Primary Phone", "general"),
        ("Home Phone", "other"),
        ("Business Phone", "other"),
    ]
    assert layout.notes == [
        "phone: Mobile Phone, else Primary Phone, else Home Phone, else Business Phone"
    ]


def test_the_failure_names_the_column_and_the_value_it_came_from():
    data = b"Name,Home Phone,Cell Phone\nAna,212.555.0101 x101,\nBo,,4.15555E+09\n"
    result = validate(read_sheet(io.BytesIO(data)))
    assert result.failures[["row", "column", "value", "reason"]].to_dict("records") == [
        {"row": 2, "column": "Home Phone", "value": "212.555.0101 x101", "reason": "extension"},
        {"row": 3, "column": "Cell Phone", "value": "4.15555E+09", "reason": "excel_scientific"},
    ]
    assert result.failures.loc[0, "message"] == (
        "'212.555.0101 x101' has an extension (extension 101): a text reaches the line, never the "
        "extension. Use the person's mobile number instead (a Mobile column is tried first)."
    )


def test_google_types_say_per_row_which_number_is_the_mobile_and_multi_values_are_several():
    data = (
        b"Name,Given Name,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value\n"
        b"Ana Ruiz,Ana,Work,(212) 555-0101,Mobile,+1 415-555-0101\n"
        b"Bo Li,Bo,* Mobile,+1 415-555-0102 ::: +1 415-555-0103,Home,212 555 0102\n"
        b"Cy Ng,Cy,Work Fax,212 555 0198,Other,415-555-01 ::: (212) 555-0104\n"
        b"Di Ok,Di,Home Fax,212 555 0199,,\n"
    )
    assert chosen(data) == [
        (2, "+14155550101", "Phone 2 - Value"),
        (3, "+14155550102", "Phone 1 - Value"),
        (4, "+12125550104", "Phone 2 - Value (value 2)"),
        (5, None, None),
    ]
    result = validate(read_sheet(io.BytesIO(data)))
    assert result.frame.loc[0, "Name"] == "Ana" and result.frame.loc[0, "Name (A)"] == "Ana Ruiz"
    assert result.failures["reason"].tolist() == ["missing"]  # a fax is never texted


def test_phone_columns_set_the_order_and_only_those_columns_are_tried():
    data = (
        b"Name,Phone,Mobile,Work\nAna,(212) 555-0101,(415) 555-0101,(646) 555-0101\n"
        b"Bo,,(415) 555-0102,\n"
    )
    assert chosen(data, phone_columns=["work", "Phone"]) == [
        (2, "+16465550101", "Work"),
        (3, None, None),
    ]
    assert chosen(data, columns={"Phone": "Mobile"}) == [
        (2, "+14155550101", "Mobile"),
        (3, "+14155550102", "Mobile"),
    ]


def test_choose_phones_parses_each_distinct_value_once(monkeypatch):
    import ptdata.sheets.phone_choice as module

    seen: list[int] = []
    real = module.phone_verdicts
    monkeypatch.setattr(module, "phone_verdicts", lambda v, r: seen.append(len(v)) or real(v, r))
    frame = pd.DataFrame(
        {
            "Mobile": ["(415) 555-0101", "(415) 555-0101", None, "x"] * 500,
            "Phone": ["(212) 555-0101", "(415) 555-0101", "(212) 555-0101", "x"] * 500,
        },
        dtype="str",
    )
    got = choose_phones(
        frame, [PhoneSource("Mobile", "Mobile", "mobile"), PhoneSource("Phone", "Phone")]
    )
    # (415) 555-0101, x, (212) 555-0101: three distinct values for 4,000 cells, each judged once
    assert sum(seen) == 3
    assert got.e164.iloc[:3].tolist() == ["+14155550101", "+14155550101", "+12125550101"]
    assert pd.isna(got.e164.iloc[3])
    assert got.problem.iloc[3] == "not_a_number" and got.column.iloc[2] == "Phone"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("212.555.0101 x101", "extension", id="x"),
        pytest.param("(212) 555-0101 ext. 43", "extension", id="ext-dot"),
        pytest.param("tel:+1-212-555-0101;ext=5", "extension", id="rfc3966"),
        pytest.param("212-555-0101 #22", "extension", id="hash"),
        pytest.param("'+14155550123", None, id="shopify-apostrophe"),
    ],
)
def test_an_extension_makes_the_number_invalid_never_texted_silently(value, reason):
    result = validate(pd.DataFrame({"Phone": [value]}, dtype="str"))
    assert result.failures["reason"].tolist() == ([reason] if reason else [])
    assert result.frame.loc[0, "phone_as_written"] == value
