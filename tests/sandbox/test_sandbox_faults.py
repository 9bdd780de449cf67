"""Injected faults, the rate limit and latency, as a client sees them over a real socket."""

import threading
import time

import httpx
import pytest

import ptdata
from ptdata.sandbox import Sandbox, parse_fault, serve_sandbox
from ptdata.sandbox.faults import FaultPlan, RateLimiter

NUMBER = "+14155550123"


def text(client):
    return client.send_text("Hi", number=NUMBER)


def sends(sandbox):
    return [r for r in sandbox.requests() if r["method"] == "POST"]


@pytest.mark.parametrize(
    ("fault", "error", "acted", "recorded"),
    [
        pytest.param("500", ptdata.ServerError, True, 500, id="500"),
        pytest.param("503", ptdata.ServerError, True, 503, id="503"),
        pytest.param("drop", ptdata.TransportError, True, "dropped", id="drop"),
        pytest.param("drop_before", ptdata.TransportError, False, "dropped", id="drop-before"),
        pytest.param("non_json", ptdata.ResponseError, True, 200, id="non-json"),
        pytest.param("success_false", ptdata.RejectedError, False, 200, id="success-false"),
        pytest.param("400", ptdata.RejectedError, False, 400, id="400"),
    ],
)
def test_scripted_fault_reaches_the_client_once(client, sandbox, fault, error, acted, recorded):
    sandbox.script_faults([fault])
    with pytest.raises(error) as info:
        text(client)
    assert [r["status"] for r in sends(sandbox)] == [recorded]
    assert [r["fault"] for r in sends(sandbox)] == [fault]
    assert len(sandbox.messages()) == (1 if acted else 0)
    assert ptdata.api.results.is_unknown_outcome(info.value) is (
        fault not in ("success_false", "400")
    )
    assert text(client).reach == 1  # then normal behaviour resumes
    assert sandbox.pending_faults() == []


def test_drop_is_a_transport_error_after_the_server_acted(client, sandbox):
    sandbox.script_faults(["drop"])
    with pytest.raises(ptdata.TransportError) as info:
        client.send_text("Hi", group="Staff")
    assert info.value.sent is True
    assert [m["phone"] for m in sandbox.messages()] == ["+14155550107", "+14155550108"]


def test_drop_surfaces_as_httpx_protocol_error(sandbox):
    sandbox.script_faults(["drop"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(
            sandbox.url + "/api/messages/sendsimple",
            headers={"ApiKey": "k"},
            json={"To": NUMBER, "Body": "Hi"},
        )


def test_stall_is_a_read_timeout_after_the_server_acted(sandbox, api_key):
    sandbox.script_faults(["stall:3"])
    with ptdata.PowerTextor(api_key=api_key, base_url=sandbox.url, timeout=0.3) as client:
        started = time.perf_counter()
        with pytest.raises(ptdata.TimeoutError_) as info:
            text(client)
        assert 0.3 <= time.perf_counter() - started < 2
    assert (info.value.phase, info.value.sent) == ("read", True)
    assert len(sandbox.messages()) == 1
    assert [r["status"] for r in sends(sandbox)] == ["stalled"]


def test_429_carries_retry_after_and_the_client_waits(sandbox, api_key):
    waits = []
    sandbox.script_faults(["429:2"])
    with ptdata.PowerTextor(api_key=api_key, base_url=sandbox.url, sleep=waits.append) as c:
        assert text(c).reach == 1
    assert waits == [2.0]
    assert [r["status"] for r in sends(sandbox)] == [429, 200]
    assert len(sandbox.messages()) == 1


def test_429_header_over_raw_http(sandbox):
    sandbox.script_faults(["429:7"])
    response = httpx.post(
        sandbox.url + "/api/messages/sendsimple",
        headers={"ApiKey": "k"},
        json={"To": NUMBER, "Body": "Hi"},
    )
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"


def test_faults_apply_only_to_sends_in_order(client, sandbox):
    sandbox.script_faults(["500", "ok", "503"])
    assert len(client.groups()) == 3  # a GET does not take a fault
    with pytest.raises(ptdata.ServerError):
        text(client)
    assert text(client).reach == 1
    with pytest.raises(ptdata.ServerError) as info:
        client.create_contact("+14155550150", "Zoe")
    assert info.value.status_code == 503
    assert client.resolve_group("Staff").name == "Staff"


def test_faults_over_http(sandbox):
    response = httpx.post(sandbox.url + "/_sandbox/faults", json={"script": ["500", "drop"]})
    assert response.json() == {"queued": ["500", "drop"]}
    assert httpx.get(sandbox.url + "/_sandbox/faults").json() == {"queued": ["500", "drop"]}
    bad = httpx.post(sandbox.url + "/_sandbox/faults", json=["explode"])
    assert bad.status_code == 400 and "unknown fault 'explode'" in bad.json()["error"]
    assert httpx.delete(sandbox.url + "/_sandbox/faults").json() == {"queued": []}


@pytest.mark.parametrize(
    ("entry", "kind", "after"),
    [
        pytest.param("500", "status", True, id="500"),
        pytest.param("400", "status", False, id="400"),
        pytest.param("429", "rate_limit", False, id="429"),
        pytest.param("drop", "drop", True, id="drop"),
        pytest.param("stall:1.5", "stall", True, id="stall"),
        pytest.param("non_json", "non_json", True, id="non-json"),
        pytest.param("success_false", "success_false", False, id="success-false"),
    ],
)
def test_parse_fault(entry, kind, after):
    fault = parse_fault(entry)
    assert (fault.kind, fault.after_acting) == (kind, after)


@pytest.mark.parametrize("entry", ["5000", "drop:2", "stall:x", "429:-1", "boom", "200"])
def test_parse_fault_rejects_nonsense(entry):
    with pytest.raises(ValueError):
        parse_fault(entry)


def test_random_faults_follow_the_seed():
    def run(seed):
        plan = FaultPlan(error_rate=0.2, drop_rate=0.1, stall_rate=0.1, seed=seed)
        return [f.text if f else "ok" for f in (plan.next() for _ in range(200))]

    first = run(7)
    assert first == run(7) and first != run(8)
    share = {k: first.count(k) / 200 for k in ("drop", "stall")}
    errors = sum(first.count(s) for s in ("500", "502", "503")) / 200
    assert 0.1 < errors < 0.3 and 0.03 < share["drop"] < 0.2 and 0.03 < share["stall"] < 0.2


def test_random_error_rate_over_the_socket(api_key):
    with (
        serve_sandbox(error_rate=0.5, seed=3) as server,
        ptdata.PowerTextor(api_key=api_key, base_url=server.url) as client,
    ):
        outcomes = []
        for _ in range(20):
            try:
                text(client)
                outcomes.append("ok")
            except ptdata.ServerError as exc:
                outcomes.append(exc.status_code)
        assert 4 <= outcomes.count("ok") <= 16
        assert len(server.messages()) == 20  # 5xx strike after acting
        assert {r["fault"] for r in server.requests()} - {None} <= {"500", "502", "503"}


def test_rate_limit_answers_429_beyond_n_per_second(sandbox):
    sandbox.configure(rate_limit=5)
    with httpx.Client(base_url=sandbox.url, headers={"ApiKey": "k"}) as http:
        statuses = [http.get("/api/groups") for _ in range(8)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429] * 3
    assert statuses[-1].headers["Retry-After"] == "1"
    assert statuses[-1].json()["Error"]["Message"] == (
        "rate limit of 5 requests per second exceeded; retry after 1 s"
    )


def test_rate_limiter_window_slides():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.admit(), limiter.admit(), limiter.admit()] == [None, None, 1]
    now[0] = 0.999
    assert limiter.admit() == 1
    now[0] = 1.0
    assert [limiter.admit(), limiter.admit(), limiter.admit()] == [None, None, 1]


def test_latency_delays_each_response_but_requests_overlap(sandbox, api_key):
    sandbox.configure(latency=0.3)
    with ptdata.PowerTextor(api_key=api_key, base_url=sandbox.url) as client:
        started = time.perf_counter()
        client.groups()
        single = time.perf_counter() - started
        threads = [threading.Thread(target=client.groups) for _ in range(5)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        five = time.perf_counter() - started
    assert 0.3 <= single < 0.6
    assert 0.3 <= five < 0.9  # five at once take about as long as one


def test_in_process_faults_raise_what_httpx_raises():
    with Sandbox() as sb, httpx.Client(transport=sb.transport(), base_url="http://sb") as http:
        sb.script_faults(["drop", "stall"])
        for expected in (httpx.RemoteProtocolError, httpx.ReadTimeout):
            with pytest.raises(expected):
                http.post(
                    "/api/messages/sendsimple",
                    headers={"ApiKey": "k"},
                    json={"To": NUMBER, "Body": "Hi"},
                )
        assert len(sb.messages()) == 2
        assert [r["status"] for r in sb.requests()] == ["dropped", "stalled"]
