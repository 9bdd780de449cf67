"""The report frame's pandera schema: the columns every report has, their types and values.

One row per input row, in input order (per input row and reminder offset for reminders
planned from appointments); the columns below first, then any kept sheet columns. Text
columns are pandas' ``str``; counts are nullable integers; times are UTC date-times.

>>> from ptdata.bulk.schema import REPORT_SCHEMA
>>> report = ptdata.send(plan, client, progress=False)
>>> _ = REPORT_SCHEMA.validate(report.frame)      # raises with every problem listed
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from ptdata.bulk.report import REPORT_COLUMNS, STATUSES

__all__ = ["REPORT_SCHEMA"]

_TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))  # pandas 3's default ``str``
_UTC = pd.DatetimeTZDtype("ns", "UTC")


def _text(*checks: pa.Check, nullable: bool = True) -> pa.Column:
    return pa.Column(_TEXT, list(checks), nullable=nullable)


REPORT_SCHEMA = pa.DataFrameSchema(
    {
        "row": pa.Column("Int64", pa.Check.ge(0), nullable=False),
        "phone": _text(pa.Check.str_matches(r"^\+[1-9]\d{6,14}$")),
        "phone_as_written": _text(),
        "phone_column": _text(),
        "name": _text(),
        "status": _text(pa.Check.isin(STATUSES), nullable=False),
        "reason": _text(),
        "message": _text(),
        "operation": _text(),
        "campaign_id": _text(),
        "batch_id": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "attempts": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "first_attempt_at": pa.Column(_UTC, nullable=True),
        "finished_at": pa.Column(_UTC, nullable=True),
        "scheduled_for": pa.Column(_UTC, nullable=True),
        "tz": _text(),
        "offset": _text(),
        "note": _text(),
        "segments": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "encoding": _text(pa.Check.isin(["GSM-7", "UCS-2"])),
        "body": _text(),
        "group": _text(),
        "place": _text(),
        "kind": _text(pa.Check.isin(["text", "review", "reminder", "mms"]), nullable=False),
        "reach": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "sent_count": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "undelivered_count": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "call_recipients": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "campaign": _text(nullable=False),
        # a run's id (32 hex digits), or a dry run's plan digest (64)
        "job_id": _text(pa.Check.str_matches(r"^[0-9a-f]{32}(?:[0-9a-f]{32})?$"), nullable=False),
    },
    checks=[
        # every row skipped or failed says why
        pa.Check(
            lambda f: ~f["status"].isin(["skipped", "failed", "unknown"]) | f["reason"].notna(),
            name="reason_given",
            element_wise=False,
        ),
        # a sent or scheduled row names its operation
        pa.Check(
            lambda f: ~f["status"].isin(["sent", "scheduled"]) | f["operation"].notna(),
            name="operation_given",
            element_wise=False,
        ),
    ],
    unique=["row", "offset"],
    strict=False,  # the sheet columns asked for with keep_columns follow the report's own
    ordered=True,
    name="report",
)

assert tuple(REPORT_SCHEMA.columns) == REPORT_COLUMNS
