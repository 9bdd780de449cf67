"""Each plot function returns a matplotlib Figure built without pyplot, savable as PNG."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import ptdata
from ptdata.inbound.loader import frame_from_records

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture
def frame():
    return frame_from_records(
        [
            {
                "received_at": "2025-03-03T10:05:00Z",
                "From": "+14155550101",
                "Body": "Yes",
                "SmsSid": "SM1",
                "FromState": "CA",
                "FromCity": "SAN FRANCISCO",
            },
            {
                "received_at": "2025-03-04T18:00:00Z",
                "From": "+16175550101",
                "Body": "pic",
                "SmsSid": "MM1",
                "NumMedia": "1",
                "FromState": "MA",
                "FromCity": "BOSTON",
            },
        ]
    )


def tables(frame):
    sent = pd.DataFrame(
        {
            "phone": ["+14155550101", "+16175550101"],
            "status": ["sent", "sent"],
            "campaign_id": ["C1", "C2"],
            "place": ["Main St", "Elm St"],
            "finished_at": ["2025-03-03T10:00:00Z", "2025-03-04T17:00:00Z"],
        }
    )
    return [
        (ptdata.plot_volume_by_hour, ptdata.volume_by_hour(frame), "Replies by hour of day"),
        (ptdata.plot_volume_by_weekday, ptdata.volume_by_weekday(frame), "Replies by weekday"),
        (ptdata.plot_geography, ptdata.geography(frame), "Where replies come from (FromState)"),
        (ptdata.plot_reply_stats, ptdata.reply_stats(frame, sent), "Replies per campaign_id"),
        (ptdata.plot_review_funnel, ptdata.review_funnel(sent, frame), "Review requests per place"),
    ]


def test_every_plot_returns_a_figure_and_saves(frame, tmp_path):
    from matplotlib.figure import Figure

    for plot, table, title in tables(frame):
        fig = plot(table)
        assert isinstance(fig, Figure)
        assert fig.axes[0].get_title() == title
        path = tmp_path / f"{plot.__name__}.png"
        fig.savefig(path)
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_bars_show_the_numbers(frame):
    fig = ptdata.plot_volume_by_hour(ptdata.volume_by_hour(frame))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert len(heights) == 48  # 24 SMS bars + 24 MMS bars
    assert heights[10] == 1 and heights[24 + 18] == 1 and sum(heights) == 2


def test_pyplot_is_never_used():
    """Figures are built without pyplot: no backend is chosen or switched, nothing pops up."""
    code = (
        "import sys, ptdata\n"
        "from ptdata.inbound.loader import frame_from_records\n"
        "f = frame_from_records([{'received_at': '2025-03-03T10:05:00Z', 'From': '+14155550101',"
        " 'SmsSid': 'SM1', 'FromState': 'CA'}])\n"
        "ptdata.plot_volume_by_hour(ptdata.volume_by_hour(f)).savefig('/dev/null', format='png')\n"
        "ptdata.plot_geography(ptdata.geography(f))\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_plot_shows_as_a_picture_when_it_ends_a_notebook_cell(frame):
    """IPython's own formatter (what a kernel runs on a cell's last value) finds a PNG."""
    pytest.importorskip("IPython")
    from IPython.core.formatters import DisplayFormatter

    for plot, table, _ in tables(frame):
        data, _ = DisplayFormatter().format(plot(table))
        assert data["image/png"][:4] == b"\x89PNG", plot.__name__
