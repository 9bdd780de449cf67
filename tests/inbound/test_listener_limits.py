"""The listener under hostile posts, over a real socket on 127.0.0.1: what it refuses, how it
answers, and that slow clients are dropped while normal posts are served."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

import ptdata
from ptdata.inbound.listener import serve_listener

P = pytest.param
STOP = {"SmsSid": "SM1", "From": "+14155550101", "Body": "STOP"}


@pytest.fixture
def listener(tmp_path):
    with serve_listener(
        tmp_path / "dump.jsonl", max_depth=4, max_fields=60, read_timeout=0.6
    ) as handle:
        yield handle


def post(url: str, content: bytes, ctype: str = "application/json") -> httpx.Response:
    return httpx.post(url, content=content, headers={"content-type": ctype}, timeout=10)


@pytest.mark.parametrize(
    "content, ctype, reason",
    [
        P(
            b'{"SmsSid":"SM2","From":"+14155550102","Body":"hi \\ud83d"}',
            "application/json",
            "field Body holds a lone surrogate (\\ud83d), which is not valid Unicode text",
            id="lone-high",
        ),
        P(
            b'{"SmsSid":"SM2","Extra":{"note":["\\udc00"]}}',
            "application/json",
            "field Extra holds a lone surrogate (\\udc00)",
            id="nested-lone-low",
        ),
        P(
            b'{"SmsSid":"SM2","\\ud800":"x"}',
            "application/json",
            "holds a lone surrogate (\\ud800)",
            id="in-a-key",
        ),
        P(
            b'{"SmsSid":"SM2","Body":"\xed\xa0\x80"}',
            "application/json",
            "holds a lone surrogate",
            id="encoded-surrogate",
        ),
        P(
            b'{"SmsSid":"SM2","Body":"caf\xe9"}',
            "application/json",
            "the JSON is not UTF-8 text",
            id="latin-1-json",
        ),
        P(
            b"SmsSid=SM2&Body=caf%E9",
            "application/x-www-form-urlencoded",
            "the form is not UTF-8 text",
            id="latin-1-form",
        ),
        P(
            b"SmsSid=SM2&Body=%ED%A0%80",
            "application/x-www-form-urlencoded",
            "the form is not UTF-8 text",
            id="surrogate-in-form",
        ),
    ],
)
def test_text_the_loader_could_not_read_back_is_refused(listener, content, ctype, reason):
    assert httpx.post(listener.sms_url, json=STOP).status_code == 200
    r = post(listener.sms_url, content, ctype)
    assert r.status_code == 400
    assert r.text.startswith("Bad Request: ") and reason in r.text
    assert listener.app.state.writer.lines_written == 1
    frame = ptdata.load_inbound(listener.out_path)  # the dump still loads, STOP and all
    assert frame.attrs["ptdata.load"]["skipped"] == 0
    assert ptdata.suppression_list(frame) == {"+14155550101"}


@pytest.mark.parametrize(
    "content, ctype, reason",
    [
        P(
            b'{"Extra":' + b"[" * 990 + b"]" * 990 + b"}",
            "application/json",
            "nests too deeply (see --max-depth)",
            id="990-deep",
        ),
        P(
            b"[" * 30000 + b"]" * 30000,
            "application/json",
            "the JSON nests too deeply (see --max-depth)",
            id="30000-deep",
        ),
        P(
            b'{"a":{"b":{"c":{"d":{"e":1}}}}}',
            "application/json",
            "field a nests deeper than 4 levels (see --max-depth)",
            id="objects-5-deep",
        ),
        P(
            b'{"Extra":' + b"[" * 50 + b"]" * 50 + b"}",
            "application/json",
            "field Extra nests deeper than 4 levels (see --max-depth)",
            id="50-deep",
        ),
        P(
            json.dumps({f"F{i}": "x" for i in range(61)}).encode(),
            "application/json",
            "more than 60 fields (see --max-fields)",
            id="json-fields",
        ),
        P(
            json.dumps([{"SmsSid": f"SM{i}", "Body": "x"} for i in range(31)]).encode(),
            "application/json",
            "more than 60 fields",
            id="array-of-payloads",
        ),
        P(
            b"&".join(b"F%d=x" % i for i in range(61)),
            "application/x-www-form-urlencoded",
            "more than 60 fields (see --max-fields)",
            id="form-fields",
        ),
    ],
)
def test_absurd_shapes_get_400_never_500(listener, content, ctype, reason):
    r = post(listener.sms_url, content, ctype)
    assert (r.status_code, reason in r.text) == (400, True), r.text
    assert listener.out_path.read_bytes() == b""


def test_the_limits_themselves_are_accepted(listener):
    at_depth = {"SmsSid": "SM3", "Extra": {"a": {"b": [1]}}}  # 4 levels
    assert httpx.post(listener.sms_url, json=at_depth).status_code == 200
    sixty = {f"F{i}": "x" for i in range(60)}
    assert httpx.post(listener.sms_url, json=sixty).status_code == 200
    assert httpx.post(listener.sms_url, data=sixty).status_code == 200
    assert ptdata.load_inbound(listener.out_path)["Extra"].tolist()[0] == '{"a":{"b":[1]}}'


def test_multipart_field_count_is_bounded(listener):
    files = {f"F{i}": (None, "x") for i in range(61)}
    r = httpx.post(listener.sms_url, files=files)
    assert r.status_code == 400 and "more than 60 fields" in r.text


def _connect(listener) -> socket.socket:
    parts = urlsplit(listener.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _trickle(listener, at_once: bytes, slowly: bytes, results: dict, key: str) -> None:
    """Send ``at_once``, then ``slowly`` a byte every 50 ms (never idle long) until the
    listener answers or hangs up; record how long that took and what came back."""
    sock = _connect(listener)
    started = time.monotonic()
    try:
        sock.sendall(at_once)
        for byte in slowly:
            if select.select([sock], [], [], 0.05)[0]:
                break
            sock.sendall(bytes([byte]))
        select.select([sock], [], [], 10)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    except OSError as exc:  # reset: the listener hung up
        answer = repr(exc).encode()
    results[key] = (time.monotonic() - started, answer)
    sock.close()


def test_slow_clients_are_dropped_while_a_normal_post_is_served(listener):
    path = urlsplit(listener.sms_url).path.encode()
    body = b"SmsSid=SM9&Body=" + b"x" * 200
    head = (
        b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    results: dict = {}
    plan = {f"headers{i}": (b"", head + body) for i in range(10)}  # trickled headers
    plan |= {f"body{i}": (head, body) for i in range(10)}  # trickled body
    plan["idle"] = (b"", b"")  # connects, says nothing
    clients = [
        threading.Thread(target=_trickle, args=(listener, *how, results, key))
        for key, how in plan.items()
    ]
    for c in clients:
        c.start()
    time.sleep(0.2)
    started = time.monotonic()
    r = httpx.post(listener.sms_url, data=STOP, timeout=5)  # served meanwhile, at once
    assert r.status_code == 200 and time.monotonic() - started < 0.5
    for c in clients:
        c.join(timeout=15)
    reset = b"ConnectionResetError"  # a byte sent just as the listener hung up
    for key, (took, answer) in results.items():
        assert 0.5 < took < 3, (key, took)  # dropped after the 0.6 s, long before the end
        if key == "idle":
            assert answer == b""  # an idle connection is simply closed
        else:
            assert answer.startswith((b"HTTP/1.1 408 ", reset)), (key, answer)
    assert len(results) == 21
    saved = [json.loads(line)["SmsSid"] for line in listener.out_path.read_text().splitlines()]
    assert saved == ["SM1"]


@pytest.mark.parametrize(
    "sent, answer",
    [
        P(
            b"POST /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
            b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
            id="headers-stall",
        ),
        P(
            b"POST /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nSmsSid=SM7&Bo",
            b"Request Timeout (the body took over 0.6 s)",
            id="body-stalls",
        ),
    ],
)
def test_what_a_stalled_client_is_told(listener, sent, answer):
    sock = _connect(listener)
    path = urlsplit(listener.sms_url).path.lstrip("/").encode()
    sock.sendall(sent.replace(b"{path}", path))
    got = b""
    while chunk := sock.recv(4096):
        got += chunk
    sock.close()
    assert got.startswith(b"HTTP/1.1 408 ") and b"connection: close" in got.lower()
    assert got.endswith(answer)
    assert listener.out_path.read_bytes() == b""


def test_keep_alive_requests_each_get_the_time_again(listener):
    with httpx.Client(timeout=5) as client:
        for i in range(3):
            assert client.post(listener.sms_url, data={"SmsSid": f"SM{i}"}).status_code == 200
            time.sleep(0.4)  # under the timeout each time, more than it in all
    assert listener.app.state.writer.lines_written == 3
