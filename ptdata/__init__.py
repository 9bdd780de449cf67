"""ptdata: run Power Textor SMS/MMS campaigns from pandas, notebooks and CSV batch jobs.

The flow, each arrow a plain function a notebook cell can call on its own::

    read_sheet -> validate -> plan -> send -> report
    listen -> load_inbound -> opt_outs -> (suppression list back into plan)

>>> import ptdata
>>> client = ptdata.PowerTextor()          # key from POWERTEXTOR_API_KEY
"""

from __future__ import annotations

from ptdata._version import __version__
from ptdata.api.client import PowerTextor
from ptdata.api.errors import (
    APIError,
    AuthenticationError,
    ConnectError,
    PowerTextorError,
    PtdataError,
    RateLimitedError,
    RejectedError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    TimeoutError_,
    TransportError,
    UsageError,
)
from ptdata.bulk import JobLockedError, Plan, Report, plan, read_report, send
from ptdata.bulk.history import history, opt_out_audit
from ptdata.bulk.ledger import CampaignChangedError, LedgerDamagedError
from ptdata.bulk.planner import InvalidRowsError
from ptdata.contacts import SyncPlan, SyncResult, apply_sync, plan_sync, sync_contacts
from ptdata.inbound import (
    InboundLoadError,
    classify_reply,
    create_listener_app,
    geography,
    load_inbound,
    opt_outs,
    plot_geography,
    plot_reply_stats,
    plot_review_funnel,
    plot_volume_by_hour,
    plot_volume_by_weekday,
    reply_stats,
    review_funnel,
    serve_listener,
    suppression_list,
    volume_by_hour,
    volume_by_weekday,
)
from ptdata.sandbox import Sandbox, serve_sandbox
from ptdata.sheets import (
    MessageTooLong,
    SegmentInfo,
    SheetError,
    TemplateError,
    Validation,
    check_message,
    normalize_phones,
    read_sheet,
    sms_segments,
    validate,
)
from ptdata.timing import (
    QuietHours,
    ReminderOffset,
    apply_quiet_hours,
    appointment_reminders,
    local_schedule,
    parse_offset,
    reminder_fields,
    reminder_instant,
    resolve_timezones,
)

__all__ = [
    "APIError",
    "AuthenticationError",
    "CampaignChangedError",
    "ConnectError",
    "InboundLoadError",
    "InvalidRowsError",
    "JobLockedError",
    "LedgerDamagedError",
    "MessageTooLong",
    "Plan",
    "PowerTextor",
    "PowerTextorError",
    "PtdataError",
    "QuietHours",
    "RateLimitedError",
    "RejectedError",
    "ReminderOffset",
    "Report",
    "RequestTimeoutError",
    "ResponseError",
    "Sandbox",
    "SegmentInfo",
    "ServerError",
    "SheetError",
    "SyncPlan",
    "SyncResult",
    "TemplateError",
    "TimeoutError_",
    "TransportError",
    "UsageError",
    "Validation",
    "__version__",
    "apply_quiet_hours",
    "apply_sync",
    "appointment_reminders",
    "check_message",
    "classify_reply",
    "create_listener_app",
    "geography",
    "history",
    "load_inbound",
    "local_schedule",
    "normalize_phones",
    "opt_out_audit",
    "opt_outs",
    "parse_offset",
    "plan",
    "plan_sync",
    "plot_geography",
    "plot_reply_stats",
    "plot_review_funnel",
    "plot_volume_by_hour",
    "plot_volume_by_weekday",
    "read_report",
    "read_sheet",
    "reminder_fields",
    "reminder_instant",
    "reply_stats",
    "resolve_timezones",
    "review_funnel",
    "send",
    "serve_listener",
    "serve_sandbox",
    "sms_segments",
    "suppression_list",
    "sync_contacts",
    "validate",
    "volume_by_hour",
    "volume_by_weekday",
]
