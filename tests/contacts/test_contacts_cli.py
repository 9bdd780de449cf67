"""``ptdata contacts sync``: what the user sees, the exit codes, the report written."""

from __future__ import annotations

import pytest
from contacts_helpers import posts

import ptdata

CRM = (
    "Phone,Name,LastName,Groups\n"
    "+14155550101,Ava,Martinez,VIP customers\n"
    "(415) 555-0102,Benjamin,Carter,VIP Customer\n"
    "415.555.0199,Zoe,Quinn,\n"
)


@pytest.fixture
def crm(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    return path


def test_help_documents_the_options(cli):
    out = cli("contacts", "sync", "--help").output
    for option in (
        "--dry-run",
        "--report",
        "--rate",
        "--yes",
        "--base-url",
        "--sandbox",
        "--ledger",
        "--skip-invalid",
        "--no-progress",
        "--resend-unknown",
        "Exit status",
        "never deleted",
        "cannot add an existing",
    ):
        assert option in out


def test_a_dry_run_prints_the_diff_and_writes_it(cli, crm, tmp_path, sandbox):
    result = cli(
        "contacts",
        "sync",
        crm,
        "--dry-run",
        "--report",
        tmp_path / "diff.csv",
        "--base-url",
        sandbox.url,
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        "3 sheet rows against 8 Power Textor contacts: 1 create, 1 update, 1 unchanged, "
        "6 only in Power Textor",
        "  contacts only in Power Textor are listed, never deleted (the API has no delete)",
        "  unknown group names: VIP Customer (closest: VIP customers)",
    ]
    assert "  2 API calls to make" in lines
    assert f"dry run: nothing changed; the diff is in {tmp_path / 'diff.csv'}" in lines
    report = ptdata.read_report(tmp_path / "diff.csv")
    assert report["status"].head(3).tolist() == ["unchanged", "planned", "planned"]
    assert posts(sandbox) == []


def test_without_a_terminal_changes_need_yes(cli, crm, tmp_path, sandbox):
    result = cli(
        "contacts", "sync", crm, "--report", tmp_path / "out.csv", "--base-url", sandbox.url
    )
    assert result.exit_code == 2
    assert (
        f"Create 1 contact and update 1 contact (2 API calls) in Power Textor at {sandbox.url}?\n"
        "error: no terminal to confirm on; add --yes to make the changes."
    ) in result.output
    assert posts(sandbox) == []
    assert not (tmp_path / "out.csv").exists()


def test_a_sync_writes_the_report_and_exits_0_then_finds_nothing_to_do(cli, crm, tmp_path, sandbox):
    args = (
        "contacts",
        "sync",
        crm,
        "--report",
        tmp_path / "out.xlsx",
        "--no-progress",
        "--base-url",
        sandbox.url,
    )
    result = cli(*args, "--yes")

    assert result.exit_code == 0, result.output
    assert [op for op, _ in posts(sandbox)] == ["CreateAContact", "UpdateAPowerTextorContact"]
    report = ptdata.read_report(tmp_path / "out.xlsx")
    assert report["status"].head(3).tolist() == ["unchanged", "updated", "created"]
    assert "  2 API calls made" in result.output.splitlines()
    assert f"report: {tmp_path / 'out.xlsx'}" in result.output

    sandbox.clear_requests()
    again = cli(*args)  # nothing to change: no question asked, no --yes needed
    assert again.exit_code == 0, again.output
    assert "0 create, 0 update, 3 unchanged" in again.output
    assert posts(sandbox) == []


def test_an_unknown_outcome_exits_1_and_names_the_row(cli, crm, tmp_path, sandbox):
    sandbox.script_faults(["500", "500"])
    result = cli(
        "contacts",
        "sync",
        crm,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
    )

    assert result.exit_code == 1
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["status"].head(3).tolist() == ["unchanged", "unknown", "unknown"]
    assert (
        "  row 3: unknown (server_error): UpdateAPowerTextorContact: Power Textor failed "
        "with HTTP 500" in result.output
    )


def test_invalid_rows_exit_1_unless_skipped(cli, tmp_path, sandbox):
    bad = tmp_path / "bad.csv"
    bad.write_text("Phone,Name\n+14155550199,Zoe\n4.15555E+09,Bad\n", encoding="utf-8")

    refused = cli(
        "contacts",
        "sync",
        bad,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--base-url",
        sandbox.url,
    )
    assert refused.exit_code == 1
    assert "error: 1 row cannot be synced (row 3: " in refused.output
    assert posts(sandbox) == []

    skipped = cli(
        "contacts",
        "sync",
        bad,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--skip-invalid",
        "--base-url",
        sandbox.url,
    )
    assert skipped.exit_code == 0, skipped.output
    assert ptdata.read_report(tmp_path / "out.csv")["status"].head(2).tolist() == [
        "created",
        "skipped",
    ]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["missing.csv"], id="no-such-sheet"),
        pytest.param(["{crm}", "--sandbox", "--base-url", "http://127.0.0.1:9"], id="two-servers"),
        pytest.param(["{crm}", "--rate", "0"], id="bad-rate"),
    ],
)
def test_usage_errors_exit_2(cli, crm, tmp_path, args):
    args = [a.format(crm=crm) for a in args]
    result = cli("contacts", "sync", *args, "--report", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "out.csv").exists()


def test_the_sandbox_option_runs_against_a_local_sandbox(cli, crm, tmp_path):
    result = cli(
        "contacts",
        "sync",
        crm,
        "--sandbox",
        "--yes",
        "--no-progress",
        "--report",
        tmp_path / "out.csv",
    )
    assert result.exit_code == 0, result.output
    assert "sandbox running at http://127.0.0.1:" in result.output


def test_a_full_disk_under_the_send_history_is_one_line_and_no_traceback(
    cli, crm, sandbox, tmp_path, monkeypatch
):
    import errno

    from ptdata.bulk.ledger import HistoryFullError, Ledger

    def full(*args, **kwargs):
        raise HistoryFullError(errno.ENOSPC, "could not write the send history: the disk is full")

    monkeypatch.setattr(Ledger, "intent", full)
    result = cli(
        "contacts",
        "sync",
        crm,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--base-url",
        sandbox.url,
        "--ledger",
        tmp_path / "history.sqlite",
        "--no-progress",
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith("error: could not write the send history ")
    assert "the 2 call(s) left were not sent" in line and "run the same command again" in line
    assert posts(sandbox) == []  # nothing was created or changed
