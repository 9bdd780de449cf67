"""Re-running a campaign after the clock changed its plan never texts anyone twice."""

from datetime import datetime, timezone

import pytest
from bulk_helpers import frame, posts

import ptdata
from ptdata.bulk.ledger import CampaignChangedError

NUMBERS = ["+12125550101", "+12125550102", "+12125550103"]  # New York
BEFORE_NINE = datetime(2026, 11, 3, 1, 55, tzinfo=timezone.utc)  # 20:55 in New York
AFTER_NINE = datetime(2026, 11, 3, 2, 10, tzinfo=timezone.utc)  # 21:10: quiet hours


def campaign(now):
    return ptdata.plan(frame(Phone=NUMBERS), body="Doors open at 9", to="new-contacts", now=now)


def test_same_campaign_replanned_after_quiet_hours_began_is_refused(sandbox, client, run):
    first = campaign(BEFORE_NINE)
    assert run(first, client).counts == {"sent": 3}
    later = campaign(AFTER_NINE)
    assert later.job_id != first.job_id and later.family_id == first.family_id
    assert set(later.frame["status"]) == {"planned"}  # shifted to tomorrow 08:00: would re-send
    with pytest.raises(CampaignChangedError, match=r"now='2026-11-03T01:55:00\+00:00'") as info:
        run(later, client)
    assert info.value.earlier_job_id == first.job_id
    assert len(posts(sandbox)) == 3


def test_resuming_with_the_earlier_now_skips_what_was_sent(sandbox, client, run):
    first = campaign(BEFORE_NINE)
    run(first, client)
    again = campaign(datetime.fromisoformat(first.settings.planned_at))
    report = run(again, client)
    assert again.job_id == first.job_id
    assert report.counts == {"sent": 3} and set(report.frame["reason"].dropna()) == {"earlier_run"}
    assert len(posts(sandbox)) == 3


def test_force_new_job_sends_again_on_purpose(sandbox, client, run):
    run(campaign(BEFORE_NINE), client)
    report = run(campaign(AFTER_NINE), client, force_new_job=True)
    assert report.counts == {"scheduled": 3}
    assert len(posts(sandbox)) == 6


def test_a_different_message_is_another_campaign(sandbox, client, run):
    run(campaign(BEFORE_NINE), client)
    other = ptdata.plan(frame(Phone=NUMBERS), body="Doors open at 10", to="new-contacts",
                        now=AFTER_NINE)
    assert run(other, client).counts == {"scheduled": 3}
