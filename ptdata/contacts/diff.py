"""The contact diff: what the sheet says against what Power Textor holds, one row per contact.

Pure (no I/O): it takes the validated sheet, the contacts ``GetContacts`` returned and the
groups ``GetGroups`` returned, and says for every sheet row whether the contact is to be
created, updated or left alone, and which Power Textor contacts the sheet does not mention.

Matching is by E.164 phone: Power Textor's stored numbers are normalised with
``ptdata.normalize_phones`` too, so ``(415) 555-0100`` there matches ``+14155550100`` here.

Names: ``GetContacts`` has one ``Name`` (first and last name joined), the sheet has ``Name``
and ``LastName``. They match when, after Unicode NFC and collapsing runs of spaces (the
comparison is case-sensitive: ``ava`` → ``Ava`` is a change):

- the sheet gives both: Power Textor's Name is exactly ``"Name LastName"``;
- the sheet gives only Name: Power Textor's Name is it, or begins with it and a space (the
  API cannot clear a last name, so a last name only Power Textor knows is left alone);
- the sheet gives only LastName: Power Textor's Name is it, or ends with a space and it;
- the sheet gives neither: nothing to compare, the contact is ``unchanged``.

>>> sheet = pd.DataFrame({"row": [2, 3], "Phone": ["+14155550101", "+14155550199"],
...                       "Name": ["Ava", "Zoe"], "LastName": ["Martinez", None]})
>>> pt = pd.DataFrame({"contact_id": ["c1"], "pt_phone": ["(415) 555-0101"],
...                    "current_name": ["Ava Martinez"], "current_groups": [""]})
>>> diff_contacts(sheet, pt)[["row", "phone", "action"]].to_dict("records")
[{'row': 2, 'phone': '+14155550101', 'action': 'unchanged'},
 {'row': 3, 'phone': '+14155550199', 'action': 'create'}]
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ptdata.sheets.phones import normalize_phones

__all__ = [
    "ACTIONS",
    "DIFF_COLUMNS",
    "GroupResolution",
    "diff_contacts",
    "names_match",
    "resolve_group_names",
]

#: what the sync does with each row
ACTIONS = ("create", "update", "unchanged", "skipped", "only_in_powertextor")

DIFF_COLUMNS = (
    "row",
    "phone",
    "phone_as_written",
    "phone_column",
    "action",
    "current_name",
    "new_name",
    "name",
    "last_name",
    "reason",
    "message",
    "pt_phone",
    "contact_id",
    "groups",
    "group_ids",
    "current_groups",
    "missing_groups",
    "extra_groups",
    "unknown_groups",
)
_SPACES = re.compile(r"\s+")


def _norm(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()


def names_match(first: Any, last: Any, current: Any) -> bool:
    """True when Power Textor's one ``Name`` already says what the sheet's Name/LastName say.

    >>> names_match("Ava", "Martinez", "Ava  Martinez"), names_match("Ava", None, "Ava Martinez")
    (True, True)
    >>> names_match("Ava", "Martínez", "Ava Martinez"), names_match("ava", None, "Ava")
    (False, False)
    """
    a, b, c = _norm(first), _norm(last), _norm(current)
    if a and b:
        return c == f"{a} {b}"
    if a:
        return c == a or c.startswith(a + " ")
    if b:
        return c == b or c.endswith(" " + b)
    return True


@dataclass(frozen=True)
class GroupResolution:
    """Sheet group names resolved against ``GetGroups``: ids, and the names that are not there."""

    #: casefolded sheet name -> (GroupId, Power Textor's name)
    found: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: sheet name as written -> the closest existing names (best first)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    #: sheet name as written -> the GroupIds of the several groups with that name
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def describe_unknown(self, name: str) -> str:
        if name in self.ambiguous:
            return f"{name} (several groups have this name: {', '.join(self.ambiguous[name])})"
        close = self.unknown.get(name) or []
        return f"{name} (closest: {', '.join(close)})" if close else f"{name} (no close name)"


def resolve_group_names(names: Sequence[str], groups: Sequence[Any]) -> GroupResolution:
    """Resolve group names (or GroupIds) to ``GetGroups`` groups, case-insensitively.

    ``groups`` are ``ptdata`` ``Group`` records (``group_id``, ``name``). Unknown names get up
    to three closest existing names (``difflib``, case-insensitive).

    >>> from ptdata.api.results import Group
    >>> r = resolve_group_names(["vip customers", "VIP customer"], [Group("g1", "VIP customers")])
    >>> r.found, r.unknown
    ({'vip customers': ('g1', 'VIP customers')}, {'VIP customer': ['VIP customers']})
    """
    by_id = {g.group_id: g for g in groups}
    by_name: dict[str, list[Any]] = {}
    for g in groups:
        by_name.setdefault(g.name.casefold(), []).append(g)
    folded = {g.name.casefold(): g.name for g in groups}
    found: dict[str, tuple[str, str]] = {}
    unknown: dict[str, list[str]] = {}
    ambiguous: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        key = name.casefold()
        if name in by_id:
            found[key] = (by_id[name].group_id, by_id[name].name)
            continue
        matches = by_name.get(key, [])
        if len(matches) == 1:
            found[key] = (matches[0].group_id, matches[0].name)
        elif matches:
            ambiguous[name] = [g.group_id for g in matches]
        else:
            close = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.6)
            unknown[name] = [folded[c] for c in close]
    return GroupResolution(found, unknown, ambiguous)


def _split_groups(value: Any, sep: str) -> list[str]:
    text = _norm(value)
    return [p.strip() for p in text.split(sep) if p.strip()] if text else []


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("str")
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def diff_contacts(
    sheet: pd.DataFrame,
    powertextor: pd.DataFrame,
    groups: Sequence[Any] = (),
    *,
    region: str | None = "US",
    skipped: pd.DataFrame | None = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """The diff frame: one row per sheet row (input order), then Power Textor's other contacts.

    Args:
        sheet: validated rows (``row``, E.164 ``Phone``, optional ``Name``, ``LastName``,
            ``Groups`` as ``A;B``), unique by phone.
        powertextor: ``contact_id``, ``pt_phone`` (as Power Textor stores it),
            ``current_name``, ``current_groups`` (Power Textor's comma-separated names).
        groups: the ``GetGroups`` records, to resolve the sheet's group names.
        skipped: sheet rows that will not be synced (``row``, ``phone`` if known, ``reason``,
            ``message``, and the row's own ``name``, ``last_name``, ``new_name``,
            ``phone_as_written``, ``phone_column``, ``groups`` and kept columns); they keep
            their place in the sheet order.
        keep: sheet columns carried into the diff after its own (``keep_columns``).

    Columns: see ``DIFF_COLUMNS``. ``action`` is one of ``ACTIONS``.
    """
    n = len(sheet)
    pt = powertextor.reset_index(drop=True)
    pt_e164 = (
        normalize_phones(pt["pt_phone"].astype("str"), region)
        if len(pt)
        else pd.Series([], dtype="str")
    )
    pt = pt.assign(phone=pt_e164.to_numpy())
    first_of_number = pt.loc[pt["phone"].notna()].drop_duplicates("phone", keep="first")
    matched = pd.DataFrame({"phone": sheet["Phone"].astype("str").to_numpy()}).merge(
        first_of_number[["phone", "contact_id", "pt_phone", "current_name", "current_groups"]],
        on="phone",
        how="left",
    )

    first, last = (
        _col(sheet, "Name").to_numpy(object, na_value=None),
        _col(sheet, "LastName").to_numpy(object, na_value=None),
    )
    current = matched["current_name"].to_numpy(object, na_value=None)
    exists = matched["contact_id"].notna().to_numpy() | matched["pt_phone"].notna().to_numpy()
    same = np.array(
        [names_match(a, b, c) for a, b, c in zip(first, last, current, strict=True)], dtype=bool
    )
    action = np.where(~exists, "create", np.where(same, "unchanged", "update"))
    new_name = [
        " ".join(p for p in (_norm(a), _norm(b)) if p) or None
        for a, b in zip(first, last, strict=True)
    ]
    message = np.full(n, None, dtype=object)
    no_name = np.array(
        [not _norm(a) and not _norm(b) for a, b in zip(first, last, strict=True)], dtype=bool
    )
    message[exists & no_name] = "the sheet gives no name: Power Textor's is kept"

    out = pd.DataFrame(
        {
            "row": pd.array(sheet["row"].to_numpy(), dtype="Int64"),
            "phone": matched["phone"].astype("str"),
            "phone_as_written": _col(sheet, "phone_as_written").reset_index(drop=True),
            "phone_column": _col(sheet, "phone_column").reset_index(drop=True),
            "action": pd.Series(action, dtype="str"),
            "current_name": matched["current_name"].astype("str"),
            "new_name": pd.Series(new_name, dtype="str"),
            "name": pd.Series(first, dtype="str"),
            "last_name": pd.Series(last, dtype="str"),
            "reason": pd.Series(pd.NA, index=range(n), dtype="str"),
            "message": pd.Series(message, dtype="str"),
            "pt_phone": matched["pt_phone"].astype("str"),
            "contact_id": matched["contact_id"].astype("str"),
            "groups": _col(sheet, "Groups").reset_index(drop=True),
            "current_groups": matched["current_groups"].astype("str"),
        }
    )
    for c in keep:
        out[c] = _col(sheet, c).reset_index(drop=True)
    has_groups_column = "Groups" in sheet.columns
    _group_columns(out, groups, has_groups_column)

    parts = [out]
    if skipped is not None and len(skipped):
        parts.append(_skipped_rows(skipped))
    sheet_phones = set(out["phone"].dropna())
    if skipped is not None and "phone" in skipped:
        sheet_phones |= set(skipped["phone"].dropna())
    parts.append(_only_in_powertextor(pt, first_of_number, sheet_phones))
    parts = [p for p in parts if len(p)]
    diff = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0] if parts else out
    in_sheet = diff["row"].notna()
    order = np.lexsort(
        (np.arange(len(diff)), diff["row"].fillna(0).to_numpy(dtype=np.int64), ~in_sheet.to_numpy())
    )
    diff = diff.iloc[order].reset_index(drop=True)
    for c in (*DIFF_COLUMNS, *keep):
        if c not in diff.columns:
            diff[c] = pd.Series(pd.NA, index=diff.index, dtype="str")
        elif c != "row":
            diff[c] = diff[c].astype("str")
    diff = diff[[*DIFF_COLUMNS, *keep]]
    diff.attrs["ptdata.keep_columns"] = list(keep)
    return diff


def _group_columns(out: pd.DataFrame, groups: Sequence[Any], has_groups_column: bool) -> None:
    n = len(out)
    ids, missing, extra, unknown = (list[str | None]([None] * n) for _ in range(4))
    if has_groups_column:
        sheet_lists = [_split_groups(v, ";") for v in out["groups"].to_numpy(object, na_value=None)]
        res = resolve_group_names([g for names in sheet_lists for g in names], groups)
        exists = out["current_name"].notna().to_numpy() | out["pt_phone"].notna().to_numpy()
        currents = out["current_groups"].to_numpy(object, na_value=None)
        for i, names in enumerate(sheet_lists):
            resolved = [res.found[g.casefold()] for g in names if g.casefold() in res.found]
            bad = [res.describe_unknown(g) for g in names if g.casefold() not in res.found]
            now = _split_groups(currents[i], ",") if exists[i] else []
            now_folded = {g.casefold() for g in now}
            want_folded = {name.casefold() for _, name in resolved}
            ids[i] = ";".join(dict.fromkeys(gid for gid, _ in resolved)) or None
            missing[i] = (
                ";".join(name for _, name in resolved if name.casefold() not in now_folded) or None
            )
            extra[i] = ";".join(g for g in now if g.casefold() not in want_folded) or None
            unknown[i] = "; ".join(bad) or None
    out["group_ids"] = pd.Series(ids, dtype="str")
    out["missing_groups"] = pd.Series(missing, dtype="str")
    out["extra_groups"] = pd.Series(extra, dtype="str")
    out["unknown_groups"] = pd.Series(unknown, dtype="str")


def _skipped_rows(skipped: pd.DataFrame) -> pd.DataFrame:
    m = len(skipped)
    own = {
        c: _col(skipped, c).to_numpy()
        for c in skipped.columns
        if c not in ("row", "phone", "reason", "message")
    }
    return pd.DataFrame(
        {
            "row": pd.array(skipped["row"].to_numpy(), dtype="Int64"),
            "phone": skipped["phone"].astype("str").to_numpy()
            if "phone" in skipped
            else pd.Series(pd.NA, index=range(m), dtype="str"),
            "action": pd.Series("skipped", index=range(m), dtype="str"),
            "new_name": _col(skipped, "new_name").to_numpy(),
            "reason": skipped["reason"].astype("str").to_numpy(),
            "message": skipped["message"].astype("str").to_numpy(),
            **own,
        }
    )


def _only_in_powertextor(
    pt: pd.DataFrame, first_of_number: pd.DataFrame, sheet_phones: set[str]
) -> pd.DataFrame:
    if not len(pt):
        return pd.DataFrame()
    in_sheet = pt["phone"].isin(sheet_phones).to_numpy()
    is_first = pt.index.isin(first_of_number.index)
    duplicate = pt["phone"].notna().to_numpy() & ~is_first
    keep = ~in_sheet | duplicate
    rest = pt.loc[keep]
    if not len(rest):
        return pd.DataFrame()
    kept_first = first_of_number.set_index("phone")["pt_phone"]
    reason = np.where(duplicate[keep], "duplicate_in_powertextor", np.array(None, dtype=object))
    message = np.full(len(rest), None, dtype=object)
    dup_idx = np.flatnonzero(duplicate[keep])
    for i in dup_idx:
        phone = rest["phone"].iat[i]
        message[i] = (
            f"Power Textor holds this number twice; the contact stored as "
            f"{kept_first[phone]!r} is the one compared with the sheet"
        )
    bad_idx = np.flatnonzero(rest["phone"].isna().to_numpy())
    for i in bad_idx:
        message[i] = "Power Textor's number is not a valid phone number"
    return pd.DataFrame(
        {
            "row": pd.array([pd.NA] * len(rest), dtype="Int64"),
            "phone": rest["phone"].astype("str").to_numpy(),
            "action": pd.Series("only_in_powertextor", index=range(len(rest)), dtype="str"),
            "current_name": rest["current_name"].astype("str").to_numpy(),
            "reason": pd.Series(reason, dtype="str"),
            "message": pd.Series(message, dtype="str"),
            "pt_phone": rest["pt_phone"].astype("str").to_numpy(),
            "contact_id": rest["contact_id"].astype("str").to_numpy(),
            "current_groups": rest["current_groups"].astype("str").to_numpy(),
        }
    )
