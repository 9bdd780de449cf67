"""Every input data row is one report row, with its own values; validate, send and sync agree."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import ptdata

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
MESSY = SAMPLES / "contacts_messy.csv"
# the 15 non-blank data rows of the sample (rows 6 and 10 are blank)
MESSY_ROWS = [2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18]


def test_validate_send_and_sync_account_for_the_same_rows_of_the_messy_sample(
    cli, tmp_path, sandbox
):
    checked = cli("validate", MESSY)
    assert checked.output.splitlines()[0].endswith(
        "17 rows read as contacts (2 blank skipped): 4 valid, 11 failed"
    )

    sent = cli(
        "send",
        MESSY,
        "--body",
        "Hi",
        "--report",
        tmp_path / "send.csv",
        "--dry-run",
        "--skip-invalid",
        "--no-quiet-hours",
    )
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines()[0] == checked.output.splitlines()[0]
    assert "  skipped 11 rows: invalid 9, duplicate 2" in sent.output.splitlines()
    report = ptdata.read_report(tmp_path / "send.csv")
    assert report["row"].tolist() == MESSY_ROWS
    assert (report["status"] == "planned").sum() == 4

    synced = cli(
        "contacts",
        "sync",
        MESSY,
        "--report",
        tmp_path / "sync.csv",
        "--dry-run",
        "--skip-invalid",
        "--base-url",
        sandbox.url,
    )
    assert synced.exit_code == 0, synced.output
    diff = ptdata.read_report(tmp_path / "sync.csv")
    assert diff.loc[diff["row"].notna(), "row"].tolist() == MESSY_ROWS
    assert (diff["action"] == "skipped").sum() == 11

    # row 13 has no phone: it used to vanish; it is there with its own name and the reason
    for frame, name in (
        (report.set_index("row"), "Sam"),
        (diff[diff["row"].notna()].set_index("row"), "Sam Taylor"),
    ):
        assert frame.loc[13, "name"] == name
        assert frame.loc[13, "message"] == "No phone number: fill it in or delete the row."
    assert report.set_index("row").loc[4, "phone_as_written"] == "4.15555E+09"
    assert pd.isna(report.set_index("row").loc[4, "phone"])


def test_keep_columns_carry_the_users_ids_into_every_report(cli, tmp_path, sandbox):
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Record ID,First Name,Phone Number,Mobile Phone Number\n"
        "901,Ana,(212) 555-0101,(415) 555-0101\n"
        "902,Bo,,\n"
        "903,Cy,(212) 555-0103 ext. 4,\n",
        encoding="utf-8",
    )
    sent = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--report",
        tmp_path / "send.csv",
        "--dry-run",
        "--skip-invalid",
        "--no-quiet-hours",
        "--keep-columns",
        "Record ID",
    )
    assert sent.exit_code == 0, sent.output
    assert "  phone: Mobile Phone Number, else Phone Number" in sent.output.splitlines()
    report = ptdata.read_report(tmp_path / "send.csv")
    assert report.columns[-1] == "Record ID"
    assert report[["row", "Record ID", "name", "phone", "phone_column", "status"]].astype(
        object
    ).where(
        report[["row", "Record ID", "name", "phone", "phone_column", "status"]].notna(), None
    ).values.tolist() == [
        [2, "901", "Ana", "+14155550101", "Mobile Phone Number", "planned"],
        [3, "902", "Bo", None, None, "skipped"],
        [4, "903", "Cy", None, "Phone Number", "skipped"],
    ]
    assert "has an extension" in report.loc[2, "message"]

    synced = cli(
        "contacts",
        "sync",
        path,
        "--report",
        tmp_path / "sync.csv",
        "--dry-run",
        "--skip-invalid",
        "--base-url",
        sandbox.url,
        "--keep-columns",
        "Record ID",
    )
    assert synced.exit_code == 0, synced.output
    diff = ptdata.read_report(tmp_path / "sync.csv")
    rows = diff[diff["row"].notna()]
    assert rows["Record ID"].tolist() == ["901", "902", "903"]
    assert rows["name"].tolist() == ["Ana", "Bo", "Cy"]
    assert rows["action"].tolist()[1:] == ["skipped", "skipped"]

    checked = cli(
        "validate", path, "--report", tmp_path / "problems.csv", "--keep-columns", "record id"
    )
    problems = pd.read_csv(tmp_path / "problems.csv", dtype=str, encoding="utf-8-sig")
    assert problems[["row", "column", "reason", "Record ID"]].values.tolist() == [
        ["3", "Mobile Phone Number", "missing", "902"],
        ["4", "Phone Number", "extension", "903"],
    ]
    assert checked.exit_code == 1

    bad = cli(
        "send",
        path,
        "--body",
        "Hi",
        "--report",
        tmp_path / "x.csv",
        "--dry-run",
        "--keep-columns",
        "Recrod ID",
    )
    assert bad.exit_code == 2
    assert "the sheet has no column 'Recrod ID' (did you mean 'Record ID'?)" in bad.output


def test_the_cli_says_which_column_with_phone_column_and_column(cli, tmp_path):
    path = tmp_path / "clinic.csv"
    path.write_text(
        "Patient,Nick,Home,Work,Cell\nAna Ruiz,Annie,(212) 555-0101,(646) 555-0101,\n",
        encoding="utf-8",
    )
    result = cli(
        "validate",
        path,
        "--phone-column",
        "Work",
        "--phone-column",
        "Home",
        "--column",
        "Name=Nick",
    )
    assert result.exit_code == 0, result.output
    assert "  phone: Work, else Home" in result.output.splitlines()
    sent = cli(
        "send",
        path,
        "--template",
        _template(tmp_path, "Hi {Name}"),
        "--report",
        tmp_path / "o.csv",
        "--dry-run",
        "--no-quiet-hours",
        "--phone-column",
        "Work",
        "--column",
        "Name=Nick",
    )
    report = ptdata.read_report(tmp_path / "o.csv")
    assert report[["phone", "phone_column", "body"]].values.tolist() == [
        ["+16465550101", "Work", "Hi Annie"]
    ]
    wrong = cli("validate", path, "--column", "Name")
    assert wrong.exit_code == 2 and "write NAME=HEADER" in wrong.output
    missing = cli("validate", path, "--phone-column", "Mobile")
    assert missing.exit_code == 2
    assert re.search(
        r"a phone column: the sheet has no column 'Mobile'.*its columns are A 'Patient'",
        missing.output,
    )
    assert sent.exit_code == 0


def _template(tmp_path, text):
    path = tmp_path / "msg.txt"
    path.write_text(text, encoding="utf-8")
    return path
