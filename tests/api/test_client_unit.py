"""The client's choke point, with an in-process transport: errors, retries, config, secrecy."""

import json
import logging

import httpx
import pytest

import ptdata
from ptdata.api.client import retry_delay
from ptdata.api.errors import (
    AuthenticationError,
    ConnectError,
    PowerTextorError,
    RateLimitedError,
    RejectedError,
    ResponseError,
    ServerError,
    TimeoutError_,
    TransportError,
    UsageError,
)

KEY = "pt-unit-key-7f3a9c1e55d04b"
OK = {"Success": True, "Error": None, "Data": {"CampaignId": "c-1", "Reach": 1, "SentCount": 1}}


class Script:
    """An httpx transport that answers from a list of steps and records what it received."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        status, body, headers = step if len(step) == 3 else (*step, {})
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)


def make_client(script, **kw):
    sleeps = []
    client = ptdata.PowerTextor(
        api_key=KEY,
        base_url="http://pt.test",
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
        **kw,
    )
    return client, sleeps


def send(client):
    return client.operation("SendTextMessageToANumber", To="+14155550100", Body="Hello")


def test_success_returns_the_data_and_sends_the_key_header():
    script = Script((200, OK))
    client, _ = make_client(script)
    res = send(client)
    assert res.data["CampaignId"] == "c-1" and res.attempts == 1
    req = script.requests[0]
    assert (req.method, req.url.path, req.headers["ApiKey"]) == (
        "POST",
        "/api/messages/sendsimple",
        KEY,
    )
    assert json.loads(req.content) == {"To": "+14155550100", "Body": "Hello"}


@pytest.mark.parametrize(
    ("step", "exc_type", "posts", "sent"),
    [
        pytest.param(
            (401, {"Success": False, "Error": {"Status": "401", "Message": "Invalid key"}}),
            AuthenticationError,
            1,
            None,
            id="401",
        ),
        pytest.param(
            (400, {"Success": False, "Error": {"Status": "400", "Message": "To is invalid"}}),
            RejectedError,
            1,
            None,
            id="400-envelope",
        ),
        pytest.param((400, b"Body is required"), RejectedError, 1, None, id="400-plain-text"),
        pytest.param(
            (200, {"Success": False, "Error": {"Status": "Failed", "Message": "No credits"}}),
            RejectedError,
            1,
            None,
            id="success-false",
        ),
        pytest.param((200, b"<html>maintenance</html>"), ResponseError, 1, True, id="non-json"),
        pytest.param((500, b"oops"), ServerError, 1, None, id="500"),
        pytest.param((503, b""), ServerError, 1, None, id="503"),
        pytest.param(httpx.ReadTimeout("slow"), TimeoutError_, 1, True, id="read-timeout"),
        pytest.param(
            httpx.RemoteProtocolError("peer closed"), TransportError, 1, True, id="dropped"
        ),
    ],
)
def test_post_failures_that_may_have_acted_are_not_retried(step, exc_type, posts, sent):
    script = Script(step)
    client, sleeps = make_client(script)
    with pytest.raises(exc_type) as info:
        send(client)
    assert len(script.requests) == posts and sleeps == []
    assert info.value.operation == "SendTextMessageToANumber"
    if sent is not None:
        assert info.value.sent is sent


def test_server_message_is_kept():
    script = Script(
        (200, {"Success": False, "Error": {"Status": "Failed", "Message": "No credits"}})
    )
    client, _ = make_client(script)
    with pytest.raises(RejectedError) as info:
        send(client)
    assert (info.value.status, info.value.server_message) == ("Failed", "No credits")
    assert "No credits" in str(info.value)


def test_connect_failure_is_retried_because_nothing_was_sent():
    script = Script(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect"), (200, OK))
    client, sleeps = make_client(script)
    res = send(client)
    assert len(script.requests) == 3 and res.attempts == 3 and len(sleeps) == 2


def test_connect_failure_gives_up_after_max_retries():
    script = Script(httpx.ConnectError("refused"))
    client, sleeps = make_client(script, max_retries=2)
    with pytest.raises(ConnectError) as info:
        send(client)
    assert info.value.sent is False and info.value.attempts == 3 and len(sleeps) == 2


def test_429_waits_retry_after_then_succeeds():
    script = Script((429, {"Success": False}, {"Retry-After": "2"}), (200, OK))
    client, sleeps = make_client(script)
    assert send(client).attempts == 2
    assert sleeps == [2.0] and len(script.requests) == 2


def test_absurd_retry_after_stops_instead_of_sleeping():
    script = Script((429, b"", {"Retry-After": "86400"}))
    client, sleeps = make_client(script, max_retry_after=60)
    with pytest.raises(RateLimitedError, match="86400 s, more than max_retry_after=60") as info:
        send(client)
    assert info.value.retry_after == 86400 and sleeps == [] and len(script.requests) == 1


def test_get_is_idempotent_so_5xx_and_timeouts_are_retried():
    groups = {
        "Success": True,
        "Error": "",
        "Data": [{"GroupId": "g1", "Name": "VIP", "ContactsCount": 3}],
    }
    script = Script((502, b""), httpx.ReadTimeout("slow"), (200, groups))
    client, sleeps = make_client(script)
    assert [g.name for g in client.groups()] == ["VIP"]
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_redirect_is_not_followed_with_the_key():
    script = Script((302, b"", {"Location": "https://elsewhere.example/api"}), (200, OK))
    client, _ = make_client(script)
    with pytest.raises(ResponseError, match="not followed"):
        send(client)
    assert len(script.requests) == 1


def test_config_argument_beats_environment_beats_default(monkeypatch):
    monkeypatch.setenv("POWERTEXTOR_API_KEY", "env-key")
    monkeypatch.setenv("POWERTEXTOR_BASE_URL", "http://env.test/")
    c = ptdata.PowerTextor()
    assert c.base_url == "http://env.test" and c._key.reveal() == "env-key"
    c = ptdata.PowerTextor(api_key="arg", base_url="http://arg.test")
    assert c.base_url == "http://arg.test" and c._key.reveal() == "arg"
    monkeypatch.delenv("POWERTEXTOR_BASE_URL")
    assert ptdata.PowerTextor().base_url == "https://connectorservices.powertextor.com"
    monkeypatch.delenv("POWERTEXTOR_API_KEY")
    with pytest.raises(UsageError, match="POWERTEXTOR_API_KEY"):
        ptdata.PowerTextor()


def test_timeouts_are_always_set():
    c = ptdata.PowerTextor(api_key="k")
    assert c._http.timeout.read == 30.0 and c._http.timeout.connect == 30.0


def test_key_never_appears_in_repr_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    failures = [
        (401, {"Success": False, "Error": {"Status": "401", "Message": "bad key"}}),
        (500, b"boom"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        (200, b"not json"),
        (429, b"", {"Retry-After": "99999"}),
    ]
    seen = []
    for step in failures:
        client, _ = make_client(Script(step), max_retries=1)
        seen += [repr(client), str(client)]
        with pytest.raises(PowerTextorError) as info:
            send(client)
        exc = info.value
        seen += [str(exc), repr(exc), repr(vars(exc))]
        chain = exc.__cause__ or exc.__context__
        seen.append(repr(chain))
    seen.append(caplog.text)
    assert not [s for s in seen if KEY in s]


def test_usage_errors_are_raised_before_sending():
    script = Script((200, OK))
    client, _ = make_client(script)
    with pytest.raises(UsageError, match="unknown Power Textor operation"):
        client.operation("SendSMS", To="+1")
    with pytest.raises(UsageError, match="needs Body"):
        client.operation("SendTextMessageToANumber", To="+14155550100")
    assert script.requests == []


def test_client_cannot_be_pickled():
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(ptdata.PowerTextor(api_key=KEY))


def test_retry_delay_is_pure_and_follows_rule_one():
    refused = ConnectError("x")
    assert (
        retry_delay(refused, 1, method="POST", max_retries=3, max_retry_after=60, rand=lambda: 0)
        == 0.5
    )
    assert retry_delay(refused, 4, method="POST", max_retries=3, max_retry_after=60) is None
    assert (
        retry_delay(ServerError("x"), 1, method="POST", max_retries=3, max_retry_after=60) is None
    )
    assert (
        retry_delay(
            ServerError("x"), 1, method="GET", max_retries=3, max_retry_after=60, rand=lambda: 0
        )
        == 0.5
    )
    read = TimeoutError_("x", phase="read")
    assert retry_delay(read, 1, method="POST", max_retries=3, max_retry_after=60) is None
    pool = TimeoutError_("x", phase="pool")
    assert (
        retry_delay(pool, 1, method="POST", max_retries=3, max_retry_after=60, rand=lambda: 0)
        == 0.5
    )


def test_before_retry_hook_runs_before_each_retry_only():
    script = Script((429, b"", {"Retry-After": "1"}), httpx.ConnectError("refused"), (200, OK))
    client, sleeps = make_client(script)
    calls = []
    req = __import__("ptdata.api.request", fromlist=["x"]).build_request(
        __import__("ptdata.api.operations", fromlist=["x"]).get_operation(
            "SendTextMessageToANumber"
        ),
        {"To": "+14155550100", "Body": "Hi"},
    )
    client.send_prepared(req, before_retry=lambda: calls.append(len(script.requests)))
    assert calls == [1, 2] and len(script.requests) == 3


@pytest.mark.parametrize(
    ("groups", "names"),
    [
        pytest.param(
            [{"GroupId": "g1", "Name": "VIP", "ContactsCount": 2}], ["VIP"], id="list-of-objects"
        ),
        pytest.param("VIP, Staff", ["VIP", "Staff"], id="comma-joined-string"),
        pytest.param(None, [], id="absent"),
    ],
)
def test_campaign_groups_in_either_shape(groups, names):
    data = {"CampaignId": "c-1", "Groups": groups}
    client, _ = make_client(Script((200, {"Success": True, "Data": data})))
    result = client.send_text("Hi", number="+14155550100")
    assert [g["Name"] for g in result.groups] == names


def test_a_closed_client_says_so_in_the_family():
    client, _ = make_client(Script((200, OK)))
    client.close()
    with pytest.raises(UsageError, match="closed"):
        send(client)


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(
            lambda key: json.dumps({"Success": False, "Error": {"Message": f"bad {key}"}}),
            id="in-the-envelope",
        ),
        pytest.param(
            lambda key: (
                '{"Success": false, "Error": {"Message": "bad ' + key.replace("/", "\\/") + '"}}'
            ),
            id="json-escaped",
        ),
        pytest.param(lambda key: f"bad key {key.replace('/', '%2F')}", id="percent-encoded"),
    ],
)
def test_a_key_echoed_back_is_scrubbed_before_it_is_kept(echo):
    key = "pt/unit-key-7f3a9c1e55d04b"
    client = ptdata.PowerTextor(
        api_key=key,
        base_url="http://pt.test",
        sleep=lambda s: None,
        transport=httpx.MockTransport(lambda request: httpx.Response(400, text=echo(key))),
    )
    with pytest.raises(RejectedError) as info:
        send(client)
    exc = info.value
    assert "***" in exc.server_message
    assert [t for t in (str(exc), repr(exc), repr(vars(exc))) if key in t or "%2F" in t] == []
