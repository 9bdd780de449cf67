"""Merge-field templates: fields, checks against the sheet's columns, vectorised rendering."""

from __future__ import annotations

import pandas as pd
import pytest

from ptdata import TemplateError
from ptdata.sheets.templates import blank_merge_values, check_template, render, template_fields

SHEET = pd.DataFrame(
    {
        "Phone": ["+14155550101", "+14155550102", "+14155550103"],
        "Name": ["Ana", None, "Chloé"],
        "Order Id": ["A-17", "B-2", ""],
        "Visits": [3, 1, 12],
    },
    index=pd.Index([2, 3, 5], name="row"),
).astype({"Phone": "str", "Name": "str", "Order Id": "str"})


def test_fields_in_order_of_first_use_and_escaped_braces_are_not_fields():
    assert template_fields("Hi {Name}! Order {Order Id} for {Name} {{not a field}}") == [
        "Name",
        "Order Id",
    ]
    assert template_fields("No fields, {{just braces}}") == []


@pytest.mark.parametrize(
    ("template", "mapping"),
    [
        pytest.param("Hi {Name}", {"Name": "Name"}, id="exact"),
        pytest.param(
            "Hi {name} #{order id}", {"name": "Name", "order id": "Order Id"}, id="case-and-space"
        ),
        pytest.param("Hi {First Name}", {"First Name": "Name"}, id="header-alias"),
        pytest.param("Hi { Name }", {"Name": "Name"}, id="padded"),
    ],
)
def test_fields_resolve_to_columns(template, mapping):
    assert check_template(template, SHEET.columns) == mapping


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "Hi {Nmae}",
            "unknown merge field {Nmae}: did you mean {Name}? The sheet's columns are "
            "Phone, Name, Order Id, Visits.",
            id="typo",
        ),
        pytest.param(
            "Hi {Coupon}",
            "unknown merge field {Coupon}: The sheet's columns are Phone, Name, Order Id, Visits.",
            id="absent",
        ),
        pytest.param(
            "Hi {Surname}",
            "unknown merge field {Surname}: Surname means the LastName column, which "
            "the sheet does not have. The sheet's columns are",
            id="absent-alias",
        ),
        pytest.param(
            "Hi {Name",
            "unmatched '{' at character 4: merge fields look like {Name}; write {{ for a literal {",
            id="unclosed",
        ),
        pytest.param("Hi Name}", "unmatched '}' at character 8", id="unopened"),
        pytest.param("Hi {}", "empty merge field '{}' at character 4", id="empty"),
    ],
)
def test_bad_templates_name_the_field_and_the_columns(template, message):
    with pytest.raises(TemplateError) as err:
        check_template(template, SHEET.columns)
    assert message in str(err.value)


def test_render_fills_each_row_keeps_the_index_and_renders_missing_as_empty():
    out = render("Hi {Name}, order {Order Id} ({Visits} visits) {{STOP}}", SHEET)
    assert out.tolist() == [
        "Hi Ana, order A-17 (3 visits) {STOP}",
        "Hi , order B-2 (1 visits) {STOP}",
        "Hi Chloé, order  (12 visits) {STOP}",
    ]
    assert out.index.tolist() == [2, 3, 5]
    assert str(out.dtype) == "str"
    assert render("Hi {Name}", SHEET, na_rep="there").tolist() == ["Hi Ana", "Hi there", "Hi Chloé"]
    assert render("Same for all", SHEET).tolist() == ["Same for all"] * 3


def test_blank_merge_values_finds_rows_that_would_render_a_hole():
    blanks = blank_merge_values("Hi {Name}, order {Order Id}", SHEET)
    assert [None if pd.isna(v) else v for v in blanks] == [None, "Name", "Order Id"]
    two = pd.DataFrame({"Name": [""], "Order Id": [None]}, dtype="str")
    assert blank_merge_values("Hi {Name}, order {Order Id}", two).tolist() == ["Name, Order Id"]


def test_render_is_vectorised_for_a_large_frame():
    big = pd.DataFrame({"Name": ["Ana"] * 200_000}, dtype="str")
    assert render("Hi {Name}!", big).iloc[-1] == "Hi Ana!"
