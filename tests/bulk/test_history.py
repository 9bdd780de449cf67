"""Campaign memory: whoever a campaign reached is never texted it again - across edits of the
sheet, batch sizes, servers, accounts and keys - until the user says ``again``.

Every test counts what the sandbox received over its socket.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys

import httpx
import pandas as pd
import pytest
from bulk_helpers import CONTACTS, DAY, frame, posts

import ptdata
from ptdata.sandbox import serve_sandbox

PHONES = [f"+1415555{2000 + i:04d}" for i in range(6)]
NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Finn"]
ROWS = frame(Phone=PHONES, Name=NAMES)


def _to(sandbox) -> list[str]:
    """Everyone the sandbox accepted a message for."""
    out = []
    for r in posts(sandbox):
        if r["status"] != 200:
            continue
        to = r["json"].get("To") or r["json"].get("ContactNumber")
        out.extend(to if isinstance(to, list) else str(to).split(","))
    return out


def _plan(rows=ROWS, template="Hi {Name}, doors open at 9!", **kw):
    return ptdata.plan(rows, template=template, now=DAY, **kw)


def test_a_sandbox_trial_never_counts_for_the_real_server(sandbox, client, run, api_key):
    with serve_sandbox() as trial, ptdata.PowerTextor(api_key=api_key, base_url=trial.url) as c:
        assert run(_plan(), c).counts == {"sent": 6}
        assert len(posts(trial)) == 6
    report = run(_plan(), client)
    assert report.counts == {"sent": 6}
    assert sorted(_to(sandbox)) == sorted(PHONES)


def test_a_row_added_since_is_the_only_one_sent(sandbox, client, run):
    run(_plan(ROWS.iloc[:5]), client)
    report = run(_plan(), client)
    assert _to(sandbox)[5:] == [PHONES[5]]
    assert report.frame["reason"].fillna("sent").tolist() == ["already_sent"] * 5 + ["sent"]
    assert report.frame["status"].tolist() == ["skipped"] * 5 + ["sent"]
    assert report.ok


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda: _plan(frame(Phone=PHONES, Name=["Avah", *NAMES[1:]])), id="name-fixed"
        ),
        pytest.param(
            lambda: _plan(template="Hi {Name}, doors open at 9 !"), id="template-typo-fixed"
        ),
        pytest.param(lambda: _plan(batch_size=2), id="another-batch-size"),
        pytest.param(lambda: _plan(ROWS.iloc[::-1]), id="rows-reordered"),
        pytest.param(lambda: _plan(ROWS.iloc[1:]), id="row-deleted"),
    ],
)
def test_an_edit_of_the_sheet_or_message_sends_nothing_again(sandbox, client, run, edit):
    run(_plan(), client)
    report = run(edit(), client)
    assert len(posts(sandbox)) == 6
    assert set(report.frame["reason"]) == {"already_sent"}
    assert report.ok


def test_a_fixed_typo_is_taken_as_the_same_campaign_and_the_summary_says_so(client, run):
    run(_plan(), client)
    report = run(_plan(template="Hi {Name}, doors open at nine!"), client)
    assert report.counts == {"skipped": 6}
    assert "like that of an earlier campaign" in report.summary()


def test_a_new_message_is_a_new_campaign(sandbox, client, run):
    run(_plan(), client)
    report = run(_plan(template="{Name}: our winter sale starts Friday, see you there"), client)
    assert report.counts == {"sent": 6} and len(posts(sandbox)) == 12


def test_the_same_campaign_again_sends_nothing_and_says_how_to_send_again(sandbox, client, run):
    first = run(_plan(), client)
    again = run(_plan(), client)
    assert len(posts(sandbox)) == 6
    summary = again.summary()
    assert "everyone already got this campaign (6 skipped as already_sent): nothing sent" in summary
    assert "--again" in summary
    assert set(again.frame["campaign_id"]) == set(first.frame["campaign_id"])


def test_again_sends_everyone_exactly_once_more_and_that_round_is_remembered(sandbox, client, run):
    run(_plan(), client)
    assert run(_plan(), client, again=True).counts == {"sent": 6}
    assert run(_plan(), client).counts == {"skipped": 6}  # the second round is done too
    assert collections.Counter(_to(sandbox)) == {p: 2 for p in PHONES}


def test_again_after_a_round_that_stopped_resumes_it_instead_of_texting_twice(sandbox, client, run):
    run(_plan(), client)
    sandbox.script_faults(["ok", "ok", "401"])
    stopped = run(_plan(), client, again=True)
    assert stopped.stopped and stopped.counts["sent"] == 2
    sandbox.clear_faults()
    resumed = run(_plan(), client, again=True)  # the same command, retried
    assert "did not finish" in resumed.summary()
    assert collections.Counter(_to(sandbox)) == {p: 2 for p in PHONES}


def test_a_named_campaign_is_its_name_whatever_the_message(sandbox, client, run):
    run(_plan(campaign="November newsletter"), client)
    report = run(_plan(template="Another text entirely", campaign="November newsletter"), client)
    assert report.counts == {"skipped": 6} and len(posts(sandbox)) == 6
    assert set(report.frame["campaign"]) == {"November newsletter"}
    other = run(_plan(campaign="December newsletter"), client)
    assert other.counts == {"sent": 6}


def test_the_history_survives_a_key_rotation(sandbox, run, api_key):
    sandbox.configure(accounts={"old-key": "acct-1", "new-key": "acct-1"})
    with ptdata.PowerTextor(api_key="old-key", base_url=sandbox.url) as old:
        run(_plan(), old)
    with ptdata.PowerTextor(api_key="new-key", base_url=sandbox.url) as new:
        report = run(_plan(), new)
    assert report.counts == {"skipped": 6} and len(posts(sandbox)) == 6


def test_two_accounts_never_share_a_history(sandbox, run):
    sandbox.configure(accounts={"shop-key": "acct-shop", "clinic-key": "acct-clinic"})
    with ptdata.PowerTextor(api_key="shop-key", base_url=sandbox.url) as shop:
        run(_plan(), shop)
    with ptdata.PowerTextor(api_key="clinic-key", base_url=sandbox.url) as clinic:
        report = run(_plan(), clinic)
    assert report.counts == {"sent": 6}
    assert collections.Counter(_to(sandbox)) == {p: 2 for p in PHONES}


def test_reminders_for_a_rescheduled_appointment_are_a_new_occasion(sandbox, client, run):
    def remind(date):
        return ptdata.plan(
            frame(Phone=CONTACTS[:1], Date=[date]),
            body="See you soon",
            kind="reminder",
            to="contacts",
            event_date_column="Date",
            days_before=1,
            time="14:00",
            now=DAY,
        )

    run(remind("2026-12-10"), client)
    assert run(remind("2026-12-10"), client).counts == {"skipped": 1}
    assert run(remind("2026-12-17"), client).counts == {"scheduled": 1}
    assert len(posts(sandbox)) == 2


def test_a_429_storm_slows_the_run_down_and_it_completes(sandbox, run):
    sandbox.script_faults(["ok", "ok"] + ["429:0.05"] * 16)
    with ptdata.PowerTextor(api_key="k", base_url=sandbox.url, max_retries=1) as client:
        report = run(_plan(), client, rate=50, concurrency=2)
    assert report.counts == {"sent": 6} and report.stopped is None
    delivered = [r for r in posts(sandbox) if r["status"] == 200]
    assert sorted(r["json"]["To"] for r in delivered) == sorted(PHONES)


def test_a_refusal_that_lasts_stops_the_run_and_a_rerun_sends_the_rest(sandbox, run):
    sandbox.script_faults(["ok"] + ["429:0.05"] * 200)
    with ptdata.PowerTextor(api_key="k", base_url=sandbox.url, max_retries=0) as client:
        stopped = run(_plan(), client, concurrency=1, max_rate_limited=0.5)
        assert "429" in stopped.stopped and stopped.counts["sent"] == 1
        assert set(stopped.frame["status"]) == {"sent", "failed", "skipped"}
        sandbox.clear_faults()
        rest = run(_plan(), client)
    assert rest.counts == {"skipped": 1, "sent": 5}
    delivered = [r["json"]["To"] for r in posts(sandbox) if r["status"] == 200]
    assert sorted(delivered) == sorted(PHONES)


def _max_in_any_second(times: list[pd.Timestamp]) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - pd.Timedelta(seconds=1):
            j += 1
        best = max(best, i - j + 1)
    return best


@pytest.fixture
def sandbox_process():
    """A sandbox in its own process (arrival times not skewed by the sender's threads)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ptdata",
            "sandbox",
            "--port",
            "0",
            "--stall-rate",
            "0.25",
            "--stall-seconds",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", line)[1]
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


@pytest.mark.slow
def test_stalled_replies_never_push_a_second_above_the_rate_at_the_server(sandbox_process, run):
    rows = frame(
        Phone=[f"+1415555{3000 + i:04d}" for i in range(80)], Name=[f"N{i}" for i in range(80)]
    )
    with ptdata.PowerTextor(api_key="k", base_url=sandbox_process, timeout=0.3) as client:
        report = run(_plan(rows), client, rate=20, concurrency=None)
    log = httpx.get(sandbox_process + "/_sandbox/requests").json()
    arrived = [pd.Timestamp(r["received_at"]) for r in log if r["method"] == "POST"]
    assert len(arrived) == 80
    assert {"sent", "unknown"} == set(report.frame["status"])  # some replies did stall
    assert _max_in_any_second(arrived) <= 20


def test_a_contact_unsubscribed_at_power_textor_is_not_texted(sandbox, client, run):
    sandbox.store.set_status_by_phone(CONTACTS[1], "Unsubscribed")
    report = run(
        ptdata.plan(frame(Phone=CONTACTS), body="Hi", to="contacts", client=client, now=DAY), client
    )
    assert report.frame["reason"].fillna("").tolist() == ["", "unsubscribed_at_power_textor", ""]
    assert CONTACTS[1] not in _to(sandbox)


def test_power_textors_counts_are_kept_and_an_undelivered_single_send_says_so(sandbox, client, run):
    sandbox.store.set_status_by_phone(CONTACTS[1], "Unsubscribed")
    report = run(_plan(frame(Phone=CONTACTS, Name=["A", "B", "C"])), client)
    f = report.frame
    assert f["reach"].tolist() == [1, 1, 1]
    assert f["undelivered_count"].tolist() == [0, 1, 0]
    assert f["reason"].fillna("").tolist() == ["", "undelivered", ""]


def test_a_text_to_numbers_saves_them_as_contacts_in_the_sandbox(sandbox, client, run):
    run(ptdata.plan(frame(Phone=PHONES[:2]), body="Hi", now=DAY), client)
    assert set(PHONES[:2]) <= {c.phone for c in client.contacts()}


def test_a_frequency_cap_skips_whoever_already_has_enough_messages(sandbox, client, run):
    run(_plan(ROWS.iloc[:3], campaign="Monday"), client)
    run(_plan(ROWS.iloc[:2], campaign="Tuesday"), client)
    report = run(_plan(campaign="Wednesday"), client, max_per_recipient=(2, 24))
    assert report.frame["reason"].fillna("").tolist() == ["frequency_cap"] * 2 + [""] * 4
    assert "within 24 hours" in report.frame["message"].iloc[0]


def _stop(phone, at):
    return pd.DataFrame(
        {
            "From": [phone],
            "Body": ["STOP"],
            "To": ["+14155550100"],
            "received_at": pd.to_datetime([at], utc=True),
        }
    )


def test_history_lists_who_got_what_and_the_scheduled_messages_still_due(client, run):
    run(_plan(ROWS.iloc[:2], campaign="Now"), client, ledger=None)
    later = pd.Timestamp("2030-01-02T17:00:00Z").to_pydatetime()
    run(_plan(ROWS.iloc[:3], campaign="Later", at=later, to="new-contacts"), client, ledger=None)
    every = ptdata.history()
    assert len(every) == 5
    assert every["campaign"].tolist() == ["Now"] * 2 + ["Later"] * 3
    assert set(every["status"]) == {"sent", "scheduled"}
    assert every["campaign_id"].notna().all() and (every["reach"] == 1).all()
    assert ptdata.history(phone="(415) 555-2000")["campaign"].tolist() == ["Now", "Later"]
    due = ptdata.history(scheduled=True)
    assert due["phone"].tolist() == PHONES[:3]
    assert (due["scheduled_for"] == pd.Timestamp("2030-01-02T17:00:00Z")).all()
    assert ptdata.history(campaign="Now")["phone"].tolist() == PHONES[:2]


def test_the_history_command_prints_and_writes_it(cli, client, run, tmp_path):
    run(_plan(ROWS.iloc[:2], campaign="Now"), client, ledger=None)
    result = cli("history", "--campaign", "Now", "--report", tmp_path / "h.csv")
    assert result.exit_code == 0, result.output
    assert "2 messages:" in result.output and "Now: sent 2" in result.output
    assert ptdata.read_report(tmp_path / "h.csv")["phone"].tolist() == PHONES[:2]
    due = cli("history", "--scheduled")
    assert due.exit_code == 0 and "no scheduled messages still due" in due.output


def test_the_opt_out_audit_finds_texts_after_a_stop_and_scheduled_ones_still_due(client, run):
    run(_plan(ROWS.iloc[:2], campaign="Before"), client, ledger=None)  # before the STOP
    stops = pd.concat([_stop(PHONES[0], "2026-01-01T00:00:00Z")])
    run(_plan(ROWS.iloc[:2], campaign="After"), client, ledger=None)  # no --suppress: a mistake
    later = pd.Timestamp("2030-01-02T17:00:00Z").to_pydatetime()
    run(_plan(ROWS.iloc[:3], campaign="Due", at=later, to="new-contacts"), client, ledger=None)
    stops = pd.concat([stops, _stop(PHONES[2], pd.Timestamp.now(tz="UTC"))])
    audit = ptdata.opt_out_audit(stops)
    assert sorted(zip(audit["phone"], audit["campaign"], audit["problem"], strict=True)) == [
        (PHONES[0], "After", "sent_after_opt_out"),
        (PHONES[0], "Before", "sent_after_opt_out"),
        (PHONES[0], "Due", "scheduled_after_opt_out"),
        (PHONES[2], "Due", "scheduled_after_opt_out"),
    ]


def test_a_group_send_is_recorded_with_its_group_and_members(sandbox, client, run):
    p = ptdata.plan(
        frame(Groups=["VIP customers"]),
        body="Hi VIPs",
        to="groups",
        client=client,
        quiet=None,
        now=DAY,
    )
    vip = next(g for g in client.groups() if g.name == "VIP customers")
    sandbox.clear_requests()
    run(p, client, ledger=None)
    row = ptdata.history().iloc[0]
    assert (row["group_id"], row["members"], row["status"]) == (vip.group_id, 3, "sent")
    assert pd.isna(row["phone"])
    assert [r["operationId"] for r in sandbox.requests() if r["method"] == "GET"] == ["GetPlaces"]
