"""Contact sync: keep Power Textor's contacts in step with a sheet (diff, dry run, apply, report).

``diff`` is the pure comparison (phones matched in E.164, names compared as documented
there, group names resolved); ``sync`` fetches ``GetContacts``/``GetGroups``, applies the
creates and updates with the send ledger and rules, and builds the report.

>>> import ptdata
>>> result = ptdata.sync_contacts(ptdata.read_sheet("crm.csv"), ptdata.PowerTextor(), dry_run=True)
>>> print(result.plan.summary())
10 sheet rows against 8 Power Textor contacts: 7 create, 3 update, 0 unchanged,
5 only in Power Textor
  contacts only in Power Textor are listed, never deleted (the API has no delete)
  unknown group names: VIP (no close name)
  group membership differs on 7 rows (see missing_groups, extra_groups)
  note: Power Textor's API has no action that adds a contact to a group ...
  10 API calls to make
"""

from __future__ import annotations

from ptdata.contacts.diff import ACTIONS, diff_contacts, names_match, resolve_group_names
from ptdata.contacts.sync import (
    NO_GROUP_ACTION,
    REPORT_COLUMNS,
    STATUSES,
    SyncPlan,
    SyncResult,
    apply_sync,
    plan_sync,
    sync_contacts,
)

__all__ = [
    "ACTIONS",
    "NO_GROUP_ACTION",
    "REPORT_COLUMNS",
    "STATUSES",
    "SyncPlan",
    "SyncResult",
    "apply_sync",
    "diff_contacts",
    "names_match",
    "plan_sync",
    "resolve_group_names",
    "sync_contacts",
]
