"""XLSX sheets as rows of text, streamed, with their memory bounded before anything is loaded.

A workbook is read row by row (openpyxl's read-only mode); only rows with something in them
are kept. Before that, what the file declares is checked against the memory there is: a used
range of ``A1:XFD1048576`` (one styled cell in the last corner is enough to declare it) or a
shared-strings table larger than memory is refused with a ``SheetError`` saying how to fix
the file, never a ``MemoryError``.

Cells come out as the text a person sees: ``4155550123`` for a number (never ``4.15555E+09``),
``+442079460958`` for a number formatted ``"+"0``, ``02134`` for a ZIP formatted ``00000``,
dates as ``2026-12-03`` and ``2026-12-03 10:30``.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from collections.abc import Generator
from datetime import date, datetime, time
from typing import Any

from ptdata.sheets.errors import SheetError

__all__ = ["available_memory", "cell_text", "xlsx_rows"]

#: Rough bytes one cell costs once read (its text, the row list, the frame built from it).
_BYTES_PER_CELL = 128
_BYTES_PER_SHARED_STRING = 96


def available_memory() -> int:
    """Bytes this process can still use: MemAvailable (Linux), else physical pages, else 2 GB."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2 << 30


def cell_text(value: Any, number_format: str | None) -> str | None:
    """A cell as the text a person sees in it, without Excel's number-to-float damage.

    >>> (cell_text(4155550123.0, "General"), cell_text(442079460958, '"+"0'),
    ...  cell_text(2134, "00000"))
    ('4155550123', '+442079460958', '02134')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    elif isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    elif isinstance(value, time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    else:
        return str(value) if str(value) != "" else None
    if number_format and text.isdigit():
        plain = number_format.replace('"', "").replace("\\", "")
        # A ZIP code formatted "00000" shows its leading zero: keep what the sheet shows.
        if set(number_format) == {"0"}:
            text = text.zfill(len(number_format))
        elif plain.startswith("+") and plain[1:2] in ("0", "#"):
            text = "+" + text  # a phone number kept as a number, shown with its + ("+"0)
    return text


def _refuse_oversized(content: bytes, budget: int) -> None:
    """Refuse a workbook whose shared strings alone would not fit (checked in the zip directory)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return  # openpyxl says it better
    with archive:
        for info in archive.infolist():
            if info.filename.lower().endswith("sharedstrings.xml"):
                with archive.open(info) as fh:
                    head = fh.read(2048).decode("utf-8", "replace")
                m = re.search(r'uniqueCount="(\d+)"', head)
                count = int(m[1]) if m else 0
                need = max(info.file_size, count * _BYTES_PER_SHARED_STRING)
                if need > budget:
                    raise SheetError(
                        f"the workbook's text table (xl/sharedStrings.xml: {info.file_size:,} "
                        f"bytes, {count:,} strings) would need about {need / 1e9:.1f} GB, "
                        f"more than this machine has free ({budget / 1e9:.1f} GB): "
                        "the file is damaged or far "
                        "larger than a contact sheet. Open it in Excel and save it again, or save "
                        "the sheet as 'CSV UTF-8'"
                    )


def _pick_sheet(book: Any, sheet: str | int | None) -> Any:
    try:
        if sheet is None:
            return book.worksheets[0]
        if isinstance(sheet, int):
            if sheet < 0:
                raise IndexError
            return book.worksheets[sheet]
        return book[sheet]
    except (KeyError, IndexError):
        names = ", ".join(f"{i + 1} {n!r}" for i, n in enumerate(book.sheetnames))
        which = sheet + 1 if isinstance(sheet, int) else repr(sheet)  # sheets as people count them
        raise SheetError(f"no sheet {which}; the workbook has {names}") from None


def _declared(ws: Any, budget: int) -> None:
    rows, cols = ws.max_row or 0, ws.max_column or 0
    min_row, min_col = ws.min_row or 1, ws.min_column or 1
    cells = max(0, rows - min_row + 1) * max(0, cols - min_col + 1)
    if cells * _BYTES_PER_CELL > budget:
        try:
            used = ws.calculate_dimension()
        except ValueError:
            used = f"{rows:,} rows x {cols:,} columns"
        raise SheetError(
            f"sheet {ws.title!r} declares its used range as {used} ({rows - min_row + 1:,} rows x "
            f"{cols - min_col + 1:,} columns = {cells:,} cells), more than fits in memory here: "
            "something (often formatting) reaches far below or right of the data. In Excel press "
            "Ctrl+End to find it, delete the empty rows and columns after the data, save, and try "
            "again (or save the sheet as 'CSV UTF-8')"
        )


def xlsx_rows(
    content: bytes, sheet: str | int | None
) -> tuple[str, Generator[tuple[int, list[str | None]], None, None]]:
    """(sheet title, iterator of (sheet row number, cell texts)) for the non-empty rows.

    Rows without any cell are not yielded (their numbers are skipped), trailing empty cells are
    dropped; a cell of spaces is kept as written.
    """
    import openpyxl

    budget = available_memory() // 2
    _refuse_oversized(content, budget)
    try:
        with (
            warnings.catch_warnings()
        ):  # openpyxl's notes on styles and extensions mean nothing here
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SheetError(
            f"the XLSX file cannot be opened ({exc}): save it again from Excel"
        ) from None
    ws = _pick_sheet(book, sheet)
    try:
        _declared(ws, budget)
    except SheetError:
        book.close()
        raise
    ws.reset_dimensions()  # stream what is there: no padding to a declared size

    def rows() -> Generator[tuple[int, list[str | None]], None, None]:
        seen = 0
        try:
            for number, cells in enumerate(ws.iter_rows(), start=1):
                if not cells:
                    continue
                seen += len(cells)
                if seen * _BYTES_PER_CELL > budget:
                    raise SheetError(
                        f"sheet {ws.title!r} has more cells than fit in memory here "
                        f"(over {seen:,} by row {number:,}): delete the empty rows and "
                        "columns after the data, or save the sheet as 'CSV UTF-8'"
                    )
                values = [cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
                while values and values[-1] is None:
                    values.pop()
                if values:
                    yield number, values
        finally:
            book.close()

    return ws.title, rows()
