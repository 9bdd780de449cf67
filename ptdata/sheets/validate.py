"""Validate a sheet: the clean rows, plus every failure with its spreadsheet row and how to fix it.

``validate(frame, kind)`` never raises for bad rows: bad rows are data. It drops and counts
blank rows, normalises phones to E.164 (Excel-damaged numbers are rejected, never repaired),
strips spaces, cleans Groups to ``VIP;Staff``, runs the pandera schema lazily, and maps every
failure to the row number the spreadsheet shows (header = row 1, first data row = 2).

``Validation.clean`` holds the rows that passed, with a leading ``row`` column, ``Phone`` in
E.164 and every other column kept (cells stripped; an empty cell is missing), plus
``phone_column`` (the header the number was taken from) and ``phone_as_written``. A sheet
with several phone columns (``Mobile``, ``Phone``, ``Home Phone``...) gives each row the first
valid mobile number, else the next valid one (see ``ptdata.sheets.phone_choice``);
``phone_columns=[...]`` and ``columns={...}`` say which column is which (see
``ptdata.sheets.mapping``). ``Validation.frame`` is every non-blank row, failed ones
included, with the same columns: the rows a report accounts for.
``Validation.failures`` has one line per problem: row, column, value (as written), reason (a
code from ``ptdata.sheets.messages.REASONS``) and message (what to do). A row with several
problems appears once per problem. Duplicates keep the first row and report the later ones.

Row numbers come from the frame's index when it is named ``row`` (``read_sheet`` does that);
for any other frame the first row is taken to be spreadsheet row 2. A sheet column that is
itself called ``row`` is kept as ``row (from sheet)``.

>>> import pandas as pd
>>> sheet = pd.DataFrame({"Phone": ["(415) 555-0123", "4.15555E+09", "415-555-0123"],
...                       "Name": ["Ana", "Bo", "Cy"]})
>>> result = validate(sheet)
>>> result.clean[["row", "Phone", "Name", "phone_column"]].to_dict("records")
[{'row': 2, 'Phone': '+14155550123', 'Name': 'Ana', 'phone_column': 'Phone'}]
>>> result.failures[["row", "column", "reason"]].to_dict("records")
[{'row': 3, 'column': 'Phone', 'reason': 'excel_scientific'},
 {'row': 4, 'column': 'Phone', 'reason': 'duplicate'}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pac

from ptdata.api.errors import UsageError
from ptdata.sheets.mapping import Layout, apply_layout, phone_hint
from ptdata.sheets.messages import failure_message
from ptdata.sheets.phone_choice import choose_phones
from ptdata.sheets.schemas import (
    TIME_ZONES,
    ContactsSheet,
    GroupsSheet,
    first_positions,
)

__all__ = ["ADDED_COLUMNS", "SHEET_KINDS", "Validation", "validate"]

SHEET_KINDS = ("contacts", "groups")
_MODELS = {"contacts": ContactsSheet, "groups": GroupsSheet}
_REQUIRED = {"contacts": ("Phone",), "groups": ("Groups", "Phone")}
_FAILURE_COLUMNS = ["row", "column", "value", "reason", "message"]
_ZONE_BY_LOWER = {z.lower(): z for z in TIME_ZONES}
_DUPLICATE_KEYS = {
    "contacts": ["Phone"],
    "groups": ["Groups", "Phone"],
}


@dataclass(repr=False)
class Validation:
    """The outcome of ``validate``: ``clean`` rows, ``failures`` table and the counts around
    them."""

    kind: str
    clean: pd.DataFrame
    failures: pd.DataFrame
    rows_read: int
    blank_rows: int
    read: dict[str, Any] = field(default_factory=dict)
    #: every non-blank row (index = sheet row), as cleaned: the rows a report accounts for
    rows: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Every non-blank row in sheet order, failed ones included, with ``clean``'s columns."""
        if self.rows is None:
            return self.clean
        out = _public(self.rows).reset_index()
        out.attrs = {"ptdata.read": self.read}
        return out

    @property
    def ok(self) -> bool:
        """True when no row failed (blank rows do not count as failures)."""
        return self.failures.empty

    @property
    def failed_rows(self) -> list[int]:
        """Spreadsheet row numbers with at least one failure, in order."""
        return sorted(set(self.failures["row"].tolist()))

    @property
    def duplicates(self) -> int:
        return int((self.failures["reason"] == "duplicate").sum())

    def row_verdicts(self) -> pd.DataFrame:
        """One line per failed sheet row (index: its row number): ``reason`` (``duplicate``
        when every problem of the row is that it repeats an earlier row, else ``invalid``)
        and ``message`` (its problems' messages joined). A failure of the header (a missing
        column) is not a row's: it raises ``UsageError`` with its message.

        >>> v = validate(pd.DataFrame({"Phone": ["4155550123", "4155550123", "12"]}))
        >>> v.row_verdicts()["reason"].tolist()
        ['duplicate', 'invalid']
        """
        header = self.failures["row"] <= 1  # row 1 is the header (a missing column)
        if header.any():
            raise UsageError("; ".join(self.failures.loc[header, "message"]))
        by_row = self.failures.groupby("row", sort=True)
        return pd.DataFrame(
            {
                "reason": by_row["reason"].agg(
                    lambda s: "duplicate" if (s == "duplicate").all() else "invalid"
                ),
                "message": by_row["message"].agg(lambda s: "; ".join(map(str, s))),
            }
        ).astype("str")

    def counts(self) -> pd.Series:
        """Failing rows per reason code (a row with two problems counts under both)."""
        per = self.failures.drop_duplicates(["row", "reason"])["reason"].value_counts()
        return per.sort_index().rename("rows")

    def groups_long(self) -> pd.DataFrame:
        """One line per (row, Group, Phone) of the clean rows: the Groups cells split.

        >>> sheet = pd.DataFrame({"Phone": ["4155550123"], "Groups": ["VIP | Staff"]})
        >>> validate(sheet).groups_long()
           row  Group         Phone
        0    2    VIP  +14155550123
        1    2  Staff  +14155550123
        """
        columns = ["row", "Group", "Phone"]
        if "Groups" not in self.clean or "Phone" not in self.clean:
            return pd.DataFrame(
                {c: pd.Series(dtype="int64" if c == "row" else "str") for c in columns}
            )
        long = self.clean[["row", "Groups", "Phone"]].dropna(subset=["Groups"])
        long = long.assign(Group=long["Groups"].str.split(";")).explode("Group")
        return long[columns].reset_index(drop=True).astype({"Group": "str"})

    def summary(self, details: bool = True) -> str:
        """A few lines for a person: rows read, valid, failed by reason, how the file was read.

        ``details=False`` leaves out the failures by reason (a plan's summary lists its own).
        """
        valid, failed = len(self.clean), len(self.failed_rows)
        source = self.read.get("source")
        head = f"{source}: " if source else ""
        lines = [
            f"{head}{self.rows_read} row{'s' * (self.rows_read != 1)} read as {self.kind}"
            f" ({self.blank_rows} blank skipped): {valid} valid, {failed} failed"
        ]
        reading = _describe_reading(self.read)
        if reading:
            lines.append(f"  read as {reading}")
        lines.extend(f"  {note}" for note in _layout_lines(self.read))
        counts = self.counts() if details else pd.Series(dtype="int64")
        if len(counts):
            width = max(len(r) for r in counts.index)
            for reason, n in counts.items():
                rows = sorted(set(self.failures.loc[self.failures["reason"] == reason, "row"]))
                shown = ", ".join(str(r) for r in rows[:8]) + (", ..." if len(rows) > 8 else "")
                lines.append(f"  {reason:<{width}}  {n:>6}  row{'s' * (len(rows) != 1)} {shown}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Validation {self.summary()}>"


def _describe_reading(read: dict[str, Any]) -> str:
    if not read.get("format"):
        return ""
    if read.get("format") == "xlsx":
        return f"XLSX, sheet {read.get('sheet')!r}"
    encoding = read.get("encoding") or "text"
    names = {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 with BOM",
        "utf-16": "UTF-16 with BOM",
        "cp1252": "Windows-1252 (guessed: not UTF-8)",
    }
    delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
        read.get("delimiter") or "", repr(read.get("delimiter"))
    )
    sep = ", sep= line" if read.get("sep_line") else ""
    return f"{names.get(encoding, encoding)}, {delimiter}-separated{sep}"


#: columns validate adds to every row: where its number came from, and as it was written
ADDED_COLUMNS = ("phone_column", "phone_as_written")


def _public(prepared: pd.DataFrame) -> pd.DataFrame:
    """The cleaned columns users see: the sheet's, then ``phone_column`` and
    ``phone_as_written``."""
    keep = [c for c in prepared.columns if not str(c).startswith("_")]
    added = [c for c in ADDED_COLUMNS if f"_{c}" in prepared.columns and c not in keep]
    out = prepared[keep + [f"_{c}" for c in added]]
    return out.rename(columns={f"_{c}": c for c in added}) if added else out


def _layout_lines(read: dict[str, Any]) -> list[str]:
    """How the columns were chosen and which rows were not data, for the summary."""
    lines = list(read.get("layout_notes", ()))
    sources: Sequence[dict[str, Any]] = read.get("phone_sources") or ()
    if len(sources) == 1 and sources[0].get("label") not in (None, "Phone"):
        lines.insert(0, f"phone: {sources[0]['label']}")
    header = read.get("header_row")
    if header and header > 1:
        lines.append(
            f"header on row {header} (the {header - 1} row{'s' * (header > 2)} above it skipped)"
        )
    footer = read.get("footer_rows")
    if footer:
        lines.append(f"Salesforce report footer ({footer} line{'s' * (footer != 1)}) left out")
    return lines


def _row_numbers(frame: pd.DataFrame) -> pd.Index:
    if frame.index.name == "row" and pd.api.types.is_integer_dtype(frame.index.dtype):
        return pd.Index(frame.index.to_numpy(dtype="int64"), name="row")
    return pd.RangeIndex(2, 2 + len(frame), name="row")


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if not isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].astype("str")
    out.columns = [str(c) for c in out.columns]
    return out


def _strip(values: pd.Series) -> pd.Series:
    """Surrounding whitespace removed; a cell left empty becomes missing."""
    arr = pyarrow.array(values.array)
    trimmed = pac.utf8_trim_whitespace(arr)
    trimmed = pac.if_else(
        pac.equal(pac.utf8_length(trimmed), 0), pyarrow.scalar(None, trimmed.type), trimmed
    )
    return pd.Series(pd.array(trimmed, dtype="str"), index=values.index, name=values.name)


def _blank_rows(text: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces (checked column by column on the candidates
    only)."""
    candidates = np.arange(len(text))
    for column in text.columns:
        if not len(candidates):
            break
        arr = pyarrow.array(text[column].array).take(pyarrow.array(candidates))
        blank = pac.fill_null(pac.match_substring_regex(arr, r"^\s*$"), True)
        candidates = candidates[blank.to_numpy(zero_copy_only=False)]
    out = np.zeros(len(text), dtype=bool)
    out[candidates] = True
    return out


def _clean_groups(groups: pd.Series) -> pd.Series:
    arr = pyarrow.array(groups.array)
    cleaned = pac.replace_substring_regex(arr, r"\s*[;|][\s;|]*", ";")
    cleaned = pac.utf8_trim(cleaned, characters=" ;")
    out = pd.Series(pd.array(cleaned, dtype="str"), index=groups.index, name=groups.name)
    return out.mask(out == "")


def _prepare(text: pd.DataFrame, kind: str, region: str | None, layout: Layout) -> pd.DataFrame:
    sources = {s.column for s in layout.phones}
    prepared = pd.DataFrame(
        {c: text[c] if c in sources else _strip(text[c]) for c in text.columns}, index=text.index
    )
    if layout.phones:
        chosen = choose_phones(text, layout.phones, region)
        problems = chosen.problem
        if "Phone" not in prepared.columns:
            first = list(prepared.columns).index(layout.phones[0].column)
            prepared.insert(first, "Phone", chosen.e164)
        prepared["Phone"] = chosen.e164.where(problems.isna())
        for c in sources - {"Phone"}:
            prepared[c] = _strip(text[c])
        prepared["_phone_column"] = chosen.column
        prepared["_phone_as_written"] = chosen.written
        prepared["_phone_problem"] = problems
        prepared["_phone_source"] = chosen.source
    if "Groups" in prepared:
        prepared["Groups"] = _clean_groups(prepared["Groups"])
    if "ZIP" in prepared:  # Shopify writes '02134 so that Excel keeps the leading zero
        prepared["ZIP"] = prepared["ZIP"].str.removeprefix("'")
    if "TimeZone" in prepared:
        zone = prepared["TimeZone"]
        odd = zone.notna() & ~zone.isin(TIME_ZONES)  # only these need their case fixed
        if odd.any():
            fixed = zone[odd].str.lower().map(_ZONE_BY_LOWER).astype("str")
            prepared.loc[odd, "TimeZone"] = fixed.fillna(zone[odd])
    return prepared


def _schema(kind: str, region: str | None) -> pa.DataFrameSchema:
    schema = _MODELS[kind].to_schema()
    if region != "US" and "ZIP" in schema.columns:
        schema = schema.update_column("ZIP", checks=[])
    return schema


def _failure_cases(schema: pa.DataFrameSchema, prepared: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(prepared, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def _first_rows(prepared: pd.DataFrame, kind: str, positions: np.ndarray) -> np.ndarray:
    """For the rows at ``positions``, the first row with the same duplicate key."""
    if kind == "contacts":
        return prepared.index.to_numpy()[first_positions(prepared["Phone"])[positions]]
    key = [c for c in _DUPLICATE_KEYS[kind] if c in prepared]
    repeated = prepared[prepared.duplicated(key, keep=False).to_numpy()]
    groups = repeated.groupby(key, dropna=False, sort=False).ngroup()
    first = (
        pd.Series(repeated.index, index=repeated.index)
        .groupby(groups.to_numpy())
        .transform("first")
    )
    return first.reindex(prepared.index[positions]).to_numpy()


def _take(frame: pd.DataFrame, column: str, positions: np.ndarray) -> np.ndarray:
    """The cells of ``column`` at ``positions`` as Python objects (None where missing or absent)."""
    if column not in frame.columns:
        return np.full(len(positions), None, dtype=object)
    return frame[column].take(positions).to_numpy(dtype=object, na_value=None)


_FIRST, _E164 = "\x00first\x00", "\x00e164\x00"


def _fill(template: pd.Series, first: np.ndarray, e164: np.ndarray) -> pd.Series:
    """Duplicate sentences with each row's own first row and number in place of the placeholders."""
    out = []
    for text, f, e in zip(template.to_numpy(dtype=object), first, e164, strict=True):
        out.append(
            text.replace(_FIRST, str(int(f))).replace(_E164, "This number" if e is None else str(e))
        )
    return pd.Series(out, index=template.index, dtype="str")


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in _FAILURE_COLUMNS}
    )


def _failures(
    cases: pd.DataFrame,
    prepared: pd.DataFrame,
    text: pd.DataFrame,
    kind: str,
    region: str | None,
    layout: Layout,
) -> pd.DataFrame:
    """One line per (row, column, reason) from pandera's failure cases, with values and messages."""
    if cases.empty:
        return _empty_failures()
    cases = cases[["column", "check", "failure_case", "index"]].copy()
    wide = cases["check"].str.contains(":", regex=False).to_numpy(dtype=bool, na_value=False)
    split = cases.loc[wide, "check"].str.split(":")
    cases.loc[wide, "column"], cases.loc[wide, "check"] = split.str[1], split.str[0]
    cases = cases.drop_duplicates(["index", "column", "check"])
    columns = list(text.columns)
    records: list[dict[str, Any]] = []
    table = cases["index"].isna().to_numpy()
    for case, check in zip(
        cases.loc[table, "failure_case"], cases.loc[table, "check"], strict=True
    ):
        if check == "column_in_dataframe":
            records.append(
                {
                    "row": 1,
                    "column": case,
                    "value": None,
                    "reason": "missing_column",
                    "message": failure_message("missing_column", case, None, columns=columns),
                }
            )
    cases = cases[~table]
    rows = cases["index"].to_numpy(dtype="int64")
    positions = text.index.get_indexer(rows)
    column = cases["column"].to_numpy(dtype=object)
    check = cases["check"].to_numpy(dtype=object)
    reason = check.copy()
    value = np.full(len(rows), None, dtype=object)
    for name in pd.unique(column):
        at = column == name
        value[at] = _take(text, name, positions[at])
    phone = np.isin(check, ["not_nullable", "phone"]) & (column == "Phone")
    reason[phone] = _take(prepared, "_phone_problem", positions[phone])
    reason[(check == "not_nullable") & ~phone] = "required"
    detail = np.full(len(rows), None, dtype=object)
    dup = check == "duplicate"
    first = np.full(len(rows), None, dtype=object)
    e164 = np.full(len(rows), None, dtype=object)
    if dup.any():
        first[dup] = _first_rows(prepared, kind, positions[dup])
        e164[dup] = _take(prepared, "Phone", positions[dup])
    # a phone problem is the column the row's number came from, as written there
    on_phone = (column == "Phone") & np.isin(
        check, ["not_nullable", "phone", "invalid", "duplicate"]
    )
    if on_phone.any() and "_phone_source" in prepared.columns:
        column[on_phone] = _take(prepared, "_phone_source", positions[on_phone])
        value[on_phone] = _take(prepared, "_phone_as_written", positions[on_phone])
    labels = [s.label for s in layout.phones]
    kinds = _take(prepared, "Kind", positions)
    dup_row = np.array([f is not None for f in first], dtype=bool)
    # one sentence per distinct failure, not per row: a million rows have few kinds of problem;
    # a duplicate's sentence takes its first row and number from placeholders filled in after
    keys = pd.DataFrame(
        {
            "reason": reason,
            "column": column,
            "kind": kinds,
            "detail": detail,
            "phone": on_phone,
            "dup": dup_row,
            "value": np.where(dup_row, np.array(None, dtype=object), value),
        }
    ).astype(object)
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys.where(keys.notna(), None)))
    texts = []
    for r, c, k, d, ph, dup, v in uniques:
        context: dict[str, Any] = {"region": region, "sheet": kind, "kind": k}
        if d is not None:
            context["detail"] = d
        if dup:
            context["first_row"], context["e164"] = _FIRST, _E164
        if ph:
            context["phone_labels"] = labels
        texts.append(failure_message(r, c, v, **context))
    message = pd.Series(np.array(texts, dtype=object)[codes] if len(codes) else [], dtype="str")
    if dup_row.any():
        at = np.flatnonzero(dup_row)
        message.iloc[at] = _fill(message.iloc[at], first[at], e164[at]).to_numpy()
    out = (
        pd.concat(
            [
                pd.DataFrame.from_records(records, columns=_FAILURE_COLUMNS),
                pd.DataFrame(
                    {
                        "row": rows,
                        "column": column,
                        "value": value,
                        "reason": reason,
                        "message": message.to_numpy(dtype=object),
                    }
                ),
            ],
            ignore_index=True,
        )
        if records
        else pd.DataFrame(
            {
                "row": rows,
                "column": column,
                "value": value,
                "reason": reason,
                "message": message.to_numpy(dtype=object),
            }
        )
    )
    order = {c: i for i, c in enumerate(columns)}
    out["_order"] = out["column"].map(order).fillna(len(order))
    out = (
        out.sort_values(["row", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return out.astype(
        {"row": "int64", "column": "str", "value": "str", "reason": "str", "message": "str"}
    )


def validate(
    frame: pd.DataFrame,
    kind: str = "contacts",
    *,
    region: str | None = "US",
    phone_columns: Sequence[str] | str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Validation:
    """Check a sheet read by ``read_sheet`` (or any DataFrame) as ``contacts`` or ``groups``.

    ``region`` is how phone numbers without ``+`` are read (and whether ZIP codes are US ZIPs).
    ``phone_columns`` (headers in priority order) and ``columns`` (``{"Name": "Given Name"}``)
    say which column is which, as in ``read_sheet``.

    >>> validate(pd.DataFrame({"Phone": ["415 555 0123", ""], "Name": ["Ana", ""]})).summary()
    '2 rows read as contacts (1 blank skipped): 1 valid, 0 failed'
    """
    if kind not in SHEET_KINDS:
        raise UsageError(f"unknown sheet kind {kind!r}: use one of {', '.join(SHEET_KINDS)}")
    frame, layout = apply_layout(frame, phone_columns=phone_columns, columns=columns)
    read = dict(frame.attrs.get("ptdata.read", {}))
    if phone_columns is not None or columns or "phone_sources" not in read:
        read.update(phone_sources=layout.stored(), layout_notes=layout.notes)
    text = _as_text(frame)
    # pandas deep-copies attrs on every operation; the read facts are kept in `read`
    text.attrs = {}
    text.index = _row_numbers(frame)
    if "row" in text.columns:  # the name is taken by the spreadsheet row number in ``clean``
        text = text.rename(columns={"row": "row (from sheet)"})
    blank = _blank_rows(text)
    blank_rows = int(blank.sum())
    text = text[~blank]
    have = set(text.columns) | ({"Phone"} if layout.phones else set())
    missing = [c for c in _REQUIRED[kind] if c not in have]
    if missing:
        listed = list(text.columns)
        failures = pd.DataFrame.from_records(
            [
                {
                    "row": 1,
                    "column": c,
                    "value": pd.NA,
                    "reason": "missing_column",
                    "message": failure_message(
                        "missing_column",
                        c,
                        None,
                        columns=listed,
                        hint=phone_hint(listed) if c == "Phone" else "",
                    ),
                }
                for c in missing
            ],
            columns=_FAILURE_COLUMNS,
        ).astype(
            {"row": "int64", "column": "str", "value": "str", "reason": "str", "message": "str"}
        )
        empty = text.iloc[:0].reset_index()
        return Validation(kind, empty, failures, len(frame), blank_rows, read)
    prepared = _prepare(text, kind, region, layout)
    cases = _failure_cases(_schema(kind, region), prepared)
    failures = _failures(cases, prepared, text, kind, region, layout)
    keep = ~prepared.index.isin(failures["row"].unique())
    clean = _public(prepared.loc[keep]).reset_index()
    clean.attrs["ptdata.read"] = read
    return Validation(kind, clean, failures, len(frame), blank_rows, read, rows=prepared)
