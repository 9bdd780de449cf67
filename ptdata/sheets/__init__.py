"""Spreadsheets in: read, validate and normalise contact and group sheets; SMS arithmetic.

One module per seam: ``reading`` (CSV/TSV/XLSX as text), ``headers`` (canonical column
names), ``phones`` (E.164 exactly as libphonenumber), ``segments`` (encoding and segments),
``templates`` (merge fields), ``schemas`` (pandera models), ``validate`` (clean rows and
failures), ``messages`` (reason codes and fixes), ``excel_safe`` (formula neutralising).

>>> from ptdata.sheets import read_sheet, validate     # doctest: +SKIP
>>> result = validate(read_sheet("sample_data/contacts_messy.csv"))   # doctest: +SKIP
>>> print(result.summary())                            # doctest: +SKIP
"""

from __future__ import annotations

from ptdata.sheets.errors import MessageTooLong, SheetError, TemplateError
from ptdata.sheets.phones import normalize_phones, phone_problems
from ptdata.sheets.reading import read_sheet
from ptdata.sheets.segments import (
    MAX_CHARS,
    MAX_SEGMENTS,
    OPT_OUT_FOOTER,
    WARN_SEGMENTS,
    SegmentInfo,
    check_message,
    segments_frame,
    sms_segments,
)
from ptdata.sheets.templates import check_template, render, template_fields
from ptdata.sheets.validate import Validation, validate

__all__ = [
    "MAX_CHARS",
    "MAX_SEGMENTS",
    "MessageTooLong",
    "OPT_OUT_FOOTER",
    "SegmentInfo",
    "SheetError",
    "TemplateError",
    "Validation",
    "WARN_SEGMENTS",
    "check_message",
    "check_template",
    "normalize_phones",
    "phone_problems",
    "read_sheet",
    "render",
    "segments_frame",
    "sms_segments",
    "template_fields",
    "validate",
]
