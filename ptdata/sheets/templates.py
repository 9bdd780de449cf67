"""Merge-field templates: ``Hi {Name}, see you at {Time}`` rendered once per sheet row.

A field is a column name in braces; ``{{`` and ``}}`` are literal braces. A field matches a
column exactly, or ignoring case and spaces, or as the sheet spells the header (``{First
Name}`` finds the ``Name`` column ``read_sheet`` made of a "First Name" header, and a header
read with ``columns=`` under another name). An unknown field is a ``TemplateError`` naming the
columns that exist and the closest one. ``{Field|fallback}`` writes ``fallback`` where the
cell is empty (``{First Name|there}``; ``{Field|}`` means empty is fine). Without a fallback
an empty value renders as ``na_rep`` (an empty string); ``blank_merge_values`` finds those
rows, which the planner refuses (``blank_merge_field``) unless told to send them as they are.

>>> import pandas as pd
>>> frame = pd.DataFrame({"Name": ["Ana", "Bo"], "Time": ["10:30", None]})
>>> render("Hi {Name}, see you at {Time|noon}. {{STOP}} ends texts", frame).tolist()
['Hi Ana, see you at 10:30. {STOP} ends texts', 'Hi Bo, see you at noon. {STOP} ends texts']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import pandas as pd

from ptdata.sheets.errors import TemplateError
from ptdata.sheets.headers import canonical_header, header_key

__all__ = ["blank_merge_values", "check_template", "fallbacks", "render", "template_fields"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _parts(template: str) -> list[tuple[bool, str, str | None]]:
    """The template as (is_field, text or field name, fallback) pieces; a lone brace or an
    empty field is an error."""
    if not isinstance(template, str):
        raise TemplateError(f"a template must be text, got {type(template).__name__}")
    parts: list[tuple[bool, str, str | None]] = []
    literal: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        literal.append(template[pos : m.start()])
        token = m.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif m.group(1) is not None:
            name, bar, fallback = m.group(1).partition("|")
            name = name.strip()
            if not name:
                raise TemplateError(
                    f"empty merge field '{{{m.group(1)}}}' at character {m.start() + 1}: "
                    "put a column "
                    "name inside the braces, or write {{ }} for literal braces"
                )
            parts.append((False, "".join(literal), None))
            literal = []
            parts.append((True, name, fallback if bar else None))
        else:
            raise TemplateError(
                f"unmatched {token!r} at character {m.start() + 1}: merge fields look like "
                f"{{Name}}; write {token * 2} for a literal {token}"
            )
        pos = m.end()
    literal.append(template[pos:])
    parts.append((False, "".join(literal), None))
    return [part for part in parts if part[0] or part[1]]


def template_fields(template: str) -> list[str]:
    """The merge fields a template uses, in order of first use.

    >>> template_fields("Hi {Name|there}, {Name} - your {Order Id} ships {{soon}}")
    ['Name', 'Order Id']
    """
    return list(dict.fromkeys(text for is_field, text, _ in _parts(template) if is_field))


def fallbacks(template: str) -> dict[str, str | None]:
    """Each field's fallback: the text after ``|``, or None where a use of the field has none.

    >>> fallbacks("Hi {First Name|there}, your {Order Id} is ready")
    {'First Name': 'there', 'Order Id': None}
    """
    out: dict[str, str | None] = {}
    for is_field, name, fallback in _parts(template):
        if is_field:
            out[name] = fallback if out.get(name, fallback) is not None else None
    return out


def _resolve(field: str, columns: list[str], written: dict[str, str]) -> str | None:
    if field in columns:
        return field
    key = header_key(field)
    for column in columns:
        if header_key(column) == key:
            return column
    for header, column in written.items():  # as the sheet spells the header
        if column in columns and header_key(header) == key:
            return column
    canonical = canonical_header(field)
    if canonical is not None and canonical in columns:
        return canonical
    return None


def _written(frame: pd.DataFrame | None) -> dict[str, str]:
    read = (
        frame.attrs.get("ptdata.read", {})
        if frame is not None and isinstance(frame.attrs, dict)
        else {}
    )
    return {str(k): str(v) for k, v in (read.get("headers") or {}).items()}


def check_template(
    template: str, columns: Iterable[str], *, written: dict[str, str] | None = None
) -> dict[str, str]:
    """Each merge field mapped to the column it reads; ``TemplateError`` for an unknown field.

    >>> check_template("Hi {first name}!", ["Phone", "Name"])
    {'first name': 'Name'}
    >>> check_template("Hi {Nmae}!", ["Phone", "Name"])
    Traceback (most recent call last):
    ...
    ptdata.sheets.errors.TemplateError: unknown merge field {Nmae}: did you mean {Name}? The sheet's
    columns are Phone, Name.
    """
    columns = [str(c) for c in columns]
    mapping: dict[str, str] = {}
    for field in template_fields(template):
        column = _resolve(field, columns, written or {})
        if column is None:
            by_key = {header_key(c): c for c in columns}
            close = difflib.get_close_matches(header_key(field), list(by_key), n=1, cutoff=0.6)
            close = [by_key[k] for k in close]
            canonical = canonical_header(field)
            if canonical is not None:
                hint = f" {field} means the {canonical} column, which the sheet does not have."
            else:
                hint = f" did you mean {{{close[0]}}}?" if close else ""
            listed = ", ".join(columns) if columns else "(none)"
            raise TemplateError(
                f"unknown merge field {{{field}}}:{hint} The sheet's columns are {listed}.",
                field=field,
            )
        mapping[field] = column
    return mapping


def _text_column(frame: pd.DataFrame, column: str, na_rep: str) -> pd.Series:
    values = frame[column]
    if not (isinstance(values.dtype, pd.StringDtype)):
        values = values.astype("str")
    return values.fillna(na_rep)


def _blank(values: pd.Series) -> pd.Series:
    """True where a cell is missing or only spaces."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("str")
    return values.isna() | values.str.strip().eq("").fillna(True)


def render(template: str, frame: pd.DataFrame, *, na_rep: str = "") -> pd.Series:
    """The template filled in for every row of ``frame`` (a ``str`` Series with its index).

    A field with a fallback (``{Name|there}``) writes it where the cell is empty or spaces;
    one without writes ``na_rep``. Vectorised: one concatenation per piece, not a row loop.

    >>> render("Hi {Name}!", pd.DataFrame({"Name": ["Ana", None]}), na_rep="there").tolist()
    ['Hi Ana!', 'Hi there!']
    """
    mapping = check_template(template, frame.columns, written=_written(frame))
    out = pd.Series("", index=frame.index, dtype="str")
    for is_field, text, fallback in _parts(template):
        if not is_field:
            out = out + text
            continue
        values = _text_column(frame, mapping[text], na_rep)
        if fallback is not None:
            values = values.mask(_blank(frame[mapping[text]]), fallback)
        out = out + values
    return out


def blank_merge_values(template: str, frame: pd.DataFrame) -> pd.Series:
    """Per row, the fields without a fallback that are empty there (``"Name, Time"``), else missing.

    >>> sheet = pd.DataFrame({"Name": ["Ana", ""], "Time": [None, "9"]})
    >>> blank_merge_values("Hi {Name} at {Time}", sheet).tolist()
    ['Time', 'Name']
    >>> blank_merge_values("Hi {Name|there}", pd.DataFrame({"Name": [""]})).isna().tolist()
    [True]
    """
    mapping = check_template(template, frame.columns, written=_written(frame))
    out = pd.Series(pd.NA, index=frame.index, dtype="str")
    for field, fallback in fallbacks(template).items():
        if fallback is not None:
            continue
        blank = _blank(frame[mapping[field]])
        out = out.mask(blank & out.isna(), field).mask(blank & out.notna(), out + ", " + field)
    return out
