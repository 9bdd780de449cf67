"""Cells Excel could run as formulas get a leading apostrophe; plain signed numbers do not."""

from __future__ import annotations

import pandas as pd
import pytest

from ptdata.sheets.excel_safe import neutralise_cell, neutralise_frame, neutralise_series


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        pytest.param("=SUM(A1:A2)", "'=SUM(A1:A2)", id="equals"),
        pytest.param("+1+1", "'+1+1", id="plus-formula"),
        pytest.param("-2+3", "'-2+3", id="minus-formula"),
        pytest.param("@SUM(1)", "'@SUM(1)", id="at"),
        pytest.param("\tcmd", "'\tcmd", id="tab"),
        pytest.param("\rcmd", "'\rcmd", id="cr"),
        pytest.param("\ncmd", "'\ncmd", id="lf"),
        pytest.param(
            "+1 (415) 555-0123", "'+1 (415) 555-0123", id="formatted-phone-is-not-a-plain-number"
        ),
        pytest.param("+14155550123", "+14155550123", id="e164-stays"),
        pytest.param("-5", "-5", id="negative-number-stays"),
        pytest.param("Ana", "Ana", id="text"),
        pytest.param("a=b", "a=b", id="equals-inside"),
    ],
)
def test_neutralise_cell(value, safe):
    assert neutralise_cell(value) == safe


def test_neutralise_frame_touches_text_and_headers_but_not_numbers():
    frame = pd.DataFrame({"=bad": ["=1+1", None, "ok"], "n": [-1, 2, 3]}).astype({"=bad": "str"})
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=bad", "n"]
    assert [None if pd.isna(v) else v for v in out["'=bad"]] == ["'=1+1", None, "ok"]
    assert out["n"].tolist() == [-1, 2, 3]
    assert frame.loc[0, "=bad"] == "=1+1"  # the input is not modified


def test_object_columns_with_mixed_values():
    out = neutralise_series(pd.Series(["@x", 5, None], dtype=object))
    assert out.tolist()[:2] == ["'@x", 5]
