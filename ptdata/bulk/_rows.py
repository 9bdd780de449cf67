"""Column helpers the planning modules share: why rows are skipped, and taking per-unique values.

Everything works on whole columns (a code per row into a short list of distinct values), so a
million rows never become a million Python objects.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError

__all__ = [
    "INVALID_REASONS",
    "Marks",
    "Rows",
    "column",
    "input_frame",
    "quoted",
    "row_numbers",
    "text_or_na",
]

#: skip reasons that are a fault in the sheet: the plan refuses them unless skip_invalid
INVALID_REASONS = ("invalid", "invalid_timezone", "invalid_appointment", "blank_merge_field")


class Marks:
    """Why each row will not be sent; the first reason found wins."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)

    @property
    def live(self) -> np.ndarray:
        """Rows with no reason yet (still to be sent)."""
        return self.reason == None  # noqa: E711 - elementwise on an object array

    def mark(self, mask: np.ndarray, reason: Any, message: Any) -> None:
        """Give ``reason`` (one, or one per row) and ``message`` to the rows in ``mask`` that
        have no reason yet."""
        mask = np.asarray(mask, dtype=bool) & self.live
        if isinstance(reason, (np.ndarray, pd.Series)):
            reason = np.asarray(reason, dtype=object)
            mask &= ~pd.isna(reason)
        if not mask.any():
            return
        self.reason[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
        if isinstance(message, pd.Series):
            self.message[mask] = message.to_numpy(dtype=object, na_value=None)[mask]
        elif isinstance(message, np.ndarray):
            self.message[mask] = message[mask]
        else:
            self.message[mask] = message

    def take(self, positions: np.ndarray) -> Marks:
        """The marks of the rows at ``positions`` (rows repeated for several reminders)."""
        out = Marks(len(positions))
        out.reason, out.message = self.reason[positions], self.message[positions]
        return out


def column(data: pd.DataFrame, name: str, what: str) -> pd.Series:
    """The sheet's column ``name``, or a UsageError listing the columns it has."""
    if name not in data.columns:
        raise UsageError(
            f"the sheet has no {name!r} column ({what}); its columns are: "
            f"{', '.join(map(str, data.columns)) or '(none)'}"
        )
    return data[name]


def text_or_na(data: pd.DataFrame, col: str, n: int) -> pd.Series:
    """The column as stripped text, blanks as NA; all NA when the sheet lacks it."""
    if col not in data.columns:
        return pd.Series(pd.NA, index=range(n), dtype="str")
    s = data[col].astype("str").str.strip()
    return s.where(s != "", pd.NA)


def quoted(raw: pd.Series) -> pd.Series:
    """Each value in single quotes, for messages that show what the sheet said."""
    return "'" + raw.astype("str").fillna("") + "'"


class Rows(NamedTuple):
    """The rows to plan (every data row), why a ``Validation`` refused some, and the layout."""

    data: pd.DataFrame
    reason: pd.Series | None
    message: pd.Series | None
    #: how to find each row's number in a raw frame; None when ``Phone`` is already E.164
    layout: Any


def input_frame(frame: Any, *, phone_columns: Any = None, columns: Any = None) -> Rows:
    """Every data row to plan, with the reason and message of rows a ``Validation`` refused.

    A ``Validation`` gives all its non-blank rows (``.frame``), failed ones included with their
    own values, so each becomes a report row; a raw frame is named by ``apply_layout``.
    """
    from ptdata.sheets.mapping import apply_layout
    from ptdata.sheets.validate import ADDED_COLUMNS

    if hasattr(frame, "clean") and hasattr(frame, "failures"):
        if phone_columns is not None or columns:
            raise UsageError(
                "phone_columns= and columns= go to validate() (or read_sheet()); "
                "this Validation has its columns chosen already"
            )
        data = frame.frame.reset_index(drop=True)
        failures = frame.failures
        if failures is None or len(failures) == 0:
            return Rows(data, None, None, None)
        verdicts = frame.row_verdicts()
        failed = data["row"].isin(verdicts.index)
        reason = data["row"].map(verdicts["reason"]).astype("str").where(failed, pd.NA)
        message = data["row"].map(verdicts["message"]).astype("str").where(failed, pd.NA)
        return Rows(data, reason, message, None)
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"plan() takes a DataFrame (or a Validation), not {type(frame).__name__}")
    validated = "Phone" in frame.columns and all(c in frame.columns for c in ADDED_COLUMNS)
    layout = None
    if not validated:
        try:
            frame, layout = apply_layout(frame, phone_columns=phone_columns, columns=columns)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    attrs = dict(frame.attrs) if isinstance(frame.attrs, dict) else {}
    if frame.index.name == "row" and "row" not in frame.columns:  # read_sheet: index = sheet row
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    frame.attrs = attrs
    return Rows(_drop_blank_rows(frame), None, None, layout)


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with every cell empty are spacing in a spreadsheet, not recipients."""
    cells = frame.drop(columns=["row"], errors="ignore")
    if cells.empty or len(cells.columns) == 0:
        return frame
    blank = np.ones(len(frame), dtype=bool)
    for col in cells.columns:
        v = cells[col]
        empty = v.isna().to_numpy(dtype=bool).copy()
        if pd.api.types.is_string_dtype(v.dtype) or v.dtype == object:
            empty |= (v.astype("str").str.strip() == "").fillna(True).to_numpy(dtype=bool)
        blank &= empty
        if not blank.any():
            return frame
    return frame[~blank].reset_index(drop=True)


def row_numbers(data: pd.DataFrame) -> np.ndarray:
    if "row" in data.columns:
        return pd.to_numeric(data["row"]).to_numpy(dtype=np.int64)
    # as a spreadsheet numbers them: the header is row 1, the first recipient row 2
    return np.arange(2, len(data) + 2, dtype=np.int64)
