"""Validate a sheet: the clean rows, plus every failure with its spreadsheet row and how to fix it.

``validate(frame, kind)`` never raises for bad rows: bad rows are data. It drops and counts
blank rows, normalises phones to E.164 (Excel-damaged numbers are rejected, never repaired),
strips spaces, cleans Groups to ``VIP;Staff``, runs the pandera schema lazily, and maps every
failure to the row number the spreadsheet shows (header = row 1, first data row = 2).

``Validation.clean`` holds the rows that passed, with a leading ``row`` column, ``Phone`` in
E.164 and every other column kept (cells stripped; an empty cell is missing).
``Validation.failures`` has one line per problem: row, column, value (as written), reason (a
code from ``ptdata.sheets.messages.REASONS``) and message (what to do). A row with several
problems appears once per problem. Duplicates keep the first row and report the later ones.

Row numbers come from the frame's index when it is named ``row`` (``read_sheet`` does that);
for any other frame the first row is taken to be spreadsheet row 2.

>>> import pandas as pd
>>> sheet = pd.DataFrame({"Phone": ["(415) 555-0123", "4.15555E+09", "415-555-0123"], "Name": ["Ana", "Bo", "Cy"]})
>>> result = validate(sheet)
>>> result.clean.to_dict("records")
[{'row': 2, 'Phone': '+14155550123', 'Name': 'Ana'}]
>>> result.failures[["row", "column", "reason"]].to_dict("records")
[{'row': 3, 'column': 'Phone', 'reason': 'excel_scientific'}, {'row': 4, 'column': 'Phone', 'reason': 'duplicate'}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ptdata.sheets.campaign import body_problems, campaign_headers, no_operation_detail, prepare_campaign
from ptdata.sheets.messages import failure_message
from ptdata.sheets.phones import _analyse, _problems
from ptdata.sheets.schemas import TIME_ZONES, CampaignSheet, ContactsSheet, GroupsSheet, _target, _timing

__all__ = ["SHEET_KINDS", "Validation", "validate"]

SHEET_KINDS = ("contacts", "groups", "campaign")
_MODELS = {"contacts": ContactsSheet, "groups": GroupsSheet, "campaign": CampaignSheet}
_REQUIRED = {"contacts": ("Phone",), "groups": ("Groups", "Phone"), "campaign": ("Body",)}
_FAILURE_COLUMNS = ["row", "column", "value", "reason", "message"]
_ZONE_BY_LOWER = {z.lower(): z for z in TIME_ZONES}
_DUPLICATE_KEYS = {
    "contacts": ["Phone"],
    "groups": ["Groups", "Phone"],
    "campaign": ["Phone", "Groups", "Kind", "Body", "SendAt", "EventDate", "DaysBefore", "Time",
                 "Place", "Attachment"],
}


@dataclass(repr=False)
class Validation:
    """The outcome of ``validate``: ``clean`` rows, ``failures`` table and the counts around them."""

    kind: str
    clean: pd.DataFrame
    failures: pd.DataFrame
    rows_read: int
    blank_rows: int
    read: dict[str, Any] = field(default_factory=dict)

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

    def counts(self) -> pd.Series:
        """Failing rows per reason code (a row with two problems counts under both)."""
        per = self.failures.drop_duplicates(["row", "reason"])["reason"].value_counts()
        return per.sort_index().rename("rows")

    def groups_long(self) -> pd.DataFrame:
        """One line per (row, Group, Phone) of the clean rows: the Groups cells split.

        >>> validate(pd.DataFrame({"Phone": ["4155550123"], "Groups": ["VIP | Staff"]})).groups_long()
           row  Group         Phone
        0    2    VIP  +14155550123
        1    2  Staff  +14155550123
        """
        columns = ["row", "Group", "Phone"]
        if "Groups" not in self.clean or "Phone" not in self.clean:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in columns})
        long = self.clean[["row", "Groups", "Phone"]].dropna(subset=["Groups"])
        long = long.assign(Group=long["Groups"].str.split(";")).explode("Group")
        return long[columns].reset_index(drop=True).astype({"Group": "str"})

    def summary(self) -> str:
        """A few lines for a person: rows read, valid, failed by reason, how the file was read."""
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
        counts = self.counts()
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
    if not read:
        return ""
    if read.get("format") == "xlsx":
        return f"XLSX, sheet {read.get('sheet')!r}"
    encoding = read.get("encoding") or "text"
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16 with BOM",
             "cp1252": "Windows-1252 (guessed: not UTF-8)"}
    delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(read.get("delimiter"), repr(read.get("delimiter")))
    sep = ", sep= line" if read.get("sep_line") else ""
    return f"{names.get(encoding, encoding)}, {delimiter}-separated{sep}"


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
    stripped = values.str.strip()
    return stripped.mask(stripped == "")


def _clean_groups(groups: pd.Series) -> pd.Series:
    cleaned = groups.str.replace(r"\s*[;|][\s;|]*", ";", regex=True).str.strip(" ;")
    return cleaned.mask(cleaned == "")


def _prepare(text: pd.DataFrame, kind: str, region: str | None) -> pd.DataFrame:
    prepared = pd.DataFrame({c: _strip(text[c]) for c in text.columns}, index=text.index)
    if "Phone" in text:
        raw, e164, reason = _analyse(text["Phone"], region)
        problems = _problems(raw, e164, reason)
        if kind == "campaign":
            problems = problems.mask(problems == "missing")
        prepared["Phone"] = e164.where(problems.isna())
        prepared["_phone_problem"] = problems
    if "Groups" in prepared:
        prepared["Groups"] = _clean_groups(prepared["Groups"])
    if "TimeZone" in prepared:
        zone = prepared["TimeZone"]
        prepared["TimeZone"] = zone.str.lower().map(_ZONE_BY_LOWER).astype("str").fillna(zone)
    if kind == "campaign":
        prepared = prepare_campaign(prepared)
        problems = body_problems(prepared)
        prepared["_body_problem"], prepared["_body_detail"] = problems["reason"], problems["detail"]
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


def _first_rows(prepared: pd.DataFrame, kind: str) -> pd.Series:
    """For each row, the first row with the same duplicate key."""
    key = [c for c in _DUPLICATE_KEYS[kind] if c in prepared]
    groups = prepared.groupby(key, dropna=False, sort=False).ngroup()
    rows = pd.Series(prepared.index, index=prepared.index)
    return rows.groupby(groups.to_numpy()).transform("first")


def _failures(cases: pd.DataFrame, prepared: pd.DataFrame, text: pd.DataFrame, kind: str,
              region: str | None) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    if cases.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in _FAILURE_COLUMNS})
    cases = cases[["column", "check", "failure_case", "index"]].copy()
    wide = cases["check"].str.contains(":", regex=False)
    cases.loc[wide, "column"] = cases.loc[wide, "check"].str.split(":").str[1]
    cases.loc[wide, "check"] = cases.loc[wide, "check"].str.split(":").str[0]
    cases = cases.drop_duplicates(["index", "column", "check"])
    columns = [c for c in text.columns]
    first_rows = _first_rows(prepared, kind) if (cases["check"] == "duplicate").any() else None
    for column, check, case, index in cases.itertuples(index=False, name=None):
        if index is None or (not isinstance(index, (int, np.integer)) and pd.isna(index)):
            if check == "column_in_dataframe":
                records.append({"row": 1, "column": case, "value": pd.NA, "reason": "missing_column",
                                "message": failure_message("missing_column", case, None, columns=columns)})
            continue
        row = int(index)
        reason, context = check, {"region": region, "sheet": kind}
        if check in ("not_nullable", "phone") and column == "Phone":
            reason = prepared.at[row, "_phone_problem"]
        elif check == "not_nullable":
            reason = "required"
        elif check == "body":
            reason = prepared.at[row, "_body_problem"]
            context["detail"] = prepared.at[row, "_body_detail"]
        elif check == "duplicate":
            context["first_row"] = int(first_rows[row])
            context["e164"] = prepared.at[row, "Phone"] if "Phone" in prepared else None
        elif check == "no_operation":
            one = prepared.loc[[row]]
            context["detail"] = no_operation_detail(one["Kind"].iat[0], _timing(one).iat[0], _target(one).iat[0])
        if check in ("required", "not_for_kind", "not_nullable"):
            context["kind"] = prepared.at[row, "Kind"] if "Kind" in prepared else None
        value = text.at[row, column] if column in text else pd.NA
        records.append({"row": row, "column": column, "value": value, "reason": reason,
                        "message": failure_message(reason, column, value, **context)})
    out = pd.DataFrame.from_records(records, columns=_FAILURE_COLUMNS)
    order = {c: i for i, c in enumerate(columns)}
    out["_order"] = out["column"].map(order).fillna(len(order))
    out = out.sort_values(["row", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    return out.astype({"row": "int64", "column": "str", "value": "str", "reason": "str", "message": "str"})


def validate(frame: pd.DataFrame, kind: str = "contacts", *, region: str | None = "US") -> Validation:
    """Check a sheet read by ``read_sheet`` (or any DataFrame) as ``contacts``, ``groups`` or ``campaign``.

    ``region`` is how phone numbers without ``+`` are read (and whether ZIP codes are US ZIPs).

    >>> validate(pd.DataFrame({"Phone": ["415 555 0123", ""], "Name": ["Ana", ""]})).summary()
    '2 rows read as contacts (1 blank skipped): 1 valid, 0 failed'
    """
    if kind not in SHEET_KINDS:
        raise ValueError(f"unknown sheet kind {kind!r}: use one of {', '.join(SHEET_KINDS)}")
    read = dict(frame.attrs.get("ptdata.read", {}))
    text = _as_text(frame)
    text.index = _row_numbers(frame)
    if kind == "campaign":
        text = campaign_headers(text)
    blank = np.ones(len(text), dtype=bool)
    for column in text.columns:
        values = text[column]
        blank &= (values.isna() | (values.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
    blank_rows = int(blank.sum())
    text = text[~blank]
    missing = [c for c in _REQUIRED[kind] if c not in text.columns]
    if kind == "campaign" and "Phone" not in text.columns and "Groups" not in text.columns:
        missing.insert(0, "Phone")
    if missing:
        failures = pd.DataFrame.from_records(
            [{"row": 1, "column": c, "value": pd.NA, "reason": "missing_column",
              "message": failure_message("missing_column", c, None, columns=list(text.columns))} for c in missing],
            columns=_FAILURE_COLUMNS,
        ).astype({"row": "int64", "column": "str", "value": "str", "reason": "str", "message": "str"})
        empty = text.iloc[:0].reset_index()
        return Validation(kind, empty, failures, len(frame), blank_rows, read)
    prepared = _prepare(text, kind, region)
    cases = _failure_cases(_schema(kind, region), prepared)
    failures = _failures(cases, prepared, text, kind, region)
    keep = ~prepared.index.isin(failures["row"].unique())
    clean = prepared.loc[keep, [c for c in prepared.columns if not c.startswith("_")]].reset_index()
    clean.attrs["ptdata.read"] = read
    return Validation(kind, clean, failures, len(frame), blank_rows, read)
