"""A test send to staff numbers: sent now, to them only, recorded as a test that reaches no one.

Every test counts what the sandbox received over its socket.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bulk_helpers import BAKERY, CONTACTS, DAY, STAFF, VIP, frame, received

import ptdata
from ptdata.api.errors import UsageError
from ptdata.sandbox.examples import EXAMPLE_PNG

STAFF_A, STAFF_B = "+14155550199", "+14155550198"
TOMORROW = DAY + timedelta(days=1)
ROWS = frame(Phone=CONTACTS, Name=["Ava", "Ben", "Chloe"])


def _plan(client, **kw):
    kw.setdefault("template", "Hi {Name}, doors open at 9!")
    kw.setdefault("to", "contacts")
    return ptdata.plan(kw.pop("rows", ROWS), client=client, now=DAY, **kw)


def _texted(sandbox) -> list[str]:
    """Every number a POST reached, in order."""
    out = []
    for _, fields in received(sandbox):
        to = fields.get("To", fields.get("ContactNumber"))
        out += to if isinstance(to, list) else str(to).split(",")
    return out


def test_a_test_reaches_only_the_staff_numbers_now_with_the_first_message(sandbox, client, run):
    p = _plan(client, at=TOMORROW)  # the campaign itself is scheduled
    sandbox.clear_requests()
    report = run(p, client, test_to=["(415) 555-0199", STAFF_B])
    assert received(sandbox) == [
        (
            "SendMessageToMultipleNumbers",
            {
                "ContactNumber": f"{STAFF_A},{STAFF_B}",
                "Body": "Hi Ava, doors open at 9!",
                "ReplySTOPToOptOut": False,
            },
        )
    ]
    f = report.frame
    assert f["phone"].tolist() == [STAFF_A, STAFF_B]
    assert f["phone_as_written"].tolist() == ["(415) 555-0199", STAFF_B]
    assert f["status"].tolist() == ["sent", "sent"]
    assert f["scheduled_for"].isna().all()
    assert (
        f["note"].tolist()
        == ["test: the message row 2 (Ava) gets, their merge values filled in"] * 2
    )
    assert report.ok
    summary = str(report.summary())
    assert "  sent  " in summary
    assert "note: a test: only the test numbers were texted, now; the campaign itself " in summary


def test_the_history_marks_it_a_test_and_the_real_send_still_reaches_everyone(
    sandbox, client, run, tmp_path
):
    p = _plan(client, campaign="Doors")
    run(p, client, test_to=[CONTACTS[1], STAFF_A])  # Ben is staff and a recipient
    sandbox.clear_requests()
    report = run(p, client)
    assert report.counts == {"sent": 3}
    assert sorted(_texted(sandbox)) == sorted(CONTACTS)  # each once: nobody texted twice
    hist = ptdata.history(ledger=tmp_path / "ledger.sqlite")
    assert hist[["phone", "campaign", "status", "test"]].values.tolist() == [
        [CONTACTS[1], "Doors", "sent", True],
        [STAFF_A, "Doors", "sent", True],
        *([c, "Doors", "sent", False] for c in CONTACTS),
    ]
    sandbox.clear_requests()
    again = run(p, client)  # the campaign reached everyone once: the test does not count twice
    assert again.counts == {"skipped": 3} and received(sandbox) == []


def test_a_test_never_counts_toward_the_frequency_cap(sandbox, client, run):
    run(_plan(client, campaign="Doors"), client, test_to=[CONTACTS[0]])
    sandbox.clear_requests()
    report = run(_plan(client, campaign="Doors"), client, max_per_recipient=(1, 24))
    assert report.counts == {"sent": 3}
    assert sorted(_texted(sandbox)) == sorted(CONTACTS)


def test_a_test_after_the_campaign_still_goes_to_the_staff(sandbox, client, run):
    p = _plan(client, campaign="Doors")
    run(p, client)
    sandbox.clear_requests()
    report = run(p, client, test_to=[CONTACTS[0]])
    assert report.counts == {"sent": 1}
    assert _texted(sandbox) == [CONTACTS[0]]


def test_opt_outs_still_apply_to_test_numbers(sandbox, client, run):
    p = _plan(client, suppress=[STAFF_B, CONTACTS[2]])
    sandbox.clear_requests()
    report = run(p, client, test_to=[STAFF_A, STAFF_B, CONTACTS[2]])
    assert _texted(sandbox) == [STAFF_A]
    f = report.frame
    assert f["status"].tolist() == ["sent", "skipped", "skipped"]
    assert f["reason"].tolist()[1:] == ["opted_out", "opted_out"]
    assert report.ok  # skipped by rule


@pytest.mark.parametrize(
    "numbers, message",
    [
        pytest.param(
            ["+14155550199", "555"],
            "test number '555' cannot be texted: '555' is not a valid phone number: it has 3 "
            "digits, too few for a US number.",
            id="too-short",
        ),
        pytest.param([], "test_to= needs at least one phone number", id="none"),
        pytest.param(42, "test_to= takes a list of phone numbers", id="not-a-list"),
    ],
)
def test_a_bad_test_number_stops_before_anything_is_sent(sandbox, client, run, numbers, message):
    p = _plan(client)
    sandbox.clear_requests()
    with pytest.raises(UsageError, match="^" + message.replace("(", r"\(").replace("?", r"\?")):
        run(p, client, test_to=numbers)
    assert received(sandbox) == []


def test_a_test_takes_none_of_the_campaign_options(client, run):
    with pytest.raises(UsageError, match="again= go with the campaign's own send"):
        run(_plan(client), client, test_to=[STAFF_A], again=True)


@pytest.mark.parametrize(
    "options, expected",
    [
        pytest.param(
            {"kind": "reminder", "event_date": "2030-12-10", "days_before": 2, "time": "14:00"},
            ("SendTextMessageToANumber", {"To": STAFF_A, "Body": "Hi Ava!"}),
            id="reminder-goes-now-as-a-text",
        ),
        pytest.param(
            {"kind": "review", "place": "Main Street Bakery", "to": "new-contacts"},
            (
                "SendReviewTextMessageToANewContact",
                {"ContactNumber": STAFF_A, "ReviewText": "Hi Ava!", "PlaceId": BAKERY},
            ),
            id="review-as-a-review",
        ),
        pytest.param(
            {"kind": "mms", "attachment": ("pic.png", EXAMPLE_PNG), "to": "numbers"},
            (
                "SendMMSNewContact",
                {"ContactNumber": STAFF_A, "Message": "Hi Ava!", "Attachment": "pic.png"},
            ),
            id="mms-with-its-file",
        ),
    ],
)
def test_each_kind_is_tested_as_it_goes_out(sandbox, client, run, options, expected):
    p = _plan(client, template="Hi {Name}!", quiet=None, **options)
    sandbox.clear_requests()
    report = run(p, client, test_to=[STAFF_A])
    [(op, fields)] = received(sandbox)
    fields.pop("ReplySTOPToOptOut")
    assert (op, fields) == expected
    assert report.counts == {"sent": 1}


def test_a_group_campaign_is_tested_with_its_message(sandbox, client, run):
    p = _plan(
        client,
        rows=frame(Groups=[VIP, STAFF]),
        template="Winter menu!",
        to="groups",
        opt_out_footer=True,
        default_tz="America/Los_Angeles",
    )
    sandbox.clear_requests()
    report = run(p, client, test_to=[STAFF_A])
    assert received(sandbox) == [
        (
            "SendTextMessageToANumber",
            {"To": STAFF_A, "Body": "Winter menu!", "ReplySTOPToOptOut": True},
        )
    ]
    assert report.frame["note"].tolist() == [
        "test: the message the group VIP customers gets, their merge values filled in"
    ]


def test_no_history_no_problem_and_the_key_never_shows(sandbox, client, run, api_key, tmp_path):
    report = run(_plan(client), client, test_to=[STAFF_A], ledger=False)
    assert report.counts == {"sent": 1}
    run(_plan(client), client, test_to=[STAFF_A])
    seen = report.frame.to_csv() + str(report.summary())
    seen += ptdata.history(ledger=tmp_path / "ledger.sqlite").to_csv()
    seen += (tmp_path / "ledger.sqlite").read_bytes().decode("latin-1")
    assert api_key not in seen


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("Phone,Name\n+14155550101,Ava\n(415) 555-0102,Ben\n", encoding="utf-8")
    (tmp_path / "msg.txt").write_text("Hi {Name}!\n", encoding="utf-8")
    return path


def _cli_send(cli, sheet, sandbox, *more):
    return cli(
        "send",
        sheet,
        "--template",
        sheet.with_name("msg.txt"),
        "--report",
        sheet.with_name("out.csv"),
        "--base-url",
        sandbox.url,
        "--to",
        "contacts",
        "--at",
        "2030-12-03T10:00-05:00",
        "--no-progress",
        *more,
    )


def test_cli_test_to_sends_only_the_test_and_says_so(cli, sheet, sandbox):
    result = _cli_send(cli, sheet, sandbox, "--test-to", "415 555 0199", "--test-to", STAFF_B)
    assert result.exit_code == 0, result.output  # no --yes needed, no terminal needed
    assert (
        "test: the first recipient's message goes now to 2 test numbers only; the campaign "
        "itself is not sent" in result.output
    )
    assert "  note: the message row 2 (Ava) gets, their merge values filled in" in result.output
    assert received(sandbox) == [
        (
            "SendMessageToMultipleNumbers",
            {
                "ContactNumber": f"{STAFF_A},{STAFF_B}",
                "Body": "Hi Ava!",
                "ReplySTOPToOptOut": False,
            },
        )
    ]
    report = ptdata.read_report(sheet.with_name("out.csv"))
    assert report["status"].tolist() == ["sent", "sent"]
    history = cli("history")
    assert "(test): sent 2" in history.output
    # the campaign's own send afterwards: everyone, scheduled as asked
    sandbox.clear_requests()
    sent = _cli_send(cli, sheet, sandbox, "--yes")
    assert sent.exit_code == 0, sent.output
    assert [op for op, _ in received(sandbox)] == ["ScheduleMessageForAContact"] * 2
    assert sorted(_texted(sandbox)) == CONTACTS[:2]


@pytest.mark.parametrize(
    "more, message",
    [
        pytest.param(
            ["--test-to", "555"],
            "Error: test number '555' cannot be texted: '555' is not a valid phone number",
            id="bad-number",
        ),
        pytest.param(
            ["--test-to", STAFF_A, "--dry-run"],
            "Error: --test-to sends only a test, now: leave out --dry-run",
            id="with-dry-run",
        ),
    ],
)
def test_cli_test_to_refuses_what_it_cannot_do(cli, sheet, sandbox, more, message):
    result = _cli_send(cli, sheet, sandbox, *more)
    assert result.exit_code == 2
    assert message in result.output
    assert received(sandbox) == []


def test_cli_a_test_that_fails_names_the_test_number_not_a_row(cli, sheet, sandbox):
    sandbox.script_faults(["503"])
    result = _cli_send(cli, sheet, sandbox, "--test-to", STAFF_A)
    assert result.exit_code == 1
    assert f"  {STAFF_A}: unknown (server_error)" in result.output
    assert "<NA>" not in result.output
