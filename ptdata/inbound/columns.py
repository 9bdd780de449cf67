"""Arrow tables of text: payload records and inferred JSON types made text, and the memory pool.

Every column of an inbound table is text exactly as sent until the loader types the few that
are not (``received_at``, ``NumMedia``); whole numbers a JSON poster sent keep their JSON
spelling (``1`` stays ``"1"``), other numbers are spelled the shortest way that reads back
the same (``1.50`` and ``1.5`` are ``"1.5"``, ``1.0`` is ``"1"``), nested values become JSON text.

A load gives columns to ptdata's own fields and to the first ``MAX_EXTRA_COLUMNS`` other
field names in the order they turn up (a full Twilio payload has about 40); any further
names are kept per row, as one JSON object of text, in the ``extra_fields`` column. So a line
with a thousand made-up names, or a stream of lines each bringing new ones, costs what its
bytes cost, not a column per name for every row. A column a row lacks is a missing value that
shares one buffer of zeros with every other, so sparse columns cost no memory per row.

>>> records_table([{"From": "+14155550123", "NumMedia": 1}]).to_pylist()
[{'From': '+14155550123', 'NumMedia': '1'}]
>>> slots = FieldSlots(cap=1)
>>> records_table([{"From": "+1", "Zip": "02134", "Note": "hi", "n": 2}], slots).to_pylist()
[{'From': '+1', 'Zip': '02134', 'extra_fields': '{"Note":"hi","n":2}'}]
>>> slots.folded
{'Note': 1, 'n': 1}
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ptdata.inbound.schema import STANDARD_COLUMNS

__all__ = [
    "EXTRA_FIELDS",
    "MAX_EXTRA_COLUMNS",
    "TEXT",
    "FieldSlots",
    "arrow_allocations",
    "arrow_pool",
    "concat_text_tables",
    "null_text",
    "records_table",
    "text_columns",
]

#: The Arrow type of every text column: pandas' ``str`` keeps text as large_string, so text
#: read as that from the start is never copied on its way into the frame.
TEXT = pa.large_string()

#: Extra field names (beyond ptdata's own) that get a column of their own, per load.
MAX_EXTRA_COLUMNS = 100
#: The column holding, per row, the fields beyond ``MAX_EXTRA_COLUMNS`` as a JSON object.
EXTRA_FIELDS = "extra_fields"
_OWN = frozenset(STANDARD_COLUMNS)


class FieldSlots:
    """Which field names become columns in one load: ptdata's own, then the first ``cap``
    others in the order they turn up. ``folded`` counts, per name turned away, the rows that
    keep it in ``extra_fields`` instead (a payload field called ``extra_fields`` is one)."""

    def __init__(self, cap: int | None = None) -> None:
        self.cap = MAX_EXTRA_COLUMNS if cap is None else cap
        self.columns = set(_OWN)  # every name with a column
        self.folded: dict[str, int] = {}

    def admit(self, name: str) -> bool:
        """Whether ``name`` has (or now gets) a column."""
        if name in self.columns:
            return True
        if name == EXTRA_FIELDS or len(self.columns) - len(_OWN) >= self.cap:
            return False
        self.columns.add(name)
        return True

    def fold(self, fields: dict) -> str:
        """One row's fields without a column, as the JSON text ``extra_fields`` holds."""
        for name in fields:
            self.folded[name] = self.folded.get(name, 0) + 1
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


_ZEROS = pa.py_buffer(b"")
_NO_TEXT = pa.py_buffer(b"")


def null_text(n: int) -> pa.Array:
    """``n`` missing text values, sharing one buffer of zeros (allocated zeroed, so its pages
    cost nothing until read): a column most rows lack costs no memory for those rows."""
    global _ZEROS
    need = (n + 1) * 8
    if _ZEROS.size < need:
        _ZEROS = pa.py_buffer(bytes(max(need, 2 * _ZEROS.size)))
    return pa.Array.from_buffers(TEXT, n, [_ZEROS, _ZEROS, _NO_TEXT], null_count=n)


def arrow_pool() -> pa.MemoryPool:
    """The memory pool for big loads: the C library's allocator, not pyarrow's default.

    Measured on 1M payloads (``benchmarks/bench_inbound.py``'s dump, read streaming, three
    runs each): pyarrow's default allocator (mimalloc here) took 2.8-2.9 s and peaked near
    920 MB, spending ~1.9 s in the kernel; jemalloc (with a decay of 1 s, 5 s or none)
    2.1-2.4 s and ~890 MB, ~0.7 s in the kernel; the system allocator 1.9-2.0 s and 725 MB,
    ~0.5 s in the kernel: it hands big blocks back to the system as soon as they are freed,
    and the chunks a load parses and frees are big blocks.
    """
    return pa.system_memory_pool()


@contextlib.contextmanager
def arrow_allocations() -> Iterator[None]:
    """Route Arrow's allocations through :func:`arrow_pool` for the ``with`` block.

    The JSON reader's scratch buffers come from the default pool whatever ``memory_pool``
    says. Buffers remember the pool they came from, so switching is safe for other threads.
    """
    pool = arrow_pool()
    previous = pa.default_memory_pool()
    if pool is previous or pool.backend_name == previous.backend_name:
        yield
        return
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _text(v) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):  # spelled as the JSON reader's columns spell it (1.0 is "1")
        return pc.cast(pa.scalar(v, pa.float64()), TEXT).as_py()
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def records_table(records: list[dict], slots: FieldSlots | None = None) -> pa.Table:
    """Records (dicts) as a table of text columns; the listener's envelope is unwrapped.
    Fields ``slots`` gives no column go into ``extra_fields`` (a fresh :class:`FieldSlots`
    when none is given)."""
    if slots is None:
        slots = FieldSlots()
    keys: dict[str, None] = {}
    rows = []
    for rec in records:
        payload = rec.get("payload")
        if isinstance(payload, dict):
            rec = {**{k: v for k, v in rec.items() if k != "payload"}, **payload}
        if rec.keys() <= slots.columns:
            row = {k: v if type(v) is str else _text(v) for k, v in rec.items()}
        else:
            row, folded = {}, {}
            for k, v in rec.items():
                if slots.admit(k):
                    row[k] = _text(v)
                else:
                    folded[k] = v
            if folded:
                row[EXTRA_FIELDS] = slots.fold(folded)
        if row.keys() - keys.keys():
            keys.update(dict.fromkeys(row))
        rows.append(row)
    if not keys:
        return pa.table({})
    rows_type = pa.struct([(k, TEXT) for k in keys])  # Arrow reads the dicts: ~2x a column loop
    return pa.Table.from_struct_array(pa.array(rows, rows_type))


def text_columns(table: pa.Table) -> pa.Table:
    """Every column as text (``large_string``, what pandas keeps): numbers as JSON wrote them,
    nested values as JSON text."""
    if "payload" in table.column_names and pa.types.is_struct(table.schema.field("payload").type):
        table = _unwrap_struct(table)
    cols, names = [], []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        if col.null_count == len(col):
            col = null_text(len(col))  # the JSON reader fills a field no line has
        elif pa.types.is_large_string(t):
            pass
        elif (
            pa.types.is_string(t)
            or pa.types.is_integer(t)
            or pa.types.is_boolean(t)
            or pa.types.is_floating(t)
            or pa.types.is_timestamp(t)
        ):
            col = pc.cast(col, TEXT)
        else:
            col = pa.array([_text(v) for v in col.to_pylist()], TEXT)
        cols.append(col)
        names.append(name)
    return pa.table(cols, names=names)


def _unwrap_struct(table: pa.Table) -> pa.Table:
    """``{"received_at": ..., "payload": {...}}`` lines: the payload's fields become columns."""
    i = table.schema.get_field_index("payload")
    payload = table.column(i)
    table = table.remove_column(i)
    for f in payload.type:
        child = pc.struct_field(payload, f.name)
        if f.name in table.column_names:
            j = table.schema.get_field_index(f.name)
            old = table.column(j)
            if old.type == child.type:
                child = pc.coalesce(child, old)
            table = table.remove_column(j)
        table = table.append_column(f.name, child)
    return table


def concat_text_tables(tables: list[pa.Table]) -> pa.Table:
    """Stack tables whose columns differ: a column a table lacks is missing values there
    (:func:`null_text`, so it costs nothing), columns in the order they first turn up."""
    tables = [text_columns(t) for t in tables if t.num_columns]
    if not tables:
        return pa.table({})
    if len(tables) == 1:
        return tables[0]
    names = list(dict.fromkeys(n for t in tables for n in t.column_names))
    filled = []
    for t in tables:
        have = set(t.column_names)
        cols = [t.column(n) if n in have else null_text(t.num_rows) for n in names]
        filled.append(pa.table(cols, names=names))
    return pa.concat_tables(filled)
