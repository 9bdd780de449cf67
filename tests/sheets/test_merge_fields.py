"""Merge fields as people write them: fallbacks, the file's own spelling, blanks never sent
unseen."""

from __future__ import annotations

import pandas as pd
import pytest

import ptdata
from ptdata.sheets.templates import render

SHEET = (
    "Mobile Phone Number,First Name,Order\n"
    "(415) 555-0101,Ana,A-1\n(415) 555-0102,,A-2\n(415) 555-0103,  ,A-3\n"
)


def bodies(sandbox) -> list[str]:
    return sorted(r["json"]["Body"] for r in sandbox.requests() if r["method"] == "POST")


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


def template(tmp_path, text: str):
    path = tmp_path / "msg.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    ["Hi {First Name|there}, order {Order} shipped", "Hi {Name|there}, order {order} shipped"],
)
def test_a_fallback_fills_a_blank_and_fields_are_named_as_the_file_or_as_ptdata_spells_them(
    cli, sheet, tmp_path, sandbox, text
):
    result = cli(
        "send",
        sheet,
        "--template",
        template(tmp_path, text),
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--no-quiet-hours",
        "--base-url",
        sandbox.url,
    )
    assert result.exit_code == 0, result.output
    assert bodies(sandbox) == [
        "Hi Ana, order A-1 shipped",
        "Hi there, order A-2 shipped",
        "Hi there, order A-3 shipped",
    ]


def test_a_blank_field_without_a_fallback_stops_the_send_naming_the_row_and_the_fix(
    cli, sheet, tmp_path, sandbox
):
    msg = template(tmp_path, "Hi {First Name}, thanks for shopping!")
    result = cli(
        "send",
        sheet,
        "--template",
        msg,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--no-quiet-hours",
        "--base-url",
        sandbox.url,
    )
    assert result.exit_code == 1
    assert (
        "error: 2 rows cannot be sent (row 3: {First Name} is empty on this row: fill it in, "
        "give the field a fallback ({First Name|...}), or send it as it is (--on-blank send); "
        "row 4:"
    ) in result.output
    assert "--skip-invalid" in result.output and "skip_invalid=" not in result.output
    assert bodies(sandbox) == []

    skipped = cli(
        "send",
        sheet,
        "--template",
        msg,
        "--report",
        tmp_path / "out.csv",
        "--yes",
        "--no-progress",
        "--no-quiet-hours",
        "--skip-invalid",
        "--base-url",
        sandbox.url,
    )
    assert skipped.exit_code == 0, skipped.output
    assert "  skipped 2 rows: blank_merge_field 2" in skipped.output.splitlines()
    assert bodies(sandbox) == ["Hi Ana, thanks for shopping!"]
    report = ptdata.read_report(tmp_path / "out.csv")
    assert report["reason"].tolist()[1:] == ["blank_merge_field"] * 2


def test_on_blank_send_sends_the_hole_and_says_how_many(cli, sheet, tmp_path, sandbox):
    msg = template(tmp_path, "Hi {First Name}, thanks for shopping!")
    dry = cli(
        "send",
        sheet,
        "--template",
        msg,
        "--report",
        tmp_path / "dry.csv",
        "--dry-run",
        "--on-blank",
        "send",
        "--no-quiet-hours",
        "--base-url",
        sandbox.url,
    )
    assert dry.exit_code == 0, dry.output
    assert (
        "  2 messages with an empty merge field (First Name) go out as they are (--on-blank send)"
        in dry.output.splitlines()
    )
    asked = cli(
        "send",
        sheet,
        "--template",
        msg,
        "--report",
        tmp_path / "out.csv",
        "--on-blank",
        "send",
        "--no-quiet-hours",
        "--base-url",
        sandbox.url,
    )
    assert asked.exit_code == 2  # no terminal: the question is shown, nothing is sent
    assert (
        "Send 3 messages to 3 recipients (1 segment each, 3 in all; 2 with an empty merge field) "
        "in 2 API calls through" in asked.output
    )
    sent = cli(
        "send",
        sheet,
        "--template",
        msg,
        "--report",
        tmp_path / "out.csv",
        "--on-blank",
        "send",
        "--yes",
        "--no-progress",
        "--no-quiet-hours",
        "--base-url",
        sandbox.url,
    )
    assert sent.exit_code == 0, sent.output
    assert bodies(sandbox) == [
        "Hi , thanks for shopping!",
        "Hi Ana, thanks for shopping!",
    ]  # 2 calls, 3 people


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--body", "   "], "--body is empty: write the message", id="body-of-spaces"),
        pytest.param(["--template", "SPACES"], "--template is empty", id="template-of-spaces"),
    ],
)
def test_a_message_empty_once_trimmed_is_refused(cli, sheet, tmp_path, args, message):
    args = [str(template(tmp_path, "  \n ")) if a == "SPACES" else a for a in args]
    result = cli(
        "send", sheet, *args, "--report", tmp_path / "out.csv", "--dry-run", "--no-quiet-hours"
    )
    assert result.exit_code == 2
    assert message in result.output


def test_a_column_of_bodies_that_are_only_spaces_makes_those_rows_invalid():
    frame = pd.DataFrame(
        {"Phone": ["4155550101", "4155550102"], "Text": ["Hello", "   "]}, dtype="str"
    )
    p = ptdata.plan(frame, body_column="Text", skip_invalid=True, quiet=None)
    assert p.frame["status"].tolist() == ["planned", "skipped"]
    assert p.frame["message"].iloc[1] == "the message is empty"


def test_render_falls_back_per_use_and_an_empty_fallback_means_blank_is_fine():
    frame = pd.DataFrame({"Name": ["Ana", " ", None]}, dtype="str")
    assert render("Hi {Name|friend}!", frame).tolist() == ["Hi Ana!", "Hi friend!", "Hi friend!"]
    assert render("Hi{Name|}!", frame).tolist() == [
        "HiAna!",
        "Hi!",
        "Hi!",
    ]  # a cell of spaces is blank
    assert ptdata.sheets.templates.blank_merge_values("Hi {Name|} {Name}", frame).tolist()[1:] == [
        "Name",
        "Name",
    ]
