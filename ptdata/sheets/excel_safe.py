"""Make text safe to open in Excel: cells that Excel would run as a formula get a leading ``'``.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab, CR or LF can be read as a formula by
Excel, LibreOffice and Google Sheets (CSV injection). Such cells are prefixed with an
apostrophe. A cell that is only a sign and digits (``+14155550123``, ``-5``) cannot run
anything and is left alone, so E.164 phone numbers stay exactly as they are.

>>> (neutralise_cell("=HYPERLINK(\\"http://x\\")"), neutralise_cell("+14155550123"),
...  neutralise_cell("-"))
('\\'=HYPERLINK("http://x")', '+14155550123', "'-")
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["neutralise_cell", "neutralise_frame", "neutralise_series"]

_TRIGGER = r"^[=+\-@\t\r\n]"
_PLAIN_NUMBER = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
_TRIGGER_RE = re.compile(_TRIGGER)
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def neutralise_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet could take it for a formula."""
    if _TRIGGER_RE.match(value) and not _PLAIN_NUMBER_RE.match(value):
        return "'" + value
    return value


def neutralise_series(values: pd.Series) -> pd.Series:
    """``neutralise_cell`` on every text value of a Series; other values are returned as they are.

    >>> neutralise_series(pd.Series(["@SUM(A1)", "Ana", None])).tolist()
    ["'@SUM(A1)", 'Ana', nan]
    """
    if not (isinstance(values.dtype, pd.StringDtype) or values.dtype == object):
        return values
    text = values.astype("str")
    if isinstance(values.dtype, pd.StringDtype):
        is_text = values.notna()
    else:
        is_text = (
            values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
        )
    risky = (
        is_text
        & text.str.contains(_TRIGGER, regex=True, na=False)
        & ~text.str.contains(_PLAIN_NUMBER, regex=True, na=False)
    )
    if not risky.any():
        return values
    out = values.copy()
    out[risky] = "'" + text[risky]
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name neutralised; numbers stay numbers.

    >>> neutralise_frame(pd.DataFrame({"Note": ["=1+1"], "n": [3]})).to_dict("list")
    {'Note': ["'=1+1"], 'n': [3]}
    """
    out = frame.copy()
    for column in out.columns:
        out[column] = neutralise_series(out[column])
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out
