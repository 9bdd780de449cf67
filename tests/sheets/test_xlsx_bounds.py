"""An XLSX that declares more than fits is refused quickly with a fix, never a MemoryError."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from ptdata import SheetError, read_sheet

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{shared_type}</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    "{shared_rel}</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font/><font><b/></font></fonts><fills count="1"><fill><patternFill '
    'patternType="none"/></fill></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf fontId="1" '
    'applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>'
)
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "{dimension}<sheetData>{rows}</sheetData></worksheet>"
)
_DATA = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>+14155550123</t></is></c></row>'
)
_CORNER = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'


def workbook(*, dimension: str | None, rows: str, shared: str | None = None) -> bytes:
    """A minimal XLSX written by hand (as small as a real 1 KB file can be)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            _TYPES.format(
                shared_type=(
                    '<Override PartName="/xl/sharedStrings.xml" '
                    'ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sharedStrings+xml"/>'
                    if shared
                    else ""
                )
            ),
        )
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _BOOK_RELS.format(
                shared_rel=(
                    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    if shared
                    else ""
                )
            ),
        )
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            _SHEET.format(
                dimension=f'<dimension ref="{dimension}"/>' if dimension else "", rows=rows
            ),
        )
        if shared:
            z.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def _read_bounded(data: bytes) -> tuple[Exception | object, int]:
    tracemalloc.start()
    try:
        try:
            got: Exception | object = read_sheet(io.BytesIO(data))
        except SheetError as exc:
            got = exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return got, peak


@pytest.mark.timeout(30)
def test_one_styled_cell_at_xfd1048576_is_refused_quickly_in_bounded_memory():
    data = workbook(dimension="A1:XFD1048576", rows=_DATA + _CORNER)
    assert len(data) < 2048  # a file of under 2 KB that declares 17 billion cells
    got, peak = _read_bounded(data)
    assert isinstance(got, SheetError)
    assert str(got).startswith(
        "sheet 'Sheet1' declares its used range as A1:XFD1048576 (1,048,576 rows x "
        "16,384 columns = 17,179,869,184 cells), more than fits in memory here"
    )
    assert "Ctrl+End" in str(got)
    assert peak < 20_000_000


@pytest.mark.timeout(60)
def test_without_a_dimension_the_stray_corner_cell_is_streamed_past_not_padded():
    got, peak = _read_bounded(workbook(dimension=None, rows=_DATA + _CORNER))
    assert not isinstance(got, Exception), got
    assert got.to_dict("records") == [{"Phone": "+14155550123"}] and got.index.tolist() == [2]
    assert peak < 50_000_000


@pytest.mark.timeout(30)
def test_a_shared_string_table_larger_than_memory_is_refused_before_it_is_read():
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" count="9000000000" uniqueCount="9000000000"><si><t>Phone</t></si></sst>'
    )
    data = workbook(
        dimension="A1:A2", rows='<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=shared
    )
    got, peak = _read_bounded(data)
    assert isinstance(got, SheetError)
    assert "the workbook's text table (xl/sharedStrings.xml" in str(got)
    assert "9,000,000,000 strings" in str(got) and "save the sheet as 'CSV UTF-8'" in str(got)
    assert peak < 20_000_000
