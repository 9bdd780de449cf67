"""Inbound messages: webhook listener, dump loader, opt-outs, reply analysis and plots.

    webhook POSTs --listen--> dump (JSONL) --load_inbound--> inbound frame
        --opt_outs / suppression_list--> numbers never to text (the planner excludes them)
        --reply_stats / review_funnel / volume_by_hour / geography--> tables and plots

>>> import ptdata
>>> inbound = ptdata.load_inbound("sample_data/inbound_sms.jsonl")
>>> sorted(ptdata.suppression_list(inbound))                     # doctest: +SKIP
"""

from ptdata.inbound.analysis import (
    geography,
    reply_stats,
    review_funnel,
    volume_by_hour,
    volume_by_weekday,
)
from ptdata.inbound.listener import create_listener_app, serve_listener
from ptdata.inbound.loader import InboundLoadError, format_load_report, load_inbound
from ptdata.inbound.optouts import classify_reply, opt_outs, suppression_list
from ptdata.inbound.plots import (
    plot_geography,
    plot_reply_stats,
    plot_review_funnel,
    plot_volume_by_hour,
    plot_volume_by_weekday,
)
from ptdata.inbound.schema import INBOUND_SCHEMA

__all__ = [
    "INBOUND_SCHEMA",
    "InboundLoadError",
    "classify_reply",
    "create_listener_app",
    "format_load_report",
    "geography",
    "load_inbound",
    "opt_outs",
    "plot_geography",
    "plot_reply_stats",
    "plot_review_funnel",
    "plot_volume_by_hour",
    "plot_volume_by_weekday",
    "reply_stats",
    "review_funnel",
    "serve_listener",
    "suppression_list",
    "volume_by_hour",
    "volume_by_weekday",
]
