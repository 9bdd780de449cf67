"""Per-distinct-value work spread back over the rows: the column helpers every package shares.

A million rows usually hold a handful of distinct values (send times, zones, messages), so
ptdata works out each distinct value once (``pd.factorize``) and spreads the results back
with these. A code of -1 (a missing value) always comes back missing.

>>> codes, uniques = pd.factorize(pd.Series(["b", None, "a", "b"]))
>>> take_str(codes, [u.upper() for u in uniques]).tolist()
['B', nan, 'A', 'B']
>>> take_int(codes, np.array([2, 1])).tolist()
[2, 0, 1, 2]
>>> map_unique(pd.Series(["b", None, "b"]), str.upper).tolist()
['B', None, 'B']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "join_notes",
    "keep_where",
    "map_unique",
    "none_for_missing",
    "spread",
    "take_int",
    "take_str",
    "to_str",
]


def take_str(codes: np.ndarray, uniques: Sequence[Any], index: pd.Index | None = None) -> pd.Series:
    """``uniques[code]`` per row as a ``str`` column; code -1 (or a None entry) is missing."""
    codes = np.where(codes < 0, len(uniques), codes)
    values = [None if v is None or v is pd.NA or v != v else v for v in uniques] + [None]
    taken = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.array(taken, dtype="str"), index=index)


def take_int(codes: np.ndarray, per_unique: np.ndarray) -> np.ndarray:
    """``per_unique[code]`` per row as int64; code -1 is 0."""
    return spread(codes, np.asarray(per_unique, dtype=np.int64), 0)


def spread(codes: np.ndarray, per_unique: np.ndarray, missing: Any) -> np.ndarray:
    """``per_unique[code]`` per row, keeping its dtype; code -1 is ``missing``."""
    with_missing = np.append(per_unique, np.array([missing], dtype=per_unique.dtype))
    return with_missing[np.where(codes < 0, len(per_unique), codes)]


def map_unique(values: Any, fn: Callable[[Any], Any]) -> np.ndarray:
    """``fn`` applied once per distinct non-missing value, spread back over the rows.

    Returns an object array (None where missing); ``to_str`` turns it into a column.
    """
    codes, uniques = pd.factorize(values)
    return np.array([fn(u) for u in uniques] + [None], dtype=object)[codes]


def to_str(values: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    """An object array of str/None as a pandas ``str`` column, without a per-row Python loop."""
    codes, uniques = pd.factorize(values)
    return take_str(codes, list(uniques), index)


def none_for_missing(values: Any) -> np.ndarray:
    """``values`` as an object array with None where a value is missing (NaN, NA, NaT)."""
    out = np.array(values, dtype=object)
    out[pd.isna(out)] = None
    return out


def keep_where(mask: Any, values: Any) -> np.ndarray:
    """``values`` where ``mask`` holds, None elsewhere (an object array)."""
    out = np.array(values, dtype=object)
    out[~np.asarray(mask, dtype=bool)] = None
    return out


def join_notes(*parts: np.ndarray) -> np.ndarray:
    """Per-row notes joined with '; ' (None where every part is missing)."""
    out = np.full(len(parts[0]), None, dtype=object)
    for part in parts:
        part = none_for_missing(part)
        both = ~pd.isna(out) & ~pd.isna(part)
        out = np.where(pd.isna(out), part, out)
        if both.any():
            out[both] = out[both] + "; " + part[both]
    return out
