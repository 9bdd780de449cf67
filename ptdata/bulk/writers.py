"""Write a report frame as CSV, XLSX or Parquet, safe to open in Excel; read one back.

Excel runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, through DDE tricks, tab,
CR or LF) as a formula. In CSV such text cells (column names too) get a leading apostrophe,
the OWASP advice (plain signed numbers such as ``+14155550123`` are left alone: they cannot
run anything); ``read_report`` removes it again, so what you wrote is what you read. Numeric
columns are never touched (a number cannot be a formula). In XLSX every text cell is written
as a text cell, never a formula, so nothing needs changing there.

CSV (UTF-8 with BOM) goes through pyarrow's CSV writer, XLSX through xlsxwriter in its
constant-memory mode, both a batch of rows at a time, with a progress bar for big reports.
Each is written to a hidden file beside the target and renamed over it only when complete:
a disk that fills up leaves the old report (if any) as it was and raises
:class:`ReportWriteError` saying what to do.

>>> write_frame(report.frame, "report.csv")     # doctest: +SKIP
>>> read_report("report.csv").equals(report.frame)   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.api.errors import PtdataError, UsageError

__all__ = [
    "FORMULA_PREFIXES",
    "ReportWriteError",
    "neutralise",
    "read_report",
    "unneutralise",
    "write_frame",
]

#: first characters that make Excel (or LibreOffice) read a cell as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_TRIGGER = r"^[=+\-@\t\r\n]"
_PLAIN_NUMBER = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
_ALREADY_QUOTED = r"^'+[=+\-@\t\r\n]"
_ILLEGAL_XLSX = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_BATCH = 50_000  # rows converted and written at a time as CSV
#: XLSX cells go through Python objects a batch at a time: writing 1M rows 10,000 at a time
#: adds ~33 MB to the frame's memory, xlsxwriter's import included (benchmarks/bench_reports.py;
#: 5,000 saved ~5 MB in a 200,000-row trial, for ~4 % more time)
_XLSX_BATCH = 10_000
_MAX_CELL = 32_767  # UTF-16 units of text an Excel cell holds
_BAR_ROWS = 100_000  # reports this big show a progress bar
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_NS_PER_DAY = 86_400 * 10**9

#: report columns and the dtypes ``read_report`` gives them back
_INT_COLUMNS = ("row", "batch_id", "attempts", "segments")
_TIME_COLUMNS = ("first_attempt_at", "finished_at", "scheduled_for")


class ReportWriteError(PtdataError, OSError):
    """A report could not be written (the disk is full, the folder is read-only...); the
    message says how far it got. Nothing half-written is left behind."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def _neutralise_arrow(col: pa.Array) -> pa.Array:
    """Text made safe for Excel, reversibly: see :func:`neutralise`."""
    risky = pc.match_substring_regex(col, _TRIGGER)
    if pc.any(risky).as_py():
        risky = pc.and_kleene(risky, pc.invert(pc.match_substring_regex(col, _PLAIN_NUMBER)))
    if pc.any(pc.starts_with(col, "'")).as_py():
        risky = pc.or_kleene(risky, pc.match_substring_regex(col, _ALREADY_QUOTED))
    if not pc.any(risky).as_py():
        return col
    quote, empty = pa.scalar("'", col.type), pa.scalar("", col.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, col, empty), col)


def neutralise(values: pd.Series) -> pd.Series:
    """Text cells made safe for Excel (``ptdata.sheets.excel_safe``), reversibly.

    A cell Excel could run as a formula gets a leading ``'``; a plain signed number such as an
    E.164 phone ``+14155550123`` cannot run anything and is left as it is. A cell that already
    begins with apostrophes before such a character gets one more, so ``unneutralise`` can
    always remove exactly the one that was added.

    >>> neutralise(pd.Series(["=1+2", "+14155550123", "'=x", None])).tolist()
    ["'=1+2", '+14155550123', "''=x", nan]
    """
    s = values.astype("str")
    out = _neutralise_arrow(pa.array(s, pa.large_string()))
    return pd.Series(out.to_pandas(), index=values.index, name=values.name).astype("str")


def unneutralise(values: pd.Series) -> pd.Series:
    """Undo ``neutralise``: drop the one apostrophe it added."""
    s = values.astype("str")
    quoted = s.str.match(_ALREADY_QUOTED).fillna(False).astype(bool)
    if not quoted.any():
        return s
    return s.where(~quoted, s.str.slice(1))


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) or s.dtype == object


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` by the file's extension: ``.csv``, ``.xlsx`` or ``.parquet``.

    >>> write_frame(pd.DataFrame({"phone": ["+14155550123"]}), "out.xlsx")   # doctest: +SKIP
    PosixPath('out.xlsx')
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".xlsx", ".parquet"):
        raise UsageError(f"cannot write {path.name!r}: use a .csv, .xlsx or .parquet file name")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    progress = _Progress(len(frame), path.name)
    try:
        with _open_partial(partial) as opened:
            f = _Sink(opened)
            if ext == ".csv":
                _write_csv(frame, f, progress)
            elif ext == ".parquet":
                frame.to_parquet(f, index=False)
                progress.update(len(frame))
            else:
                _write_xlsx(frame, f, progress)
            if f.failed is not None:  # a library that swallowed the error
                raise f.failed
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise _write_error(exc, path, progress.done, len(frame)) from None
    finally:
        progress.close()
    return path


@contextlib.contextmanager
def _open_partial(partial: Path):
    with open(partial, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


class _Sink:
    """The file the writers write to: after its first failed write, every later call does
    nothing, so what a writer library tries to finish as it is torn down (xlsxwriter's zip
    file, pyarrow's CSV writer) ends quietly instead of printing errors of its own."""

    def __init__(self, f) -> None:
        self._f = f
        self.failed: OSError | None = None
        self._at = 0  # where the file was when last asked (what tell() says after a failure)

    def write(self, data) -> int:
        if self.failed is None:
            try:
                return self._f.write(data)
            except OSError as exc:
                self.failed = exc
                raise
        return len(data)

    def __getattr__(self, name: str):
        attr = getattr(self._f, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.failed is not None:
                return self._at if name in ("tell", "seek") else None
            out = attr(*args, **kwargs)
            if name in ("tell", "seek"):
                self._at = out
            return out

        return call


def _write_error(exc: OSError, path: Path, done: int, total: int) -> ReportWriteError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full (no space left on device)"
    else:
        why = exc.strerror or str(exc)
    where = f" after {done:,} of {total:,} rows" if 0 < done < total else ""
    old = " (the file that was there is unchanged)" if path.exists() else ""
    return ReportWriteError(
        exc.errno,
        f"could not write the report {path}{where}: {why}; nothing half-written was left{old}",
    )


class _Progress:
    """A tqdm bar over rows written, for big reports in a terminal or a notebook."""

    def __init__(self, total: int, name: str) -> None:
        self.done = 0
        self.bar = None
        if total >= _BAR_ROWS:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                unit=" rows",
                desc=f"writing {name}",
                disable=None,
                dynamic_ncols=True,
                leave=False,
            )

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _batches(frame: pd.DataFrame, size: int):
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _csv_column(col: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    """One column as pyarrow's CSV writer should print it: text neutralised, times in UTC
    ISO 8601 to the second, booleans and missing numbers as pandas prints them."""
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _neutralise_arrow(col)
    if pa.types.is_timestamp(t):
        tz = t.tz and "UTC"
        seconds = pc.cast(col, pa.timestamp("s", tz=tz), safe=False)
        if isinstance(seconds, pa.ChunkedArray):
            seconds = seconds.combine_chunks()
        # formatting is slow (~1 us a value) and a report's times repeat: format each once
        codes = pc.dictionary_encode(seconds)
        text = pc.strftime(
            codes.dictionary, format="%Y-%m-%dT%H:%M:%SZ" if tz else "%Y-%m-%dT%H:%M:%S"
        )
        return pc.take(text, codes.indices)
    if pa.types.is_boolean(t):
        return pc.if_else(col, "True", "False")
    if pa.types.is_floating(t):
        return pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
    return col


def _write_csv(frame: pd.DataFrame, f, progress: _Progress) -> None:
    import pyarrow.csv as pcsv

    header = io.StringIO()
    names = neutralise(pd.Series([str(c) for c in frame.columns], dtype="str"))
    csv.writer(header, lineterminator="\r\n").writerow(names.tolist())
    f.write(b"\xef\xbb\xbf" + header.getvalue().encode("utf-8"))
    if not len(frame):
        return
    options = pcsv.WriteOptions(include_header=False, eol="\r\n")
    writer, schema = None, None
    for batch in _batches(frame, _BATCH):
        table = _arrow_table(batch)
        table = pa.table([_csv_column(c) for c in table.columns], names=table.column_names)
        if writer is None:
            schema = table.schema
            writer = pcsv.CSVWriter(f, schema, write_options=options)
        elif table.schema != schema:  # a column typed otherwise in this batch (all missing...)
            table = table.cast(schema)
        writer.write_table(table)
        progress.update(len(batch))
    if writer is not None:
        writer.close()


def _arrow_table(batch: pd.DataFrame) -> pa.Table:
    """The batch as Arrow; a column Arrow cannot type (mixed Python objects) goes as text."""
    names = [str(c) for c in batch.columns]
    arrays = []
    for _, s in batch.items():
        try:
            arrays.append(pa.array(s, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(
                pa.array(
                    s.map(lambda v: None if pd.isna(v) else str(v), na_action="ignore"),
                    pa.large_string(),
                )
            )
        if pa.types.is_null(arrays[-1].type):
            arrays[-1] = pa.nulls(len(s), pa.large_string())
        elif pa.types.is_string(arrays[-1].type):
            arrays[-1] = arrays[-1].cast(pa.large_string())
    return pa.table(arrays, names=names)


def _write_xlsx(frame: pd.DataFrame, f, progress: _Progress) -> None:
    """Every cell by its type: text always as a text cell (never a formula, never a number:
    ``02134`` stays ``02134``), numbers as numbers, times as Excel dates in UTC."""
    import xlsxwriter
    import xlsxwriter.exceptions

    wb = xlsxwriter.Workbook(
        f,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )
    ws = wb.add_worksheet("report")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    # the public write_* wrap these in a decorator that also takes "A1" cell names, a fifth
    # of the time over millions of cells; the public ones if a release renames them
    writers = {
        "text": getattr(ws, "_write_string", ws.write_string),
        "number": getattr(ws, "_write_number", ws.write_number),
        "boolean": getattr(ws, "_write_boolean", ws.write_boolean),
    }
    writers["moment"] = writers["number"]  # an Excel date is a number in a date format
    writers["markup"] = _markup_safe(ws, writers["text"])
    for c, name in enumerate(frame.columns):
        writers["markup"](0, c, re.sub(_ILLEGAL_XLSX, "\ufffd", str(name)), None)
    r = 1
    for batch in _batches(frame, _XLSX_BATCH):
        # (column, how, format) of each column with a cell in this batch, and its values
        cells, values = [], []
        for c, (_, s) in enumerate(batch.items()):
            kind, column = _xlsx_column(s)
            if any(v is not None for v in column):
                cells.append((c, writers[kind], when if kind == "moment" else None))
                values.append(column)
        # constant memory: one row after another (a batch with no cells at all has no rows)
        for i, row in enumerate(zip(*values, strict=True), start=r):
            for (c, write, fmt), v in zip(cells, row, strict=True):
                if v is not None:
                    write(i, c, v, fmt)
        r += len(batch)
        progress.update(len(batch))
    try:
        wb.close()
    except xlsxwriter.exceptions.FileCreateError as exc:  # it wraps the OSError
        raise (
            exc.args[0]
            if exc.args and isinstance(exc.args[0], OSError)
            else OSError(errno.EIO, str(exc))
        ) from None


def _markup_safe(ws, write_string):
    """A text writer for cells that may begin with ``<r>``: in constant-memory mode xlsxwriter
    copies a text that begins with ``<r>`` and ends with ``</r>`` into the sheet unescaped
    (it takes it for one of its own rich strings), so such a text (a name from a web form, a
    texted reply) could hide itself and add cells, formulas among them. It goes as a rich
    string of three plain runs instead, escaped like any text: Excel shows it, and
    ``read_report`` reads it back, exactly as written."""

    def write(row: int, col: int, text: str, fmt=None) -> None:
        if text.startswith("<r>"):
            if len(text) > _MAX_CELL // 2:  # cut where xlsxwriter would, then look at the end
                text = text.encode("utf-16-le")[: 2 * _MAX_CELL].decode("utf-16-le", "ignore")
            if text.endswith("</r>"):
                ws.write_rich_string(row, col, text[:1], text[1:-1], text[-1:])
                return
        write_string(row, col, text, fmt)

    return write


def _xlsx_column(s: pd.Series) -> tuple[str, list[Any]]:
    """How to write one column's cells (``text``, ``markup`` (text, some beginning with
    ``<r>``), ``number``, ``boolean`` or ``moment``) and its values as Python objects (None:
    no cell)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = s.to_numpy(dtype="datetime64[ns]")
        serial = (ns - _EXCEL_EPOCH).astype(np.float64) / _NS_PER_DAY
        return "moment", [
            None if np.isnat(t) else v for t, v in zip(ns, serial.tolist(), strict=True)
        ]
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean", s.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.astype("float64").to_numpy()
        return "number", [None if v != v else v for v in values.tolist()]
    col = (
        pa.array(s.astype("str"), pa.large_string())
        if _is_text(s)
        else pa.array(
            s.map(lambda v: None if pd.isna(v) else str(v), na_action="ignore"), pa.large_string()
        )
    )
    if pc.any(pc.match_substring_regex(col, _ILLEGAL_XLSX)).as_py():
        col = pc.replace_substring_regex(col, _ILLEGAL_XLSX, "\ufffd")  # not allowed in XML
    blank = pc.equal(col, pa.scalar("", col.type))
    if pc.any(blank).as_py():  # an empty text is no cell at all, as Excel keeps it
        col = pc.if_else(blank, pa.scalar(None, col.type), col)
    markup = pc.any(pc.starts_with(col, "<r>")).as_py()
    return ("markup" if markup else "text"), col.to_pylist()


def read_report(path: str | Path) -> pd.DataFrame:
    """Read a report written by ptdata back into a frame with the report's types.

    CSV text cells lose the apostrophe that ``write_frame`` added against formula injection;
    phone numbers and ZIP codes stay text; the count columns come back as integers and the
    times as UTC date-times.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".parquet":
        return pd.read_parquet(path)
    if ext == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        frame = frame.replace("", pd.NA)
    elif ext == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame = frame.replace("", pd.NA)
        frame.columns = unneutralise(pd.Series(frame.columns, dtype="str")).tolist()
        for col in frame.columns:
            frame[col] = unneutralise(frame[col])
    else:
        raise UsageError(f"cannot read {path.name!r}: expected .csv, .xlsx or .parquet")
    for col in frame.columns:
        if col in _INT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).astype("Int64")
        elif col in _TIME_COLUMNS:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        else:
            frame[col] = frame[col].astype("str")
    return frame
