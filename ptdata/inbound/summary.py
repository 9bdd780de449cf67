"""The ``ptdata inbound summary`` work: load dumps, build the tables, write CSV and PNG files.

>>> from ptdata.inbound.summary import build_summary
>>> text, files = build_summary(  # doctest: +SKIP
...     ["inbound.jsonl"], sent="report.csv", out_dir="summary"
... )
>>> print(text)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ptdata.inbound import analysis, plots
from ptdata.inbound.loader import load_inbound
from ptdata.inbound.optouts import STATUSES, opt_outs

__all__ = ["build_summary", "summary_text"]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def summary_text(inbound: pd.DataFrame, decisions: pd.DataFrame, stats: pd.DataFrame | None) -> str:
    """The few lines the command prints."""
    report = inbound.attrs.get("ptdata.load", {})
    n = len(inbound)
    kinds = inbound["kind"].value_counts()
    senders = inbound["From"].nunique()
    lines = [
        f"{n} message(s) ({int(kinds.get('sms', 0))} SMS, {int(kinds.get('mms', 0))} MMS) "
        f"from {senders} sender(s)"
    ]
    when = inbound["received_at"].dropna()
    if len(when):
        lines[0] += f", {when.min():%Y-%m-%d %H:%M} to {when.max():%Y-%m-%d %H:%M} UTC"
    counts = decisions["status"].value_counts()
    lines.append(
        "Opt-outs: "
        + ", ".join(
            f"{int(counts.get(s, 0))} {label}"
            for s, label in zip(
                STATUSES,
                ("opted out", "re-subscribed", "to review (suppressed)", "asked for help"),
                strict=True,
            )
        )
    )
    skipped = report.get("skipped", 0)
    lines.append(
        f"Skipped: {report.get('duplicates', 0)} duplicate deliveries, "
        f"{skipped} torn or invalid line(s)"
    )
    for file, nums in report.get("skipped_lines", {}).items():
        shown = ", ".join(map(str, nums[:20])) + (" ..." if len(nums) > 20 else "")
        lines.append(f"  {file}: line(s) {shown}")
    for problem in report.get("problems", []):
        if ", line " not in problem:
            lines.append(f"  {problem}")
    if stats is not None and len(stats):
        sent, replied, out = (int(stats[c].sum()) for c in ("sent", "replied", "opted_out"))
        lines.append(
            f"Against the report: {sent} sent, {replied} replied ({_pct(replied, sent)}), "
            f"{out} opted out ({_pct(out, sent)})"
        )
    return "\n".join(lines)


def _for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """Durations as minutes (a number a spreadsheet can sort), not ``0 days 00:05:00``."""
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_timedelta64_dtype(out[col]):
            out[col.replace("time_to", "minutes_to")] = (out[col].dt.total_seconds() / 60).round(1)
            out = out.drop(columns=col)
    return out


def build_summary(
    dumps: list, *, sent=None, out_dir=None, tz: str = "UTC"
) -> tuple[str, list[Path]]:
    """Load ``dumps``; return the summary text and the files written into ``out_dir``."""
    from ptdata.bulk.writers import read_report, write_frame

    inbound = load_inbound(dumps)
    decisions = opt_outs(inbound)
    tables: dict[str, tuple[pd.DataFrame, Callable[[pd.DataFrame], Any] | None]] = {
        "opt_outs": (decisions, None),
        "volume_by_hour": (analysis.volume_by_hour(inbound, tz=tz), plots.plot_volume_by_hour),
        "volume_by_weekday": (
            analysis.volume_by_weekday(inbound, tz=tz),
            plots.plot_volume_by_weekday,
        ),
        "geography": (analysis.geography(inbound), plots.plot_geography),
    }
    stats = None
    if sent is not None:
        report = read_report(sent)
        stats = analysis.reply_stats(inbound, report, by=None)
        for by in ("campaign", "group", "body"):
            col = {"campaign": "campaign_id"}.get(by, by)
            if col in report.columns and report[col].notna().any():
                tables[f"reply_stats_by_{by}"] = (
                    analysis.reply_stats(inbound, report, by=by),
                    plots.plot_reply_stats,
                )
        if "place" in report.columns and report["place"].notna().any():
            tables["review_funnel"] = (
                analysis.review_funnel(report, inbound),
                plots.plot_review_funnel,
            )
    files: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, (table, plot) in tables.items():
            files.append(write_frame(_for_csv(table), out / f"{name}.csv"))
            if plot is not None and len(table):
                fig = plot(table)
                fig.savefig(out / f"{name}.png", dpi=110)
                files.append(out / f"{name}.png")
    return summary_text(inbound, decisions, stats), files
