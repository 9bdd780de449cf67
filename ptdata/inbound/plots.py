"""Charts of the inbound tables: each function returns a matplotlib Figure (never shows it).

Figures are built without pyplot, so nothing depends on (or changes) the display backend.
Each is a ``Chart``, a Figure that a notebook shows as a picture when it is the last line of a
cell (no ``plt.show()``, no ``%matplotlib inline``); a script saves it with
``fig.savefig("x.png")``. Needs matplotlib (``pip install 'ptdata[plots]'``).

>>> import ptdata
>>> fig = ptdata.plot_volume_by_hour(ptdata.volume_by_hour(inbound))   # doctest: +SKIP
>>> fig.savefig("volume_by_hour.png")                                 # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "plot_geography",
    "plot_reply_stats",
    "plot_review_funnel",
    "plot_volume_by_hour",
    "plot_volume_by_weekday",
]


def _figure(width: float = 8.0, height: float = 4.0):
    try:
        from ptdata.inbound._chart import Chart
    except ImportError as exc:  # pragma: no cover - matplotlib is an optional extra
        raise ImportError("plots need matplotlib: pip install 'ptdata[plots]'") from exc
    fig = Chart(figsize=(width, height), layout="constrained")
    return fig, fig.subplots()


def _stacked(table: pd.DataFrame, label: str, title: str):
    fig, ax = _figure()
    x = np.arange(len(table))
    ax.bar(x, table["sms"], label="SMS", color="#4C72B0")
    ax.bar(x, table["mms"], bottom=table["sms"], label="MMS", color="#DD8452")
    ax.set_xticks(x, [str(v) for v in table[label]], rotation=0 if len(x) <= 12 else 90)
    ax.set_ylabel("messages received")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_volume_by_hour(table: pd.DataFrame):
    """Stacked bars of SMS and MMS received per hour (the ``volume_by_hour`` table)."""
    return _stacked(table, "hour", "Replies by hour of day")


def plot_volume_by_weekday(table: pd.DataFrame):
    """Stacked bars of SMS and MMS received per weekday (the ``volume_by_weekday`` table)."""
    return _stacked(table.assign(weekday=table["weekday"].str[:3]), "weekday", "Replies by weekday")


def plot_geography(table: pd.DataFrame, *, top: int = 15):
    """Horizontal bars of messages per sender state (the ``geography`` table), top ``top``."""
    key = table.columns[0]
    per = table.groupby(key, dropna=False)["messages"].sum().sort_values(ascending=False)
    per = per.head(top)[::-1]
    fig, ax = _figure(7.0, max(2.5, 0.35 * len(per) + 1))
    labels = ["(unknown)" if pd.isna(k) or k == "" else str(k) for k in per.index]
    ax.barh(labels, per.to_numpy(), color="#4C72B0")
    ax.set_xlabel("messages received")
    ax.set_title(f"Where replies come from ({key})")
    return fig


def plot_reply_stats(stats: pd.DataFrame):
    """Reply rate and opt-out rate side by side for each row of a ``reply_stats`` table."""
    key = stats.columns[0] if stats.columns[0] != "sent" else None
    labels = (
        ["all"]
        if key is None
        else [
            "(none)" if pd.isna(k) else (str(k)[:24] + ("…" if len(str(k)) > 24 else ""))
            for k in stats[key]
        ]
    )
    fig, ax = _figure(max(6.0, 0.9 * len(labels) + 2), 4.0)
    x = np.arange(len(labels))
    ax.bar(x - 0.2, stats["reply_rate"] * 100, width=0.4, label="reply rate", color="#4C72B0")
    ax.bar(x + 0.2, stats["opt_out_rate"] * 100, width=0.4, label="opt-out rate", color="#C44E52")
    ax.set_xticks(
        x,
        labels,
        rotation=30 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
    )
    ax.set_ylabel("% of messages sent")
    ax.set_title(f"Replies per {key or 'send'}")
    ax.legend()
    return fig


def plot_review_funnel(funnel: pd.DataFrame):
    """Requests sent, replied and opted out per place (the ``review_funnel`` table)."""
    fig, ax = _figure(max(6.0, 1.2 * len(funnel) + 2), 4.0)
    x = np.arange(len(funnel))
    for offset, col, color in (
        (-0.27, "sent", "#4C72B0"),
        (0.0, "replied", "#55A868"),
        (0.27, "opted_out", "#C44E52"),
    ):
        ax.bar(x + offset, funnel[col], width=0.27, label=col.replace("_", " "), color=color)
    ax.set_xticks(x, [str(p) for p in funnel["place"]])
    ax.set_ylabel("review requests")
    ax.set_title("Review requests per place")
    ax.legend()
    return fig
