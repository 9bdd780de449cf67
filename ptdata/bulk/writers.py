"""Write a report frame as CSV, XLSX or Parquet, safe to open in Excel; read a CSV one back.

Excel runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, through DDE tricks, tab,
CR or LF) as a formula. In CSV such text cells get a leading apostrophe, the OWASP advice
(plain signed numbers such as ``+14155550123`` are left alone: they cannot run anything);
``read_report`` removes it again, so what you wrote is what you read. Numeric columns are
never touched (a number cannot be a formula). In XLSX every text cell is written as a text
cell, never a formula, so nothing needs changing there.

>>> write_frame(report.frame, "report.csv")     # UTF-8 with BOM, neutralised
>>> read_report("report.csv").equals(report.frame)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError

__all__ = ["FORMULA_PREFIXES", "neutralise", "read_report", "unneutralise", "write_frame"]

#: first characters that make Excel (or LibreOffice) read a cell as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_ALREADY_QUOTED = r"^'+[=+\-@\t\r\n]"
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

#: report columns and the dtypes ``read_report`` gives them back
_INT_COLUMNS = ("row", "batch_id", "attempts", "segments")
_TIME_COLUMNS = ("first_attempt_at", "finished_at", "scheduled_for")


def neutralise(values: pd.Series) -> pd.Series:
    """Text cells made safe for Excel (``ptdata.sheets.excel_safe``), reversibly.

    A cell Excel could run as a formula gets a leading ``'``; a plain signed number such as an
    E.164 phone ``+14155550123`` cannot run anything and is left as it is. A cell that already
    begins with apostrophes before such a character gets one more, so ``unneutralise`` can
    always remove exactly the one that was added.
    """
    from ptdata.sheets.excel_safe import neutralise_series

    s = values.astype("str")
    escaped = s.str.match(_ALREADY_QUOTED).fillna(False).astype(bool)
    out = neutralise_series(s)
    if escaped.any():
        out = out.where(~escaped, "'" + s)
    return out


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
    """Write ``frame`` by the file's extension: ``.csv``, ``.xlsx`` or ``.parquet``."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".xlsx", ".parquet"):
        raise UsageError(f"cannot write {path.name!r}: use a .csv, .xlsx or .parquet file name")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".csv":
        out = frame.copy()
        for col in out.columns:
            if _is_text(out[col]):
                out[col] = neutralise(out[col])
        out.to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%dT%H:%M:%SZ",
                   lineterminator="\r\n")
    elif ext == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        _write_xlsx(frame, path)
    return path


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("report")
    ws.append([str(c) for c in frame.columns])
    kinds = []
    cols = []
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            kinds.append("time")
        elif _is_text(s):
            kinds.append("text")
        else:
            kinds.append("other")
        cols.append(s.to_numpy(dtype=object, na_value=None))
    for i in range(len(frame)):
        cells = []
        for kind, values in zip(kinds, cols):
            v = values[i]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                cells.append(None)
                continue
            if kind == "text":
                cell = WriteOnlyCell(ws, value=_ILLEGAL_XLSX.sub("\ufffd", str(v)))
                cell.data_type = "s"  # text, even when it starts with '=': never a formula
                cells.append(cell)
            elif kind == "time":
                cells.append(pd.Timestamp(v).to_pydatetime())
            elif isinstance(v, (np.integer, np.floating, np.bool_)):
                cells.append(v.item())
            else:
                cells.append(v)
        ws.append(cells)
    wb.save(path)


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
