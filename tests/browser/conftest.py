"""A real browser: Debian's Chromium driven by Playwright against a Voilà app on 127.0.0.1.

Nothing here downloads a browser: the system Chromium is used, and every test in this folder
is skipped, with the reason printed by ``-ra``, when it (or Playwright, or Voilà) is missing.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("PTDATA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
    for module in ("playwright", "voila"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[browser]')"
    return None


@pytest.fixture
def chromium():
    """A launched headless Chromium, or a skip saying why there is none.

    Function-scoped on purpose: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which would break later tests that call ``asyncio.run``.
    """
    reason = _missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
