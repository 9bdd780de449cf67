"""Each row's number from one or several phone columns: the first valid mobile, else the next.

``choose_phones(frame, sources)`` tries, per row, the mobile columns first (``Mobile``, ``Cell``,
Google's ``Phone N - Value`` where its ``Type`` says Mobile), in order, then every other phone
column in order, and takes the first valid number. A Google cell holding several numbers
(``+1 415-555-0101 ::: +1 415-555-0102``) is several values, tried in turn; a Google number
typed Fax or Pager is never taken. A row with no valid number gets the problem of its first
non-empty value (``invalid``, ``extension``, ``excel_scientific``...), or ``missing``.

Every distinct value of every column is judged once (``phone_verdicts``), and only when a row
needs it (a valid mobile spares the row's other columns), so several columns of a million
rows cost about what one does.

>>> import pandas as pd
>>> from ptdata.sheets.mapping import PhoneSource
>>> sheet = pd.DataFrame({"Phone": ["(212) 555-0101 x7", "(212) 555-0102", None],
...                       "Mobile": ["415 555 0101", "", None]})
>>> got = choose_phones(sheet, [PhoneSource("Mobile", "Mobile", "mobile"),
...                             PhoneSource("Phone", "Phone")])
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

    e164: pd.Series  # NA where no value is usable
    problem: pd.Series  # the reason code where no value is usable (missing, invalid, ...)
    column: pd.Series  # the header (as written) the number, or the problem, comes from
    written: pd.Series  # that value as the sheet wrote it
    source: pd.Series  # the frame column it comes from (``Phone`` for a single phone column)


def _text(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("str").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _unquoted(arr: pa.Array) -> pa.Array:
    """Without Excel's leading apostrophe (``'+14155550123``, how Shopify keeps the +)."""
    return pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"^'", "")


def _str(arr: pa.Array | np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"), index=index)


def _single(frame: pd.DataFrame, source: PhoneSource, region: str | None) -> PhoneChoice:
    # one column: no choice to make, so nothing per row beyond the verdict (a million rows)
    text = _text(frame[source.column])
    if pc.any(pc.starts_with(text, "'")).as_py():
        _, e164, problem = phone_verdicts(_str(_unquoted(text), frame.index), region)
    else:
        _, e164, problem = phone_verdicts(_str(text, frame.index), region)
    e164 = e164.where(problem.isna())
    there = pa.array((problem != "missing").to_numpy(dtype=bool, na_value=True))
    nothing = pa.scalar(None, pa.string())
    written = pc.if_else(there, pc.utf8_trim_whitespace(text), nothing)
    label = pc.if_else(there, pa.scalar(source.label), nothing)
    column = pa.repeat(pa.scalar(source.column), len(frame))
    return PhoneChoice(
        e164,
        problem,
        _str(label, frame.index),
        _str(written, frame.index),
        _str(column, frame.index),
    )


class _Part(NamedTuple):
    label: str
    column: str
    text: pa.Array  # as written (trimmed)
    mobile: np.ndarray  # bool per row: a mobile number
    excluded: np.ndarray  # bool per row: a fax or pager, never texted


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
        kinds = (
            _split(frame[s.type_column])
            if s.type_column and s.type_column in frame.columns
            else None
        )
        for k, value in enumerate(values):
            label = s.label if k == 0 else f"{s.label} (value {k + 1})"
            mobile = np.full(n, s.tier == "mobile", dtype=bool)
            excluded = np.zeros(n, dtype=bool)
            if kinds is not None:
                kind = kinds[min(k, len(kinds) - 1)]
                mobile |= _labels(kind, is_mobile_label)
                excluded = _labels(kind, is_excluded_label)
            parts.append(
                _Part(label, s.column, pc.utf8_trim_whitespace(_text(value)), mobile, excluded)
            )
    return parts


def choose_phones(
    frame: pd.DataFrame, sources: Sequence[PhoneSource], region: str | None = "US"
) -> PhoneChoice:
    """The number each row texts, from ``sources`` in priority order (see the module doc)."""
    if not sources:
        raise ValueError("choose_phones needs at least one phone column")
    if (
        len(sources) == 1
        and not sources[0].type_column
        and not frame[sources[0].column]
        .astype("str")
        .str.contains(":::", regex=False)
        .fillna(False)
        .any()
    ):
        return _single(frame, sources[0], region)
    n = len(frame)
    parts = _parts(frame, sources)
    # every distinct value of every column, judged once and only when a row needs it: a row
    # whose mobile is valid never has its other columns parsed
    encoded = pc.dictionary_encode(pa.chunked_array([p.text for p in parts]).combine_chunks())
    values = encoded.dictionary
    codes = (
        encoded.indices.fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
        .reshape(len(parts), n)
    )
    m = len(values)
    judged = np.zeros(m + 1, dtype=bool)
    judged[m] = True  # code -1 (an empty cell), stored last
    usable = np.zeros(m + 1, dtype=bool)
    there = np.zeros(m + 1, dtype=bool)
    e164_u = np.full(m + 1, None, dtype=object)
    problem_u = np.full(m + 1, "missing", dtype=object)
    at = np.where(codes < 0, m, codes)

    def judge(needed: np.ndarray) -> None:
        wanted = np.zeros(m + 1, dtype=bool)
        wanted[needed] = True
        todo = np.flatnonzero(wanted & ~judged)
        if not len(todo):
            return
        text = _str(_unquoted(pc.take(values, pa.array(todo))), pd.RangeIndex(len(todo)))
        _, e164, problem = phone_verdicts(text, region)
        usable[todo] = problem.isna().to_numpy()
        there[todo] = (problem != "missing").to_numpy(dtype=bool, na_value=True)
        e164_u[todo] = e164.where(problem.isna()).to_numpy(dtype=object, na_value=None)
        problem_u[todo] = problem.to_numpy(dtype=object, na_value=None)
        judged[todo] = True

    chosen = np.full(n, -1, dtype=np.int64)
    blamed = np.full(n, -1, dtype=np.int64)
    for mobile_only in (True, False):
        for j, part in enumerate(parts):
            wanted = ~part.excluded & (part.mobile if mobile_only else True) & (chosen < 0)
            judge(at[j][wanted])
            chosen[wanted & usable[at[j]]] = j
            # rows without a usable number: the first value that is there (mobiles first) says why
            blamed[wanted & (blamed < 0) & there[at[j]]] = j
    blamed = np.where(chosen >= 0, chosen, blamed)
    rows = np.arange(n)
    code = np.where(blamed >= 0, at[np.maximum(blamed, 0), rows], m)
    nothing = pa.scalar(None, pa.string())
    e164 = pa.array(np.where(chosen >= 0, e164_u[code], np.array(None, dtype=object)), pa.string())
    problem = pa.array(
        np.where(chosen >= 0, np.array(None, dtype=object), problem_u[code]), pa.string()
    )
    take = pa.array(np.where(code >= m, 0, code), mask=code >= m)
    written = pc.take(values, take) if m else pa.nulls(n, pa.string())
    part_of = pa.array(np.maximum(blamed, 0).astype(np.int32))
    labels = pa.DictionaryArray.from_arrays(part_of, pa.array([p.label for p in parts])).cast(
        pa.string()
    )
    column = pc.if_else(pa.array(blamed >= 0), labels, nothing)
    source = pa.DictionaryArray.from_arrays(part_of, pa.array([p.column for p in parts])).cast(
        pa.string()
    )
    idx = frame.index
    return PhoneChoice(
        _str(e164, idx),
        _str(problem, idx),
        _str(column, idx),
        _str(written, idx),
        _str(source, idx),
    )
