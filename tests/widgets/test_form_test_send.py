"""The form's "Send test": the first recipient's message, now, to the staff numbers typed in
"Test numbers" only; the campaign waits, and its own send later still reaches everyone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import httpx
import pandas as pd
import pytest

import ptdata
from ptdata.widgets import ComposeForm
from ptdata.widgets.state import FormState, missing_for_test

pytest.importorskip("ipywidgets")

DAY = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)  # 11:00 in Los Angeles: quiet hours allow it
SHEET = pd.DataFrame(
    {"Phone": ["+14155550101", "+14155550102", "+14155550103"], "Name": ["Ana", "Bo", "Cy"]}
)
STAFF = "+14155550199"


def sends(sandbox) -> list[dict]:
    got = httpx.get(sandbox.url + "/_sandbox/requests", timeout=5).json()
    return [r for r in got if r["method"] == "POST"]


@pytest.fixture
def form(client, tmp_path):
    form = ComposeForm(client, contacts=SHEET, ledger=tmp_path / "ledger.sqlite", rate=50, now=DAY)
    form.select_shown.click()
    form.body.value = "Hi {Name}, doors open at 9!"
    return form


def test_send_test_texts_only_the_test_numbers_now(form, sandbox, tmp_path):
    form.timing.value = "at"  # the campaign is scheduled; the test still goes now
    form.at_date.value, form.at_time.value = date(2026, 11, 5), time(10, 0)
    form.test_numbers.value = "(415) 555-0199, +14155550198"
    form.test_button.click()
    (req,) = sends(sandbox)
    assert req["operationId"] == "SendMessageToMultipleNumbers"
    assert req["json"] == {
        "ContactNumber": "+14155550199,+14155550198",
        "Body": "Hi Ana, doors open at 9!",
        "ReplySTOPToOptOut": False,
    }
    assert "ptdata-test-result" in form.result.value
    assert (
        "Test sent now to +14155550199, +14155550198: the message row 2 (Ana) gets, their "
        "merge values filled in." in form.result.value
    )
    assert "The campaign itself was not sent" in form.result.value
    hist = ptdata.history(ledger=tmp_path / "ledger.sqlite")
    assert hist["test"].tolist() == [True, True]
    # the campaign afterwards: every recipient, scheduled, and nobody twice
    form.send_button.click()
    form.confirm_button.click()
    assert form.report.counts == {"scheduled": 3}
    reached = [r["json"]["ContactNumber"] for r in sends(sandbox)[1:]]  # new contacts
    assert sorted(reached) == sorted(SHEET["Phone"])


def test_send_test_says_what_is_missing_and_sends_nothing(form, sandbox):
    form.test_button.click()
    assert "Fill in first: Test numbers: type the number(s) to send the test to" in (
        form.result.value
    )
    form.test_numbers.value = "555"
    form.test_button.click()
    assert "Test numbers: &#x27;555&#x27; cannot be texted: " in form.result.value
    form.body.value = "   "
    form.test_numbers.value = STAFF
    form.test_button.click()
    assert "Message: it is only spaces" in form.result.value
    assert sends(sandbox) == []


def test_send_test_obeys_the_suppression_list(client, sandbox, tmp_path):
    form = ComposeForm(
        client, contacts=SHEET, suppress=[STAFF], ledger=tmp_path / "l.sqlite", rate=50, now=DAY
    )
    form.select_shown.click()
    form.body.value = "Hi {Name}!"
    form.test_numbers.value = STAFF
    form.test_button.click()
    assert sends(sandbox) == []
    assert "No test was sent." in form.result.value
    assert "+14155550199: skipped (opted_out)" in form.result.value


def test_a_waiting_confirmation_is_withdrawn_by_a_test(form, sandbox):
    form.send_button.click()
    assert form.confirm_button.layout.display is None
    form.test_numbers.value = STAFF
    form.test_button.click()
    assert form.confirm_button.layout.display == "none"
    form.confirm_button.click()  # a stale click sends nothing more
    assert len(sends(sandbox)) == 1


def test_the_state_says_what_a_test_needs():
    ready = FormState(source="numbers", numbers="+14155550101", body="Hi")
    assert missing_for_test(ready) == [
        "Test numbers: type the number(s) to send the test to, e.g. your own mobile."
    ]
    assert (
        missing_for_test(FormState(source="numbers", numbers="1", body="Hi", test_numbers=STAFF))
        == []
    )


def test_a_double_clicked_send_test_texts_the_staff_once(form, sandbox):
    form.test_numbers.value = STAFF
    form.test_button.click()
    form.test_button.click()  # the second click of a double-click
    assert len(sends(sandbox)) == 1
    assert "Test sent now to +14155550199" in form.result.value
    form.test_numbers.value = "+14155550198"  # a new test, deliberately
    form.test_button.click()
    assert [r["json"]["To"] for r in sends(sandbox)] == [STAFF, "+14155550198"]
