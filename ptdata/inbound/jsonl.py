"""JSON lines into an Arrow table of text, a chunk of whole lines at a time, bad lines skipped.

Each chunk (about ``BLOCK_BYTES`` of whole lines) goes through pyarrow's JSON reader, a few
blocks at once on its threads, while the next chunk is read from the file. When the reader
stops at a line (torn JSON, a lone surrogate), the chunk is read again in one block so the
error names the row; that line is checked in Python, skipped with its reason when it is bad
(kept through the slow path when it is only unusual), and the reader goes on after it. Text
that is not UTF-8 is found by checking each chunk's bytes (and in a chunk that fails, the
table read from it). So a bad line costs about one more parse of its chunk, and memory stays
bounded by the chunk size however many lines are bad.

The reader is told every field name it may meet and refuses others, never inferring them:
it would give each new name a column as long as its whole piece, so one line with a thousand
names, or lines bringing new ones all along, would cost gigabytes. A piece holding a name it
was not told is halved until the lines with new names are in pieces of ``_SMALL_PIECE``,
which go through Python (:func:`ptdata.inbound.columns.records_table` gives the first names
columns, the rest share ``extra_fields``); a name on at least a tenth of such a piece's lines
is told to the reader from then on (with the JSON type it had), so a sender's own fields
cost Python once, at the start. A field that turns up with another JSON type than the reader
was told (a JSON poster's ``1`` where form posts sent ``"1"``) is forgotten and learned again
the same way.

>>> table, skipped = read_jsonl([b'{"From":"+14155550123","Body":"STOP"}\\n{"From":"+1415\\n'])
>>> table.column("Body").to_pylist(), skipped
(['STOP'], [(2, 'torn or invalid JSON')])
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from ptdata.inbound import sources
from ptdata.inbound.columns import (
    TEXT,
    FieldSlots,
    arrow_pool,
    concat_text_tables,
    records_table,
    text_columns,
)
from ptdata.inbound.schema import INTEGER_FIELDS, META_FIELDS, TEXT_FIELDS

__all__ = ["MAX_DEPTH", "check_line", "check_payload", "read_jsonl"]

#: Fields the JSON reader is told from the start, as text (form posts send NumMedia as "1";
#: once a JSON poster's 1 turns up, the field is learned again as a number).
_STRING_FIELDS = (*META_FIELDS, *TEXT_FIELDS, *INTEGER_FIELDS)
#: A piece with field names the reader was not told is halved down to this size; then its
#: lines go through Python.
_SMALL_PIECE = 256 << 10
#: A name on at least this share of such a piece's lines (and two of them) is told to the
#: reader from then on.
_LEARN_SHARE = 0.1
_LEARN_SAMPLE = 2000  # lines of a piece looked at for that
#: Lines nested deeper are skipped (a payload nests two or three levels; pyarrow's reader
#: crashes the process somewhere past ten thousand).
MAX_DEPTH = 100
_MAX_RESTARTS = 64  # per chunk; then its remaining lines go through the slow path
_CHANGED = re.compile(r"Column\(/([^/)]+)[^)]*\) changed from")
_ROW = re.compile(r" in row (\d+)\s*$")
_BAD_UTF8 = re.compile(r"Invalid UTF8 sequence at string index (\d+)")
_PARSE_BLOCK = 4 << 20  # pyarrow parses a chunk this much at a time, on all cores
_BLANK = b" \t\r"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def check_line(line: bytes) -> tuple[dict | None, str | None]:
    r"""One line as a payload dict, or None and why it cannot be one.

    >>> check_line(b'{"Body": "\\ud83d"}')
    (None, 'text holding a lone surrogate (\\ud83d): not valid Unicode')
    >>> check_line(b'[1, 2]')
    (None, 'a JSON array, not an object')
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    try:
        obj = json.loads(text)
    except RecursionError:
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    except ValueError:
        return None, "torn or invalid JSON"
    if not isinstance(obj, dict):
        kind = {list: "array", str: "string", bool: "true/false", type(None): "null"}
        return None, f"a JSON {kind.get(type(obj), 'number')}, not an object"
    if _SURROGATE_ESCAPE.search(line) is None and line.count(b"{") + line.count(b"[") <= MAX_DEPTH:
        return obj, None  # UTF-8 text holds a lone surrogate only through such an escape
    why = check_payload(obj)
    return (None, why) if why else (obj, None)


def check_payload(obj: dict) -> str | None:
    r"""Why a parsed payload cannot be kept (text that is not Unicode, nested too deep), or None.

    >>> check_payload({"Body": "fine \U0001F600"}) is None
    True
    """
    if _depth(obj) > MAX_DEPTH:
        return f"JSON nested more than {MAX_DEPTH} levels deep"
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        return f"text holding a lone surrogate (\\u{code:04x}): not valid Unicode"
    return None


def _depth(obj) -> int:
    deepest, todo = 0, [(obj, 1)]
    while todo:
        value, level = todo.pop()
        deepest = max(deepest, level)
        if isinstance(value, dict):
            todo.extend((v, level + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            todo.extend((v, level + 1) for v in value if isinstance(v, (dict, list)))
    return deepest


def read_jsonl(
    source, *, whole_document=None, slots: FieldSlots | None = None
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """JSON lines from ``source`` (a :class:`~ptdata.inbound.sources.DumpSource`, or byte
    strings): a table of text columns and the skipped lines (line number, reason).
    ``whole_document(data)`` may read a file that fits in one chunk and fails as JSON lines
    another way (a pretty-printed object); it returns a table or None. ``slots`` says which
    field names get columns (shared by the files of one load).
    """
    skipped: list[tuple[int, str]] = []
    free: list[bytearray] = []  # the chunk buffer, read into again once parsed
    fields = _Fields(slots if slots is not None else FieldSlots())
    out: list[pa.Table] = []
    with _filler(source) as fill:
        chunks = _line_chunks(fill, skipped, free)
        first = next(chunks, None)
        second = None if first is None else next(chunks, None)
        if second is None:  # the whole file in one chunk: it may be one JSON document
            if first is not None:
                out, bad = _parse_chunk(*first[:4], fields, whole_document)
                skipped.extend((first[4] + i, why) for i, why in bad)
        else:  # the next chunk is read from the file while this one is parsed
            with ThreadPoolExecutor(1, thread_name_prefix="ptdata-jsonl") as pool:
                pending = None
                for buf, start, stop, lines, first_line in _chain(first, second, chunks):
                    job = pool.submit(_parse_chunk, buf, start, stop, lines, fields)
                    if pending is not None:
                        _collect(*pending, out, skipped, free)
                    pending = job, buf, first_line
                    del buf
                if pending is not None:
                    _collect(*pending, out, skipped, free)
    skipped.sort()
    return concat_text_tables(out), skipped


def _collect(job: Future, buf: bytearray, first_line: int, out, skipped, free) -> None:
    """A parsed chunk's tables and skipped lines; its buffer is free to read into again."""
    tables, bad = job.result()
    out.extend(tables)
    skipped.extend((first_line + i, why) for i, why in bad)
    free.append(buf)


@contextlib.contextmanager
def _filler(source):
    if hasattr(source, "filler"):
        with source.filler() as fill:
            yield fill
        return
    data = memoryview(b"".join(source))

    def fill(view: memoryview) -> int:
        nonlocal data
        n = min(len(view), len(data))
        view[:n] = data[:n]
        data = data[n:]
        return n

    yield fill


def _chain(*items_then_iterator) -> Iterator:
    *items, rest = items_then_iterator
    yield from items
    yield from rest


def _line_chunks(
    fill, skipped: list, free: list[bytearray]
) -> Iterator[tuple[bytearray, int, int, int, int]]:
    """Chunks of whole lines as (buffer, start, end, how many lines, number of the first
    line); a line longer than a chunk is skipped (and recorded), never kept. The file is read
    straight into the buffers (taken from ``free`` when there are some to reuse)."""
    size = sources.BLOCK_BYTES
    carry = b""
    line_no = 1
    overlong: int | None = None
    while True:
        buf = free.pop() if free else bytearray(2 * size)
        buf[: len(carry)] = carry
        n = fill(memoryview(buf)[len(carry) : len(carry) + size])
        if not n:
            break
        start, total = 0, len(carry) + n
        if overlong is not None:  # still inside a line too long to keep
            nl = buf.find(b"\n", 0, total)
            if nl < 0:
                carry = b""
                free.append(buf)
                continue
            skipped.append((overlong, f"a line longer than {size >> 20} MiB: not a payload"))
            line_no, overlong, start = overlong + 1, None, nl + 1
        cut = buf.rfind(b"\n", start, total) + 1
        carry = bytes(buf[max(cut, start) : total])
        if cut:
            lines = _count(buf, start, cut, 10)
            yield buf, start, cut, lines, line_no
            line_no += lines
        else:
            free.append(buf)
        del buf
        if len(carry) > size:
            overlong, carry = line_no, b""
    if overlong is not None:
        skipped.append((overlong, f"a line longer than {size >> 20} MiB: not a payload"))
    elif carry.strip(_BLANK):
        yield bytearray(carry), 0, len(carry), 0, line_no


def _count(data: bytearray, start: int, stop: int, byte: int) -> int:
    """How many times ``byte`` occurs in ``data[start:stop]`` (numpy: ~3x ``bytearray.count``)."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint8, stop - start, start) == byte))


class _Lines:
    """Where each line of a chunk starts and ends, and which lines hold a JSON row."""

    def __init__(self, view: memoryview) -> None:
        arr = np.frombuffer(view, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        self.starts = np.concatenate(([0], nl + 1))
        self.ends = np.concatenate((nl, [len(arr)]))  # where each line's newline is
        lengths = self.ends - self.starts
        blank = lengths == 0
        for i in np.flatnonzero((lengths > 0) & (lengths <= 8)):  # "\r", a few spaces
            blank[i] = not bytes(view[self.starts[i] : self.ends[i]]).strip(_BLANK)
        self.rows = np.flatnonzero(~blank)  # the line of each JSON row
        self.row_starts = self.starts[self.rows]
        self.view = view

    def line(self, i: int) -> bytes:
        return bytes(self.view[self.starts[i] : self.ends[i]])

    def line_of_row(self, pos: int, row: int) -> int | None:
        """The line holding the ``row``-th JSON row counted from byte ``pos`` (a line start)."""
        k = int(np.searchsorted(self.row_starts, pos)) + row
        return int(self.rows[k]) if k < len(self.rows) else None

    def between(self, pos: int, stop: int) -> range:
        """The lines starting in ``[pos, stop)``."""
        lo = int(np.searchsorted(self.starts, pos))
        return range(lo, int(np.searchsorted(self.starts, stop)))

    def middle(self, pos: int, stop: int) -> int | None:
        """The start of a line about halfway through ``[pos, stop)``, if one is inside it."""
        k = int(np.searchsorted(self.starts, (pos + stop) // 2))
        if k < len(self.starts) and pos < self.starts[k] < stop:
            return int(self.starts[k])
        return None


class _BadRow(Exception):
    def __init__(self, row: int | None) -> None:
        self.row = row


class _NewNames(_BadRow):
    """The piece holds a field name the reader was not told (pyarrow does not say where)."""

    def __init__(self) -> None:
        super().__init__(None)


class _Fields:
    """What the JSON reader is told: every field name it may meet, with its Arrow type."""

    def __init__(self, slots: FieldSlots) -> None:
        self.slots = slots
        self.types: dict[str, pa.DataType] = dict.fromkeys(_STRING_FIELDS, TEXT)
        self.dense = False  # the last refused piece went mostly through Python

    def learn(self, records: list[dict]) -> None:
        """Names on a tenth of ``records`` (and two of them) that get a column and have one
        JSON type are told to the reader from now on; the rest stay with Python. Objects
        stay with Python (the reader would add the keys a line lacks, as nulls, and put them
        in its own order), except the listener's old ``payload`` envelope, unwrapped into
        columns."""
        records = records[:_LEARN_SAMPLE]
        need = max(2, math.ceil(len(records) * _LEARN_SHARE))
        counts = Counter(name for rec in records for name in rec)
        for name, n in counts.items():
            if n < need or name in self.types:
                continue
            values = [rec[name] for rec in records if rec.get(name) is not None]
            typ = _arrow_type(values, objects=name == "payload")
            if typ is None:
                continue
            if name == "payload" and pa.types.is_struct(typ):  # the envelope's fields
                if not all([self.slots.admit(f.name) for f in typ]):
                    continue
            elif not self.slots.admit(name):
                continue
            self.types[name] = typ


def _arrow_type(values: list, *, objects: bool = False) -> pa.DataType | None:
    """The type for the JSON reader to read these JSON values as, or None when they have
    none (``"a"`` here, ``1`` there) or hold objects (unless ``objects``)."""
    if not values:
        return None
    if all(isinstance(v, str) for v in values):
        return TEXT
    try:
        typ = pa.array(values).type
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    if pa.types.is_null(typ) or (not objects and _has_struct(typ)):
        return None
    return typ


def _has_struct(typ: pa.DataType) -> bool:
    if pa.types.is_struct(typ):
        return True
    return any(_has_struct(typ.field(i).type) for i in range(typ.num_fields))


class _Chunk:
    """One chunk being read: what it gave so far, in line order."""

    def __init__(self, data: bytearray, start: int, stop: int, fields: _Fields) -> None:
        self.view = memoryview(data)[start:stop]
        self.fields = fields
        self._lines: _Lines | None = None
        self.out: list[pa.Table] = []
        self.records: list[dict] = []
        self.skipped: list[tuple[int, str]] = []

    @property
    def lines(self) -> _Lines:
        if self._lines is None:
            self._lines = _Lines(self.view)
        return self._lines

    def add(self, table: pa.Table) -> None:
        if self.records:
            self.out.append(records_table(self.records, self.fields.slots))
            self.records = []
        self.out.append(table)

    def check(self, i: int) -> bool:
        """Line ``i`` through Python: a payload is kept, a bad line skipped; True if kept."""
        line = self.lines.line(i)
        if not line.strip(_BLANK):
            return False
        obj, why = check_line(line)
        if obj is None:
            self.skipped.append((i, why or "not a payload"))
            return False
        self.records.append(obj)
        return True

    def slow(self, pos: int, stop: int) -> None:
        """The lines starting in ``[pos, stop)`` through Python; the reader learns from them."""
        kept = len(self.records)
        for i in self.lines.between(pos, stop):
            self.check(i)
        self.fields.learn(self.records[kept:])

    def halve(self, pos: int, stop: int, *, utf8: bool) -> None:
        """``[pos, stop)``, which the reader refused (it holds names the reader was not told,
        or a bad line): its halves are read apart, halved again while refused, and the
        pieces down to ``_SMALL_PIECE`` that are still refused go through Python. After a
        piece that went mostly through Python, the next is halved once only: when nearly
        every line brings something new, halving further costs parses and finds nothing."""
        todo = [(pos, stop, 0)]  # (start, stop, halvings so far: the reader tries all but 0)
        most = 1 if self.fields.dense else 64
        slow = 0
        while todo:
            a, b, depth = todo.pop()
            if depth:
                try:
                    self.add(_parse(self.view[a:b], self.fields, utf8=utf8, find_row=False))
                    continue
                except _BadRow:
                    pass
            mid = self.lines.middle(a, b) if b - a > _SMALL_PIECE and depth < most else None
            if mid is None:
                self.slow(a, b)
                slow += b - a
            else:
                todo += [(mid, b, depth + 1), (a, mid, depth + 1)]
        self.fields.dense = 2 * slow > stop - pos

    def finish(self) -> list[pa.Table]:
        self.add(pa.table({}))
        return [t for t in self.out if t.num_columns]


def _parse_chunk(
    data: bytearray, start: int, stop: int, newlines: int, fields: _Fields, whole_document=None
) -> tuple[list[pa.Table], list[tuple[int, str]]]:
    """One chunk of whole lines: its tables (in line order) and the skipped lines (index in
    the chunk, reason); ``fields`` learns the names it brings."""
    chunk = _Chunk(data, start, stop, fields)
    view, end = chunk.view, stop - start
    barriers = _too_deep(chunk, data, start, stop, newlines)  # skipped; kept from pyarrow
    utf8 = _valid_utf8(view)  # then so is every piece of it cut at a line start
    pos, restarts = 0, 0
    while pos < end:
        barrier = next((i for i in barriers if chunk.lines.starts[i] >= pos), None)
        limit = end if barrier is None else int(chunk.lines.starts[barrier])
        if pos < limit and restarts > _MAX_RESTARTS:
            chunk.slow(pos, limit)
        elif pos < limit:
            try:
                chunk.add(_parse(view[pos:limit], fields, utf8=utf8))
            except _BadRow as bad:
                restarts += 1
                if whole_document is not None:
                    doc = whole_document(bytes(view))
                    if doc is not None:
                        return [doc], []
                    whole_document = None
                if isinstance(bad, _NewNames):
                    chunk.halve(pos, limit, utf8=utf8)
                    pos = limit
                    continue
                line = None if bad.row is None else chunk.lines.line_of_row(pos, bad.row)
                at = limit if line is None else int(chunk.lines.starts[line])
                if line is None or at >= limit:
                    chunk.slow(pos, limit)  # no row to go by
                    pos = limit
                    continue
                if at > pos:  # the lines before it are fine: parse them
                    try:
                        chunk.add(_parse(view[pos:at], fields, utf8=utf8, find_row=False))
                    except _BadRow:
                        chunk.halve(pos, at, utf8=utf8)
                chunk.check(line)
                pos = int(chunk.lines.ends[line]) + 1
                continue
        if barrier is None:
            break
        pos = int(chunk.lines.ends[barrier]) + 1
    return chunk.finish(), chunk.skipped


def _too_deep(chunk: _Chunk, data: bytearray, start: int, stop: int, newlines: int) -> list[int]:
    """Lines nested deeper than ``MAX_DEPTH``, recorded as skipped. Cheap when the chunk has
    about one ``{`` per line, as dumps do: only then can no line be that deep."""
    opened = _count(data, start, stop, 123)  # "{"
    if data.find(b"[", start, stop) >= 0:
        opened += _count(data, start, stop, 91)
    if opened - newlines < MAX_DEPTH:
        return []
    arr = np.frombuffer(chunk.view, dtype=np.uint8)
    brackets = np.flatnonzero((arr == 123) | (arr == 91))
    per_line = np.bincount(np.searchsorted(chunk.lines.ends, brackets))
    deep = []
    for i in np.flatnonzero(per_line > MAX_DEPTH).tolist():
        obj, why = check_line(chunk.lines.line(i))
        if obj is None:
            chunk.skipped.append((i, why or "not a payload"))
            deep.append(i)
    return deep


def _valid_utf8(view: memoryview) -> bool:
    """Whether the bytes are UTF-8 text (Arrow's check, ~10 GB/s)."""
    offsets = pa.py_buffer(np.array([0, len(view)], np.int64))
    text = pa.Array.from_buffers(TEXT, 1, [None, offsets, pa.py_buffer(view)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _parse(
    view, fields: _Fields, *, whole: bool = False, utf8: bool = False, find_row: bool = True
) -> pa.Table:
    """pyarrow's JSON reader on a piece of a chunk, a few blocks at once on its threads, told
    every field name (refusing others: :class:`_NewNames`); after another failure, again in
    one block so the failure names the row within the piece (unless not ``find_row``). A
    field met with another JSON type than the reader was told is forgotten (and learned
    again from the lines that go through Python).
    ``utf8``: the bytes are known to be UTF-8, so the strings read from them are too (JSON
    escapes decode to UTF-8 or fail the parse). Raises :class:`_BadRow`."""
    block = max(len(view) + 1, 1 << 16) if whole else _PARSE_BLOCK
    types = fields.types
    while True:  # each turn forgets a field, so this ends
        opts = pj.ParseOptions(
            explicit_schema=pa.schema(list(types.items())), unexpected_field_behavior="error"
        )
        try:
            table = pj.read_json(
                pa.BufferReader(pa.py_buffer(view)),
                parse_options=opts,
                read_options=pj.ReadOptions(block_size=block, use_threads=not whole),
                memory_pool=arrow_pool(),
            )
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "Empty JSON file" in msg:
                return pa.table({})
            if "unexpected field" in msg:
                raise _NewNames from None
            m = _CHANGED.search(msg)
            if m and m.group(1) in types:  # a field met with another JSON type is forgotten:
                del types[m.group(1)]  # its lines go through Python, which learns it again
                continue  # (as the type it has now, if it keeps one): no restart per line
            if not find_row:
                raise _BadRow(None) from None
            if not whole:  # the row it names counts from its block: ask one block
                return _parse(view, fields, whole=True, utf8=utf8)
            row = _ROW.search(msg)
            raise _BadRow(int(row.group(1)) if row else None) from None
        try:
            if not utf8:
                table.validate(full=True)  # the reader does not check that text is UTF-8
        except pa.ArrowInvalid as exc:
            if not find_row:
                raise _BadRow(None) from None
            if not whole:
                return _parse(view, fields, whole=True, utf8=utf8)
            bad = _BAD_UTF8.search(str(exc))
            raise _BadRow(int(bad.group(1)) if bad else None) from None
        try:
            return text_columns(table)
        except (UnicodeDecodeError, RecursionError):  # a field name that is not UTF-8 ...
            raise _BadRow(None) from None
