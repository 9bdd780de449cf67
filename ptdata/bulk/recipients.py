"""Who each row goes to: numbers normalised, group names resolved, opt-outs and repeats skipped.

>>> normalise(pd.Series(["(415) 555-0142", "555"]), "US").tolist()
['+14155550142', nan]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.bulk._rows import take

__all__ = ["mark_duplicates", "normalise", "resolve_groups", "suppression"]


def normalise(raw: pd.Series, region: str) -> pd.Series:
    from ptdata.sheets.phones import normalize_phones

    codes, uniques = pd.factorize(raw.astype("str"), use_na_sentinel=True)
    normal = pd.Series(normalize_phones(pd.Series(uniques, dtype="str"), region=region), dtype="str")
    return take(normal, codes)


def resolve_groups(raw: pd.Series, client: Any) -> tuple[pd.Series, pd.Series, pd.Series,
                                                         pd.Series]:
    """(group name, GroupId, error, members) per row; names are looked up once each through
    GetGroups, whose ContactsCount is the group's members (NA when it does not say)."""
    names = raw.astype("str").str.strip().reset_index(drop=True)
    codes, uniques = pd.factorize(names.where(names != "", pd.NA), use_na_sentinel=True)
    if len(uniques) and client is None:
        raise UsageError("to='groups' needs client= to look the group names up (GetGroups)")
    found_name, found_id, errors, sizes = [], [], [], []
    for u in uniques:
        try:
            g = client.resolve_group(u)
            found_name.append(g.name)
            found_id.append(g.group_id)
            errors.append(None)
            sizes.append(getattr(g, "contacts_count", None))
        except UsageError as exc:
            found_name.append(u)
            found_id.append(None)
            errors.append(f"Groups: {exc}")
            sizes.append(None)
    name = take(pd.Series(found_name, dtype="str"), codes)
    gid = take(pd.Series(found_id, dtype="str"), codes)
    err = take(pd.Series(errors, dtype="str"), codes)
    err[codes < 0] = "Groups: the group is empty"
    known = pd.array([pd.NA if s is None else int(s) for s in sizes] + [pd.NA], dtype="Int64")
    members = pd.Series(known[np.where(codes < 0, len(sizes), codes)], dtype="Int64")
    return name, gid, err, members


def suppression(suppress: Any, region: str) -> set[str]:
    """The E.164 numbers not to text: files and dumps go to ``suppression_list`` together (so a
    START in one dump lifts a STOP in another); plain numbers are normalised here."""
    if suppress is None:
        return set()
    sources = suppress if isinstance(suppress, (list, tuple)) else [suppress]
    numbers: set[str] = set()
    files: list[Any] = []
    plain: list[str] = []
    for src in sources:
        if isinstance(src, os.PathLike) or (isinstance(src, str) and _looks_like_path(src)):
            files.append(Path(src))
        elif isinstance(src, pd.DataFrame):
            from ptdata.inbound import suppression_list

            numbers |= set(suppression_list(src))
        elif isinstance(src, str):
            plain.append(src)
        elif isinstance(src, Iterable):
            plain.extend(str(v) for v in src)
        else:
            raise UsageError(f"suppress= takes numbers, a file or a frame, not {type(src).__name__}")
    if files:
        from ptdata.inbound import suppression_list

        try:
            numbers |= set(suppression_list(files if len(files) > 1 else files[0]))
        except (OSError, ValueError) as exc:
            raise UsageError(f"suppress=: {exc}") from None
    if plain:
        normal = normalise(pd.Series(plain, dtype="str"), region)
        numbers |= set(normal.dropna())
    return numbers


def _looks_like_path(text: str) -> bool:
    return any(c in text for c in "/\\") or text.lower().endswith((".csv", ".txt", ".jsonl", ".xlsx"))


def mark_duplicates(marks, recipient, api_date, api_time, api_day, rows) -> None:
    """A recipient gets one message per send moment: later rows repeating one are duplicates."""
    live = marks.reason == None  # noqa: E711
    keys = pd.DataFrame({"r": recipient, "d": api_date, "t": api_time,
                         "y": pd.Series(api_day, dtype="Int64")})[live]
    if keys.empty:
        return
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    first = pd.Series(rows[live], index=keys.index).groupby(
        [keys["r"], keys["d"], keys["t"], keys["y"]], dropna=False, sort=False).transform("first")
    mask = np.zeros(len(live), dtype=bool)
    mask[dup.index[dup.to_numpy()]] = True
    msg = pd.Series(pd.NA, index=range(len(live)), dtype="str")
    idx = dup.index[dup.to_numpy()]
    msg[idx] = "the same recipient and send time as row " + first[idx].astype("str")
    marks.mark(mask, "duplicate", msg)
