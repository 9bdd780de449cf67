"""The sample dumps read true: people write during their day, in their own time zone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import ptdata
from ptdata.timing import resolve_timezones

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def test_every_sample_reply_arrives_between_8_and_21_where_its_sender_lives():
    inbound = ptdata.load_inbound(
        [SAMPLES / "inbound_sms.jsonl", SAMPLES / "inbound_mms.jsonl", SAMPLES / "inbound_form.txt"]
    )
    assert len(inbound) >= 15
    zones = resolve_timezones(
        pd.DataFrame(
            {"Phone": inbound["From"].astype("str"), "State": inbound["FromState"].astype("str")}
        )
    )
    assert zones["tz"].notna().all()
    local = [at.tz_convert(tz) for at, tz in zip(inbound["received_at"], zones["tz"], strict=True)]
    late_or_early = [
        f"{sender} at {t:%a %H:%M} ({t.tzinfo})"
        for sender, t in zip(inbound["From"], local, strict=True)
        if not 8 <= t.hour < 21
    ]
    assert late_or_early == []
