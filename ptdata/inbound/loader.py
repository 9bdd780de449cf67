"""Load webhook dumps into the typed inbound frame: ``ptdata.load_inbound(path_or_paths)``.

Accepts the listener's dumps and exports from elsewhere: JSON lines (one payload per line,
flat, or ``{"received_at": ..., "payload": {...}}``), a JSON array, CSV exports, form-encoded
lines (``From=%2B14155550123&Body=STOP``); a file, a list of files, a folder or a glob;
gzip too. Text stays exactly as sent (``+14155550123``, ZIP ``02134``); ``received_at`` is
UTC; ``NumMedia`` is an integer; extra fields are kept as text columns (the first 100 extra
names in the order they turn up; any further ones per row, as JSON text, in ``extra_fields``).

Duplicate deliveries (the same ``MessageSid``/``SmsSid``) keep their first copy. A bad line
(torn JSON, text that is not UTF-8 or holds a lone surrogate, a JSON value that is not an
object, nesting deeper than 100 levels) is skipped, never fatal: what was skipped (count,
file, line numbers, why) is in ``frame.attrs["ptdata.load"]`` and logged on the
``ptdata.inbound`` logger (no Python warnings); everything else loads, so ``opt_outs`` and
``send --suppress`` still see every good STOP. ``errors="raise"`` stops at the first bad line.

JSON lines (gzip too) are read streaming, a chunk of whole lines at a time, never
memory-mapped: a bad line costs what a good one does, a file that shrinks while it is read
raises :class:`InboundLoadError`, and a ``.gz`` that expands more than 100 times is refused.

>>> import ptdata
>>> inbound = ptdata.load_inbound("sample_data/inbound_sms.jsonl")
>>> inbound[["received_at", "From", "Body"]].head(2)          # doctest: +SKIP
>>> inbound.attrs["ptdata.load"]["skipped"]                     # torn/invalid lines
0
"""

from __future__ import annotations

import glob
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.api.errors import UsageError
from ptdata.inbound.columns import (
    EXTRA_FIELDS,
    TEXT,
    FieldSlots,
    arrow_allocations,
    arrow_pool,
    concat_text_tables,
    null_text,
)
from ptdata.inbound.readers import Part, read_file
from ptdata.inbound.schema import (
    INTEGER_FIELDS,
    KINDS,
    STANDARD_COLUMNS,
    empty_inbound_frame,
)
from ptdata.inbound.sources import InboundLoadError

__all__ = ["InboundLoadError", "format_load_report", "frame_from_records", "load_inbound"]

logger = logging.getLogger("ptdata.inbound")

#: Suffixes a folder is searched for (each also as ``.gz``).
DUMP_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".txt", ".form")
#: Where the receive time may be when a source has no ``received_at`` (exports from elsewhere).
_TIME_ALIASES = (
    "ReceivedAt",
    "receivedAt",
    "DateReceived",
    "date_received",
    "DateSent",
    "date_sent",
    "DateCreated",
    "date_created",
    "timestamp",
    "Timestamp",
)
_MAX_LISTED = 20


def load_inbound(path_or_paths, *, errors: str = "report") -> pd.DataFrame:
    """Load inbound SMS/MMS payloads (dumps, exports) into one typed, de-duplicated frame.

    ``path_or_paths``: a file, a folder (every dump-like file in it, recursively), a glob
    (``"dumps/*.jsonl.gz"``) or a list of those. ``errors="report"`` (default) skips torn or
    invalid lines and reports them in ``frame.attrs["ptdata.load"]``; ``"raise"`` raises
    :class:`InboundLoadError` at the first one.

    >>> frame = load_inbound(["dumps/monday.jsonl", "exports/"])   # doctest: +SKIP
    >>> print(format_load_report(frame.attrs["ptdata.load"]))       # doctest: +SKIP
    """
    if errors not in ("report", "raise"):
        raise UsageError(f"errors must be 'report' or 'raise', not {errors!r}")
    files = resolve_paths(path_or_paths)
    slots = FieldSlots()
    with arrow_allocations():
        parts = [read_file(f, slots) for f in files]
        if errors == "raise":
            for part in parts:
                if part.skipped:
                    line, why = part.skipped[0]
                    raise InboundLoadError(
                        f"{part.file}, line {line}: {why}. Fix or delete that line, or load "
                        "with errors='report' to skip it."
                    )
        frame, report = build_frame(parts, slots)
    if report["skipped"] or report["problems"]:
        logger.warning("%s", format_load_report(report))
    frame.attrs["ptdata.load"] = report
    return frame


def frame_from_records(records: list[dict]) -> pd.DataFrame:
    """The typed inbound frame from payload dicts (as the listener would have dumped them).

    >>> frame_from_records(  # doctest: +SKIP
    ...     [{"From": "+14155550123", "Body": "STOP", "SmsSid": "SM1"}]
    ... )
    """
    from ptdata.inbound.columns import records_table

    slots = FieldSlots()
    frame, report = build_frame([Part("<records>", records_table(list(records), slots))], slots)
    frame.attrs["ptdata.load"] = report
    return frame


# -- inputs -----------------------------------------------------------------------------------


def resolve_paths(path_or_paths) -> list[Path]:
    """The files a path, folder, glob or list of those names, in a stable order."""
    items = (
        [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    )
    if not items:
        raise FileNotFoundError("load_inbound: no files given")
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and _is_dump_name(f.name)
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise FileNotFoundError(
                    f"{p}: no dump files in this folder (looked for {', '.join(DUMP_SUFFIXES)}"
                    " and .gz)"
                )
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif any(c in str(item) for c in "*?["):
            found = sorted(
                Path(f) for f in glob.glob(str(item), recursive=True) if Path(f).is_file()
            )
            if not found:
                raise FileNotFoundError(f"no files match {str(item)!r}")
            files.extend(found)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return files


def _is_dump_name(name: str) -> bool:
    low = name.lower()
    low = low[:-3] if low.endswith(".gz") else low
    return low.endswith(DUMP_SUFFIXES)


# -- typing -----------------------------------------------------------------------------------


def build_frame(parts: list[Part], slots: FieldSlots) -> tuple[pd.DataFrame, dict]:
    """The typed inbound frame from the files' tables, and the load report (``slots``: the
    field names the readers gave columns, and those they kept in ``extra_fields``).

    The parts' tables are handed over (``part.table`` becomes None) so each column can be
    freed as soon as it is in the frame: a million payloads never exist twice in memory.
    """
    tables = [p.table for p in parts]
    for p in parts:
        p.table = None
    table = concat_text_tables(tables)
    del tables
    read = table.num_rows
    skipped_lines = {p.file: [line for line, _ in p.skipped] for p in parts if p.skipped}
    problems = [f"{p.file}, line {line}: {why}" for p in parts for line, why in p.skipped]
    problems += [f"{p.file}: {note}" for p in parts for note in p.problems]
    counts: dict[str, int] = {}
    if read == 0:
        frame = empty_inbound_frame()
        duplicates = 0
    else:
        columns = dict(zip(table.column_names, table.columns, strict=True))
        # finding repeated deliveries (hashing every sid) overlaps with typing the few
        # non-text columns: both run in Arrow without the GIL
        with ThreadPoolExecutor(1, thread_name_prefix="ptdata-dedupe") as pool:
            pending = pool.submit(_first_deliveries, table)
            del table
            typed = _typed_columns(columns, read, counts)
            keep, duplicates = pending.result()
        frame = _to_frame(columns, typed, keep)
    report = {
        "files": [p.file for p in parts],
        "read": read,
        "rows": len(frame),
        "duplicates": duplicates,
        "skipped": sum(len(p.skipped) for p in parts),
        "skipped_lines": skipped_lines,
        "problems": problems[:_MAX_LISTED]
        + ([f"... and {len(problems) - _MAX_LISTED} more"] if len(problems) > _MAX_LISTED else []),
        "bad_received_at": counts.get("received_at", 0),
        "bad_integers": {k: v for k, v in counts.items() if k in INTEGER_FIELDS},
        "folded_fields": len(slots.folded),
        "folded_field_names": list(slots.folded)[:_MAX_LISTED],
    }
    if slots.folded:
        names = ", ".join(list(slots.folded)[:5]) + (", ..." if len(slots.folded) > 5 else "")
        report["problems"].append(
            f"{len(slots.folded):,} field name(s) beyond the first {slots.cap} extra ones"
            f" ({names}) are kept per row as JSON text in the {EXTRA_FIELDS} column"
        )
    for name, n in report["bad_integers"].items():
        report["problems"].append(
            f"{n} row(s) have a {name} that is not a whole number (left empty)"
        )
    if report["bad_received_at"]:
        report["problems"].append(
            f"{report['bad_received_at']} row(s) have a received_at that is not a date and time"
            " (left empty)"
        )
    return frame, report


def _blank_to_null(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)


def _first_deliveries(table: pa.Table) -> tuple[np.ndarray | None, int]:
    """Which rows to keep (a boolean mask): the first delivery of each MessageSid/SmsSid (and
    every row with neither); None when there is nothing to drop."""
    names = table.column_names
    message = table.column("MessageSid") if "MessageSid" in names else None
    sms = table.column("SmsSid") if "SmsSid" in names else None
    if message is None and sms is None:
        return None, 0
    if message is not None and pc.any(pc.equal(message, "")).as_py():
        message = _blank_to_null(message)  # an empty MessageSid must not hide the SmsSid
    if message is None or message.null_count == len(message):
        key = sms
    elif sms is None:
        key = message
    elif pc.all(
        pc.or_kleene(pc.is_null(message), pc.equal(message, sms)), skip_nulls=False
    ).as_py():
        key = sms  # Twilio's MMS carry MessageSid == SmsSid: no need to build a copy
    else:
        key = pc.coalesce(message, sms)
    encoded = pc.dictionary_encode(key).combine_chunks()
    del key
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    blank = pc.index(encoded.dictionary, "").as_py()
    if blank >= 0:
        codes[codes == blank] = -1  # rows whose sid is empty are never duplicates
    # codes number the distinct sids in order of first appearance, so a row is a first
    # delivery exactly when its code is above every code before it (no sort needed)
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    keep = (codes > seen) | (codes < 0)
    duplicates = int(len(keep) - np.count_nonzero(keep))
    return (keep if duplicates else None), duplicates


def _typed_columns(
    columns: dict[str, pa.ChunkedArray], n: int, counts: dict[str, int]
) -> dict[str, pd.Series]:
    """received_at and the integer fields as pandas Series, for every row read (before
    dedupe); ``kind`` is put back into ``columns`` as text, sms or mms on every row."""
    names = list(columns)
    typed: dict[str, pd.Series] = {
        name: _integers(columns.pop(name), counts, name) for name in INTEGER_FIELDS if name in names
    }
    typed["received_at"] = _received_at(
        {k: columns[k] for k in names if k == "received_at" or k in _TIME_ALIASES}, n, counts
    )
    columns.pop("received_at", None)
    media = [columns[k] for k in ("mediaURL", "MediaUrl0") if k in names]
    columns["kind"] = _kind(columns.pop("kind", None), typed.get("NumMedia"), media, n)
    return typed


#: Dropped duplicates leave the kept text where it is (a chunk per run of kept rows) while
#: the runs average at least this many rows; more scattered drops copy the kept rows.
_MIN_MEAN_RUN = 256


def _kept_runs(mask: np.ndarray) -> list[tuple[int, int]] | None:
    """(start, length) of each run of kept rows, or None when they are too many and short."""
    edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    if len(starts) * _MIN_MEAN_RUN > len(mask):
        return None
    lengths = np.flatnonzero(edges == -1) - starts
    return list(zip(starts.tolist(), lengths.tolist(), strict=True))


def _keep_rows(columns: dict[str, pa.ChunkedArray], mask: np.ndarray) -> None:
    """Only the kept rows of every column, in place: zero-copy slices of the table's record
    batches when the runs are long (one slice per run and batch, not per run and column),
    else a copy made a column at a time (so only one column is ever held twice)."""
    runs = _kept_runs(mask)
    if runs is None:
        keep = pa.array(mask)
        for name in list(columns):
            col = columns.pop(name)
            columns[name] = _sparse_filter(col, mask) if col.null_count else col.filter(keep)
        return
    table = pa.table(columns)
    columns.clear()
    table = pa.Table.from_batches(_run_slices(table.to_batches(), runs), table.schema)
    columns.update(zip(table.column_names, table.columns, strict=True))


def _sparse_filter(col: pa.ChunkedArray, mask: np.ndarray) -> pa.ChunkedArray:
    """The kept rows of a column with missing values: a chunk of nothing but missing values
    stays that (:func:`null_text`, no memory per row), the others are filtered."""
    chunks, at = [], 0
    for chunk in col.chunks:
        m = mask[at : at + len(chunk)]
        at += len(chunk)
        if chunk.null_count == len(chunk):
            chunks.append(null_text(int(np.count_nonzero(m))))
        else:
            chunks.append(chunk.filter(pa.array(m)))
    return pa.chunked_array(chunks, col.type)


def _run_slices(batches: list[pa.RecordBatch], runs: list[tuple[int, int]]):
    """The rows of ``runs`` as slices of ``batches``, walking both in order (slicing a table
    seeks each slice's first chunk from the start: 3 s for 10M rows in 1,300 chunks)."""
    ends = np.cumsum([b.num_rows for b in batches]).tolist()
    i = 0
    for start, n in runs:
        stop = start + n
        while start < stop:
            while ends[i] <= start:
                i += 1
            take = min(stop, ends[i]) - start
            yield batches[i].slice(start - (ends[i] - batches[i].num_rows), take)
            start += take


def _to_frame(
    columns: dict[str, pa.ChunkedArray], typed: dict[str, pd.Series], mask: np.ndarray | None
) -> pd.DataFrame:
    """The frame in the standard column order; each text column leaves ``columns`` as it
    enters the frame (only the first deliveries: a few dropped rows cost no copy of the
    text, see :func:`_kept_runs`)."""
    if mask is not None:
        _keep_rows(columns, mask)
        kept = np.flatnonzero(mask)
        typed = {k: v.take(kept).reset_index(drop=True) for k, v in typed.items()}
    n = len(columns["kind"])
    out: dict[str, object] = {}
    for name in STANDARD_COLUMNS:
        if name in typed:
            out[name] = typed[name]
        elif name in INTEGER_FIELDS:
            out[name] = pd.Series(pd.NA, index=range(n), dtype="Int64")
        elif name in columns:
            out[name] = _text_series(columns.pop(name))
        else:
            out[name] = pd.Series(np.nan, index=range(n), dtype=_TEXT)
    for name in list(columns):
        out[name] = _text_series(columns.pop(name))
    return pd.DataFrame(out, copy=False)  # typed as INBOUND_SCHEMA says (tests check it)


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def _text_series(col: pa.ChunkedArray) -> pd.Series:
    """A pandas ``str`` Series over the column (already large_string: no copy)."""
    if col.type != TEXT:
        col = pc.cast(col, TEXT, memory_pool=arrow_pool())
    return pd.Series(col.to_pandas(types_mapper={pa.large_string(): _TEXT}.get), copy=False)


def _integers(col: pa.ChunkedArray, counts: dict[str, int], name: str) -> pd.Series:
    """Whole numbers >= 0 as ``Int64``; anything else is left missing and counted."""
    try:
        ints = pc.cast(col, pa.int64())  # clean digits: no copy of the text first
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        col = _blank_to_null(pc.utf8_trim_whitespace(col))
        try:
            ints = pc.cast(col, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            s = pd.to_numeric(pd.Series(col.to_pylist(), dtype=object), errors="coerce")
            whole = s.notna() & (s == s.round()) & (s >= 0)
            counts[name] = int(
                (col.is_valid().to_numpy(zero_copy_only=False) & ~whole.to_numpy()).sum()
            )
            return s.where(whole).astype("Int64")
    neg = pc.less(ints, 0)
    bad = int(pc.sum(neg).as_py() or 0)
    if bad:
        counts[name] = bad
        ints = pc.if_else(neg, pa.scalar(None, pa.int64()), ints)
    return pd.Series(ints.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), copy=False)


def _received_at(cols: dict[str, pa.ChunkedArray], n: int, counts: dict[str, int]) -> pd.Series:
    dtype = pd.DatetimeTZDtype("us", "UTC")
    source = (
        "received_at"
        if "received_at" in cols
        else next((a for a in _TIME_ALIASES if a in cols), None)
    )
    if source is None:
        return pd.Series(pd.NaT, index=range(n), dtype=dtype)
    col = cols[source]
    for attempt in range(2):  # first as written (the listener's own stamps), then tidied
        try:
            ts = pc.cast(col, pa.timestamp("us", tz="UTC"))
            return pd.Series(ts.to_pandas(), copy=False).astype(dtype)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if attempt == 0:
                col = _blank_to_null(pc.utf8_trim_whitespace(col))
    text = pd.Series(col.to_pandas(), copy=False)
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], utc=True, format="mixed", errors="coerce")
    counts["received_at"] = int((parsed.isna() & text.notna()).sum())
    return parsed.astype(dtype)


def _kind(
    given: pa.ChunkedArray | None,
    num_media: pd.Series | None,
    media_urls: list[pa.ChunkedArray],
    n: int,
) -> pa.ChunkedArray:
    """``sms``/``mms`` as the listener recorded it, else MMS when media came with it."""
    kinds = pa.array(KINDS, TEXT)
    if given is not None and given.null_count == 0 and pc.all(pc.is_in(given, kinds)).as_py():
        return given  # the listener's dumps: nothing to infer
    media = np.zeros(n, dtype=bool)
    if num_media is not None:
        media |= num_media.fillna(0).to_numpy(dtype=np.int64) > 0
    for col in media_urls:
        has = pc.and_(pc.is_valid(col), pc.not_equal(col, ""))
        media |= pc.fill_null(has, False).to_numpy(zero_copy_only=False).astype(bool)
    inferred = pc.if_else(pa.array(media), pa.scalar("mms", TEXT), pa.scalar("sms", TEXT))
    if given is None:
        return pa.chunked_array([inferred])
    given = pc.utf8_lower(pc.utf8_trim_whitespace(given))
    ok = pc.fill_null(pc.is_in(given, value_set=kinds), False)
    return pc.if_else(
        ok, given, pa.chunked_array([inferred]) if isinstance(given, pa.ChunkedArray) else inferred
    )


def format_load_report(report: dict) -> str:
    """A few lines a person reads: rows, duplicates collapsed, lines skipped and where."""
    lines = [
        f"{report['rows']} message(s) from {len(report['files'])} file(s); "
        f"{report['duplicates']} duplicate deliveries collapsed; "
        f"{report['skipped']} torn or invalid line(s) skipped."
    ]
    for file, nums in report.get("skipped_lines", {}).items():
        shown = ", ".join(map(str, nums[:_MAX_LISTED])) + (
            " ..." if len(nums) > _MAX_LISTED else ""
        )
        lines.append(f"  skipped in {file}: line(s) {shown}")
    lines += [f"  {p}" for p in report.get("problems", []) if ", line " not in p]
    return "\n".join(lines)
