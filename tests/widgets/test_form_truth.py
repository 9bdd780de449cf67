"""The form never contradicts itself or what is sent: groups count their members, the cost is
shown, what is missing is said before Preview, the footer and blank merge values show, long
messages need an explicit tick, a second Confirm never replaces the report."""

from __future__ import annotations

import threading
import time as clock
from datetime import date, time

import pandas as pd
import pytest
from test_form import DAY, SHEET, sends, text

import ptdata
from ptdata.sandbox.examples import seed_group_id
from ptdata.widgets import ComposeForm

pytest.importorskip("ipywidgets")

VIP, STAFF = seed_group_id("VIP customers"), seed_group_id("Staff")
LONG = "Our winter menu is here. " * 62  # 1,550 GSM-7 characters: 11 segments


@pytest.fixture
def priced(sandbox, api_key):
    with ptdata.PowerTextor(
        api_key=api_key, base_url=sandbox.url, timeout=5.0, price_per_segment="0.0079"
    ) as c:
        yield c


@pytest.fixture
def form(priced, tmp_path):
    return ComposeForm(priced, contacts=SHEET, ledger=tmp_path / "ledger.sqlite", rate=50, now=DAY)


def test_a_group_counts_as_its_members_everywhere(form, sandbox, capsys):
    form.source.value = "groups"
    form.group_list.value = (VIP, STAFF)
    assert (
        text(form.recipients_status.value)
        == "2 groups: VIP customers (3), Staff (2) · 5 recipients"
    )
    form.body.value = "Doors open at 9!"
    assert text(form.counter.value).endswith("5 recipients · est. $0.0395 (5 segments × $0.0079)")

    form.preview_button.click()
    shown = text(form.result.value)
    assert shown.startswith(
        "2 rows → 1 API call, 5 segments est. $0.0395 (5 segments × $0.0079) "
        "5 messages: a group counts its members (VIP customers 3, Staff 2)"
    )
    assert "VIP customers (3 members) planned now 1" in shown
    assert text(form.recipients_status.value).endswith("· 5 recipients")

    form.send_button.click()
    assert text(form.result.value).startswith(
        "Send 5 messages to the members of 2 groups in 1 API call (5 segments · est. $0.0395). "
        "Confirm?"
    )
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "SendTextMessageToMultipleGroups"
    assert text(form.result.value).startswith(
        "Sent 5 messages (5 segments, est. $0.0395) to the members of VIP customers (3), Staff (2)"
    )
    bar = capsys.readouterr().err
    assert " 5/5 " in bar  # the progress bar counts members too


def test_without_a_price_the_counts_have_no_cost(client, tmp_path):
    form = ComposeForm(client, contacts=SHEET, ledger=tmp_path / "l.sqlite", now=DAY)
    form.select_shown.click()
    form.body.value = "Hi {Name}"
    assert text(form.counter.value).endswith("3 recipients · 3 segments in all")
    form.send_button.click()
    assert "(3 segments). Confirm?" in text(form.result.value)
    assert "est." not in text(form.result.value)


def test_a_second_confirm_after_sending_leaves_the_report(form, sandbox):
    form.select_shown.click()
    form.body.value = "Hi {Name}"
    form.send_button.click()
    form.confirm_button.click()
    report = form.result.value
    assert "ptdata-download" in report
    form.confirm_button.click()  # the double click's second half
    assert form.result.value == report
    assert len(sends(sandbox)) == 3


def test_while_a_send_runs_send_preview_and_confirm_do_nothing(form, sandbox):
    sandbox.configure(latency=0.6)
    form.select_shown.click()
    form.body.value = "Hi {Name}"
    form.send_button.click()
    worker = threading.Thread(target=form.confirm_button.click)
    worker.start()
    deadline = clock.monotonic() + 10
    while "Sending 3 messages" not in form.result.value and clock.monotonic() < deadline:
        clock.sleep(0.02)
    assert form.send_button.disabled and form.preview_button.disabled
    form.send_button.click()
    form.preview_button.click()
    form.confirm_button.click()
    form.body.value = "Changed while sending"
    assert "Sending 3 messages" in form.result.value
    worker.join(20)
    assert not form.send_button.disabled
    assert text(form.result.value).startswith("Sent 3 messages")
    assert sorted(r["json"]["Body"] for r in sends(sandbox)) == ["Hi Ana", "Hi Bo", "Hi Cy"]


def test_stale_read_outs_clear_when_anything_changes(form, sandbox):
    form.select_shown.click()
    form.body.value = "Hi {Name}"
    form.preview_button.click()
    assert "ptdata-plan" in form.result.value
    form.footer.value = True
    assert form.result.value == "" and form.plan is not None
    form.body.value = "Hi {Nmae}"
    form.preview_button.click()
    assert "ptdata-error" in form.result.value and form.error
    form.body.value = "Hi {Name}"
    assert form.result.value == "" and form.error is None
    form.send_button.click()
    form.cancel_button.click()
    assert text(form.result.value) == "Cancelled: nothing was sent."


@pytest.mark.parametrize(
    "setup, expected",
    [
        pytest.param(dict(body="Hi"), ["Recipients: pick at least one contact."], id="no-contacts"),
        pytest.param(
            dict(source="groups", body="Hi"),
            ["Recipients: choose at least one group."],
            id="no-groups",
        ),
        pytest.param(
            dict(source="numbers", body="Hi"),
            ["Recipients: paste at least one number."],
            id="no-numbers",
        ),
        pytest.param(dict(picked=True), ["Message: write the message."], id="no-message"),
        pytest.param(
            dict(picked=True, body=" \n  "),
            ["Message: it is only spaces; write the text to send."],
            id="spaces-only",
        ),
        pytest.param(
            dict(picked=True, body="Hi", timing="at", at_date=date(2030, 1, 2)),
            ["When: pick the date and the time to send at."],
            id="no-time",
        ),
        pytest.param(
            dict(
                picked=True, body="Hi", timing="at", at_date=date(2026, 11, 1), at_time=time(10, 0)
            ),
            [
                "When: the send time 10:00 on 11/01/2026 (America/New_York), which is in the "
                "past; pick a later date or time."
            ],
            id="in-the-past",
        ),
        pytest.param(
            dict(picked=True, body="Hi", kind="review"),
            ["Message kind: pick the place the review request is for."],
            id="no-place",
        ),
    ],
)
def test_what_to_fill_in_is_said_before_preview(form, sandbox, setup, expected):
    if setup.pop("picked", False):
        form.select_shown.click()
    for name in ("source", "kind", "timing", "at_date", "at_time", "body"):
        if name in setup:
            getattr(form, name).value = setup[name]
    if setup.get("kind") == "review":
        form.place.value = None
    assert text(form.todo.value) == "Before Preview: " + " ".join(expected)
    form.preview_button.click()
    assert form.error == " ".join(expected)
    assert text(form.result.value) == "Fill in first: " + " ".join(expected)
    form.send_button.click()
    assert form.confirm_button.layout.display == "none"
    assert sends(sandbox) == []


def test_the_footer_shows_in_the_previews_and_on_the_phone(form):
    form.select_shown.click()
    form.body.value = "Hi {Name}"
    form.footer.value = True
    assert text(form.previews.value).startswith("Ana · +14155550101: Hi Ana Reply STOP to opt out")
    assert "Hi Ana\nReply STOP to opt out" in form.preview.phone.value


def test_blank_merge_values_are_flagged_with_the_fallback_syntax(priced, tmp_path):
    sheet = SHEET.assign(Name=["Ana", "", None])
    form = ComposeForm(priced, contacts=sheet, ledger=tmp_path / "l.sqlite", now=DAY)
    form.select_shown.click()
    form.body.value = "Hi {Name}, table {Table} is ready"
    shown = text(form.previews.value)
    assert "+14155550102: Hi , table 5 is ready ⚠ blank here: Name" in shown
    assert shown.endswith(
        "⚠ 2 of 3 recipients have a blank Name: their message has a gap there. "
        "Write {Name|there} to say “there” when Name is blank."
    )
    form.preview.step(1)
    assert "Name is blank for this recipient" in text(form.preview.phone.value)


def test_the_phone_steps_through_every_recipients_own_message(form):
    form.select_shown.click()
    form.body.value = "Table {Table} for {Name}"
    seen = []
    for _ in range(4):
        seen.append(text(form.preview.phone.value))
        form.preview.next_button.click()
    assert seen == [
        "Ana · +14155550101 Table 4 for Ana 1 of 3 · 1 segment",
        "Bo · +14155550102 Table 5 for Bo 2 of 3 · 1 segment",
        "Cy · +14155550103 Table 6 for Cy 3 of 3 · 1 segment",
        "Ana · +14155550101 Table 4 for Ana 1 of 3 · 1 segment",
    ]
    form.preview.previous_button.click()  # back from Bo to Ana, then round to Cy
    form.preview.previous_button.click()
    assert text(form.preview.phone.value).startswith("Cy · ")
    form.body.value = "Hi {Name}"  # the phone stays on the same recipient
    assert text(form.preview.phone.value).startswith("Cy · +14155550103 Hi Cy")


def test_a_long_message_needs_the_explicit_tick(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Short"
    assert form.allow_long.layout.display == "none"
    form.body.value = LONG
    assert form.allow_long.layout.display is None
    assert form.allow_long.description == "Allow a long message (11 segments)"
    assert text(form.todo.value) == (
        "Before Preview: Message: it is 11 segments long (more than 10 is billed as 11 texts to "
        "each recipient): shorten it, or tick “Allow a long message (11 segments)”."
    )
    form.send_button.click()
    assert form.confirm_button.layout.display == "none"
    assert "force_long" not in form.result.value
    form.allow_long.value = True
    assert form.todo.value == ""
    form.send_button.click()
    assert "Send 1 message in 1 API call (11 segments · est. $0.0869)" in text(form.result.value)
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["json"]["Body"] == LONG and req["status"] == 200
    assert form.report.counts == {"sent": 1}
    form.body.value = "Short again"
    assert form.allow_long.value is False  # a message that grows long is asked again


def test_a_message_carriers_would_refuse_must_be_shortened(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = LONG + "x" * 40  # 1,590 characters, 1,612 with the footer
    assert form.allow_long.layout.display is None and "tick" in text(form.todo.value)
    form.footer.value = True
    assert form.allow_long.layout.display == "none"  # no tick can make carriers take it
    assert text(form.todo.value) == (
        "Before Preview: Message: it is 1,612 characters with the opt-out footer; carriers "
        "refuse texts over 1,600: shorten it by 12."
    )
    form.send_button.click()
    assert form.confirm_button.layout.display == "none" and sends(sandbox) == []


def test_errors_name_form_fields_not_arguments(form):
    form.select_shown.click()
    form.body.value = "Hi"
    form.timing.value = "local"
    form.at_date.value = date(2026, 11, 1)
    form.at_time.value = time(10, 0)
    form.preview_button.click()
    assert form.error.startswith(
        "When: 2026-11-01 10:00:00 is already past in every recipient's time zone"
    )
    assert "local_at=" not in form.error


def test_result_tables_show_the_columns_that_matter_with_notes_wrapped(priced, tmp_path):
    sheet = pd.DataFrame({"Phone": ["+14155550101", "+18005550100"], "Name": ["Ana", "Toll"]})
    form = ComposeForm(priced, contacts=sheet, ledger=tmp_path / "l.sqlite", now=DAY)
    form.select_shown.click()
    form.body.value = "Hi"
    form.timing.value = "at"
    form.at_date.value = date(2030, 1, 15)
    form.at_time.value = time(12, 30)
    form.preview_button.click()
    html = form.result.value
    assert (
        "<th>row</th><th>name</th><th>phone</th><th>status</th><th>when</th><th>segments</th>"
        "<th>note</th>" in html
    )
    assert "<th>operation</th>" not in html and "<th>tz</th>" not in html
    shown = text(html)
    assert "2 Ana +14155550101 planned 2030-01-15 09:30 PST 1" in shown
    assert 'class="ptdata-note">no time zone' in html
    assert "choose “Send at any hour” under When" in shown and "default_tz=" not in shown


def test_picking_several_contacts_is_explained(form):
    assert "Ctrl-click (⌘-click on a Mac)" in text(form.picker.contacts_box.children[-1].value)
