"""Bulk campaigns: plan → send (paced, recorded in the send history) → report.

>>> import ptdata
>>> p = ptdata.plan(frame, body="Doors open at 9!", to="numbers")   # the dry run
>>> print(p.summary())
10 rows → 1 API call, 10 segments
  calls: SendMessageToMultipleNumbers ×1
  campaign cdc8629124b0 (no name given)
>>> p = ptdata.plan(frame, body="Sale at 10!", to="contacts",
...                 local_at="10:00 local on 12/03/2026")        # each recipient's 10:00
>>> p = ptdata.plan(appts, body="See you soon", kind="reminder", to="new-contacts",
...                 appointments="Appointment", offsets=["1 day before at 18:00"])
>>> report = ptdata.send(p, ptdata.PowerTextor(), rate=5)
>>> report.write("report.xlsx")
PosixPath('report.xlsx')
"""

from __future__ import annotations

from ptdata.bulk.ledger import HistoryFullError, JobLockedError, Ledger, LedgerDamagedError
from ptdata.bulk.limiter import RateLimiter
from ptdata.bulk.make_plan import plan
from ptdata.bulk.plan_object import Call, Plan
from ptdata.bulk.report import REPORT_COLUMNS, STATUSES, Report
from ptdata.bulk.sending import PendingSend, send
from ptdata.bulk.writers import read_report, write_frame

__all__ = [
    "Call",
    "HistoryFullError",
    "JobLockedError",
    "Ledger",
    "LedgerDamagedError",
    "PendingSend",
    "Plan",
    "REPORT_COLUMNS",
    "RateLimiter",
    "Report",
    "STATUSES",
    "plan",
    "read_report",
    "send",
    "write_frame",
]
