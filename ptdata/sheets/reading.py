"""Read a contact, group or campaign sheet (CSV, TSV or XLSX) with every cell as text.

``read_sheet`` never guesses types: ``+14155550123`` and ``02134`` come out exactly as written.
A blank cell is missing (``NA``; ``df.isna()`` finds it, ``render`` writes it as ""), a cell of
spaces is kept as written. The index is the row number as the spreadsheet shows it (header =
row 1, first data row = row 2; for XLSX the sheet's own row numbers), named ``row``; blank
rows are kept here (``validate`` drops and counts them) so the numbers never shift.

CSV/TSV: UTF-8 with or without BOM, UTF-16 with BOM, otherwise Windows-1252 (cp1252, what
Excel on Windows writes as "CSV"), reported as guessed. ``,``, ``;``, tab and ``|`` are
sniffed from the header, and an Excel ``sep=;`` first line is honoured (and not counted as a
row, as in Excel). XLSX: the first sheet (or ``sheet=``), numbers written as digits
(``4155550123``, ZIP ``02134`` when the cell is formatted ``00000``), dates as
``2026-12-03 10:30``.

Headers are matched case- and space-insensitively to ptdata's canonical columns (see
``ptdata.sheets.headers``: Phone, Name, LastName, Groups, TimeZone, ZIP); other columns keep
their name and serve as merge fields. Ragged rows, duplicate headers, NUL bytes and
undecodable bytes raise ``SheetError`` naming the row and the fix: a misread sheet must
never become a shifted column.

What was detected is in ``df.attrs["ptdata.read"]``: source, format, encoding, bom,
encoding_guessed, delimiter, sep_line, sheet, headers (written -> used), rows.

>>> import io
>>> df = read_sheet(io.BytesIO(b"Mobile #;First Name;Zip Code\\n+14155550123;Ana;02134\\n"))
>>> df.to_dict("records"), df.index.tolist()
([{'Phone': '+14155550123', 'Name': 'Ana', 'ZIP': '02134'}], [2])
>>> df.attrs["ptdata.read"]["delimiter"]
';'
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from datetime import date, datetime, time
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ptdata.api.errors import UsageError
from ptdata.sheets.errors import SheetError
from ptdata.sheets.headers import canonical_header

__all__ = ["column_letter", "read_sheet"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_XLSX_SUFFIXES = (".xlsx", ".xlsm")


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------- input


def _load(source: Any) -> tuple[bytes | str, str, str | None]:
    """(content, display name, path suffix) of a path, ``-`` (stdin) or a file object."""
    if isinstance(source, (str, os.PathLike)):
        if str(source) == "-":
            return sys.stdin.buffer.read(), "<stdin>", None
        path = os.fspath(source)
        try:
            with open(path, "rb") as fh:
                return fh.read(), path, os.path.splitext(path)[1].lower()
        except FileNotFoundError:
            raise SheetError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SheetError(f"{path}: is a folder, not a sheet") from None
        except PermissionError:
            raise SheetError(f"{path}: permission denied") from None
    if hasattr(source, "read"):
        content = source.read()
        name = str(getattr(source, "name", "<file>"))
        return content, name, os.path.splitext(name)[1].lower() or None
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "<bytes>", None
    raise UsageError(f"read_sheet: expected a path, '-', or a file object, got {type(source).__name__}")


def _row_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _decode(data: bytes, encoding: str | None) -> tuple[str, dict[str, Any]]:
    """The text and what was detected: encoding, bom, encoding_guessed."""
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise SheetError(f"unknown encoding {encoding!r}: try utf-8, cp1252 or latin-1") from None
        except UnicodeDecodeError as exc:
            row = _row_of(data[: exc.start].decode(encoding, errors="replace"), len(data[: exc.start]))
            raise SheetError(
                f"row {row}: byte 0x{data[exc.start]:02X} is not valid {encoding}: "
                "check the encoding the file was saved with (or leave --encoding out to detect it)",
                row=row,
            ) from None
        bom = text.startswith("\ufeff")
        return text.lstrip("\ufeff") if bom else text, {"encoding": encoding, "bom": bom, "encoding_guessed": False}
    if data.startswith(codecs.BOM_UTF8):
        kind, bom, body = "utf-8-sig", True, data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        kind, bom, body = "utf-16", True, data
    else:
        kind, bom, body = "utf-8", False, data
    if kind == "utf-8" and b"\x00" in data:
        first = data.index(b"\x00")
        row = data.count(b"\n", 0, first) + 1
        head = data[:4096]
        if head.count(b"\x00") * 4 > len(head):
            why = "it is probably UTF-16 without a byte-order mark. Save it from Excel as 'CSV UTF-8' (or pass --encoding utf-16-le)"
        else:
            why = "a sheet never has them: the file is damaged or not a text file. Remove them or export the sheet again"
        raise SheetError(f"row {row}: the file contains NUL bytes; {why}", row=row)
    try:
        return body.decode("utf-16" if kind == "utf-16" else "utf-8"), {
            "encoding": kind, "bom": bom, "encoding_guessed": False,
        }
    except UnicodeDecodeError as exc:
        if kind != "utf-8":
            row = _row_of(body[: exc.start].decode(kind, errors="replace"), exc.start)
            raise SheetError(
                f"row {row}: the file starts with a {kind} byte-order mark but is not valid {kind}. "
                "Save it again as 'CSV UTF-8'",
                row=row,
            ) from None
        utf8_error = exc
    try:
        return data.decode("cp1252"), {"encoding": "cp1252", "bom": False, "encoding_guessed": True}
    except UnicodeDecodeError as exc:
        row = _row_of(data[: exc.start].decode("cp1252", errors="replace"), exc.start)
        raise SheetError(
            f"row {row}: byte 0x{data[exc.start]:02X} is neither UTF-8 (byte {utf8_error.start + 1} "
            "is not) nor Windows-1252. Save the sheet as 'CSV UTF-8', or pass --encoding "
            "(e.g. --encoding latin-1)",
            row=row,
        ) from None


def _sep_line(text: str) -> tuple[str | None, str]:
    """Excel's ``sep=;`` first line: (its delimiter, the text after it) or (None, text)."""
    if text[:4].lower() == "sep=":
        end = text.find("\n")
        line = (text if end < 0 else text[:end]).rstrip("\r")
        if len(line) == 5:
            return line[4], "" if end < 0 else text[end + 1:]
    return None, text


def _sniff(sample: str) -> str:
    """The delimiter that splits the header into the most fields (consistently, on ties)."""
    lines = sample.splitlines()[:20]
    if not lines:
        return ","

    def fields(delimiter: str) -> list[int]:
        try:
            return [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            return [0]

    best, best_score = ",", (1, False)
    for delimiter in _DELIMITERS:
        counts = fields(delimiter)
        header = counts[0] if counts else 0
        score = (header, len(set(counts)) == 1)
        if header > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


# ---------------------------------------------------------------- headers


def _canonicalise(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Canonical names for the header cells (blank stays blank); SheetError for duplicates."""
    out: list[str] = []
    seen: dict[str, int] = {}
    mapping: dict[str, str] = {}
    for i, raw in enumerate(names):
        written = "" if raw is None else str(raw).strip().lstrip("\ufeff").strip()
        name = canonical_header(written) or written if written else ""
        if name:
            if name in seen:
                first = seen[name]
                a, b = names[first], names[i]
                why = f"both mean {name}" if str(a).strip() != str(b).strip() else f"both named {name!r}"
                raise SheetError(
                    f"row 1: columns {column_letter(first)} ({str(a).strip()!r}) and {column_letter(i)} "
                    f"({str(b).strip()!r}) {why}: rename or delete one of them so that it is clear "
                    "which to use",
                    row=1,
                )
            seen[name] = i
            mapping[written] = name
        out.append(name)
    return out, mapping


def _drop_unnamed(frame: pd.DataFrame, names: list[str], header_row: int) -> pd.DataFrame:
    """Drop empty columns without a header; a column with values but no header is an error."""
    keep = []
    for i, name in enumerate(names):
        if name:
            keep.append(i)
            continue
        values = frame.iloc[:, i]
        filled = values.notna() & (values.str.strip() != "")
        if filled.any():
            row = int(frame.index[filled.to_numpy().argmax()])
            raise SheetError(
                f"row {row}: column {column_letter(i)} has values but no header in row {header_row}: "
                "give the column a name (or delete it)",
                row=row,
            )
    out = frame.iloc[:, keep]
    out.columns = [names[i] for i in keep]
    return out


# ---------------------------------------------------------------- CSV


def _ragged_error(body: bytes, read: pacsv.ReadOptions, parse_kw: dict[str, Any], convert: pacsv.ConvertOptions,
                  found: list[Any], header_lines: int, delimiter: str) -> SheetError:
    if any(r.number is None for r in found):  # parallel parsing loses numbers: parse again serially
        found.clear()
        serial = pacsv.ReadOptions(use_threads=False, column_names=read.column_names, skip_rows=read.skip_rows)
        pacsv.read_csv(io.BytesIO(body), read_options=serial, convert_options=convert,
                       parse_options=pacsv.ParseOptions(**parse_kw, invalid_row_handler=_collector(found)))
    first = found[0]
    # pyarrow counts records from the top, each skipped header line as one: the header is row 1.
    row = first.number - (header_lines - 1)
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    more = f" (and {len(found) - 1} more row{'s' * (len(found) > 2)} with the wrong number of values)" if len(found) > 1 else ""
    return SheetError(
        f"row {row}: {first.actual_columns} values but the header has {first.expected_columns} "
        f"columns{more}. A value containing the delimiter {shown} must be in double quotes "
        f"(\"Smith, Jr.\"); fix the row, or pass --delimiter if {shown} is the wrong one",
        row=row,
    )


def _collector(found: list[Any]):
    def handler(row: Any) -> str:
        found.append(row)
        return "skip"
    return handler


def _read_csv(text: str, raw_utf8: bytes | None, delimiter: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    if "\x00" in text:
        row = _row_of(text, text.index("\x00"))
        raise SheetError(
            f"row {row}: the file contains NUL bytes, which a sheet never has: it is probably "
            "UTF-16 without a byte-order mark or not a text file. Save it as 'CSV UTF-8'",
            row=row,
        )
    sep_delimiter, body_text = _sep_line(text)
    if "\r" in body_text and "\n" not in body_text:
        body_text = body_text.replace("\r", "\n")
        raw_utf8 = None
    chosen = delimiter or sep_delimiter or _sniff(body_text[:_SNIFF_CHARS])
    if len(chosen) != 1:
        raise SheetError(f"the delimiter must be one character, got {chosen!r}")
    reader = csv.reader(io.StringIO(body_text), delimiter=chosen)
    try:
        header = next(reader)
    except StopIteration:
        raise SheetError("the sheet is empty: the first row must be the header (Phone, Name, ...)") from None
    except csv.Error as exc:
        raise SheetError(f"row 1: the header row cannot be read ({exc})", row=1) from None
    header_lines = reader.line_num
    names, mapping = _canonicalise(header)
    try:
        has_rows = next(reader, None) is not None
    except csv.Error:
        has_rows = True  # let the full parse report it with its row number
    if not has_rows:
        empty = pd.DataFrame({f"c{i}": pd.Series([], dtype="str") for i in range(len(header))},
                             index=pd.RangeIndex(2, 2, name="row"))
        return _drop_unnamed(empty, names, 1), {"delimiter": chosen, "sep_line": sep_delimiter is not None,
                                                "headers": mapping}
    if raw_utf8 is not None and sep_delimiter is None:
        body = raw_utf8
    else:
        body = body_text.encode("utf-8")
    synthetic = [f"c{i}" for i in range(len(header))]
    read = pacsv.ReadOptions(column_names=synthetic, skip_rows=header_lines, block_size=16 << 20)
    parse_kw = {
        "delimiter": chosen,
        "newlines_in_values": b'"' in body,
        "ignore_empty_lines": False,
    }
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in synthetic},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    found: list[Any] = []
    table = pacsv.read_csv(io.BytesIO(body), read_options=read, convert_options=convert,
                           parse_options=pacsv.ParseOptions(**parse_kw, invalid_row_handler=_collector(found)))
    if found:
        raise _ragged_error(body, read, parse_kw, convert, found, header_lines, chosen)
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    frame = _drop_unnamed(frame, names, 1)
    return frame, {"delimiter": chosen, "sep_line": sep_delimiter is not None, "headers": mapping}


# ---------------------------------------------------------------- XLSX


def _cell_text(value: Any, number_format: str | None) -> str | None:
    """A cell as the text a person sees in it, without Excel's number-to-float damage."""
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
    # A ZIP code formatted "00000" shows its leading zero: keep what the sheet shows.
    if number_format and set(number_format) == {"0"} and text.isdigit():
        text = text.zfill(len(number_format))
    return text


def _read_xlsx(content: bytes, sheet: str | int | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SheetError(f"the XLSX file cannot be opened ({exc}): save it again from Excel") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int):
            ws = book.worksheets[sheet]
        else:
            ws = book[sheet]
    except (KeyError, IndexError):
        raise SheetError(f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}") from None
    try:
        header_row, header, rows, numbers = None, [], [], []
        number = 0
        for cells in ws.iter_rows():
            number += 1
            values = [_cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
            if header_row is None:
                if any(v is not None and v.strip() for v in values):
                    header_row, header = number, values
                continue
            rows.append(values)
            numbers.append(number)
    finally:
        book.close()
    if header_row is None:
        raise SheetError(f"sheet {ws.title!r} is empty: the first row must be the header (Phone, Name, ...)")
    while header and header[-1] is None:
        header.pop()
    width = max([len(header)] + [len(r) for r in rows])
    names, mapping = _canonicalise(header + [None] * (width - len(header)))
    columns = {i: [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    frame = pd.DataFrame({f"c{i}": pd.array(v, dtype="str") for i, v in columns.items()},
                         index=pd.Index(numbers, name="row", dtype="int64"))
    while rows and all(v is None for v in rows[-1]):  # trailing formatted-but-empty rows
        rows.pop()
    frame = frame.iloc[: len(rows)]
    frame = _drop_unnamed(frame, names, header_row)
    return frame, {"delimiter": None, "sep_line": False, "headers": mapping, "sheet": ws.title,
                   "header_row": header_row}


# ---------------------------------------------------------------- entry point


def read_sheet(
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> pd.DataFrame:
    """A sheet as a DataFrame of text, canonical headers, index = spreadsheet row number.

    ``source``: a path (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``), ``"-"`` for stdin, or a
    file object (binary, or text already decoded). ``encoding`` and ``delimiter`` override
    detection; ``sheet`` picks an XLSX sheet by name or 0-based position.

    >>> df = read_sheet("sample_data/contacts_clean.csv")
    >>> df.attrs["ptdata.read"]["encoding"], len(df), df.loc[7, "ZIP"]
    ('utf-8', 10, '02134')
    """
    content, name, suffix = _load(source)
    info: dict[str, Any] = {"source": name}
    is_xlsx = isinstance(content, bytes) and (content[:4] == b"PK\x03\x04" or suffix in _XLSX_SUFFIXES)
    if isinstance(content, bytes) and content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SheetError(f"{name}: this is an old binary .xls workbook; save it as .xlsx or as 'CSV UTF-8'")
    if is_xlsx:
        frame, details = _read_xlsx(content, sheet)
        info.update({"format": "xlsx", "encoding": None, "bom": False, "encoding_guessed": False})
    else:
        if isinstance(content, str):
            text = content.lstrip("\ufeff")
            raw_utf8 = None
            info.update({"format": "csv", "encoding": getattr(source, "encoding", None) or "text",
                         "bom": content.startswith("\ufeff"), "encoding_guessed": False})
        else:
            text, detected = _decode(content, encoding)
            plain_utf8 = detected["encoding"] == "utf-8" and encoding is None
            raw_utf8 = content if plain_utf8 else None
            info.update({"format": "csv", **detected})
        frame, details = _read_csv(text, raw_utf8, delimiter)
        details["header_row"] = 1
    info.update(details)
    info["rows"] = len(frame)
    frame.attrs["ptdata.read"] = info
    return frame
