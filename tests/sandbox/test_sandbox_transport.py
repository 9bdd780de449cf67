"""The in-process transport answers exactly like the socket server (one shared handler)."""

import asyncio
import concurrent.futures
import dataclasses

import httpx
import pytest

import ptdata
from ptdata.sandbox import Sandbox, serve_sandbox

CALLS = [
    pytest.param(lambda c: c.send_text("Hi", group="VIP customers"), id="group-send"),
    pytest.param(
        lambda c: c.send_review("Rate us", place="Uptown Salon", contact="+14155550103"),
        id="review-message",
    ),
    pytest.param(lambda c: c.create_contact("+14155550190", "Lee"), id="create-contact"),
    pytest.param(lambda c: c.send_mms("Menu", b"%PDF-1.4 menu", number="+14155550123"), id="mms"),
]
VOLATILE = {
    "CampaignId",
    "MessageId",
    "ContactId",
    "CreatedAt",
    "SendDate",
    "ReferenceId",
    "received_at",
    "duration_ms",
    "seq",
    "campaign_id",
    "message_id",
    "contact_id",
    "created_at",
    "send_at",
    "send_date",
    "id",
    "content_type",
}


def stable(value):
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(stable(v) for v in value)
    return value


def run(call, client, sandbox):
    try:
        result = stable(dataclasses.asdict(call(client)))
    except ptdata.PowerTextorError as exc:
        result = type(exc).__name__
    return result, stable(sandbox.requests()), stable(sandbox.messages())


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("fault", [None, "500", "drop", "success_false"])
def test_in_process_matches_socket(call, fault, sandbox, local_sandbox, local_client, client):
    if fault:
        local_sandbox.script_faults([fault])
        sandbox.script_faults([fault])
    assert run(call, local_client, local_sandbox) == run(call, client, sandbox)


def test_async_transport_in_a_running_loop():
    async def main(sb):
        async with httpx.AsyncClient(
            transport=sb.async_transport(), base_url="http://sandbox.local"
        ) as http:
            replies = await asyncio.gather(
                *(
                    http.post(
                        "/api/messages/sendsimple",
                        headers={"ApiKey": "k"},
                        json={"To": "+14155550123", "Body": f"n{i}"},
                    )
                    for i in range(5)
                )
            )
        return [r.status_code for r in replies]

    with Sandbox(latency=0.05) as sb:
        # a loop of its own in a thread: as in a notebook, whatever loop the caller has
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            statuses = pool.submit(asyncio.run, main(sb)).result(timeout=30)
        assert statuses == [200] * 5
        assert sorted(m["body"] for m in sb.messages()) == [f"n{i}" for i in range(5)]


def test_server_stops_cleanly_with_a_stall_in_flight(api_key):
    import threading
    import time

    server = serve_sandbox()
    server.script_faults(["stall:30"])
    client = ptdata.PowerTextor(api_key=api_key, base_url=server.url, timeout=60)
    errors = []

    def send():
        try:
            client.send_text("Hi", number="+14155550123")
        except ptdata.PowerTextorError as exc:
            errors.append(exc)

    thread = threading.Thread(target=send)
    thread.start()
    while not server.messages():
        time.sleep(0.01)
    started = time.perf_counter()
    server.stop()
    thread.join(5)
    client.close()
    assert time.perf_counter() - started < 3
    assert not thread.is_alive()
    assert errors == []  # the stall ended early and the answer went out before closing
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/_sandbox/health")


def test_listening_socket_says_tcp_so_replies_are_not_delayed_by_nagle():
    import socket

    from ptdata.sandbox.server import bind_socket

    # asyncio turns on TCP_NODELAY for accepted sockets only when proto is IPPROTO_TCP;
    # with proto 0 every reply waited ~40 ms for a delayed ACK.
    sock = bind_socket("127.0.0.1", 0)
    try:
        accepted_from = socket.create_connection(sock.getsockname()[:2])
        conn, _ = sock.accept()
        with conn, accepted_from:
            assert conn.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
