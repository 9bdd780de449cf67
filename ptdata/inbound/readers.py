"""Read one dump file into an Arrow table of text columns, skipping (and reporting) bad lines.

Used by :func:`ptdata.load_inbound`; each reader returns a :class:`Part`: the table (every
column text, exactly as sent) plus the lines it skipped. JSON lines take the fast path through
pyarrow's JSON reader; when that fails (a torn line, a field whose JSON type changes within
the file) the file is cut in halves until the bad lines are isolated, so a few bad lines cost a
few extra passes instead of a slow line-by-line parse.

>>> from ptdata.inbound.readers import read_file
>>> part = read_file("sample_data/inbound_sms.jsonl")
>>> part.table.num_rows, part.skipped
(10, [])
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from ptdata.inbound.columns import TEXT, arrow_pool, concat_text_tables, records_table
from ptdata.inbound.schema import INTEGER_FIELDS, META_FIELDS, TEXT_FIELDS

__all__ = ["Part", "read_csv_text", "read_file", "sniff_format"]

#: Fields read as text by the JSON fast path (the rest are inferred, then made text). The
#: integer fields are tried as text too (form posts send "1"; naming them is ~8% faster) and
#: left to inference once a JSON poster's number turns up.
_STRING_FIELDS = (*META_FIELDS, *TEXT_FIELDS, *INTEGER_FIELDS)
_BLOCK_SIZE = 8 << 20
#: A big file is mapped and parsed this many bytes at a time (whole lines), each part's pages
#: dropped once parsed: no read buffers to fill, and the file never all in memory at once.
_SEGMENT = 64 << 20
_SMALL_RANGE = 64          # below this many lines, parse line by line
_MAX_FAILED_PARSES = 64    # then give up on pyarrow for the rest of a broken file
_CHANGED = re.compile(r"Column\(/([^/)]+)\) changed from")
_FORM_LINE = re.compile(rb"^\s*[A-Za-z_][\w.\-\[\]]*=")


@dataclass
class Part:
    """What one file gave: a table of text columns and the lines that were skipped."""

    file: str
    table: pa.Table | None
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    problems: list[str] = field(default_factory=list)               # file-level notes


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


def read_file(path: str | Path) -> Part:
    """Read one file (any supported format, gzip or not) into a :class:`Part`."""
    path = Path(path)
    name = str(path)
    compressed = path.name.lower().endswith(".gz")
    if compressed:
        data, truncated = _gunzip(path)
        part = _read_bytes(name, data)
        if truncated:
            part.problems.append("the gzip stream ends early (file cut short); read what was there")
        return part
    with open(path, "rb") as f:
        head = f.read(4096)
    fmt = sniff_format(name, head)
    if fmt == "jsonl":
        return _read_jsonl_path(path)
    return _read_bytes(name, path.read_bytes(), fmt)


def _read_bytes(name: str, data: bytes, fmt: str | None = None) -> Part:
    fmt = fmt or sniff_format(name, data[:4096])
    if fmt == "csv":
        return _read_csv(name, data)
    if fmt == "form":
        return _read_form(name, data)
    if fmt == "json":
        return _read_json_document(name, data)
    return _read_jsonl_bytes(name, data)


def _gunzip(path: Path) -> tuple[bytes, bool]:
    """Decompress every gzip member; a cut-short file gives what was there and ``True``."""
    raw = path.read_bytes()
    out: list[bytes] = []
    while raw:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(raw))
        except zlib.error:
            return b"".join(out), True
        if not d.eof:
            out.append(d.flush())
            return b"".join(out), True
        raw = d.unused_data.lstrip(b"\0")
    return b"".join(out), False


# -- JSON lines -------------------------------------------------------------------------------

def _read_jsonl_path(path: Path) -> Part:
    """The fast path: pyarrow parses the file in place, memory-mapped (never read into memory)."""
    name = str(path)
    size = path.stat().st_size
    if size == 0:
        return Part(name, pa.table({}))
    end, tail = _torn_tail(path, size)
    strings = set(_STRING_FIELDS)
    try:
        table = _parse_mapped(path, end, strings)
    except pa.ArrowInvalid:
        table = None
    except (OSError, ValueError):  # not mappable (a pipe, some network file systems)
        return _read_jsonl_bytes(name, path.read_bytes())
    if table is None:
        return _read_jsonl_bytes(name, path.read_bytes(), fast_first=False)
    return Part(name, table, [tail] if tail else [])


def _parse_mapped(path: Path, end: int, strings: set[str]) -> pa.Table:
    """The first ``end`` bytes of a JSON lines file, parsed in place (memory-mapped) a
    segment of whole lines at a time; the segments' tables are stacked as text."""
    if end == 0:
        return pa.table({})
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), end, access=mmap.ACCESS_READ)
    tables: list[pa.Table] = []
    start = 0
    try:
        while start < end:
            stop = end
            if end - start > _SEGMENT:
                stop = mm.find(b"\n", start + _SEGMENT, end) + 1 or end
            with memoryview(mm)[start:stop] as view:
                tables.append(_parse(lambda: pa.BufferReader(pa.py_buffer(view)), strings))
            if hasattr(mmap, "MADV_DONTNEED"):  # parsed: give the file's pages back now
                page = start - start % mmap.PAGESIZE
                mm.madvise(mmap.MADV_DONTNEED, page, stop - page)
            start = stop
    finally:
        mm.close()
    tables = [t for t in tables if t.num_columns]
    if len(tables) <= 1:
        return tables[0] if tables else pa.table({})
    return concat_text_tables(tables)


def _torn_tail(path: Path, size: int) -> tuple[int, tuple[int, str] | None]:
    """Where the good part of the file ends, and the last line if it is torn or invalid."""
    with open(path, "rb") as f:
        f.seek(max(0, size - (1 << 20)))
        tail = f.read()
    body = tail.rstrip(b" \t\r\n")
    cut = body.rfind(b"\n")
    if cut < 0 and len(tail) < size:
        return size, None  # a last line longer than 1 MiB: let the slow path decide
    last = body[cut + 1:]
    if not last.strip() or _json_object(last) is not None:
        return size, None
    start = size - len(tail) + cut + 1
    with open(path, "rb") as f:
        line_no = _count_newlines(f, start) + 1
    return start, (line_no, _why_bad(last))


def _count_newlines(f, upto: int) -> int:
    f.seek(0)
    n, left = 0, upto
    while left > 0:
        chunk = f.read(min(left, 1 << 24))
        if not chunk:
            break
        n += chunk.count(b"\n")
        left -= len(chunk)
    return n


def _parse(open_source, strings: set[str]) -> pa.Table:
    """pyarrow's JSON reader; widens the text fields when it meets a date-like extra field."""
    for _ in range(8):
        schema = pa.schema([(n, TEXT) for n in sorted(strings)])
        opts = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
        try:
            table = pj.read_json(open_source(), parse_options=opts,
                                 read_options=pj.ReadOptions(block_size=_BLOCK_SIZE),
                                 memory_pool=arrow_pool())
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "Empty JSON file" in msg:
                return pa.table({})
            m = _CHANGED.search(msg)
            if m and "timestamp" in msg and m.group(1) not in strings:
                strings.add(m.group(1))
                continue
            if m and m.group(1) in INTEGER_FIELDS and m.group(1) in strings:
                strings.discard(m.group(1))
                continue
            raise
        dated = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
        if not dated:
            return table
        strings.update(dated)  # re-read so "2025-03-04" stays exactly that text
    raise pa.ArrowInvalid("could not settle the column types")


def _read_jsonl_bytes(name: str, data: bytes, *, fast_first: bool = True) -> Part:
    """JSON lines in memory: one pyarrow pass, else halve until the bad lines are isolated."""
    strings = set(_STRING_FIELDS)
    if fast_first:
        try:
            return Part(name, _parse(lambda: pa.BufferReader(data), strings))
        except pa.ArrowInvalid:
            pass
    doc = _whole_document(data)
    if doc is not None:
        return doc_part(name, doc)
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(data)]))
    tables: list[pa.Table] = []
    skipped: list[tuple[int, str]] = []
    budget = [_MAX_FAILED_PARSES]
    view = memoryview(data)

    def by_line(lo: int, hi: int) -> None:
        records = []
        for i in range(lo, hi):
            line = bytes(view[starts[i]:ends[i]])
            if not line.strip():
                continue
            obj = _json_object(line)
            if obj is None:
                skipped.append((i + 1, _why_bad(line)))
            else:
                records.append(obj)
        if records:
            tables.append(records_table(records))

    def halve(lo: int, hi: int) -> None:
        if hi - lo <= _SMALL_RANGE or budget[0] <= 0:
            return by_line(lo, hi)
        chunk = view[starts[lo]:ends[hi - 1]]
        try:
            tables.append(_parse(lambda: pa.BufferReader(chunk), strings))
            return
        except pa.ArrowInvalid:
            budget[0] -= 1
        mid = (lo + hi) // 2
        halve(lo, mid)
        halve(mid, hi)

    halve(0, len(starts))
    return Part(name, concat_text_tables(tables), skipped)


def _json_object(line: bytes) -> dict | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _why_bad(line: bytes) -> str:
    try:
        obj = json.loads(line)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except ValueError:
        return "torn or invalid JSON"
    return f"a JSON {type(obj).__name__}, not an object"


def _whole_document(data: bytes) -> list | dict | None:
    """A pretty-printed JSON object or array (not JSON lines), when the file is one."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return doc if isinstance(doc, (list, dict)) else None


def doc_part(name: str, doc: list | dict) -> Part:
    items = doc if isinstance(doc, list) else [doc]
    records, skipped = [], []
    for i, item in enumerate(items, 1):
        if isinstance(item, dict):
            records.append(item)
        else:
            skipped.append((i, f"item {i} of the JSON array is not an object"))
    return Part(name, records_table(records), skipped)


def _read_json_document(name: str, data: bytes) -> Part:
    """A JSON array file; a cut-short one is salvaged item by item (one object per line)."""
    doc = _whole_document(data)
    if doc is not None:
        return doc_part(name, doc)
    records, skipped = [], []
    for i, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip().lstrip(b"[").rstrip(b"]").strip().rstrip(b",").strip()
        if not line:
            continue
        obj = _json_object(line)
        if obj is None:
            skipped.append((i, _why_bad(line)))
        else:
            records.append(obj)
    return Part(name, records_table(records), skipped)


# -- form-encoded lines and CSV ---------------------------------------------------------------

def _read_form(name: str, data: bytes) -> Part:
    """One ``a=1&b=2`` payload per line (what Twilio posts); ``#`` lines are comments."""
    records, skipped = [], []
    for i, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        try:
            pairs = parse_qsl(line.decode("utf-8"), keep_blank_values=True,
                              strict_parsing=True, encoding="utf-8", errors="strict")
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
    return Part(name, records_table(records), skipped)


def read_csv_text(path: str | Path) -> Part:
    """Any CSV file (sniffed delimiter, UTF-8 with or without BOM) with every cell as text."""
    return _read_csv(str(path), Path(path).read_bytes(), inbound_only=False)


def _read_csv(name: str, data: bytes, *, inbound_only: bool = True) -> Part:
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
        problems.append("no From, Body, SmsSid or MessageSid column: not an inbound export, "
                        "skipped")
        return Part(name, pa.table({}), problems=problems)
    columns: list[list[str]] = [[] for _ in header]
    skipped = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            skipped.append((reader.line_num, f"{len(row)} cells where the header has {len(header)}"))
            continue
        for col, cell in zip(columns, row):
            col.append(cell)
    table = pa.table({h: pa.array(col, TEXT) for h, col in _dedupe_names(header, columns)})
    return Part(name, table, skipped, problems)


def _dedupe_names(header: list[str], columns: list[list[str]]) -> Iterable[tuple[str, list]]:
    seen: dict[str, int] = {}
    for h, col in zip(header, columns):
        h = h or "column"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        yield h, col
