"""``PowerTextor`` over httpx and real sockets on 127.0.0.1: failures, deadlines, TLS, proxies.

Scripted servers answer with the exact bytes a test needs (keep-alive, broken or trickled
replies, endless bodies, TLS, a proxy, a redirect); the sandbox serves the rest. Every failure
test counts the requests the server saw: a POST the server may have acted on is never sent
twice, and one that never went out is reported as not sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import struct
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

import ptdata
from ptdata.api.errors import (
    ConnectError,
    PowerTextorError,
    RequestTimeoutError,
    ResponseError,
    TransportError,
    UsageError,
)
from ptdata.api.operations import get_operation
from ptdata.api.request import build_request

SEND_PATH = "/api/messages/sendsimple"
NUMBERS = ["+14155550101", "+14155550102", "+14155550103"]


# -- a scripted HTTP server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    seq: int  # order among all requests this server received
    conn: int  # which accepted connection it came on (0 = the first)
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Peer:
    """The server's end of one accepted connection, driven by a test's ``serve`` function."""

    def __init__(self, server: ScriptedServer, sock: socket.socket, index: int) -> None:
        self.server, self.sock, self.index = server, sock, index
        self._buffer = b""

    def read_request(self) -> Seen | None:
        """The next request on this connection, or None once the client has closed it."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _version = line.split(" ", 2)
        headers = {}
        for field in lines:
            name, _, value = field.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            if not self._fill():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return self.server._record(self.index, method, target, headers, body)

    def send(self, data: bytes) -> None:
        # the client may have gone: what it saw is what the test checks
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def wait_closed(self) -> None:
        """Read (and drop) whatever comes until the client closes the connection."""
        while self._fill():
            self._buffer = b""

    def close(self, *, reset: bool = False) -> None:
        if reset:  # RST instead of FIN
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except OSError:  # reset by the client, or shut down when the test ends
            return False
        self._buffer += chunk
        return bool(chunk)


class ScriptedServer:
    """A server on 127.0.0.1 that runs ``serve(peer)`` in a thread for each accepted connection."""

    def __init__(self, serve: Callable[[Peer], None], *, tls: ssl.SSLContext | None = None):
        self._serve, self._tls = serve, tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.connections = 0
        self.requests: list[Seen] = []
        self.handshake_errors: list[Exception] = []
        self.failures: list[BaseException] = []  # raised by serve(): a bug in the test
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._peers: list[Peer] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="scripted-accept", daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(5.0)  # no test waits this long: a stuck read ends on its own
            with self._lock:
                index, self.connections = self.connections, self.connections + 1
                thread = threading.Thread(
                    target=self._handle,
                    args=(sock, index),
                    name=f"scripted-conn-{index}",
                    daemon=True,
                )
                thread.start()  # before it is listed: join_connections() may join it at once
                self._threads.append(thread)

    def _handle(self, sock: socket.socket, index: int) -> None:
        try:
            if self._tls is not None:
                try:
                    sock = self._tls.wrap_socket(sock, server_side=True)
                except OSError as exc:  # ssl.SSLError among them: the client refused us
                    with self._lock:
                        self.handshake_errors.append(exc)
                    return
            peer = Peer(self, sock, index)
            with self._lock:
                self._peers.append(peer)
            self._serve(peer)
        except BaseException as exc:
            with self._lock:
                self.failures.append(exc)
        finally:
            sock.close()

    def _record(self, conn, method, target, headers, body) -> Seen:
        with self._lock:
            seen = Seen(len(self.requests), conn, method, target, headers, body)
            self.requests.append(seen)
        return seen

    def join_connections(self) -> None:
        """Wait for the connections accepted so far to end (their clients have closed them)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(2.0)
        assert not [t.name for t in threads if t.is_alive()]

    def stop(self) -> None:
        self._stopping.set()
        self._acceptor.join(2.0)
        self._listener.close()
        with self._lock:
            peers, threads = list(self._peers), list(self._threads)
        for peer in peers:  # wakes a serve() blocked in recv
            with contextlib.suppress(OSError):
                socket.socket.shutdown(peer.sock, socket.SHUT_RDWR)
        for thread in threads:
            thread.join(2.0)
        assert not self._acceptor.is_alive()
        assert not [t.name for t in threads if t.is_alive()]


# -- replies ---------------------------------------------------------------------------------------


def envelope(seen: Seen) -> bytes:
    """A send's success envelope whose CampaignId names the request it answers."""
    return json.dumps(
        {
            "Success": True,
            "Error": None,
            "Data": {"CampaignId": f"c{seen.seq}", "Reach": 1, "SentCount": 1},
        }
    ).encode()


def reply(content: bytes) -> bytes:
    """A keep-alive 200 carrying ``content`` as JSON."""
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(content),
        content,
    )


def answer_each(peer: Peer) -> None:
    """Answer every request on the connection with a keep-alive success."""
    while (seen := peer.read_request()) is not None:
        peer.send(reply(envelope(seen)))


# -- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch):
    """Direct connections unless a test sets a proxy itself."""
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def serve():
    """``serve(fn, tls=None)`` starts a ScriptedServer; all are stopped (threads joined) after."""
    servers: list[ScriptedServer] = []

    def start(fn: Callable[[Peer], None], *, tls: ssl.SSLContext | None = None):
        server = ScriptedServer(fn, tls=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    failures = [f for server in servers for f in server.failures]
    assert not failures, failures


@pytest.fixture
def connect(api_key):
    """``connect(base_url, **kw)``: a PowerTextor with the test's key, closed after the test."""
    clients: list[ptdata.PowerTextor] = []

    def make(base_url: str, **kw) -> ptdata.PowerTextor:
        kw.setdefault("timeout", 2.0)
        kw.setdefault("sleep", lambda seconds: None)
        client = ptdata.PowerTextor(api_key=kw.pop("api_key", api_key), base_url=base_url, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def sms(number: str = NUMBERS[0], body: str = "Hi"):
    return build_request(get_operation("SendTextMessageToANumber"), {"To": number, "Body": body})


def send(client: ptdata.PowerTextor, number: str = NUMBERS[0]):
    return client.send_text("Hi", number=number)


def assert_key_kept_secret(exc: BaseException, client: ptdata.PowerTextor, key: str) -> None:
    texts = [
        str(exc),
        repr(exc),
        repr(vars(exc)),
        "".join(traceback.format_exception(exc)),
        repr(client),
        str(client),
    ]
    assert not [t for t in texts if key in t]


def posts(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == "POST"]


# -- 1. requests and the pool ----------------------------------------------------------------------


def test_calls_through_one_client_reuse_one_connection(serve, connect, api_key):
    server = serve(answer_each)
    client = connect(server.url)
    results = [send(client, number) for number in NUMBERS]
    assert [r.campaign_id for r in results] == ["c0", "c1", "c2"]  # each reply to its own call
    assert server.connections == 1
    assert [(r.conn, r.method, r.target) for r in server.requests] == [(0, "POST", SEND_PATH)] * 3
    first = server.requests[0]
    assert first.headers["host"] == f"127.0.0.1:{server.port}"
    assert first.headers["apikey"] == api_key
    assert first.headers["content-type"] == "application/json"
    assert json.loads(first.body)["To"] == NUMBERS[0]


@pytest.mark.parametrize("how", ["close", "reset", "408-then-close"])
def test_a_server_closing_an_idle_connection_does_not_cost_the_next_post(serve, connect, how):
    go_away, gone = threading.Event(), threading.Event()

    def fn(peer: Peer) -> None:
        if peer.index > 0:
            return answer_each(peer)
        seen = peer.read_request()
        peer.send(reply(envelope(seen)))  # keep-alive, as far as the client can tell
        assert go_away.wait(2.0)  # the client has read the reply: the connection is idle
        if how == "408-then-close":  # what some servers say when they time an idle client out
            peer.send(
                b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
        peer.close(reset=how == "reset")
        gone.set()

    server = serve(fn)
    client = connect(server.url)
    assert send(client, NUMBERS[0]).campaign_id == "c0"
    go_away.set()
    assert gone.wait(2.0)

    result = send(client, NUMBERS[1])

    assert (result.campaign_id, result.attempts) == ("c1", 1)
    assert server.connections == 2
    assert [(r.conn, json.loads(r.body)["To"]) for r in server.requests] == [
        (0, NUMBERS[0]),
        (1, NUMBERS[1]),
    ]  # the second POST reached the server exactly once


def test_a_408_left_ahead_of_the_next_reply_is_retried_and_the_post_reaches_the_server_once(
    serve, connect
):
    def fn(peer: Peer) -> None:
        if peer.index > 0:
            return answer_each(peer)
        seen = peer.read_request()
        peer.send(
            reply(envelope(seen))  # ...and at once what servers say as they close
            + b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
        peer.wait_closed()  # what comes next is not read: this server has given up

    server = serve(fn)
    client = connect(server.url)
    assert send(client, NUMBERS[0]).campaign_id == "c0"
    result = send(client, NUMBERS[1])
    assert (result.campaign_id, result.attempts) == ("c1", 2)
    assert [(r.conn, json.loads(r.body)["To"]) for r in server.requests] == [
        (0, NUMBERS[0]),
        (1, NUMBERS[1]),
    ]


def test_concurrent_calls_share_at_most_max_connections(serve, connect):
    server = serve(answer_each)
    client = connect(server.url, max_connections=2)
    numbers = [f"+1415555{1100 + i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: send(client, n), numbers))
    assert server.connections <= 2
    by_seq = {f"c{r.seq}": json.loads(r.body)["To"] for r in server.requests}
    assert len(server.requests) == 8
    assert [by_seq[r.campaign_id] for r in results] == numbers  # each reply to its own call
    assert all(r.attempts == 1 for r in results)


# -- 2. failure phases -----------------------------------------------------------------------------


def test_nothing_listening_is_a_connect_error_retried_with_nothing_sent(connect, api_key):
    holder = socket.socket()  # bound but not listening: a connect is refused
    holder.bind(("127.0.0.1", 0))
    sleeps: list[float] = []
    try:
        client = connect(
            f"http://127.0.0.1:{holder.getsockname()[1]}", max_retries=2, sleep=sleeps.append
        )
        with pytest.raises(ConnectError) as info:
            send(client)
    finally:
        holder.close()
    exc = info.value
    assert (exc.sent, exc.attempts, len(sleeps)) == (False, 3, 2)
    assert "cannot connect" in str(exc) and exc.operation == "SendTextMessageToANumber"
    assert_key_kept_secret(exc, client, api_key)


def _close_after_request(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.close()


def _reset_after_request(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.close(reset=True)


def _garbled_status_line(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.send(b"HTTP/1.1 OK 200\r\nContent-Length: 2\r\n\r\n{}")
        peer.wait_closed()  # the client gives up on its own: no need to close


def _cut_short(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"Success": tr'
        )
        peer.close()


def _never_answer(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.wait_closed()  # until the client times out and closes


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        pytest.param(_close_after_request, TransportError, id="closed-after-the-request"),
        pytest.param(_reset_after_request, TransportError, id="reset-after-the-request"),
        pytest.param(_garbled_status_line, TransportError, id="garbled-status-line"),
        pytest.param(_cut_short, TransportError, id="body-cut-short"),
        pytest.param(_never_answer, RequestTimeoutError, id="no-reply-read-timeout"),
    ],
)
def test_a_post_the_server_may_have_acted_on_is_sent_once_and_reported_maybe_sent(
    serve, connect, api_key, fn, expected
):
    server = serve(fn)
    sleeps: list[float] = []
    client = connect(server.url, timeout=0.5, sleep=sleeps.append)
    started = time.perf_counter()
    with pytest.raises(PowerTextorError) as info:
        send(client)
    exc = info.value
    assert type(exc) is expected
    assert (exc.sent, exc.attempts, sleeps) == (True, 1, [])
    assert "may have acted" in str(exc)
    if expected is RequestTimeoutError:
        assert exc.phase == "read" and time.perf_counter() - started >= 0.5
    assert [(r.method, r.target) for r in server.requests] == [("POST", SEND_PATH)]
    assert server.connections == 1
    assert_key_kept_secret(exc, client, api_key)


def test_a_get_whose_connection_broke_is_retried_on_a_new_connection(serve, connect):
    groups = json.dumps(
        {
            "Success": True,
            "Error": "",
            "Data": [{"GroupId": "g1", "Name": "VIP", "ContactsCount": 3}],
        }
    ).encode()

    def fn(peer: Peer) -> None:
        if peer.index == 0:
            return _close_after_request(peer)
        while peer.read_request() is not None:
            peer.send(reply(groups))

    server = serve(fn)
    client = connect(server.url)
    assert [g.name for g in client.groups()] == ["VIP"]
    assert [(r.conn, r.method, r.target) for r in server.requests] == [
        (0, "GET", "/api/groups"),
        (1, "GET", "/api/groups"),
    ]


# -- 3. a key that cannot be sent, or is blank -----------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("{key}\nX-Injected: 1", id="line-break"),
        pytest.param("{key}\u00a0x", id="no-break-space"),
        pytest.param("caf\u00e9-{key}", id="accent"),
    ],
)
def test_a_key_that_cannot_go_in_a_header_is_refused_up_front_without_quoting_it(bad, api_key):
    with pytest.raises(UsageError) as info:
        ptdata.PowerTextor(api_key=bad.format(key=api_key), base_url="http://127.0.0.1:9")
    assert "API key" in str(info.value)
    assert api_key not in str(info.value) and api_key not in repr(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None


@pytest.mark.parametrize("pasted", ["\n", "\r\n", " ", "\u00a0"])
def test_whitespace_pasted_around_the_key_is_dropped(serve, connect, api_key, pasted):
    server = serve(answer_each)
    client = connect(server.url, api_key=pasted + api_key + pasted)
    assert send(client).attempts == 1
    client.close()
    server.join_connections()
    assert [r.headers.get("apikey") for r in server.requests] == [api_key]


# -- 4. the connection pool ------------------------------------------------------------------------


def test_with_the_only_connection_busy_a_second_call_times_out_in_the_pool_unsent(sandbox, api_key):
    sandbox.configure(latency=1.0)  # the first call holds the only connection for a second
    sleeps: list[float] = []
    with ptdata.PowerTextor(
        api_key=api_key,
        base_url=sandbox.url,
        max_connections=1,
        timeout=httpx.Timeout(5, pool=0.2),
        max_retries=1,
        sleep=sleeps.append,
    ) as client:
        finish = client.begin(sms(NUMBERS[0]))
        time.sleep(0.1)  # the first request is on its way
        try:
            with pytest.raises(RequestTimeoutError) as info:
                client.send_prepared(sms(NUMBERS[1]))
        finally:
            first = finish()
        exc = info.value
        assert (exc.phase, exc.sent, exc.attempts, len(sleeps)) == ("pool", False, 2, 1)
        assert "pool timeout" in str(exc)
        assert_key_kept_secret(exc, client, api_key)
        assert first.status_code == 200
        assert [p["json"]["To"] for p in posts(sandbox)] == [NUMBERS[0]]

        second = client.send_prepared(sms(NUMBERS[1]))  # the connection is free again

    assert (second.status_code, second.attempts) == (200, 1)
    assert [p["json"]["To"] for p in posts(sandbox)] == NUMBERS[:2]


# -- 5. proxies ------------------------------------------------------------------------------------


def test_a_proxy_set_in_the_environment_carries_the_request(serve, connect, monkeypatch):
    target, proxy = serve(answer_each), serve(answer_each)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    client = connect(target.url)
    assert send(client).campaign_id == "c0"
    assert target.requests == []
    [seen] = proxy.requests
    assert (seen.method, seen.target) == ("POST", f"{target.url}{SEND_PATH}")  # absolute form
    assert json.loads(seen.body)["To"] == NUMBERS[0]


def test_no_proxy_for_the_host_goes_direct(serve, connect, monkeypatch):
    target, proxy = serve(answer_each), serve(answer_each)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = connect(target.url)
    assert send(client).campaign_id == "c0"
    assert proxy.requests == [] and proxy.connections == 0
    assert [(r.method, r.target) for r in target.requests] == [("POST", SEND_PATH)]


# -- 6. TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def _server_tls(ca, name: str = "127.0.0.1") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def _trusting(ca) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("verify", ["trusting-the-ca", "off"])
def test_tls_with_a_trusted_certificate_works_and_keeps_the_connection(serve, connect, ca, verify):
    server = serve(answer_each, tls=_server_tls(ca))
    client = connect(server.url, verify=_trusting(ca) if verify == "trusting-the-ca" else False)
    assert [send(client, n).campaign_id for n in NUMBERS[:2]] == ["c0", "c1"]
    assert server.connections == 1 and server.handshake_errors == []


@pytest.mark.parametrize(
    "case", ["untrusted-ca", "certificate-for-another-name", "untrusted-ca-with-a-transport-given"]
)
def test_a_certificate_that_fails_verification_is_a_connect_error_with_nothing_sent(
    serve, connect, ca, api_key, monkeypatch, case
):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the default bundle, as users have it
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    sleeps: list[float] = []
    if case == "untrusted-ca":
        server = serve(answer_each, tls=_server_tls(ca))
        client = connect(server.url, sleep=sleeps.append)  # verify=True: the usual CA bundle
    elif case == "untrusted-ca-with-a-transport-given":
        server = serve(answer_each, tls=_server_tls(ca))
        client = connect(server.url, sleep=sleeps.append, transport=httpx.HTTPTransport())
    else:
        server = serve(answer_each, tls=_server_tls(ca, "pt.example"))
        client = connect(server.url, sleep=sleeps.append, verify=_trusting(ca))
    with pytest.raises(ConnectError) as info:
        send(client)
    server.join_connections()  # the handshake was refused and the client hung up
    exc = info.value
    assert exc.sent is False
    assert "certificate verification failed" in str(exc) and "verify=" in str(exc)
    assert (exc.retryable, exc.attempts, sleeps) == (False, 1, [])  # waiting cannot fix it
    assert server.requests == []
    assert server.connections == 1 and len(server.handshake_errors) == 1
    assert_key_kept_secret(exc, client, api_key)


def test_a_server_closing_an_idle_tls_connection_does_not_cost_the_next_post(serve, connect, ca):
    go_away, gone = threading.Event(), threading.Event()

    def fn(peer: Peer) -> None:
        if peer.index > 0:
            return answer_each(peer)
        seen = peer.read_request()
        peer.send(reply(envelope(seen)))
        assert go_away.wait(2.0)
        peer.sock.setblocking(False)
        # sends close_notify; the client's reply would be read here, but an idle client says nothing
        with contextlib.suppress(ssl.SSLWantReadError):
            peer.sock.unwrap()
        peer.close()  # then FIN
        gone.set()

    server = serve(fn, tls=_server_tls(ca))
    client = connect(server.url, verify=_trusting(ca))
    assert send(client, NUMBERS[0]).campaign_id == "c0"
    go_away.set()
    assert gone.wait(2.0)
    result = send(client, NUMBERS[1])
    assert (result.campaign_id, result.attempts) == ("c1", 1)
    assert [(r.conn, json.loads(r.body)["To"]) for r in server.requests] == [
        (0, NUMBERS[0]),
        (1, NUMBERS[1]),
    ]


# -- 7. begin(): start now, read the reply later ---------------------------------------------------


def test_begin_against_a_slow_sandbox_returns_before_the_reply(sandbox, client):
    latency = 0.6
    sandbox.configure(latency=latency)
    started = time.perf_counter()
    finish = client.begin(sms())
    began = time.perf_counter() - started
    result = finish()
    total = time.perf_counter() - started
    assert began < latency / 2 and total >= latency
    assert result.status_code == 200 and result.data["CampaignId"]
    assert [p["json"]["To"] for p in posts(sandbox)] == [NUMBERS[0]]


# -- 8. the key stays secret -----------------------------------------------------------------------


def test_the_key_is_not_in_the_clients_repr(client, api_key):
    assert api_key not in repr(client) and api_key not in str(client)
    assert api_key not in repr(client._http) and api_key not in repr(vars(client))


def test_a_key_the_server_echoes_is_scrubbed_from_errors_reports_and_the_ledger(
    serve, connect, api_key, tmp_path
):
    import pandas as pd

    def fn(peer: Peer) -> None:
        while (seen := peer.read_request()) is not None:
            if not seen.body:  # a list look-up (the account, from GetPlaces): none
                peer.send(reply(b'{"Success": true, "Error": null, "Data": []}'))
                continue
            to = json.loads(seen.body).get("To")
            if to in (NUMBERS[0], None):  # an error envelope quoting the key (None: a batch)
                body = json.dumps(
                    {
                        "Success": False,
                        "Error": {
                            "Status": "400",
                            "Message": f"ApiKey {api_key} may not send to {to}",
                        },
                    }
                )
                peer.send(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode())
                )
            elif to == NUMBERS[1]:  # plain text, the key as is and percent-encoded
                body = f"upstream said key={api_key.replace('-', '%2D')} / {api_key}"
                peer.send(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body.encode())
                )
            else:  # a header line no parser accepts, carrying the key
                peer.send(
                    b"HTTP/1.1 200 OK\r\nX-Echo "
                    + api_key.encode()
                    + b"\r\nContent-Length: 2\r\n\r\n{}"
                )
                return

    server = serve(fn)
    client = connect(server.url)
    errors = []
    for number in NUMBERS:
        with pytest.raises(PowerTextorError) as info:
            send(client, number)
        errors.append(info.value)
        assert_key_kept_secret(info.value, client, api_key)
    assert "***" in str(errors[0]) and "***" in errors[0].server_message

    ledger = tmp_path / "ledger.sqlite"
    p = ptdata.plan(pd.DataFrame({"Phone": NUMBERS[:2]}, dtype="str"), body="Hi", quiet=None)
    report = ptdata.send(p, client, rate=50, progress=False, ledger=ledger)
    assert set(report.frame["status"]) <= {"failed", "unknown"}
    out = tmp_path / "report.csv"
    report.write(out)
    assert ledger.exists()
    kept = [report.frame.to_csv().encode()]  # and every file: report, ledger, send history
    kept += [f.read_bytes() for f in sorted(tmp_path.rglob("*")) if f.is_file()]
    assert [k for k in kept if api_key.encode() in k] == []
    assert any(b"***" in k for k in kept)


@pytest.mark.parametrize("blank", ["", " ", "\n\t ", "\u00a0"])
def test_a_blank_key_is_refused_up_front(blank, monkeypatch):
    with pytest.raises(UsageError, match="no Power Textor API key: the key given is blank"):
        ptdata.PowerTextor(api_key=blank, base_url="http://127.0.0.1:9")
    monkeypatch.setenv("POWERTEXTOR_API_KEY", blank)
    with pytest.raises(UsageError, match="no Power Textor API key: the key given is blank"):
        ptdata.PowerTextor(base_url="http://127.0.0.1:9")


# -- 9. redirects ----------------------------------------------------------------------------------


def test_a_redirect_is_not_followed_so_the_key_never_reaches_the_other_host(
    serve, connect, api_key
):
    elsewhere = serve(answer_each)

    def fn(peer: Peer) -> None:
        while peer.read_request() is not None:
            peer.send(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                + elsewhere.url.encode()
                + SEND_PATH.encode()
                + b"\r\nContent-Length: 0\r\n\r\n"
            )

    server = serve(fn)
    client = connect(server.url)
    with pytest.raises(ResponseError, match="redirected .* not followed") as info:
        send(client)
    assert elsewhere.url in str(info.value)
    assert (info.value.sent, info.value.attempts) == (True, 1)
    assert len(server.requests) == 1
    assert elsewhere.requests == [] and elsewhere.connections == 0


# -- 10. an overall deadline -----------------------------------------------------------------------


def _trickle(peer: Peer, data: bytes, every: float, closed: threading.Event) -> None:
    """Send ``data`` a byte at a time, then more forever, until the client hangs up."""
    for i in range(100_000):
        try:
            peer.sock.sendall(data[i : i + 1] if i < len(data) else b"x")
        except OSError:
            closed.set()
            return
        time.sleep(every)


@pytest.mark.parametrize("where", ["status-line", "headers", "body"])
def test_a_reply_trickled_a_byte_at_a_time_ends_at_the_deadline_as_maybe_sent(
    serve, connect, api_key, where
):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n"
    start = {"status-line": b"", "headers": head[:20], "body": head}[where]
    closed = threading.Event()

    def fn(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(start)
            _trickle(peer, b"X-Slow: " if where == "headers" else b"", 0.02, closed)

    server = serve(fn)
    sleeps: list[float] = []
    client = connect(server.url, timeout=0.5, deadline=1.0, sleep=sleeps.append)
    started = time.perf_counter()
    with pytest.raises(RequestTimeoutError) as info:
        send(client)
    took = time.perf_counter() - started
    exc = info.value
    assert 1.0 <= took < 1.5  # each byte came well within the 0.5 s read timeout
    assert (exc.phase, exc.sent, exc.attempts, sleeps) == ("deadline", True, 1, [])
    assert "1 s deadline" in str(exc) and "may have acted" in str(exc)
    assert len(server.requests) == 1
    assert closed.wait(1.0)  # the connection was shut, not left trickling
    assert_key_kept_secret(exc, client, api_key)


def test_a_trickled_reply_on_a_reused_connection_also_ends_at_the_deadline(serve, connect):
    closed = threading.Event()

    def fn(peer: Peer) -> None:
        seen = peer.read_request()
        peer.send(reply(envelope(seen)))
        if peer.read_request() is not None:
            _trickle(peer, b"HTTP/1.1 200 OK\r\n", 0.02, closed)

    server = serve(fn)
    client = connect(server.url, timeout=0.5, deadline=1.0)
    assert send(client, NUMBERS[0]).campaign_id == "c0"
    started = time.perf_counter()
    with pytest.raises(RequestTimeoutError) as info:
        send(client, NUMBERS[1])
    assert 1.0 <= time.perf_counter() - started < 1.5
    assert (info.value.phase, info.value.sent) == ("deadline", True)
    assert [(r.conn, json.loads(r.body)["To"]) for r in server.requests] == [
        (0, NUMBERS[0]),
        (0, NUMBERS[1]),
    ]
    client.close()  # ends the trickle on the connection the abandoned attempt still holds


def test_the_default_deadline_is_the_connect_plus_the_read_timeout(serve, connect):
    closed = threading.Event()

    def fn(peer: Peer) -> None:
        if peer.read_request() is not None:
            _trickle(peer, b"HTTP/1.1 200 OK\r\n", 0.05, closed)

    server = serve(fn)
    client = connect(server.url, timeout=0.4)
    assert client.deadline == 0.8
    started = time.perf_counter()
    with pytest.raises(RequestTimeoutError, match="0.8 s deadline"):
        send(client)
    assert 0.8 <= time.perf_counter() - started < 1.3


def test_a_deadline_passed_waiting_for_a_connection_is_not_sent_then_or_later(sandbox, api_key):
    sandbox.configure(latency=1.0)  # the first call holds the only connection for a second
    sleeps: list[float] = []
    with ptdata.PowerTextor(
        api_key=api_key,
        base_url=sandbox.url,
        max_connections=1,
        timeout=5,
        max_retries=1,
        sleep=sleeps.append,
    ) as client:
        finish = client.begin(sms(NUMBERS[0]))
        time.sleep(0.1)  # the first request is on its way
        client.deadline = 0.3  # for the calls from now on
        with pytest.raises(RequestTimeoutError) as info:
            client.send_prepared(sms(NUMBERS[1]))
        assert finish().status_code == 200
        time.sleep(0.5)  # the abandoned attempts got the connection now: they must not use it
        exc = info.value
        assert (exc.phase, exc.sent, exc.attempts, len(sleeps)) == ("deadline", False, 2, 1)
        assert "nothing was sent" in str(exc)
        assert [p["json"]["To"] for p in posts(sandbox)] == [NUMBERS[0]]


# -- 11. a cap on the size of a reply --------------------------------------------------------------


def _endless_chunked(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
        for _ in range(10_000):  # 640 MiB at most, if the client never stopped
            try:
                peer.sock.sendall(chunk)
            except OSError:
                return


def _announced_too_large(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 99999999999\r\n\r\n["
        )
        peer.wait_closed()


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(_endless_chunked, id="endless-body"),
        pytest.param(_announced_too_large, id="content-length-too-large"),
    ],
)
def test_a_reply_past_max_reply_bytes_is_a_response_error_not_read_into_memory(
    serve, connect, api_key, fn
):
    server = serve(fn)
    client = connect(server.url, max_reply_bytes=1 << 20)
    started = time.perf_counter()
    with pytest.raises(ResponseError) as info:
        send(client)
    exc = info.value
    assert time.perf_counter() - started < 1.5
    assert "larger than 1048576 bytes (max_reply_bytes)" in str(exc)
    assert (exc.sent, exc.status_code, exc.attempts) == (True, 200, 1)
    assert len(server.requests) == 1
    assert_key_kept_secret(exc, client, api_key)
