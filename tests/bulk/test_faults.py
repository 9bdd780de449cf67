"""The fault table: what each failure does to the rows, counting the POSTs the sandbox received.

Rule 1 of the design: only connect failures and 429 are retried; anything after which the
server may have acted makes the rows ``unknown`` and is never sent again by itself.
"""

from __future__ import annotations

import httpx
import pytest
from bulk_helpers import CONTACTS, DAY, frame, posts

import ptdata

ROWS = frame(Phone=CONTACTS, Name=["Ava", "Ben", "Chloe"])


class ConnectFailsOnce(httpx.BaseTransport):
    """A real HTTP transport whose first connection attempt for a POST is refused."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not self.refused:
            self.refused += 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


def _client(sandbox, **kw):
    kw.setdefault("sleep", lambda s: None)
    return ptdata.PowerTextor(api_key="test", base_url=sandbox.url, **kw)


def test_connect_refused_then_ok_sends_once(sandbox, run):
    transport = ConnectFailsOnce()
    with _client(sandbox, transport=transport) as client:
        report = run(ptdata.plan(ROWS.iloc[:1], body="Hi", now=DAY), client)
    assert transport.refused == 1
    assert len(posts(sandbox)) == 1
    assert report.frame[["status", "attempts"]].values.tolist() == [["sent", 2]]


def test_nothing_listening_fails_the_rows_as_not_sent(run):
    with ptdata.PowerTextor(
        api_key="test", base_url="http://127.0.0.1:9", max_retries=1, sleep=lambda s: None
    ) as client:
        report = run(ptdata.plan(ROWS.iloc[:1], body="Hi", now=DAY), client)
    row = report.frame.iloc[0]
    assert (row["status"], row["reason"], row["attempts"]) == ("failed", "connect_failed", 2)
    assert not report.ok


@pytest.mark.parametrize(
    "fault, reason",
    [
        pytest.param("stall:3", "timeout", id="read-timeout"),
        pytest.param("drop", "connection_lost", id="dropped-connection"),
        pytest.param("drop_before", "connection_lost", id="dropped-before-reply"),
        pytest.param("500", "server_error", id="500"),
        pytest.param("502", "server_error", id="502"),
        pytest.param("503", "server_error", id="503"),
        pytest.param("504", "server_error", id="504"),
        pytest.param("non_json", "bad_reply", id="not-json"),
    ],
)
def test_a_possibly_sent_call_is_posted_once_and_its_rows_are_unknown(sandbox, run, fault, reason):
    sandbox.script_faults([fault])
    with _client(sandbox, timeout=0.5) as client:
        report = run(ptdata.plan(ROWS, body="Hi", now=DAY), client)  # one call for all three
    assert len(posts(sandbox)) == 1
    assert report.frame["status"].tolist() == ["unknown"] * 3
    assert report.frame["reason"].tolist() == [reason] * 3
    assert report.frame["attempts"].tolist() == [1, 1, 1]
    assert not report.ok


def test_429_with_retry_after_waits_then_sends(sandbox, run):
    sandbox.script_faults(["429:2"])
    with ptdata.PowerTextor(api_key="test", base_url=sandbox.url) as client:  # real sleep
        report = run(ptdata.plan(ROWS.iloc[:1], body="Hi", now=DAY), client)
    got = posts(sandbox)
    assert [r["status"] for r in got] == [429, 200]
    from datetime import datetime

    first, second = (datetime.fromisoformat(r["received_at"].replace("Z", "+00:00")) for r in got)
    assert (second - first).total_seconds() >= 2.0
    assert report.frame[["status", "attempts"]].values.tolist() == [["sent", 2]]


def test_an_absurd_retry_after_stops_the_run_instead_of_sleeping(sandbox, run):
    sandbox.script_faults(["429:86400"])
    with _client(sandbox, sleep=_no_sleep_allowed) as client:
        report = run(ptdata.plan(ROWS, template="Hi {Name}", now=DAY), client, concurrency=1)
    assert len(posts(sandbox)) == 1
    assert report.frame["status"].tolist() == ["failed", "skipped", "skipped"]
    assert report.frame["reason"].tolist() == ["rate_limited", "run_stopped", "run_stopped"]
    assert "asked to wait 86400 s" in report.stopped
    assert "stopped instead of sleeping" in report.stopped
    assert "stopped: " in str(report.summary())


def _no_sleep_allowed(seconds):
    raise AssertionError(f"slept {seconds} s")


@pytest.mark.parametrize(
    "fault", [pytest.param("success_false", id="success-false"), pytest.param("400", id="400")]
)
def test_a_refusal_fails_the_rows_with_the_servers_message(sandbox, run, fault):
    sandbox.script_faults([fault])
    with _client(sandbox) as client:
        report = run(ptdata.plan(ROWS, body="Hi", now=DAY), client)
    assert len(posts(sandbox)) == 1
    assert report.frame["status"].tolist() == ["failed"] * 3
    assert report.frame["reason"].tolist() == ["rejected"] * 3
    message = report.frame["message"].iloc[0]
    assert message and "Power Textor" not in message  # the server's own words
    assert report.frame["attempts"].tolist() == [1, 1, 1]


def test_a_refused_key_stops_the_run_and_the_report_still_has_every_row(sandbox, run):
    sandbox.script_faults(["ok", "401"])
    with _client(sandbox) as client:
        report = run(
            ptdata.plan(
                frame(Phone=[f"+1415555{1000 + i}" for i in range(5)]),
                body="Hi",
                batch_size=1,
                now=DAY,
            ),
            client,
            concurrency=1,
        )
    assert len(posts(sandbox)) == 2
    assert report.frame["status"].tolist() == ["sent", "failed", "skipped", "skipped", "skipped"]
    assert report.frame["reason"].tolist()[1:] == [
        "auth",
        "run_stopped",
        "run_stopped",
        "run_stopped",
    ]
    assert "refused the API key" in report.stopped
    assert report.frame["row"].tolist() == [2, 3, 4, 5, 6]
    assert not report.ok
