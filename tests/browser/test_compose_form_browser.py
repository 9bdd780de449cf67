"""The compose form in a real browser: Voilà serves it, Chromium types, previews and sends.

Run alone with ``.venv/bin/python -m pytest tests/browser -ra``. One Voilà serves the app for
the module; each test opens its own page (its own kernel, its own ledger). The screenshot of
the form after the first test's send is saved under the test's temp dir;
``PTDATA_SCREENSHOT=docs/compose-form.png`` also copies it there (that is how the README's
picture is made).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time

import pytest
from browser_helpers import serve_voila, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = [
    """\
import os, tempfile
from datetime import datetime, timezone
import pandas as pd
import ptdata, ptdata.widgets

# a daytime "now" for the 415 numbers, so quiet hours never hold the send back
NOW = datetime(2026, 11, 20, 19, 0, tzinfo=timezone.utc)

client = ptdata.PowerTextor(api_key="browser-test-key", base_url=os.environ["PTDATA_SANDBOX_URL"],
                            price_per_segment="0.0079")
contacts = pd.DataFrame({
    "Phone": ["+14155550101", "+14155550102", "+14155550103", "+14155550104"],
    "Name": ["Ava", "Ben", "Chloe", ""],
})
form = ptdata.widgets.ComposeForm(client, contacts=contacts, rate=20, now=NOW,
                                  ledger=os.path.join(tempfile.mkdtemp(), "ledger.sqlite"))
form""",
]
MESSAGE = "Hi from the browser: doors open at 9!"
LONG = "Our winter menu is here. " * 62  # 1,550 GSM-7 characters: 11 segments
WAIT = 90_000  # ms; Voilà starts a kernel and runs the notebook before the form appears


@pytest.fixture(scope="module")
def app_url(_sandbox_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("voila")
    write_notebook(folder / "app.ipynb", APP)
    with serve_voila(folder, "app.ipynb", {"PTDATA_SANDBOX_URL": _sandbox_server.url}) as url:
        yield url, folder


@pytest.fixture
def page(chromium, app_url, sandbox, tmp_path):
    """A fresh page with the form on it (a new kernel); on failure a screenshot and the log."""
    url, folder = app_url
    page = chromium.new_page(viewport={"width": 1000, "height": 1400})
    try:
        page.goto(url, timeout=WAIT)
        page.wait_for_selector(".ptdata-compose-form", timeout=WAIT)
        yield page
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        log = (folder / "voila.log").read_text(errors="replace")[-3000:]
        print(f"screenshot: {tmp_path / 'failure.png'}\nvoila.log (end):\n{log}")
        raise
    finally:
        page.close()


def _posts(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == "POST"]


def _wait_for_request(sandbox, op_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for req in sandbox.requests():
            if req["operationId"] == op_id:
                return req
        time.sleep(0.2)
    raise AssertionError(f"the sandbox received no {op_id}: {sandbox.requests()}")


def _shows(page, selector: str, text: str):
    return page.wait_for_selector(f"{selector}:has-text({text!r})", timeout=WAIT)


def test_type_preview_send_and_confirm_in_chromium(page, sandbox, tmp_path):
    page.get_by_role("button", name="Paste numbers").click()
    page.locator(".ptdata-numbers textarea").fill("+14155550101\n415 555 0102\n12")
    page.locator(".ptdata-body textarea").fill(MESSAGE)
    page.locator(".ptdata-footer input").check()
    _shows(page, ".ptdata-recipients", "1 invalid")
    _shows(page, ".ptdata-previews", "Reply STOP to opt out")  # the footer, as sent
    _shows(page, ".ptdata-phone-bubble", "Reply STOP to opt out")
    counter = _shows(page, ".ptdata-counter", "est. $0.0158")
    assert "2 recipients · est. $0.0158 (2 segments × $0.0079)" in counter.inner_text()

    page.locator(".ptdata-preview").click()
    summary = page.wait_for_selector(".ptdata-plan-summary", timeout=WAIT)
    assert "2 rows → 1 API call," in summary.inner_text()
    assert "est. $0.0158 (2 segments × $0.0079)" in summary.inner_text()
    assert _posts(sandbox) == []

    page.locator(".ptdata-send").click()
    question = page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
    assert question.inner_text() == (
        "Send 2 messages in 1 API call (2 segments · est. $0.0158); "
        "1 row will be skipped (see the reasons in the preview). "
        "Confirm?"
    )
    page.locator(".ptdata-confirm").click()
    report = page.wait_for_selector(".ptdata-report-summary", timeout=WAIT)
    assert report.inner_text().startswith("Sent 2 messages (2 segments, est. $0.0158)")
    assert page.locator(".ptdata-report-table").count() == 1
    assert page.locator("a.ptdata-download").get_attribute("href").startswith("data:text/csv;")

    req = _wait_for_request(sandbox, "SendMessageToMultipleNumbers")
    assert req["json"]["ContactNumber"] == "+14155550101,+14155550102"
    assert req["json"]["Body"] == MESSAGE and req["json"]["ReplySTOPToOptOut"] is True

    # the result table fits the form: nothing sticks out past its right edge
    form_box = page.locator(".ptdata-compose-form").bounding_box()
    table_box = page.locator(".ptdata-report-table").bounding_box()
    assert table_box["x"] + table_box["width"] <= form_box["x"] + form_box["width"]

    shot = tmp_path / "compose-form.png"
    page.locator(".ptdata-compose-form").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("PTDATA_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["PTDATA_SCREENSHOT"])

    # a new send, cancelled: the last bar (100 %, green) must not sit under "Cancelled"
    assert page.locator(".ptdata-progress .widget-hprogress").count() == 1
    page.locator(".ptdata-body textarea").fill(MESSAGE + " See you there.")
    page.locator(".ptdata-send").click()
    page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
    page.locator(".ptdata-cancel").click()
    _shows(page, ".ptdata-note", "Cancelled: nothing was sent.")
    assert page.locator(".ptdata-progress .widget-hprogress").count() == 0
    assert len(_posts(sandbox)) == 1


def test_a_group_send_counts_its_members(page, sandbox):
    page.get_by_role("button", name="Groups").click()
    page.locator(".ptdata-groups select").select_option(label=["VIP customers (3)", "Staff (2)"])
    _shows(page, ".ptdata-recipients", "5 recipients")
    page.locator(".ptdata-body textarea").fill(MESSAGE)
    _shows(page, ".ptdata-counter", "5 recipients · est. $0.0395 (5 segments × $0.0079)")
    page.locator(".ptdata-send").click()
    question = page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
    assert question.inner_text().startswith(
        "Send 5 messages to the members of 2 groups in 1 API call (5 segments · est. $0.0395)"
    )
    page.locator(".ptdata-confirm").click()
    report = page.wait_for_selector(".ptdata-report-summary", timeout=WAIT)
    assert report.inner_text().startswith(
        "Sent 5 messages (5 segments, est. $0.0395) to the members of VIP customers (3), Staff (2)"
    )
    assert _wait_for_request(sandbox, "SendTextMessageToMultipleGroups")


def test_a_double_clicked_confirm_sends_once_and_keeps_the_report(page, sandbox):
    page.get_by_role("button", name="Select all shown").click()
    _shows(page, ".ptdata-recipients", "4 recipients")
    page.locator(".ptdata-body textarea").fill(MESSAGE)
    page.locator(".ptdata-send").click()
    page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
    page.locator(".ptdata-confirm").dblclick()
    page.wait_for_selector(".ptdata-report-summary", timeout=WAIT)
    # the second click reaches the kernel after the send: give it time to do its worst
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        assert page.locator(".ptdata-download").count() == 1
        assert page.locator(".ptdata-note:has-text('Nothing is waiting')").count() == 0
        time.sleep(0.25)
    assert len(_posts(sandbox)) == 1


def test_a_spaces_only_body_is_stopped_before_preview(page, sandbox):
    page.get_by_role("button", name="Select all shown").click()
    page.locator(".ptdata-body textarea").fill("     ")
    _shows(page, ".ptdata-todo", "Message: it is only spaces; write the text to send.")
    page.locator(".ptdata-preview").click()
    _shows(page, ".ptdata-error", "Fill in first: Message: it is only spaces")
    page.locator(".ptdata-send").click()
    time.sleep(1)
    assert page.locator(".ptdata-confirm-question").count() == 0
    assert not page.locator(".ptdata-confirm").is_visible()
    assert _posts(sandbox) == []


def test_a_blank_merge_value_is_flagged_in_the_preview(page):
    page.get_by_role("button", name="Select all shown").click()
    page.locator(".ptdata-body textarea").fill("Hi {Name}, doors open at 9!")
    blanks = _shows(page, ".ptdata-blanks", "{Name|there}")
    assert "1 of 4 recipients has a blank Name" in blanks.inner_text()
    for _ in range(3):
        page.locator(".ptdata-phone-next button, button.ptdata-phone-next").first.click()
    _shows(page, ".ptdata-phone-blank", "Name is blank for this recipient")
    assert "Hi , doors open at 9!" in page.locator(".ptdata-phone-bubble").inner_text()
    assert "4 of 4" in page.locator(".ptdata-phone-count").inner_text()


def test_a_long_message_needs_the_explicit_tick(page, sandbox):
    page.locator(".ptdata-contacts select").select_option(label=["Ava  +14155550101"])
    page.locator(".ptdata-body textarea").fill(LONG)
    box = _shows(page, ".ptdata-allow-long", "Allow a long message (11 segments)")
    page.locator(".ptdata-send").click()
    _shows(page, ".ptdata-error", "tick “Allow a long message (11 segments)”")
    box.query_selector("input").check()
    page.wait_for_selector(
        ".ptdata-todo-box:not(:has(.ptdata-todo))", state="attached", timeout=WAIT
    )
    page.locator(".ptdata-send").click()
    question = page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
    assert "Send 1 message in 1 API call (11 segments · est. $0.0869)" in question.inner_text()
    page.locator(".ptdata-confirm").click()
    report = page.wait_for_selector(".ptdata-report-summary", timeout=WAIT)
    assert report.inner_text().startswith("Sent 1 message (11 segments, est. $0.0869)")
    req = _wait_for_request(sandbox, "SendTextMessageToANumber")
    assert (req["json"]["Body"], req["status"]) == (LONG, 200)


def test_a_test_send_goes_to_the_staff_number_only_with_its_cost_shown(page, sandbox):
    page.get_by_role("button", name="Select all shown").click()
    _shows(page, ".ptdata-recipients", "4 recipients")
    page.locator(".ptdata-body textarea").fill("Hi {Name|there}, doors open at 9!")
    counter = _shows(page, ".ptdata-counter", "est. $0.0316")
    assert "4 recipients · est. $0.0316 (4 segments × $0.0079)" in counter.inner_text()
    page.get_by_role("button", name="Send test").click()
    _shows(page, ".ptdata-error", "Test numbers: type the number(s) to send the test to")
    page.locator(".ptdata-test-numbers input").fill("(415) 555-0199")
    page.get_by_role("button", name="Send test").click()
    result = _shows(page, ".ptdata-test-result", "Test sent now to +14155550199")
    assert "the message row 2 (Ava) gets, their merge values filled in" in result.inner_text()
    assert "The campaign itself was not sent" in result.inner_text()
    req = _wait_for_request(sandbox, "SendTextMessageToANumber")
    assert req["json"] == {
        "To": "+14155550199",
        "Body": "Hi Ava, doors open at 9!",
        "ReplySTOPToOptOut": False,
    }
    assert len(_posts(sandbox)) == 1
