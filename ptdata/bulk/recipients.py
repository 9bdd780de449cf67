"""Who each row goes to: numbers normalised, group names resolved, opt-outs and repeats skipped.

A sheet's number may be in one of several columns (``Mobile``, ``Phone``, ``Home Phone``...):
``recipient_phones`` takes each row's first valid mobile, else the next valid number, as
``validate`` does, and says for the others why there is none (``extension``, Excel damage...).

>>> normalise(pd.Series(["(415) 555-0142", "555"]), "US").tolist()
['+14155550142', nan]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata.api.errors import UsageError
from ptdata.bulk._rows import take

__all__ = [
    "Phones",
    "mark_duplicates",
    "normalise",
    "recipient_phones",
    "resolve_groups",
    "suppression",
]


def normalise(raw: pd.Series, region: str | None) -> pd.Series:
    from ptdata.sheets.phones import normalize_phones

    codes, uniques = pd.factorize(raw.astype("str"), use_na_sentinel=True)
    normal = pd.Series(
        normalize_phones(pd.Series(uniques, dtype="str"), region=region), dtype="str"
    )
    return take(normal, codes)


class Phones(NamedTuple):
    """Per plan row: the E.164 number, why there is none, its column and the value as written."""

    e164: pd.Series
    message: pd.Series
    column: pd.Series
    written: pd.Series


def recipient_phones(
    data: pd.DataFrame, layout: Any, region: str | None, *, required: bool = True
) -> Phones:
    """Each row's number: from a validated frame as it is, from a raw one by ``choose_phones``.

    ``layout`` is None for validated rows (``Phone`` is E.164, ``phone_column`` and
    ``phone_as_written`` say where it came from). ``required=False`` (group sends) gives NA
    numbers when the sheet has no phone column.
    """
    n = len(data)
    na = pd.Series(pd.NA, index=range(n), dtype="str")
    if layout is None:
        phone = normalise(data["Phone"], region) if "Phone" in data.columns else na
        column = (
            data["phone_column"].astype("str").reset_index(drop=True)
            if "phone_column" in data
            else na
        )
        written = (
            data["phone_as_written"].astype("str").reset_index(drop=True)
            if "phone_as_written" in data
            else data.get("Phone", na).astype("str").reset_index(drop=True)
        )
        message = pd.Series("no valid phone number", index=range(n), dtype="str").where(
            phone.isna()
        )
        return Phones(phone, message, column, written)
    if not layout.phones:
        if not required:
            return Phones(na, na, na.copy(), na.copy())
        from ptdata.sheets.mapping import phone_hint

        raise UsageError(
            f"the sheet has no phone column (the recipients' numbers); its columns are: "
            f"{', '.join(map(str, data.columns)) or '(none)'}"
            f"{phone_hint([str(c) for c in data.columns])}. "
            "Name the column with phone_columns=[...] (--phone-column COL)"
        )
    from ptdata.sheets.messages import failure_message
    from ptdata.sheets.phone_choice import choose_phones

    got = choose_phones(data.reset_index(drop=True), layout.phones, region)
    labels = [s.label for s in layout.phones]
    bad = got.problem.notna().to_numpy()
    message = na.copy()
    if bad.any():
        keys = pd.DataFrame({"p": got.problem[bad], "c": got.column[bad], "w": got.written[bad]})
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys.astype(object).fillna("")))
        texts = [
            failure_message(p, c, w or None, region=region or "US", phone_labels=labels)
            for p, c, w in uniques
        ]
        shown = [
            f"{c}: {t}" if c and p != "missing" else t
            for (p, c, _), t in zip(uniques, texts, strict=True)
        ]
        message[bad] = np.array(shown, dtype=object)[codes]
    return Phones(
        got.e164.reset_index(drop=True),
        message,
        got.column.reset_index(drop=True),
        got.written.reset_index(drop=True),
    )


def resolve_groups(
    raw: pd.Series, client: Any
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """(group name, GroupId, error, members) per row; names are looked up once each through
    GetGroups, whose ContactsCount is the group's members (NA when it does not say)."""
    names = raw.astype("str").str.strip().reset_index(drop=True)
    codes, uniques = pd.factorize(names.where(names != "", pd.NA), use_na_sentinel=True)
    if len(uniques) and client is None:
        raise UsageError("to='groups' needs client= to look the group names up (GetGroups)")
    found_name, found_id, sizes = [], [], []
    errors: list[str | None] = []
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
            raise UsageError(
                f"suppress= takes numbers, a file or a frame, not {type(src).__name__}"
            )
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
    return any(c in text for c in "/\\") or text.lower().endswith(
        (".csv", ".txt", ".jsonl", ".xlsx")
    )


def mark_duplicates(marks, recipient, api_date, api_time, api_day, rows) -> None:
    """A recipient gets one message per send moment: later rows repeating one are duplicates."""
    live = marks.reason == None  # noqa: E711
    keys = pd.DataFrame(
        {"r": recipient, "d": api_date, "t": api_time, "y": pd.Series(api_day, dtype="Int64")}
    )[live]
    if keys.empty:
        return
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    first = (
        pd.Series(rows[live], index=keys.index)
        .groupby([keys["r"], keys["d"], keys["t"], keys["y"]], dropna=False, sort=False)
        .transform("first")
    )
    mask = np.zeros(len(live), dtype=bool)
    mask[dup.index[dup.to_numpy()]] = True
    msg = pd.Series(pd.NA, index=range(len(live)), dtype="str")
    idx = dup.index[dup.to_numpy()]
    msg[idx] = "the same recipient and send time as row " + first[idx].astype("str")
    marks.mark(mask, "duplicate", msg)
