"""``ptdata send`` and ``ptdata demo``: what the user sees, the exit codes, the report written."""

from __future__ import annotations

import re

import pytest
from bulk_helpers import posts

import ptdata

SHEET = "Phone,Name\n+14155550101,Ava\n(415) 555-0102,Ben\n415.555.0103,Chloe\n"


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


def test_help_documents_the_options(cli):
    out = cli("send", "--help").output
    for option in (
        "--body",
        "--template",
        "--body-column",
        "--review",
        "--remind",
        "--mms",
        "--at",
        "--at-column",
        "--to",
        "--report",
        "--rate",
        "--dry-run",
        "--skip-invalid",
        "--suppress",
        "--yes",
        "--base-url",
        "--sandbox",
        "--ledger",
        "--resend-unknown",
        "--no-progress",
        "Exit status",
    ):
        assert option in out


def test_a_dry_run_prints_the_plan_and_writes_it(cli, sheet, tmp_path, sandbox):
    result = cli(
        "send",
        sheet,
        "--body",
        "Doors open at 9!",
        "--report",
        tmp_path / "plan.csv",
        "--dry-run",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{sheet}: 3 rows read as contacts (0 blank skipped): 3 valid, 0 failed"
    assert "3 rows → 1 API call, 3 segments" in lines
    assert f"dry run: nothing sent; the plan is in {tmp_path / 'plan.csv'}" in result.output
    assert ptdata.read_report(tmp_path / "plan.csv")["status"].tolist() == ["planned"] * 3
    assert posts(sandbox) == []


def test_a_send_writes_the_report_and_exits_0(cli, sheet, tmp_path, sandbox):
    result = cli(
        "send",
        sheet,
        "--template",
        _template(tmp_path),
        "--to",
        "contacts",
        "--report",
        tmp_path / "out.xlsx",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 0, result.output
    assert sorted(r["json"]["Body"] for r in posts(sandbox)) == ["Hi Ava!", "Hi Ben!", "Hi Chloe!"]
    report = ptdata.read_report(tmp_path / "out.xlsx")
    assert report["status"].tolist() == ["sent"] * 3
    assert report["phone"].tolist() == ["+14155550101", "+14155550102", "+14155550103"]
    assert f"report: {tmp_path / 'out.xlsx'}" in result.output
    assert re.search(r"^  sent +3$", result.output, re.M)


def _template(tmp_path):
    path = tmp_path / "msg.txt"
    path.write_text("Hi {Name}!\n", encoding="utf-8")
    return path


def test_without_a_terminal_a_real_send_needs_yes(cli, sheet, tmp_path, sandbox):
    result = cli(
        "send",
        sheet,
        "--body",
        "Hi",
        "--report",
        tmp_path / "out.csv",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 2
    assert (
        "Send 3 messages to 3 recipients (1 segment each, 3 in all) in 1 API call through"
        in result.output
    )
    assert "add --yes to send" in result.output
    assert posts(sandbox) == []


def test_invalid_rows_refuse_the_send_naming_them(cli, tmp_path, sandbox):
    path = tmp_path / "bad.csv"
    path.write_text("Phone,Name\n+14155550101,Ava\n555,Bo\n", encoding="utf-8")
    result = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 1
    assert "1 row cannot be sent (row 3:" in result.output
    assert posts(sandbox) == []
    result = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--skip-invalid",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 0
    assert ptdata.read_report(tmp_path / "out.csv")["status"].tolist() == ["sent", "skipped"]


def test_an_unknown_outcome_exits_1_and_names_the_row(cli, sheet, tmp_path, sandbox):
    sandbox.script_faults(["503"])
    result = cli(
        "send",
        sheet,
        "--body",
        "Hi",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert result.exit_code == 1
    assert "row 2: unknown (server_error)" in result.output
    assert ptdata.read_report(tmp_path / "out.csv")["status"].tolist() == ["unknown"] * 3


def test_sandbox_runs_the_job_against_a_sandbox_started_for_it(cli, sheet, tmp_path):
    result = cli(
        "send",
        sheet,
        "--review",
        "Main Street Bakery",
        "--body",
        "Review us?",
        "--to",
        "new-contacts",
        "--at",
        "2030-12-03T13:00",
        "--tz",
        "America/New_York",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--sandbox",
    )
    assert result.exit_code == 0, result.output
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["status"].tolist() == ["scheduled"] * 3
    assert report["operation"].unique().tolist() == ["ScheduleReviewTextMessageToANewContact"]
    assert str(report["scheduled_for"].iloc[0]) == "2030-12-03 18:00:00+00:00"


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(
            ["--body", "Hi", "--body-column", "Text"], "exactly one of --body", id="two-messages"
        ),
        pytest.param(
            ["--body", "Hi", "--at", "2030-12-03T10:00", "--to", "contacts"],
            "has no UTC offset",
            id="at-without-offset",
        ),
        pytest.param(
            ["--body", "Hi", "--review", "X", "--mms", __file__], "choose one of", id="two-kinds"
        ),
    ],
)
def test_usage_errors_exit_2(cli, sheet, tmp_path, args, message):
    result = cli("send", sheet, *args, "--report", tmp_path / "out.csv", "--dry-run")
    assert result.exit_code == 2
    assert message in result.output


def test_a_second_run_of_the_same_job_sends_nothing_new(cli, sheet, tmp_path, sandbox):
    args = (
        "send",
        sheet,
        "--body",
        "Hi",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 0
    assert len(posts(sandbox)) == 1
    assert re.search(r"^  skipped +3  \(already_sent 3\)$", again.output, re.M)
    assert "everyone already got this campaign" in again.output
    assert "--again" in again.output


def test_demo_runs_the_sample_campaign_and_writes_reports(cli, tmp_path):
    result = cli("demo", "--out", tmp_path / "demo", "--now", "2030-06-10T18:00Z")
    assert result.exit_code == 0, result.output
    assert "sandbox: http://127.0.0.1:" in result.output
    written = sorted(p.name for p in (tmp_path / "demo").glob("*.csv"))
    assert written == ["1-text.csv", "2-review.csv", "3-reminder.csv"]
    for name in written:
        statuses = set(ptdata.read_report(tmp_path / "demo" / name)["status"])
        assert statuses <= {"sent", "scheduled", "skipped"} and statuses & {"sent", "scheduled"}
    reminders = ptdata.read_report(tmp_path / "demo" / "3-reminder.csv")
    assert reminders["status"].unique().tolist() == ["scheduled"]
    assert reminders["offset"].unique().tolist() == ["1 day before at 18:00"]
    assert reminders["tz"].notna().all()
    # 18:00 the evening before, in each patient's own zone
    local = [
        t.tz_convert(z) for t, z in zip(reminders["scheduled_for"], reminders["tz"], strict=True)
    ]
    assert {f"{t:%H:%M}" for t in local} == {"18:00"}


def test_demo_at_night_skips_the_text_to_plain_numbers_with_the_quiet_hours_reason(cli, tmp_path):
    result = cli("demo", "--out", tmp_path / "demo", "--now", "2030-06-10T06:00Z")
    assert result.exit_code == 0, result.output
    text = ptdata.read_report(tmp_path / "demo" / "1-text.csv")
    assert set(text["reason"]) == {"quiet_hours_no_schedule", "opted_out"}
    assert "skipped 10 rows: quiet_hours_no_schedule" in result.output


def test_a_rerun_after_quiet_hours_began_texts_nobody_again(cli, sheet, tmp_path, sandbox):
    # 415 numbers: 20:55 in Los Angeles, then 21:10, when the rows would be moved to tomorrow
    args = (
        "send",
        sheet,
        "--body",
        "Hi",
        "--to",
        "new-contacts",
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
    )
    assert cli(*args, "--now", "2026-11-03T04:55:00+00:00").exit_code == 0
    later = cli(*args, "--now", "2026-11-03T05:10:00+00:00")
    assert later.exit_code == 0, later.output
    assert "(already_sent 3)" in later.output
    assert len(posts(sandbox)) == 3


def test_a_dry_run_shows_the_cost_from_the_price_per_segment(cli, sheet, tmp_path, sandbox):
    args = (
        "send",
        sheet,
        "--body",
        "Doors open at 9!",
        "--report",
        tmp_path / "plan.csv",
        "--dry-run",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    lines = cli(*args, "--price-per-segment", "0.0079").output.splitlines()
    assert "3 rows → 1 API call, 3 segments" in lines
    assert lines[-2:] == [
        "  est. $0.0237 (3 segments × $0.0079)",
        f"dry run: nothing sent; the plan is in {tmp_path / 'plan.csv'}",
    ]
    from_env = cli(*args, env={"POWERTEXTOR_PRICE_PER_SEGMENT": "$0.01"}).output
    assert "  est. $0.03 (3 segments × $0.01)" in from_env.splitlines()
    assert "est." not in cli(*args, env={"POWERTEXTOR_PRICE_PER_SEGMENT": ""}).output
    bad = cli(*args, "--price-per-segment", "a lot")
    assert bad.exit_code == 2
    assert "price_per_segment 'a lot' is not a price" in bad.output


def test_a_group_send_asks_about_its_members_not_its_rows(cli, tmp_path, sandbox):
    path = tmp_path / "groups.csv"
    path.write_text("Groups\nVIP customers\nStaff\n", encoding="utf-8")
    args = ["send", path, "--body", "Winter menu! " * 13, "--to", "groups"]
    args += ["--report", tmp_path / "out.csv", "--base-url", sandbox.url, "--no-quiet-hours"]
    args += ["--price-per-segment", "0.01"]
    asked = cli(*args)
    assert asked.exit_code == 2  # no terminal: the question is shown, nothing is sent
    assert (
        "Send 5 messages to 5 recipients in 2 groups (2 segments each, 10 in all, est. $0.10) "
        f"in 1 API call through {sandbox.url}?" in asked.output
    )
    dry = cli(*args, "--dry-run")
    assert dry.exit_code == 0
    assert "  5 messages to 5 recipients in 2 groups (2 segments each, 10 in all)" in (
        dry.output.splitlines()
    )
    assert posts(sandbox) == []
