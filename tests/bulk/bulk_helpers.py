"""Shared helpers of the bulk tests: seeded sandbox recipients, received requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

#: "now" for tests that are not about quiet hours: 11:00 in Los Angeles (where the seeded
#: 415 numbers live), 14:00 in New York, so the allowed window holds whatever the clock says
DAY = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)

#: seeded in every fresh sandbox
CONTACTS = ["+14155550101", "+14155550102", "+14155550103"]
VIP, STAFF = "VIP customers", "Staff"
BAKERY = "ChIJsBx1Ez-AhYARkM3nStBkry4"  # Main Street Bakery's GooglePlaceId


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype="str")


def received(sandbox) -> list[tuple[str, dict]]:
    """(operationId, fields) of every POST the sandbox received, files by name (the list
    look-ups a send makes, such as GetPlaces for the account, left out)."""
    out = []
    for r in sandbox.requests():
        if r["method"] != "POST":
            continue
        fields = dict(r.get("json") or r.get("form") or {})
        for f in r.get("files") or []:
            fields[f["name"]] = f["filename"]
        out.append((r["operationId"], fields))
    return out


def posts(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == "POST"]
