"""The compose form in a real browser: Voilà serves it, Chromium types, previews and sends.

Run alone with ``.venv/bin/python -m pytest tests/browser -ra``. The screenshot of the form
after the send is saved under the test's temp dir; ``PTDATA_SCREENSHOT=docs/compose-form.png``
also copies it there (that is how the README's picture is made).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from browser_helpers import serve_voila, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = [
    """\
import os
from datetime import datetime, timezone
import pandas as pd
import ptdata, ptdata.widgets

# a daytime "now" for the 415 numbers, so quiet hours never hold the send back
NOW = datetime(2026, 11, 20, 19, 0, tzinfo=timezone.utc)

client = ptdata.PowerTextor(api_key="browser-test-key", base_url=os.environ["PTDATA_SANDBOX_URL"])
contacts = pd.DataFrame({
    "Phone": ["+14155550101", "+14155550102", "+14155550103"],
    "Name": ["Ava", "Ben", "Chloe"],
})
form = ptdata.widgets.ComposeForm(client, contacts=contacts,
                                  ledger=os.environ["PTDATA_LEDGER"], rate=20, now=NOW)
form""",
]
MESSAGE = "Hi from the browser: doors open at 9!"
WAIT = 90_000  # ms; Voilà starts a kernel and runs the notebook before the form appears


def _wait_for_request(sandbox, op_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for req in sandbox.requests():
            if req["operationId"] == op_id:
                return req
        time.sleep(0.2)
    raise AssertionError(f"the sandbox received no {op_id}: {sandbox.requests()}")


def test_type_preview_send_and_confirm_in_chromium(chromium, sandbox, tmp_path):
    write_notebook(tmp_path / "app.ipynb", APP)
    env = {"PTDATA_SANDBOX_URL": sandbox.url, "PTDATA_LEDGER": str(tmp_path / "ledger.sqlite")}
    with serve_voila(tmp_path, "app.ipynb", env) as url:
        page = chromium.new_page(viewport={"width": 1000, "height": 1400})
        try:
            page.goto(url, timeout=WAIT)
            page.wait_for_selector(".ptdata-compose-form", timeout=WAIT)

            page.get_by_role("button", name="Paste numbers").click()
            page.locator(".ptdata-numbers textarea").fill("+14155550101\n415 555 0102\n12")
            page.locator(".ptdata-body textarea").fill(MESSAGE)
            page.wait_for_selector(".ptdata-counter:has-text('GSM-7')", timeout=WAIT)
            page.wait_for_selector(".ptdata-recipients:has-text('1 invalid')", timeout=WAIT)

            page.locator(".ptdata-preview").click()
            summary = page.wait_for_selector(".ptdata-plan-summary", timeout=WAIT)
            assert "2 rows → 1 API call," in summary.inner_text()
            assert [r for r in sandbox.requests() if r["method"] == "POST"] == []

            page.locator(".ptdata-send").click()
            page.wait_for_selector(".ptdata-confirm-question", timeout=WAIT)
            page.locator(".ptdata-confirm").click()
            report = page.wait_for_selector(".ptdata-report-summary", timeout=WAIT)
            shown = report.inner_text()
            assert "sent" in shown and "2 API calls" not in shown
            assert page.locator(".ptdata-report-table").count() == 1
            assert page.locator("a.ptdata-download").get_attribute("href").startswith(
                "data:text/csv;")

            req = _wait_for_request(sandbox, "SendMessageToMultipleNumbers")
            assert req["json"]["ContactNumber"] == "+14155550101,+14155550102"
            assert req["json"]["Body"] == MESSAGE

            shot = tmp_path / "compose-form.png"
            page.locator(".ptdata-compose-form").screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("PTDATA_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["PTDATA_SCREENSHOT"])
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            log = (tmp_path / "voila.log").read_text(errors="replace")[-3000:]
            print(f"screenshot: {tmp_path / 'failure.png'}\nvoila.log (end):\n{log}")
            raise
        finally:
            page.close()
