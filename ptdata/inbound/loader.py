"""Load webhook dumps into the typed inbound frame: ``ptdata.load_inbound(path_or_paths)``.

Accepts the listener's dumps and exports from elsewhere: JSON lines (one payload per line,
flat, or ``{"received_at": ..., "payload": {...}}``), a JSON array, CSV exports, form-encoded
lines (``From=%2B14155550123&Body=STOP``); a file, a list of files, a folder or a glob;
gzip too. Text stays exactly as sent (``+14155550123``, ZIP ``02134``); ``received_at`` is
UTC; ``NumMedia`` is an integer; extra fields are kept as text columns.

Duplicate deliveries (the same ``MessageSid``/``SmsSid``) keep their first copy. Torn or
invalid lines are skipped, never fatal: what was skipped (count, file, line numbers) is in
``frame.attrs["ptdata.load"]`` and logged on the ``ptdata.inbound`` logger (no Python
warnings). ``errors="raise"`` stops at the first bad line instead.

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
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.inbound.readers import Part, concat_text_tables, read_file
from ptdata.inbound.schema import (
    INBOUND_SCHEMA,
    INTEGER_FIELDS,
    KINDS,
    STANDARD_COLUMNS,
    empty_inbound_frame,
)

__all__ = ["InboundLoadError", "format_load_report", "frame_from_records", "load_inbound"]

logger = logging.getLogger("ptdata.inbound")

#: Suffixes a folder is searched for (each also as ``.gz``).
DUMP_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".txt", ".form")
#: Where the receive time may be when a source has no ``received_at`` (exports from elsewhere).
_TIME_ALIASES = ("ReceivedAt", "receivedAt", "DateReceived", "date_received", "DateSent",
                 "date_sent", "DateCreated", "date_created", "timestamp", "Timestamp")
_MAX_LISTED = 20


class InboundLoadError(ValueError):
    """A dump could not be read (``errors="raise"``), naming the file, the line and the fix."""


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
        raise ValueError(f"errors must be 'report' or 'raise', not {errors!r}")
    files = resolve_paths(path_or_paths)
    parts = [read_file(f) for f in files]
    if errors == "raise":
        for part in parts:
            if part.skipped:
                line, why = part.skipped[0]
                raise InboundLoadError(
                    f"{part.file}, line {line}: {why}. Fix or delete that line, or load with "
                    "errors='report' to skip it."
                )
    frame, report = build_frame(parts)
    if report["skipped"] or report["problems"]:
        logger.warning("%s", format_load_report(report))
    frame.attrs["ptdata.load"] = report
    return frame


def frame_from_records(records: list[dict]) -> pd.DataFrame:
    """The typed inbound frame from payload dicts (as the listener would have dumped them).

    >>> frame_from_records([{"From": "+14155550123", "Body": "STOP", "SmsSid": "SM1"}])  # doctest: +SKIP
    """
    from ptdata.inbound.readers import records_table

    frame, report = build_frame([Part("<records>", records_table(list(records)))])
    frame.attrs["ptdata.load"] = report
    return frame


# -- inputs -----------------------------------------------------------------------------------

def resolve_paths(path_or_paths) -> list[Path]:
    """The files a path, folder, glob or list of those names, in a stable order."""
    items = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    if not items:
        raise FileNotFoundError("load_inbound: no files given")
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and _is_dump_name(f.name)
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
            found = sorted(Path(f) for f in glob.glob(str(item), recursive=True)
                           if Path(f).is_file())
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

def build_frame(parts: list[Part]) -> tuple[pd.DataFrame, dict]:
    """The typed inbound frame from the files' tables, and the load report."""
    table = concat_text_tables([p.table for p in parts])
    read = table.num_rows
    skipped_lines = {p.file: [line for line, _ in p.skipped] for p in parts if p.skipped}
    problems = [f"{p.file}, line {line}: {why}" for p in parts for line, why in p.skipped]
    problems += [f"{p.file}: {note}" for p in parts for note in p.problems]
    counts: dict[str, int] = {}
    if read == 0:
        frame = empty_inbound_frame()
        duplicates = 0
    else:
        table, duplicates = _dedupe(table)
        frame = _to_frame(table, counts)
    report = {
        "files": [p.file for p in parts],
        "read": read,
        "rows": len(frame),
        "duplicates": duplicates,
        "skipped": sum(len(p.skipped) for p in parts),
        "skipped_lines": skipped_lines,
        "problems": problems[:_MAX_LISTED] + (
            [f"... and {len(problems) - _MAX_LISTED} more"] if len(problems) > _MAX_LISTED else []
        ),
        "bad_received_at": counts.get("received_at", 0),
        "bad_integers": {k: v for k, v in counts.items() if k in INTEGER_FIELDS},
    }
    for name, n in report["bad_integers"].items():
        report["problems"].append(f"{n} row(s) have a {name} that is not a whole number (left empty)")
    if report["bad_received_at"]:
        report["problems"].append(
            f"{report['bad_received_at']} row(s) have a received_at that is not a date and time"
            " (left empty)"
        )
    return frame, report


def _blank_to_null(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _dedupe(table: pa.Table) -> tuple[pa.Table, int]:
    """Keep the first delivery of each MessageSid/SmsSid (rows with neither are all kept)."""
    keys = [table.column(k) for k in ("MessageSid", "SmsSid") if k in table.column_names]
    if not keys:
        return table, 0
    key = pc.coalesce(*[_blank_to_null(k) for k in keys]) if len(keys) > 1 else _blank_to_null(keys[0])
    codes = pc.dictionary_encode(key).combine_chunks().indices
    codes_np = codes.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(pc.is_null(codes).to_numpy(zero_copy_only=False), dtype=bool)
    first = np.zeros(len(codes_np), dtype=bool)
    positions = np.flatnonzero(valid)
    _, first_idx = np.unique(codes_np[valid].astype(np.int64), return_index=True)
    first[positions[first_idx]] = True
    keep = first | ~valid
    duplicates = int(len(keep) - keep.sum())
    if duplicates:
        table = table.filter(pa.array(keep))
    return table, duplicates


def _to_frame(table: pa.Table, counts: dict[str, int]) -> pd.DataFrame:
    n = table.num_rows
    names = table.column_names
    ints = {name: _integers(table.column(name), counts, name) for name in INTEGER_FIELDS
            if name in names}
    received = _received_at(table, counts)
    kind = _kind(table, ints.get("NumMedia"))
    extras = [c for c in names if c not in STANDARD_COLUMNS]
    out: dict[str, object] = {}
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    for name in STANDARD_COLUMNS:
        if name == "received_at":
            out[name] = received
        elif name == "kind":
            out[name] = _text_series(kind)
        elif name in INTEGER_FIELDS:
            out[name] = ints.get(name, pd.Series(pd.NA, index=range(n), dtype="Int64"))
        elif name in names:
            out[name] = _text_series(table.column(name))
        else:
            out[name] = pd.Series(np.nan, index=range(n), dtype=text)
    for name in extras:
        out[name] = _text_series(table.column(name))
    frame = pd.DataFrame(out, copy=False)
    return INBOUND_SCHEMA.validate(frame, lazy=True)


def _text_series(col: pa.ChunkedArray | pa.Array) -> pd.Series:
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    return pd.Series(col.to_pandas(types_mapper={pa.string(): pd.StringDtype(
        "pyarrow", na_value=np.nan)}.get), copy=False)


def _integers(col: pa.ChunkedArray, counts: dict[str, int], name: str) -> pd.Series:
    col = _blank_to_null(pc.utf8_trim_whitespace(col))
    try:
        ints = pc.cast(col, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        s = pd.to_numeric(pd.Series(col.to_pylist(), dtype=object), errors="coerce")
        whole = s.notna() & (s == s.round()) & (s >= 0)
        counts[name] = int((col.is_valid().to_numpy(zero_copy_only=False) & ~whole.to_numpy()).sum())
        return s.where(whole).astype("Int64")
    neg = pc.less(ints, 0)
    bad = int(pc.sum(neg).as_py() or 0)
    if bad:
        counts[name] = bad
        ints = pc.if_else(neg, pa.scalar(None, pa.int64()), ints)
    return pd.Series(ints.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), copy=False)


def _received_at(table: pa.Table, counts: dict[str, int]) -> pd.Series:
    n = table.num_rows
    names = table.column_names
    source = "received_at" if "received_at" in names else next(
        (a for a in _TIME_ALIASES if a in names), None)
    dtype = pd.DatetimeTZDtype("us", "UTC")
    if source is None:
        return pd.Series(pd.NaT, index=range(n), dtype=dtype)
    col = _blank_to_null(pc.utf8_trim_whitespace(table.column(source)))
    try:
        ts = pc.cast(col, pa.timestamp("us", tz="UTC"))
        return pd.Series(ts.to_pandas(), copy=False).astype(dtype)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = pd.Series(col.to_pandas(), copy=False)
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], utc=True, format="mixed", errors="coerce")
    counts["received_at"] = int((parsed.isna() & text.notna()).sum())
    return parsed.astype(dtype)


def _kind(table: pa.Table, num_media: pd.Series | None) -> pa.ChunkedArray:
    """``sms``/``mms`` as the listener recorded it, else MMS when media came with it."""
    n = table.num_rows
    media = np.zeros(n, dtype=bool)
    if num_media is not None:
        media |= num_media.fillna(0).to_numpy(dtype=np.int64) > 0
    for name in ("mediaURL", "MediaUrl0"):
        if name in table.column_names:
            col = table.column(name)
            has = pc.and_(pc.is_valid(col), pc.not_equal(col, ""))
            media |= pc.fill_null(has, False).to_numpy(zero_copy_only=False).astype(bool)
    inferred = pa.array(np.where(media, "mms", "sms"), pa.string())
    if "kind" not in table.column_names:
        return pa.chunked_array([inferred])
    given = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("kind")))
    ok = pc.fill_null(pc.is_in(given, value_set=pa.array(KINDS)), False)
    return pc.if_else(ok, given, inferred)


def format_load_report(report: dict) -> str:
    """A few lines a person reads: rows, duplicates collapsed, lines skipped and where."""
    lines = [
        f"{report['rows']} message(s) from {len(report['files'])} file(s); "
        f"{report['duplicates']} duplicate deliveries collapsed; "
        f"{report['skipped']} torn or invalid line(s) skipped."
    ]
    for file, nums in report.get("skipped_lines", {}).items():
        shown = ", ".join(map(str, nums[:_MAX_LISTED])) + (" ..." if len(nums) > _MAX_LISTED else "")
        lines.append(f"  skipped in {file}: line(s) {shown}")
    lines += [f"  {p}" for p in report.get("problems", []) if ", line " not in p]
    return "\n".join(lines)
