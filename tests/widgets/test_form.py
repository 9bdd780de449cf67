"""The compose form driven from Python: set widget values, click its buttons, and check what
the sandbox received (``/_sandbox/requests``) and what the form shows."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, time

import httpx
import pandas as pd
import pytest

import ptdata
from ptdata.sandbox.examples import EXAMPLE_PNG, seed_group_id
from ptdata.widgets import ComposeForm

pytest.importorskip("ipywidgets")

#: "now" for the form: 11:00 in Los Angeles (where the sheet's numbers live), inside quiet
#: hours' allowed window, so tests that are not about quiet hours never depend on the clock
DAY = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)

SHEET = pd.DataFrame(
    {
        "Phone": ["+14155550101", "+14155550102", "+14155550103"],
        "Name": ["Ana", "Bo", "Cy"],
        "Table": ["4", "5", "6"],
    }
)


def sends(sandbox) -> list[dict]:
    """The message requests the sandbox received, through its HTTP route."""
    got = httpx.get(sandbox.url + "/_sandbox/requests", timeout=5).json()
    return [r for r in got if r["method"] == "POST"]


def text(html: str) -> str:
    """What a person reads in an HTML read-out."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    spaced = re.sub(r"<(?:br|/div|/td|/th|/tr|/pre|/code|ul|li)\b[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", spaced)).strip()


@pytest.fixture
def form(client, tmp_path):
    return ComposeForm(client, contacts=SHEET, ledger=tmp_path / "ledger.sqlite", rate=50, now=DAY)


def test_pasted_numbers_preview_send_confirm_then_report(form, sandbox):
    form.source.value = "numbers"
    form.numbers.value = "+14155550101\n415 555 0102"
    form.body.value = "Doors open at 9!"

    form.preview_button.click()
    assert "2 rows → 1 API call, 2 segments" in text(form.result.value)
    assert sends(sandbox) == []  # a preview sends nothing

    form.send_button.click()
    assert "Send 2 messages in 1 API call (2 segments). Confirm?" in text(form.result.value)
    assert form.confirm_button.layout.display is None
    assert sends(sandbox) == []  # Send only asks

    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "SendMessageToMultipleNumbers"
    assert req["json"] == {
        "ContactNumber": "+14155550101,+14155550102",
        "Body": "Doors open at 9!",
        "ReplySTOPToOptOut": False,
    }
    shown = text(form.result.value)
    assert shown.startswith("Sent 2 messages (2 segments) sent 2 1 API call made")
    assert form.confirm_button.layout.display == "none"
    assert list(form.report.frame["status"]) == ["sent", "sent"]


def test_report_download_link_is_the_excel_safe_csv(form, sandbox):
    form.source.value = "numbers"
    form.numbers.value = "+14155550101"
    form.body.value = "=cmd|calc"
    form.send_button.click()
    form.confirm_button.click()
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', form.result.value)
    csv = base64.b64decode(href.group(1))
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    assert b"+14155550101" in csv and b',"sent",' in csv
    assert b"=cmd|calc" not in csv.replace(b"'=cmd|calc", b"")  # formula neutralised
    assert 'download="report.csv"' in form.result.value


def test_recipients_show_how_many_are_excluded_and_why(client, tmp_path):
    form = ComposeForm(
        client, contacts=SHEET, suppress={"+14155550104"}, ledger=tmp_path / "l.sqlite", now=DAY
    )
    form.source.value = "numbers"
    form.numbers.value = "+14155550101\n4155550101\n12345\n+14155550104\n+14155550102"
    shown = text(form.recipients_status.value)
    assert shown.startswith("2 recipients · 3 excluded (")
    for part in ("1 invalid", "1 duplicate", "1 opted out"):
        assert part in shown


def test_contacts_are_searchable_and_picks_survive_a_search(form):
    form.contact_search.value = "bo"
    assert form.contact_list.options == (("Bo  +14155550102", "+14155550102"),)
    form.contact_list.value = ("+14155550102",)
    form.contact_search.value = "ana"
    form.contact_list.value = ("+14155550101",)
    form.contact_search.value = ""
    assert form.contact_list.value == ("+14155550101", "+14155550102")
    assert text(form.recipients_status.value) == "2 recipients"
    form.clear_picked.click()
    assert text(form.recipients_status.value) == "0 recipients"
    form.select_shown.click()
    assert text(form.recipients_status.value) == "3 recipients"


def test_merge_fields_from_the_sheet_are_offered_and_previewed(form):
    assert [v for _, v in form.merge_field.options] == ["", "Phone", "Name", "Table"]
    form.contact_list.value = ("+14155550101", "+14155550102")
    form.body.value = "Hi"
    form.merge_field.value = "Name"
    assert form.body.value == "Hi {Name}"
    assert form.merge_field.value == ""
    assert text(form.previews.value) == "Ana · +14155550101: Hi Ana Bo · +14155550102: Hi Bo"
    assert text(form.counter.value).startswith("6 characters · GSM-7 · 1 segment")


def test_counter_names_the_characters_that_force_ucs2_and_counts_the_footer(form):
    form.source.value = "numbers"
    form.body.value = "Café ☕ at 9"
    shown = text(form.counter.value)
    assert shown.startswith("11 characters · UCS-2 · 1 segment")
    assert "because of: ☕" in shown and "é" not in shown.split("because of:")[1]
    form.footer.value = True
    assert not text(form.counter.value).startswith("11 characters")


def test_unknown_merge_field_is_a_readable_message_not_a_traceback(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Hi {Nmae}"
    assert "unknown merge field {Nmae}: did you mean {Name}?" in text(form.counter.value)
    form.preview_button.click()
    assert 'class="ptdata-error"' in form.result.value
    assert "did you mean {Name}?" in text(form.result.value)
    assert "Traceback" not in form.result.value
    assert form.error == (
        "Message: unknown merge field {Nmae}: did you mean {Name}? The sheet's columns "
        "are row, Phone, Name, Table."
    )
    form.send_button.click()
    assert "did you mean {Name}?" in text(form.result.value)
    assert form.confirm_button.layout.display == "none"
    assert sends(sandbox) == []
    form.body.value = "Hi {Name}"
    form.preview_button.click()
    assert form.error is None and "ptdata-error" not in form.result.value


def test_nothing_to_send_says_so(form, sandbox):
    form.source.value = "numbers"
    form.numbers.value = "12\ncall me"
    form.body.value = "Hello"
    form.send_button.click()
    assert form.error == "Nothing to send: no row can be sent (see the reasons below)."
    assert form.confirm_button.layout.display == "none"
    assert "invalid 2" in text(form.result.value)
    assert sends(sandbox) == []


def test_changing_the_form_after_send_withdraws_the_confirmation(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Hello"
    form.send_button.click()
    form.body.value = "Hello again"
    assert form.confirm_button.layout.display == "none"
    assert "nothing was sent" in text(form.result.value)
    form.confirm_button.click()
    assert sends(sandbox) == []


def test_cancel_sends_nothing(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Hello"
    form.send_button.click()
    form.cancel_button.click()
    assert text(form.result.value) == "Cancelled: nothing was sent."
    assert sends(sandbox) == []


def test_review_request_to_a_group_uses_groups_and_places_from_the_api(form, sandbox):
    form.source.value = "groups"
    labels = dict((v, k) for k, v in form.group_list.options)
    assert labels[seed_group_id("VIP customers")].startswith("VIP customers (")
    form.group_list.value = (seed_group_id("VIP customers"),)
    assert text(form.recipients_status.value).startswith("1 group: VIP customers")
    form.kind.value = "review"
    place = form.client.places()[0]
    assert (place.name, place.google_place_id) in form.place.options
    form.place.value = place.google_place_id
    form.body.value = "How did we do?"
    form.send_button.click()
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "SendReviewTextMessageToAGroup"
    assert seed_group_id("VIP customers") in str(req["json"])
    assert place.google_place_id in str(req["json"])
    assert "sent 1" in text(form.result.value)


def test_scheduled_send_goes_out_with_utc_strings_from_the_chosen_zone(form, sandbox):
    year = 2030
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Sale starts now"
    form.timing.value = "at"
    form.at_date.value = date(year, 1, 15)
    form.at_time.value = time(12, 30)  # 09:30 in Los Angeles, where the number lives
    form.timezone.value = "America/New_York"
    form.send_button.click()
    assert "Schedule 1 message in 1 API call (1 segment). Confirm?" in text(form.result.value)
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "ScheduleTextForANewContact"
    assert (req["json"]["ScheduledDate"], req["json"]["ScheduledTime"]) == (
        f"01/15/{year}",
        "05:30 PM",
    )
    assert "scheduled 1" in text(form.result.value)


def test_event_reminder_is_sent_with_event_date_days_and_utc_time(form, sandbox):
    year = 2030
    form.contact_list.value = ("+14155550101",)
    form.kind.value = "reminder"
    form.event_date.value = date(year, 3, 1)
    form.days_before.value = 2
    form.event_time.value = time(10, 0)
    form.timezone.value = "America/Chicago"
    form.body.value = "See you on March 1st"
    form.send_button.click()
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert "EventReminder" in req["operationId"]
    assert req["json"]["EventDate"] == f"03/01/{year}"
    assert (req["json"]["Day"], req["json"]["Time"]) == (2, "04:00 PM")


def test_mms_with_an_uploaded_picture(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.kind.value = "mms"
    form.attachment.value = (
        {
            "name": "photo.png",
            "type": "image/png",
            "size": len(EXAMPLE_PNG),
            "content": memoryview(EXAMPLE_PNG),
            "last_modified": datetime(2030, 1, 1, tzinfo=UTC),
        },
    )
    form.body.value = "Our new menu"
    form.send_button.click()
    form.confirm_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "SendMMSNewContact"
    assert "photo.png" in str(req) and str(len(EXAMPLE_PNG)) in str(req)
    assert "sent 1" in text(form.result.value)


def test_server_failure_shows_in_the_report_never_as_a_traceback(form, sandbox):
    form.contact_list.value = ("+14155550101",)
    form.body.value = "Hello"
    sandbox.script_faults(["500"])
    form.send_button.click()
    form.confirm_button.click()
    shown = text(form.result.value)
    assert "unknown 1" in shown and "server_error" in shown
    assert "Traceback" not in form.result.value


def test_unreachable_service_is_a_readable_message(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with ptdata.PowerTextor(
        api_key="k", base_url=f"http://127.0.0.1:{port}", timeout=2, max_retries=0
    ) as client:
        form = ComposeForm(client, ledger=tmp_path / "l.sqlite")
        assert 'class="ptdata-error"' in form.result.value
        assert "Traceback" not in form.result.value
        form.source.value = "groups"  # loading groups fails the same way
        assert 'class="ptdata-error"' in form.result.value


def test_without_a_frame_the_form_lists_powertextor_contacts_and_sends_to_them(
    client, sandbox, tmp_path
):
    form = ComposeForm(client, ledger=tmp_path / "l.sqlite", rate=50, now=DAY)
    phones = [v for _, v in form.contact_list.options]
    assert phones == [c.phone for c in client.contacts()]
    form.contact_list.value = tuple(phones[:2])
    form.body.value = "Hi {Name}"
    form.send_button.click()
    form.confirm_button.click()
    ops = [r["operationId"] for r in sends(sandbox)]
    assert ops and all(op == "SendTextToAContact" for op in ops)


ZONES_SHEET = pd.DataFrame(
    {
        "Phone": ["+12125550105", "+13125550107", "+13105550123"],  # New York, Chicago, LA
        "Name": ["Emma", "George", "Ana"],
    }
)


def test_recipient_local_time_schedules_each_zone_at_its_own_utc_time(client, sandbox, tmp_path):
    form = ComposeForm(client, contacts=ZONES_SHEET, ledger=tmp_path / "l.sqlite", rate=50, now=DAY)
    assert ("At a time in each recipient's zone", "local") in form.timing.options
    form.contact_list.value = tuple(ZONES_SHEET["Phone"])
    form.body.value = "Doors open at 10, {Name}!"
    form.timing.value = "local"
    assert form.at_box.layout.display is None and form.timezone.layout.display == "none"
    assert "in their own time zone" in text(form.timing_note.value)
    form.at_date.value = date(2030, 12, 3)
    form.at_time.value = time(10, 0)
    form.send_button.click()
    assert "Schedule 3 messages in 3 API calls" in text(form.result.value)
    form.confirm_button.click()
    got = sorted(
        (r["json"]["ScheduledTime"], r["json"]["ContactNumber"], r["json"]["ScheduledDate"])
        for r in sends(sandbox)
    )  # calls run in parallel
    assert got == [
        ("03:00 PM", "+12125550105", "12/03/2030"),
        ("04:00 PM", "+13125550107", "12/03/2030"),
        ("06:00 PM", "+13105550123", "12/03/2030"),
    ]
    assert form.report.frame["tz"].tolist() == [
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
    ]


@pytest.mark.parametrize(
    "policy, statuses, reasons",
    [
        pytest.param("skip", ["skipped", "sent", "sent"], ["quiet_hours", None, None], id="skip"),
        pytest.param("off", ["sent", "sent", "sent"], [None, None, None], id="off"),
    ],
)
def test_quiet_hours_policy_at_21_30_new_york_time(
    client, sandbox, tmp_path, policy, statuses, reasons
):
    night = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)  # 21:30 New York, 20:30 Chicago
    form = ComposeForm(
        client, contacts=ZONES_SHEET, ledger=tmp_path / "l.sqlite", rate=50, now=night
    )
    form.contact_list.value = tuple(ZONES_SHEET["Phone"])
    form.body.value = "Hi"
    form.quiet.value = policy
    form.send_button.click()
    form.confirm_button.click()
    assert form.report.frame["status"].tolist() == statuses
    assert [None if pd.isna(r) else r for r in form.report.frame["reason"]] == reasons
    sent = sends(sandbox)[0]["json"]["ContactNumber"].split(",")
    assert ("+12125550105" in sent) == (policy == "off")
    if policy == "skip":
        assert (
            "21:30 on 12/03/2026 in America/New_York is outside the allowed hours"
            in form.report.frame["message"].iloc[0]
        )
