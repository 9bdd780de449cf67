"""Each row's number from one or several phone columns: the first valid mobile, else the next.

``choose_phones(frame, sources)`` tries, per row, the mobile columns first (``Mobile``, ``Cell``,
Google's ``Phone N - Value`` where its ``Type`` says Mobile), in order, then every other phone
column in order, and takes the first valid number. A Google cell holding several numbers
(``+1 415-555-0101 ::: +1 415-555-0102``) is several values, tried in turn; a Google number
typed Fax or Pager is never taken. A row with no valid number gets the problem of its first
non-empty value (``invalid``, ``extension``, ``excel_scientific``...), or ``missing``.

Every distinct value of every column is judged by libphonenumber once (``phone_verdicts``),
so several columns of a million rows cost about what one does.

>>> import pandas as pd
>>> from ptdata.sheets.mapping import PhoneSource
>>> sheet = pd.DataFrame({"Phone": ["(212) 555-0101 x7", "(212) 555-0102", None],
...                       "Mobile": ["415 555 0101", "", None]})
>>> got = choose_phones(sheet, [PhoneSource("Mobile", "Mobile", "mobile"), PhoneSource("Phone", "Phone")])
>>> got.e164.tolist(), got.column.tolist(), got.problem.tolist()
(['+14155550101', '+12125550102', nan], ['Mobile', 'Phone', nan], [nan, nan, 'missing'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.sheets.headers import is_excluded_label, is_mobile_label
from ptdata.sheets.mapping import PhoneSource
from ptdata.sheets.phones import phone_verdicts

__all__ = ["PhoneChoice", "choose_phones"]

_MULTI = " ::: "


class PhoneChoice(NamedTuple):
    """Per row: the E.164 to text, why there is none, which column, and the value as written."""

    e164: pd.Series      # NA where no value is usable
    problem: pd.Series   # the reason code where no value is usable (missing, invalid, ...)
    column: pd.Series    # the header (as written) the number, or the problem, comes from
    written: pd.Series   # that value as the sheet wrote it
    source: pd.Series    # the frame column it comes from (``Phone`` for a single phone column)


def _text(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("str").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _unquoted(arr: pa.Array) -> pa.Array:
    """Without Excel's leading apostrophe (``'+14155550123``, how Shopify keeps the +)."""
    return pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"^'", "")


def _str(arr: pa.Array | np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"), index=index)


def _single(frame: pd.DataFrame, source: PhoneSource, region: str | None) -> PhoneChoice:
    raw = _text(frame[source.column])
    _, e164, problem = phone_verdicts(_str(_unquoted(raw), frame.index), region)
    e164 = e164.where(problem.isna())
    there = problem != "missing"
    label = pd.Series(source.label, index=frame.index, dtype="str").where(there)
    written = _str(pc.utf8_trim_whitespace(raw), frame.index).where(there)
    return PhoneChoice(e164, problem, label, written,
                       pd.Series(source.column, index=frame.index, dtype="str"))


class _Part(NamedTuple):
    label: str
    column: str
    text: pa.Array          # as written (trimmed)
    mobile: np.ndarray      # bool per row: a mobile number
    excluded: np.ndarray    # bool per row: a fax or pager, never texted


def _labels(values: pd.Series, test) -> np.ndarray:
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
    verdict = np.array([bool(test(u)) for u in uniques] + [False], dtype=bool)
    return verdict[np.where(codes < 0, len(uniques), codes)]


def _split(values: pd.Series) -> list[pd.Series]:
    """A column's cells as one Series per value of Google's ``a ::: b`` cells (one if none)."""
    text = values.astype("str").reset_index(drop=True)
    if not text.str.contains(":::", regex=False).fillna(False).any():
        return [text]
    wide = text.str.split(":::", expand=True, regex=False)
    return [wide[k].astype("str").str.strip() for k in wide.columns]


def _parts(frame: pd.DataFrame, sources: Sequence[PhoneSource]) -> list[_Part]:
    n = len(frame)
    parts: list[_Part] = []
    for s in sources:
        values = _split(frame[s.column])
        kinds = (_split(frame[s.type_column]) if s.type_column and s.type_column in frame.columns
                 else None)
        for k, value in enumerate(values):
            label = s.label if k == 0 else f"{s.label} (value {k + 1})"
            mobile = np.full(n, s.tier == "mobile", dtype=bool)
            excluded = np.zeros(n, dtype=bool)
            if kinds is not None:
                kind = kinds[min(k, len(kinds) - 1)]
                mobile |= _labels(kind, is_mobile_label)
                excluded = _labels(kind, is_excluded_label)
            parts.append(_Part(label, s.column, pc.utf8_trim_whitespace(_text(value)), mobile, excluded))
    return parts


def choose_phones(frame: pd.DataFrame, sources: Sequence[PhoneSource], region: str | None = "US") -> PhoneChoice:
    """The number each row texts, from ``sources`` in priority order (see the module doc)."""
    if not sources:
        raise ValueError("choose_phones needs at least one phone column")
    if len(sources) == 1 and not sources[0].type_column and not \
            frame[sources[0].column].astype("str").str.contains(":::", regex=False).fillna(False).any():
        return _single(frame, sources[0], region)
    n = len(frame)
    parts = _parts(frame, sources)
    # every distinct value of every column judged once
    allvals = pa.chunked_array([_unquoted(p.text) for p in parts]).combine_chunks() if parts else pa.array([], pa.string())
    codes, uniques = pd.factorize(pd.Series(pd.array(allvals, dtype="str")), use_na_sentinel=True)
    _, e164_u, problem_u = phone_verdicts(pd.Series(uniques, dtype="str"), region)
    e164_u = e164_u.where(problem_u.isna()).to_numpy(dtype=object, na_value=None)
    problem_u = problem_u.to_numpy(dtype=object, na_value=None)
    e164_all = np.append(e164_u, None)[np.where(codes < 0, len(e164_u), codes)].reshape(len(parts), n)
    problem_all = np.append(problem_u, "missing")[np.where(codes < 0, len(problem_u), codes)].reshape(len(parts), n)
    chosen = np.full(n, -1, dtype=np.int64)
    for mobile_only in (True, False):
        for j, part in enumerate(parts):
            ok = (chosen < 0) & (problem_all[j] == None) & ~part.excluded  # noqa: E711
            if mobile_only:
                ok &= part.mobile
            chosen[ok] = j
    # rows without a usable number: the first value that is there (mobiles first) says why
    blamed = chosen.copy()
    for mobile_only in (True, False):
        for j, part in enumerate(parts):
            there = (blamed < 0) & (problem_all[j] != "missing") & ~part.excluded
            if mobile_only:
                there &= part.mobile
            blamed[there] = j
    rows = np.arange(n)
    pick = np.maximum(blamed, 0)
    e164 = np.where(chosen >= 0, e164_all[np.maximum(chosen, 0), rows], None)
    problem = np.where(chosen >= 0, None, np.where(blamed >= 0, problem_all[pick, rows], "missing"))
    texts = np.stack([p.text.to_numpy(zero_copy_only=False) for p in parts]) if parts else np.empty((0, n))
    written = np.where(blamed >= 0, texts[pick, rows], None)
    labels = np.array([p.label for p in parts], dtype=object)
    column = np.where(blamed >= 0, labels[pick], None)
    sources = np.array([p.column for p in parts], dtype=object)[pick]
    idx = frame.index
    return PhoneChoice(_str(e164, idx), _str(problem, idx), _str(column, idx), _str(written, idx),
                       _str(sources, idx))
