"""Arrow tables of text: payload records and inferred JSON types made text, and the memory pool.

Every column of an inbound table is text exactly as sent until the loader types the few that
are not (``received_at``, ``NumMedia``); numbers a JSON poster sent keep their JSON spelling
(``1`` stays ``"1"``), nested values become JSON text.

>>> records_table([{"From": "+14155550123", "NumMedia": 1}]).to_pylist()
[{'From': '+14155550123', 'NumMedia': '1'}]
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "TEXT",
    "arrow_allocations",
    "arrow_pool",
    "concat_text_tables",
    "records_table",
    "text_columns",
]

#: The Arrow type of every text column: pandas' ``str`` keeps text as large_string, so text
#: read as that from the start is never copied on its way into the frame.
TEXT = pa.large_string()


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
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def records_table(records: list[dict]) -> pa.Table:
    """Records (dicts) as a table of text columns; the listener's envelope is unwrapped."""
    keys: dict[str, None] = {}
    rows = []
    for rec in records:
        payload = rec.get("payload")
        if isinstance(payload, dict):
            rec = {**{k: v for k, v in rec.items() if k != "payload"}, **payload}
        row = {k: _text(v) for k, v in rec.items()}
        keys.update(dict.fromkeys(row))
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=pa.schema([(k, TEXT) for k in keys]))


def text_columns(table: pa.Table) -> pa.Table:
    """Every column as text (``large_string``, what pandas keeps): numbers as JSON wrote them,
    nested values as JSON text."""
    if "payload" in table.column_names and pa.types.is_struct(table.schema.field("payload").type):
        table = _unwrap_struct(table)
    cols, names = [], []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        if pa.types.is_large_string(t):
            pass
        elif pa.types.is_null(t):
            col = pa.nulls(len(col), TEXT)
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
    """Stack tables whose columns differ (missing columns become missing values)."""
    tables = [text_columns(t) for t in tables if t.num_columns]
    if not tables:
        return pa.table({})
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="default")
