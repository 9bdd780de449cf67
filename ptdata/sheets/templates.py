"""Merge-field templates: ``Hi {Name}, see you at {Time}`` rendered once per sheet row.

A field is a column name in braces; ``{{`` and ``}}`` are literal braces. A field matches a
column exactly, or ignoring case and spaces, or through the header aliases (``{First Name}``
finds the ``Name`` column that ``read_sheet`` made of a "First Name" header). An unknown field
is a ``TemplateError`` naming the columns that exist and the closest one. Empty or missing
values render as ``na_rep`` (an empty string by default); ``blank_merge_values`` finds the rows
where that happens so they can be reviewed before sending.

>>> import pandas as pd
>>> frame = pd.DataFrame({"Name": ["Ana", "Bo"], "Time": ["10:30", None]})
>>> render("Hi {Name}, see you at {Time}. {{STOP}} ends texts", frame).tolist()
['Hi Ana, see you at 10:30. {STOP} ends texts', 'Hi Bo, see you at . {STOP} ends texts']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import pandas as pd

from ptdata.sheets.errors import TemplateError
from ptdata.sheets.headers import canonical_header, header_key

__all__ = ["blank_merge_values", "check_template", "render", "template_fields"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _parts(template: str) -> list[tuple[bool, str]]:
    """The template as (is_field, text) pieces; a lone brace or an empty field is an error."""
    if not isinstance(template, str):
        raise TemplateError(f"a template must be text, got {type(template).__name__}")
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        literal.append(template[pos:m.start()])
        token = m.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif m.group(1) is not None:
            name = m.group(1).strip()
            if not name:
                raise TemplateError(
                    f"empty merge field '{{}}' at character {m.start() + 1}: put a column name "
                    "inside the braces, or write {{ }} for literal braces"
                )
            parts.append((False, "".join(literal)))
            literal = []
            parts.append((True, name))
        else:
            raise TemplateError(
                f"unmatched {token!r} at character {m.start() + 1}: merge fields look like "
                f"{{Name}}; write {token * 2} for a literal {token}"
            )
        pos = m.end()
    literal.append(template[pos:])
    parts.append((False, "".join(literal)))
    return [(is_field, text) for is_field, text in parts if is_field or text]


def template_fields(template: str) -> list[str]:
    """The merge fields a template uses, in order of first use.

    >>> template_fields("Hi {Name}, {Name} - your {Order Id} ships {{soon}}")
    ['Name', 'Order Id']
    """
    return list(dict.fromkeys(text for is_field, text in _parts(template) if is_field))


def _resolve(field: str, columns: list[str]) -> str | None:
    if field in columns:
        return field
    key = header_key(field)
    for column in columns:
        if header_key(column) == key:
            return column
    canonical = canonical_header(field)
    if canonical is not None and canonical in columns:
        return canonical
    return None


def check_template(template: str, columns: Iterable[str]) -> dict[str, str]:
    """Each merge field mapped to the column it reads; ``TemplateError`` for an unknown field.

    >>> check_template("Hi {first name}!", ["Phone", "Name"])
    {'first name': 'Name'}
    >>> check_template("Hi {Nmae}!", ["Phone", "Name"])
    Traceback (most recent call last):
    ...
    ptdata.sheets.errors.TemplateError: unknown merge field {Nmae}: did you mean {Name}? The sheet's columns are Phone, Name.
    """
    columns = [str(c) for c in columns]
    mapping: dict[str, str] = {}
    for field in template_fields(template):
        column = _resolve(field, columns)
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


def render(template: str, frame: pd.DataFrame, *, na_rep: str = "") -> pd.Series:
    """The template filled in for every row of ``frame`` (a ``str`` Series with its index).

    Vectorised: one string concatenation per piece of the template, not a loop over rows.

    >>> render("Hi {Name}!", pd.DataFrame({"Name": ["Ana", None]}), na_rep="there").tolist()
    ['Hi Ana!', 'Hi there!']
    """
    mapping = check_template(template, frame.columns)
    out = pd.Series("", index=frame.index, dtype="str")
    for is_field, text in _parts(template):
        out = out + (_text_column(frame, mapping[text], na_rep) if is_field else text)
    return out


def blank_merge_values(template: str, frame: pd.DataFrame) -> pd.Series:
    """Per row, the merge fields that are empty there (``"Name, Time"``), missing when none are.

    >>> blank_merge_values("Hi {Name} at {Time}", pd.DataFrame({"Name": ["Ana", ""], "Time": [None, "9"]})).tolist()
    ['Time', 'Name']
    """
    mapping = check_template(template, frame.columns)
    out = pd.Series(pd.NA, index=frame.index, dtype="str")
    for field, column in mapping.items():
        values = frame[column]
        blank = values.isna() | (values.astype("str").str.strip() == "")
        out = out.mask(blank & out.isna(), field).mask(blank & out.notna(), out + ", " + field)
    return out
