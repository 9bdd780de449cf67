"""Read a contact or group sheet (CSV, TSV or XLSX) with every cell as text.

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
``ptdata.sheets.headers``: Phone, Name, LastName, Groups, TimeZone, ZIP, State); other columns
keep their name and serve as merge fields. Two headers that could mean the same column are
never an error: a documented priority picks one (``ptdata.sheets.mapping``), several phone
columns are all kept for ``validate`` to pick each row's number, and ``phone_columns=`` /
``columns=`` say it outright. Rows above the header (a report's title) are found and skipped,
or ``header_row=`` names the header's row; a Salesforce report's footer is left out. Ragged
rows, NUL bytes and undecodable bytes raise ``SheetError`` naming the row and the fix: a
misread sheet must never become a shifted column.

What was detected is in ``df.attrs["ptdata.read"]``: source, format, encoding, bom,
encoding_guessed, delimiter, sep_line, sheet, header_row, footer_rows, headers (written ->
used), columns_written, phone_sources, layout_notes, rows.

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
import re
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ptdata.api.errors import UsageError
from ptdata.sheets.errors import SheetError
from ptdata.sheets.headers import canonical_header, google_phone, phone_tier
from ptdata.sheets.mapping import column_letter, plan_layout

__all__ = ["column_letter", "find_header", "read_sheet"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_XLSX_SUFFIXES = (".xlsx", ".xlsm")


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
    raise UsageError(
        f"read_sheet: expected a path, '-', or a file object, got {type(source).__name__}"
    )


def _row_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _decode(data: bytes, encoding: str | None) -> tuple[str, dict[str, Any]]:
    """The text and what was detected: encoding, bom, encoding_guessed."""
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise SheetError(
                f"unknown encoding {encoding!r}: try utf-8, cp1252 or latin-1"
            ) from None
        except UnicodeDecodeError as exc:
            row = _row_of(
                data[: exc.start].decode(encoding, errors="replace"), len(data[: exc.start])
            )
            raise SheetError(
                f"row {row}: byte 0x{data[exc.start]:02X} is not valid {encoding}: "
                "check the encoding the file was saved with (or leave --encoding out to detect it)",
                row=row,
            ) from None
        bom = text.startswith("\ufeff")
        return text.lstrip("\ufeff") if bom else text, {
            "encoding": encoding,
            "bom": bom,
            "encoding_guessed": False,
        }
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
            why = (
                "it is probably UTF-16 without a byte-order mark. "
                "Save it from Excel as 'CSV UTF-8' (or pass --encoding utf-16-le)"
            )
        else:
            why = (
                "a sheet never has them: the file is damaged or not a text file. "
                "Remove them or export the sheet again"
            )
        raise SheetError(f"row {row}: the file contains NUL bytes; {why}", row=row)
    try:
        return body.decode("utf-16" if kind == "utf-16" else "utf-8"), {
            "encoding": kind,
            "bom": bom,
            "encoding_guessed": False,
        }
    except UnicodeDecodeError as exc:
        if kind != "utf-8":
            row = _row_of(body[: exc.start].decode(kind, errors="replace"), exc.start)
            raise SheetError(
                f"row {row}: the file starts with a {kind} byte-order mark "
                f"but is not valid {kind}. "
                "Save it again as 'CSV UTF-8'",
                row=row,
            ) from None
        utf8_error = exc
    try:
        return data.decode("cp1252"), {"encoding": "cp1252", "bom": False, "encoding_guessed": True}
    except UnicodeDecodeError as exc:
        row = _row_of(data[: exc.start].decode("cp1252", errors="replace"), exc.start)
        raise SheetError(
            f"row {row}: byte 0x{data[exc.start]:02X} is neither UTF-8 "
            f"(byte {utf8_error.start + 1} "
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
            return line[4], "" if end < 0 else text[end + 1 :]
    return None, text


def _sniff(sample: str) -> str:
    """The delimiter that splits most lines into the same number (> 1) of fields.

    Counting every line, not only the first, finds the delimiter under a report's title rows;
    a ``;`` sheet whose values hold commas (or decimal commas) stays ``;``.
    """
    lines = [line for line in sample.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=lambda c: (wide.count(c), c))
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ---------------------------------------------------------------- header row and footer

_HEADER_SCAN = 30


def _known(cell: Any) -> bool:
    """True for a cell that names a column ptdata knows (a header, not a title or a value)."""
    if cell is None or not str(cell).strip():
        return False
    text = str(cell)
    return bool(canonical_header(text) or phone_tier(text) or google_phone(text))


def find_header(rows: Sequence[Sequence[Any]]) -> int | None:
    """Which of a sheet's first rows is its header (0-based), skipping a report's title rows.

    The first row naming a known column (Phone, First Name, Mobile Phone...) where every row
    above it has fewer filled cells (a title, a date range); failing that, the first row with
    two or more filled cells, else the first row with any. None when every row is empty.

    >>> find_header([["Appointments, week of 12/07/2026"], [],
    ...              ["Patient", "Cell Phone", "Appt Date"]])
    2
    """
    filled = [sum(1 for v in r if v is not None and str(v).strip()) for r in rows]
    for i, r in enumerate(rows):
        if filled[i] and any(_known(v) for v in r) and all(filled[j] < filled[i] for j in range(i)):
            return i
    for least in (2, 1):
        for i, n in enumerate(filled):
            if n >= least:
                return i
    return None


_FOOTER_MARKS = re.compile(
    r"confidential information - do not distribute|"
    r"copyright \(c\) \d{4}-\d{4} salesforce\.com|^generated by:",
    re.I,
)


def _footer_start(values: Sequence[str | None]) -> int | None:
    """Where a Salesforce report's footer starts among the sheet's last single-value rows."""
    marks = [i for i, v in enumerate(values) if v and _FOOTER_MARKS.search(v.strip())]
    if not marks:
        return None
    start = marks[0]
    while start > 0 and values[start - 1] not in (None, ""):
        start -= 1  # the report's title and the lines after the blank separator
    return start


def _cut_footer(text: str, delimiter: str) -> tuple[str, int]:
    """The CSV text without a Salesforce report footer, and how many lines that footer had."""
    if not _FOOTER_MARKS.search(text[-4096:]):
        return text, 0
    lines = text.rstrip("\r\n").split("\n")
    single: list[str | None] = []
    i = len(lines)
    while i > 0:
        try:
            fields = next(csv.reader([lines[i - 1].rstrip("\r")], delimiter=delimiter), [])
        except csv.Error:
            break
        if len(fields) > 1:
            break
        single.insert(0, fields[0].strip() if fields else None)
        i -= 1
    start = _footer_start(single)
    if start is None:
        return text, 0
    cut = i + start
    while cut > 0 and not lines[cut - 1].strip().strip('"'):
        cut -= 1  # the blank separator belongs to the footer
    return "\n".join(lines[:cut]) + "\n", len(lines) - cut


# ---------------------------------------------------------------- columns


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
                f"row {row}: column {column_letter(i)} has values "
                f"but no header in row {header_row}: "
                "give the column a name (or delete it)",
                row=row,
            )
    out = frame.iloc[:, keep]
    out.columns = [names[i] for i in keep]
    return out


# ---------------------------------------------------------------- CSV


def _ragged_error(
    body: bytes,
    read: pacsv.ReadOptions,
    parse_kw: dict[str, Any],
    convert: pacsv.ConvertOptions,
    found: list[Any],
    header_lines: int,
    header_row: int,
    delimiter: str,
) -> SheetError:
    if any(r.number is None for r in found):  # parallel parsing loses numbers: parse again serially
        found.clear()
        serial = pacsv.ReadOptions(
            use_threads=False, column_names=read.column_names, skip_rows=read.skip_rows
        )
        pacsv.read_csv(
            io.BytesIO(body),
            read_options=serial,
            convert_options=convert,
            parse_options=pacsv.ParseOptions(**parse_kw, invalid_row_handler=_collector(found)),
        )
    first = found[0]
    # pyarrow counts records from the top, each skipped line as one; the header is header_row.
    row = first.number - header_lines + header_row
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    more = (
        f" (and {len(found) - 1} more row{'s' * (len(found) > 2)} with the wrong number of values)"
        if len(found) > 1
        else ""
    )
    return SheetError(
        f"row {row}: {first.actual_columns} values but the header has {first.expected_columns} "
        f"columns{more}. A value containing the delimiter {shown} must be in double quotes "
        f'("Smith, Jr."); fix the row, or pass --delimiter if {shown} is the wrong one',
        row=row,
    )


def _collector(found: list[Any]):
    def handler(row: Any) -> str:
        found.append(row)
        return "skip"

    return handler


def _csv_header(
    body_text: str, delimiter: str, header_row: int | None
) -> tuple[list[str], int, int]:
    """(header cells, physical lines up to and including the header, its spreadsheet row)."""
    reader = csv.reader(io.StringIO(body_text), delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    want = header_row if header_row is not None else _HEADER_SCAN
    try:
        for record in reader:
            records.append(record)
            lines.append(reader.line_num)
            if len(records) >= want:
                break
    except csv.Error as exc:
        row = len(records) + 1
        raise SheetError(f"row {row}: the row cannot be read ({exc})", row=row) from None
    if header_row is not None:
        if len(records) < header_row or not any(v.strip() for v in records[header_row - 1]):
            raise SheetError(
                f"row {header_row} is "
                f"{'empty' if len(records) >= header_row else 'past the end of the sheet'}: "
                "--header-row names the row that holds the column names",
                row=header_row,
            )
        at = header_row - 1
    else:
        found = find_header(records)
        if found is None:
            raise SheetError(
                "the sheet is empty: the first row must be the header (Phone, Name, ...)"
            )
        at = found
    return records[at], lines[at], at + 1


def _read_csv(
    text: str, raw_utf8: bytes | None, delimiter: str | None, header_row: int | None
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
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
    cut_text, footer = _cut_footer(body_text, chosen)
    if footer:
        body_text, raw_utf8 = cut_text, None
    header, header_lines, header_at = _csv_header(body_text, chosen, header_row)
    details = {
        "delimiter": chosen,
        "sep_line": sep_delimiter is not None,
        "header_row": header_at,
        "footer_rows": footer,
    }
    rest = body_text.split("\n", header_lines)
    if len(rest) <= header_lines or rest[header_lines] == "":
        empty = pd.DataFrame(
            {f"c{i}": pd.Series([], dtype="str") for i in range(len(header))},
            index=pd.RangeIndex(header_at + 1, header_at + 1, name="row"),
        )
        return empty, header, details
    body = raw_utf8 if raw_utf8 is not None and sep_delimiter is None else body_text.encode("utf-8")
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
    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=read,
        convert_options=convert,
        parse_options=pacsv.ParseOptions(**parse_kw, invalid_row_handler=_collector(found)),
    )
    if found:
        raise _ragged_error(body, read, parse_kw, convert, found, header_lines, header_at, chosen)
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(header_at + 1, header_at + 1 + len(frame), name="row")
    return frame, header, details


# ---------------------------------------------------------------- XLSX


def _read_xlsx(
    content: bytes, sheet: str | int | None, header_row: int | None
) -> tuple[pd.DataFrame, list[str | None], dict[str, Any]]:
    from ptdata.sheets.xlsx import xlsx_rows

    title, stream = xlsx_rows(content, sheet)
    first: list[tuple[int, list[str | None]]] = []
    for number, values in stream:
        first.append((number, values))
        if (header_row is not None and number >= header_row) or (
            header_row is None and len(first) >= _HEADER_SCAN
        ):
            break
    if header_row is not None:
        at = next((i for i, (n, _) in enumerate(first) if n == header_row), None)
        if at is None or not any(v is not None and v.strip() for v in first[at][1]):
            stream.close()
            raise SheetError(
                f"row {header_row} of sheet {title!r} is empty: --header-row names the "
                "row that holds the column names",
                row=header_row,
            )
    else:
        # XLSX keeps empty rows out of the stream: give the detector the sheet's own spacing
        spaced: list[list[str | None]] = []
        for number, values in first:
            spaced.extend([] for _ in range(number - 1 - len(spaced)))
            spaced.append(values)
        found = find_header(spaced) if spaced else None
        if found is None:
            stream.close()
            raise SheetError(
                f"sheet {title!r} is empty: the first row must be the header (Phone, Name, ...)"
            )
        at = next(i for i, (n, _) in enumerate(first) if n == found + 1)
    header_number, header = first[at]
    rows = first[at + 1 :]
    rows.extend(stream)
    footer = 0
    tail = 0
    while (
        tail < len(rows) and sum(v is not None and v.strip() != "" for v in rows[-1 - tail][1]) <= 1
    ):
        tail += 1
    if tail:
        single = [
            next((v for v in values if v is not None and v.strip()), None)
            for _, values in rows[-tail:]
        ]
        start = _footer_start(single)
        if start is not None:
            footer = tail - start
            rows = rows[: len(rows) - footer]
    width = max([len(header)] + [len(v) for _, v in rows])
    numbers = list(range(header_number + 1, rows[-1][0] + 1)) if rows else []
    columns: list[list[str | None]] = [[None] * len(numbers) for _ in range(width)]
    for number, values in rows:
        at_row = number - header_number - 1
        for i, v in enumerate(values):
            columns[i][at_row] = v
    frame = pd.DataFrame(
        {f"c{i}": pd.array(v, dtype="str") for i, v in enumerate(columns)},
        index=pd.Index(numbers, name="row", dtype="int64"),
    )
    header = list(header) + [None] * (width - len(header))
    return (
        frame,
        header,
        {
            "delimiter": None,
            "sep_line": False,
            "sheet": title,
            "header_row": header_number,
            "footer_rows": footer,
        },
    )


# ---------------------------------------------------------------- entry point


def read_sheet(
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    phone_columns: Sequence[str] | str | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A sheet as a DataFrame of text, canonical headers, index = spreadsheet row number.

    ``source``: a path (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``), ``"-"`` for stdin, or a
    file object (binary, or text already decoded). ``encoding`` and ``delimiter`` override
    detection; ``sheet`` picks an XLSX sheet by name or 0-based position; ``header_row`` is
    the 1-based row holding the column names (default: found, skipping title rows).
    ``phone_columns`` lists the headers numbers are taken from, in priority order;
    ``columns={"Name": "Given Name"}`` reads a header as a canonical (or any) column.

    >>> df = read_sheet("sample_data/contacts_clean.csv")
    >>> df.attrs["ptdata.read"]["encoding"], len(df), df.loc[7, "ZIP"]
    ('utf-8', 10, '02134')
    >>> read_sheet(io.BytesIO(b"Phone,Mobile,Given Name\\n,415 555 0123,Ana\\n")).columns.tolist()
    ['Phone', 'Mobile', 'Name']
    """
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        raise SheetError(f"header_row counts from 1 (the first row), not {header_row!r}")
    content, name, suffix = _load(source)
    info: dict[str, Any] = {"source": name}
    is_xlsx = isinstance(content, bytes) and (
        content[:4] == b"PK\x03\x04" or suffix in _XLSX_SUFFIXES
    )
    if isinstance(content, bytes) and content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SheetError(
            f"{name}: this is an old binary .xls workbook; save it as .xlsx or as 'CSV UTF-8'"
        )
    header: Sequence[str | None]
    if is_xlsx and isinstance(content, bytes):
        frame, header, details = _read_xlsx(content, sheet, header_row)
        info.update({"format": "xlsx", "encoding": None, "bom": False, "encoding_guessed": False})
    else:
        if isinstance(content, str):
            text = content.lstrip("\ufeff")
            raw_utf8 = None
            info.update(
                {
                    "format": "csv",
                    "encoding": getattr(source, "encoding", None) or "text",
                    "bom": content.startswith("\ufeff"),
                    "encoding_guessed": False,
                }
            )
        else:
            text, detected = _decode(content, encoding)
            plain_utf8 = detected["encoding"] == "utf-8" and encoding is None
            raw_utf8 = content if plain_utf8 else None
            info.update({"format": "csv", **detected})
        frame, header, details = _read_csv(text, raw_utf8, delimiter, header_row)
    layout = plan_layout(header, phone_columns=phone_columns, columns=columns)
    frame = _drop_unnamed(frame, layout.names, details["header_row"])
    written = [("" if h is None else str(h).strip().lstrip("\ufeff").strip()) for h in header]
    kept = [i for i, n in enumerate(layout.names) if n]
    info.update(details)
    info["headers"] = {written[i]: layout.names[i] for i in kept}
    info["columns_written"] = [written[i] for i in kept]
    info["columns_used"] = [layout.names[i] for i in kept]
    info["phone_sources"] = layout.stored()
    info["layout_notes"] = layout.notes
    info["rows"] = len(frame)
    frame.attrs["ptdata.read"] = info
    return frame
