"""Read one dump file into an Arrow table of text columns, skipping (and reporting) bad lines.

Used by :func:`ptdata.load_inbound`; each reader returns a :class:`Part`: the table (every
column text, exactly as sent) plus the lines it skipped. JSON lines are read streaming, a chunk
of whole lines at a time, through pyarrow's JSON reader (:mod:`ptdata.inbound.jsonl`); a bad
line costs about what a good one does. Bytes come from :mod:`ptdata.inbound.sources` (plain
reads, never memory-mapped; gzip decompressed as it is read, bombs refused).

>>> from ptdata.inbound.readers import read_file
>>> part = read_file("sample_data/inbound_sms.jsonl")
>>> part.table.num_rows, part.skipped
(10, [])
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import pyarrow as pa

from ptdata.inbound.columns import EXTRA_FIELDS, TEXT, FieldSlots, records_table
from ptdata.inbound.jsonl import check_line, check_payload, read_jsonl
from ptdata.inbound.sources import DumpSource

__all__ = ["Part", "read_csv_text", "read_file", "sniff_format"]

_FORM_LINE = re.compile(rb"^\s*[A-Za-z_][\w.\-\[\]]*=")


@dataclass
class Part:
    """What one file gave: a table of text columns and the lines that were skipped."""

    file: str
    table: pa.Table | None
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    problems: list[str] = field(default_factory=list)  # file-level notes


# -- format detection ------------------------------------------------------------------------


def sniff_format(name: str, head: bytes) -> str:
    """``"jsonl"``, ``"json"`` (an array or one document), ``"form"`` or ``"csv"``."""
    base = name[:-3] if name.lower().endswith(".gz") else name
    if base.lower().endswith((".csv", ".tsv")):
        return "csv"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith(b"#"):
            return "form" if _FORM_LINE.match(line) else "csv"
    return "jsonl"


def read_file(path: str | Path, slots: FieldSlots | None = None) -> Part:
    """Read one file (any supported format, gzip or not) into a :class:`Part`.

    JSON lines are read streaming, a chunk at a time (gzip too); the other formats are read
    whole (still decompressed with the bomb check). ``slots`` says which field names get
    columns (shared by the files of one load; see :class:`~ptdata.inbound.columns.FieldSlots`).
    """
    if slots is None:
        slots = FieldSlots()
    source = DumpSource(path)
    fmt = sniff_format(source.name, source.head())
    if fmt == "jsonl":
        table, skipped = read_jsonl(
            source, whole_document=lambda data: _document_table(data, slots), slots=slots
        )
        part = Part(source.name, table, skipped)
    else:
        part = _read_bytes(source.name, source.read_all(), fmt, slots)
    part.problems.extend(source.problems)
    return part


def _read_bytes(name: str, data: bytes, fmt: str, slots: FieldSlots) -> Part:
    if fmt == "csv":
        return _read_csv(name, data, slots=slots)
    if fmt == "form":
        return _read_form(name, data, slots)
    return _read_json_document(name, data, slots)


def _document_table(data: bytes, slots: FieldSlots) -> pa.Table | None:
    """A pretty-printed JSON object or array of objects (not JSON lines), when the file is one."""
    doc = _whole_document(data)
    if doc is None:
        return None
    items = doc if isinstance(doc, list) else [doc]
    if not all(isinstance(item, dict) and check_payload(item) is None for item in items):
        return None
    return records_table(items, slots)


def _whole_document(data: bytes) -> list | dict | None:
    """A pretty-printed JSON object or array (not JSON lines), when the file is one."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, (list, dict)) else None


def doc_part(name: str, doc: list | dict, slots: FieldSlots | None = None) -> Part:
    items = doc if isinstance(doc, list) else [doc]
    records, skipped = [], []
    for i, item in enumerate(items, 1):
        why = check_payload(item) if isinstance(item, dict) else "not an object"
        if why is None:
            records.append(item)
        else:
            skipped.append((i, f"item {i} of the JSON array: {why}"))
    return Part(name, records_table(records, slots), skipped)


def _read_json_document(name: str, data: bytes, slots: FieldSlots) -> Part:
    """A JSON array file; a cut-short one is salvaged item by item (one object per line)."""
    doc = _whole_document(data)
    if doc is not None:
        return doc_part(name, doc, slots)
    records, skipped = [], []
    for i, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip().lstrip(b"[").rstrip(b"]").strip().rstrip(b",").strip()
        if not line:
            continue
        obj, why = check_line(line)
        if obj is None:
            skipped.append((i, why or "not a payload"))
        else:
            records.append(obj)
    return Part(name, records_table(records, slots), skipped)


# -- form-encoded lines and CSV ---------------------------------------------------------------


def _read_form(name: str, data: bytes, slots: FieldSlots) -> Part:
    """One ``a=1&b=2`` payload per line (what Twilio posts); ``#`` lines are comments."""
    records, skipped = [], []
    for i, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        try:
            pairs = parse_qsl(
                line.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=True,
                encoding="utf-8",
                errors="strict",
            )
        except UnicodeDecodeError:
            skipped.append((i, "not UTF-8 text"))
            continue
        except ValueError:
            skipped.append((i, "not a form-encoded payload (a part has no '=')"))
            continue
        rec: dict = {}
        for k, v in pairs:
            if k in rec:
                rec[k] = (rec[k] if isinstance(rec[k], list) else [rec[k]]) + [v]
            else:
                rec[k] = v
        records.append(rec)
    return Part(name, records_table(records, slots), skipped)


def read_csv_text(path: str | Path) -> Part:
    """Any CSV file (sniffed delimiter, UTF-8 with or without BOM) with every cell as text."""
    return _read_csv(str(path), Path(path).read_bytes(), inbound_only=False)


def _read_csv(
    name: str, data: bytes, *, inbound_only: bool = True, slots: FieldSlots | None = None
) -> Part:
    """A CSV export: every cell kept as text (``02134`` stays ``02134``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        note = "not UTF-8: read as Windows-1252 (re-save the export as UTF-8 to be sure)"
        problems = [note]
    else:
        problems = []
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = next(reader, None)
    if not header:
        return Part(name, pa.table({}), problems=problems)
    header = [h.strip() for h in header]
    if inbound_only and not {"From", "Body", "SmsSid", "MessageSid"} & set(header):
        problems.append(
            "no From, Body, SmsSid or MessageSid column: not an inbound export, skipped"
        )
        return Part(name, pa.table({}), problems=problems)
    columns: list[list[str]] = [[] for _ in header]
    skipped = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            skipped.append(
                (reader.line_num, f"{len(row)} cells where the header has {len(header)}")
            )
            continue
        for col, cell in zip(columns, row, strict=True):
            col.append(cell)
    named = list(_dedupe_names(header, columns))
    if slots is None:
        slots = FieldSlots(cap=len(named))
    admitted = [(h, col, slots.admit(h)) for h, col in named]
    table = pa.table({h: pa.array(col, TEXT) for h, col, ok in admitted if ok})
    rest = [(h, col) for h, col, ok in admitted if not ok]
    if rest:  # columns beyond the cap: one JSON object per row
        rows = [slots.fold({h: col[i] for h, col in rest}) for i in range(len(rest[0][1]))]
        table = table.append_column(EXTRA_FIELDS, pa.array(rows, TEXT))
    return Part(name, table, skipped, problems)


def _dedupe_names(header: list[str], columns: list[list[str]]) -> Iterable[tuple[str, list]]:
    seen: dict[str, int] = {}
    for h, col in zip(header, columns, strict=True):
        h = h or "column"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        yield h, col
