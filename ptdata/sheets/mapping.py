"""Which sheet column is which: headers as exported to ptdata's columns, by priority or as told.

``plan_layout(headers)`` names every column of a sheet: one column per canonical field
(``Name``, ``LastName``, ``Groups``, ``TimeZone``, ``ZIP``, ``State``), chosen by the priority in
``ptdata.sheets.headers`` when two headers could mean it (never an error), and the phone
columns in the order their numbers are tried. A single phone column is called ``Phone``;
several keep their own names and ``validate`` picks each row's number. Losing candidates
keep their header; one that would clash with a chosen name gets its column letter
(``Name (A)``). ``notes`` says each choice in words, for the summary.

``phone_columns=[...]`` (the headers to take numbers from, in priority order) and
``columns={"Name": "Given Name"}`` (read this header as that column) replace the guesses.
A header is named as written in the sheet (case and spaces do not matter).

>>> layout = plan_layout(["Name", "Given Name", "Phone", "Mobile"])
>>> layout.names, [s.label for s in layout.phones], layout.notes
(['Name (A)', 'Name', 'Phone', 'Mobile'], ['Mobile', 'Phone'],
 ['phone: Mobile, else Phone', "Name: Given Name (not Name, kept as 'Name (A)')"])
>>> plan_layout(["Cell", "First"], columns={"Name": "First"}).names
['Phone', 'Name']
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ptdata.sheets.errors import SheetError
from ptdata.sheets.headers import (
    CANONICAL,
    canonical_header,
    google_phone,
    header_key,
    header_rank,
    looks_like_phone,
    phone_tier,
)

__all__ = [
    "Layout",
    "PhoneSource",
    "apply_layout",
    "column_letter",
    "describe_phones",
    "phone_hint",
    "plan_layout",
    "resolve_columns",
    "stored_phones",
]

_TIERS = ("mobile", "general", "other")


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class PhoneSource:
    """One column phone numbers are taken from: its frame name, its header as written, its tier."""

    column: str
    label: str
    tier: str = "general"  # mobile | general | other | given (named by the user)
    type_column: str | None = None  # Google's "Phone N - Type": says per row if it is a mobile


@dataclass
class Layout:
    """The frame name of every sheet column (by position), the phone sources and the choices."""

    names: list[str]
    phones: tuple[PhoneSource, ...] = ()
    notes: list[str] = field(default_factory=list)

    def stored(self) -> list[dict[str, Any]]:
        """The phone sources as plain data (for ``df.attrs``)."""
        return [asdict(s) for s in self.phones]


def stored_phones(items: Sequence[Mapping[str, Any]] | None) -> tuple[PhoneSource, ...] | None:
    """Phone sources back from ``df.attrs`` (None when none were stored)."""
    if items is None:
        return None
    return tuple(PhoneSource(**dict(i)) for i in items)


def _find(header: str, written: Sequence[str], what: str) -> int:
    """The position of the column the user named (as written, else ignoring case and spaces)."""
    name = str(header).strip()
    for i, w in enumerate(written):
        if w == name:
            return i
    key = header_key(name)
    for i, w in enumerate(written):
        if w and header_key(w) == key:
            return i
    present = [w for w in written if w]
    close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(f"{column_letter(i)} {w!r}" for i, w in enumerate(written) if w) or "(none)"
    raise SheetError(f"{what}: the sheet has no column {name!r}{hint}; its columns are {listed}")


def _explicit(
    written: Sequence[str], phone_columns: Sequence[str] | None, columns: Mapping[str, str] | None
) -> tuple[dict[str, int], list[int] | None]:
    named: dict[str, int] = {}
    for name, header in (columns or {}).items():
        name = str(name).strip()
        if not name:
            raise SheetError("columns=: a column name cannot be empty (write NAME=HEADER)")
        named[name] = _find(header, written, f"the {name} column")
    phones = None
    if isinstance(phone_columns, str):
        phone_columns = [phone_columns]
    if phone_columns:
        if "Phone" in named:
            raise SheetError(
                "name the phone columns once: phone_columns= (--phone-column) or "
                "columns={'Phone': ...} (--column Phone=...), not both"
            )
        phones = list(dict.fromkeys(_find(h, written, "a phone column") for h in phone_columns))
    elif "Phone" in named:
        phones = [named.pop("Phone")]
    taken: dict[int, str] = {}
    for name, i in named.items():
        if i in taken:
            raise SheetError(
                f"column {written[i]!r} is named as both {taken[i]} and {name}: "
                "give each column one meaning"
            )
        taken[i] = name
    for i in phones or ():
        if i in taken:
            raise SheetError(
                f"column {written[i]!r} is named as both a phone column and "
                f"{taken[i]}: give each column one meaning"
            )
    return named, phones


def _google_types(written: Sequence[str]) -> dict[int, int]:
    """For each Google ``Phone N - Value`` column, the position of its ``Type``/``Label`` column."""
    values: dict[int, int] = {}
    kinds: dict[int, int] = {}
    for i, w in enumerate(written):
        g = google_phone(w) if w else None
        if g:
            (values if g[1] == "value" else kinds)[g[0]] = i
    return {i: kinds[n] for n, i in values.items() if n in kinds}


def plan_layout(
    header: Sequence[str | None],
    *,
    phone_columns: Sequence[str] | str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Layout:
    """Name every column of a sheet whose header cells are ``written`` (see the module doc)."""
    written = ["" if w is None else str(w).strip().lstrip("\ufeff").strip() for w in header]
    named, explicit_phones = _explicit(written, phone_columns, columns)
    claimed = set(named.values()) | set(explicit_phones or ())
    names: list[str | None] = [None] * len(written)
    notes: list[str] = []
    for name, i in named.items():
        names[i] = name
    losers: dict[str, list[int]] = {}
    for fieldname in CANONICAL:
        if fieldname == "Phone" or fieldname in named:
            continue
        found = [
            i
            for i, w in enumerate(written)
            if w and i not in claimed and canonical_header(w) == fieldname
        ]
        if not found:
            continue
        winner = min(found, key=lambda i: (header_rank(written[i]), i))
        names[winner] = fieldname
        claimed.add(winner)
        losers[fieldname] = [i for i in found if i != winner]
    types = _google_types(written)
    if explicit_phones is not None:
        order = explicit_phones
        tiers = {i: "given" for i in order}
    else:
        found = [i for i, w in enumerate(written) if w and i not in claimed and phone_tier(w)]
        tiers = {i: phone_tier(written[i]) or "general" for i in found}
        order = sorted(found, key=lambda i: (_TIERS.index(tiers[i]), i))
    if len(order) == 1:
        names[order[0]] = "Phone"
    taken = {n for n in names if n}
    for i, w in enumerate(written):
        if names[i] is not None:
            continue
        name = w
        if name and name in taken:
            name = f"{w} ({column_letter(i)})"
        names[i] = name
        if name:
            taken.add(name)
    final = [n or "" for n in names]
    phones = tuple(
        PhoneSource(
            final[i],
            written[i],
            tiers[i],
            final[types[i]] if i in types and explicit_phones is None else None,
        )
        for i in order
    )
    if len(phones) > 1:
        notes.append("phone: " + describe_phones(phones))
    for fieldname, others in losers.items():
        if others:
            winner = final.index(fieldname)
            shown = ", ".join(
                written[i] + (f", kept as {final[i]!r}" if final[i] != written[i] else "")
                for i in others
            )
            notes.append(f"{fieldname}: {written[winner]} (not {shown})")
    return Layout(final, phones, notes)


def describe_phones(phones: Sequence[PhoneSource]) -> str:
    """``Mobile, else Phone``: the order a row's numbers are tried in, in words."""
    first = [s.label for s in phones if s.tier == "mobile"]
    typed = [s for s in phones if s.type_column]
    if typed:
        kinds = sorted(
            {kind[1] if (kind := google_phone(s.type_column or "")) else "type" for s in typed}
        )
        first.append(
            f"the Mobile one of {', '.join(s.label for s in typed)} (by its "
            f"{' or '.join(k.capitalize() for k in kinds)})"
        )
    rest = [s.label for s in phones if s.tier != "mobile"]
    return ", else ".join(first + rest)


def phone_hint(columns: Sequence[str]) -> str:
    """`` (columns that may hold numbers: 'Guardian Phone')`` or "" when none look like phones."""
    maybe = [c for c in columns if looks_like_phone(c)]
    return f"; columns that may hold numbers: {', '.join(repr(c) for c in maybe)}" if maybe else ""


def apply_layout(
    frame: pd.DataFrame,
    *,
    phone_columns: Sequence[str] | str | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, Layout]:
    """The frame with its columns named by ``plan_layout``, and the layout used.

    A frame from ``read_sheet`` keeps the layout it was read with unless options are given;
    then the columns are named again from the headers as written in the sheet.
    """
    read = frame.attrs.get("ptdata.read", {}) if isinstance(frame.attrs, dict) else {}
    current = [str(c) for c in frame.columns]
    written = read.get("columns_written")
    if not (written and list(read.get("columns_used", ())) == current):
        written = current
    elif phone_columns is None and not columns and read.get("phone_sources") is not None:
        return frame, Layout(
            current, stored_phones(read["phone_sources"]) or (), list(read.get("layout_notes", ()))
        )
    layout = plan_layout(written, phone_columns=phone_columns, columns=columns)
    if layout.names != current:
        frame = frame.set_axis(layout.names, axis=1)
    return frame, layout


def resolve_columns(
    frame: pd.DataFrame, names: Sequence[str], *, what: str = "keep_columns"
) -> list[str]:
    """The frame columns the user named (as the sheet writes them, or as ptdata calls them).

    >>> frame = pd.DataFrame(columns=["Name", "Record ID"])
    >>> frame.attrs["ptdata.read"] = {"headers": {"First Name": "Name", "Record ID": "Record ID"}}
    >>> resolve_columns(frame, ["record id", "First Name"])
    ['Record ID', 'Name']
    """
    read = frame.attrs.get("ptdata.read", {}) if isinstance(frame.attrs, dict) else {}
    headers = {str(k): str(v) for k, v in (read.get("headers") or {}).items()}
    present = [str(c) for c in frame.columns]
    out: list[str] = []
    for name in names:
        name = str(name).strip()
        found = name if name in present else headers.get(name)
        if found is None:
            key = header_key(name)
            found = next((c for c in present if header_key(c) == key), None) or next(
                (v for k, v in headers.items() if header_key(k) == key), None
            )
        if found is None or found not in present:
            close = difflib.get_close_matches(name, present + list(headers), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SheetError(
                f"{what}: the sheet has no column {name!r}{hint}; its columns are "
                f"{', '.join(repr(c) for c in present) or '(none)'}"
            )
        out.append(found)
    return list(dict.fromkeys(out))
