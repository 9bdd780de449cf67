"""The webhook listener over a real socket on 127.0.0.1: exact dumps, secrets, limits,
durability."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import ptdata
from ptdata.inbound.listener import serve_listener

TRICKY = {
    "SmsSid": "SM5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c",
    "From": "+14155550123",
    "To": "+14155550100",
    "FromZip": "02134",
    "Body": 'Caf\u00e9 & co = 100% + "quotes"\nnew line \U0001f600  ',
    "OptOutType": "",
    "FromCity": "SAN FRANCISCO",
}


def dump_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def listener(tmp_path):
    with serve_listener(tmp_path / "dump.jsonl", max_body=4096) as handle:
        yield handle


def test_json_post_lands_exactly(listener):
    r = httpx.post(listener.sms_url, json={**TRICKY, "NumMedia": 0, "Extra": {"a": [1]}})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    (rec,) = dump_lines(listener.out_path)
    assert list(rec)[:2] == ["received_at", "kind"]
    assert rec["kind"] == "sms"
    assert rec["received_at"].endswith("Z")
    assert {k: v for k, v in rec.items() if k not in ("received_at", "kind")} == {
        **TRICKY,
        "NumMedia": 0,
        "Extra": {"a": [1]},
    }


def test_form_post_lands_exactly(listener):
    r = httpx.post(
        listener.mms_url,
        data={**TRICKY, "NumMedia": "1", "mediaURL": "https://media.example/ME1?x=1&y=2"},
    )
    assert r.status_code == 200
    (rec,) = dump_lines(listener.out_path)
    assert rec["kind"] == "mms"
    assert rec["Body"] == TRICKY["Body"]
    assert rec["From"] == "+14155550123" and rec["FromZip"] == "02134"
    assert rec["mediaURL"] == "https://media.example/ME1?x=1&y=2"
    frame = ptdata.load_inbound(listener.out_path)
    assert frame.loc[0, "Body"] == TRICKY["Body"]
    assert frame.loc[0, "NumMedia"] == 1


def test_kind_inferred_at_the_bare_secret_url(listener):
    httpx.post(listener.url, data={"SmsSid": "SM1", "Body": "hi"}).raise_for_status()
    httpx.post(listener.url, data={"MessageSid": "MM1", "NumMedia": "2"}).raise_for_status()
    httpx.post(
        listener.url, json={"MessageSid": "MM2", "mediaURL": "https://m/1"}
    ).raise_for_status()
    assert [r["kind"] for r in dump_lines(listener.out_path)] == ["sms", "mms", "mms"]


def test_json_without_content_type_and_arrays(listener):
    r = httpx.post(
        listener.url,
        content=b'{"SmsSid": "SM1", "Body": "a&b=c"}',
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 200
    r = httpx.post(listener.sms_url, json=[{"SmsSid": "SM2"}, {"SmsSid": "SM3", "Body": "x"}])
    assert r.status_code == 200
    assert [(r["SmsSid"], r.get("Body")) for r in dump_lines(listener.out_path)] == [
        ("SM1", "a&b=c"),
        ("SM2", None),
        ("SM3", "x"),
    ]
    assert listener.app.state.writer.lines_written == 3


def test_payload_fields_named_like_ours_are_kept(listener):
    httpx.post(
        listener.sms_url, json={"received_at": "yesterday", "kind": "odd"}
    ).raise_for_status()
    (rec,) = dump_lines(listener.out_path)
    assert rec["payload_received_at"] == "yesterday" and rec["payload_kind"] == "odd"
    assert rec["kind"] == "sms"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/wrong-secret/sms", id="wrong-secret"),
        pytest.param("/", id="no-secret"),
        pytest.param("/sms", id="kind-only"),
        pytest.param("/{secret}/other", id="unknown-kind"),
        pytest.param("/{secret}x/sms", id="secret-prefix"),
    ],
)
def test_wrong_or_missing_secret_is_404(listener, path):
    base = listener.url.rsplit("/", 1)[0]
    r = httpx.post(base + path.format(secret=listener.secret), data={"Body": "STOP"})
    assert r.status_code == 404
    assert listener.secret not in r.text
    assert listener.out_path.read_bytes() == b""


def test_oversized_body_is_413_and_dump_unchanged(listener):
    httpx.post(listener.sms_url, data={"SmsSid": "SM1"}).raise_for_status()
    before = listener.out_path.read_bytes()
    r = httpx.post(listener.sms_url, data={"Body": "x" * 5000})
    assert r.status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming
        for _ in range(10):
            yield b"Body=" + b"x" * 1000

    r = httpx.post(
        listener.sms_url,
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert listener.out_path.read_bytes() == before


@pytest.mark.parametrize(
    "content, ctype",
    [
        pytest.param(b"{not json", "application/json", id="bad-json"),
        pytest.param(b"[1, 2]", "application/json", id="json-array-of-numbers"),
        pytest.param(b"[]", "application/json", id="json-empty-array"),
        pytest.param(b"Body=%FF%FE", "application/x-www-form-urlencoded", id="not-utf8"),
    ],
)
def test_unreadable_payload_is_400(listener, content, ctype):
    r = httpx.post(listener.sms_url, content=content, headers={"content-type": ctype})
    assert r.status_code == 400
    assert listener.out_path.read_bytes() == b""


def test_get_answers_without_writing(listener):
    assert httpx.get(listener.sms_url).status_code == 200
    assert httpx.put(listener.sms_url).status_code == 405
    assert listener.out_path.read_bytes() == b""


def test_100_concurrent_posts_give_100_whole_lines(listener):
    # as many keep-alive slots as threads: httpcore's sync pool can close a surplus idle
    # connection that another thread was just handed (encode/httpcore#1110)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    with httpx.Client(timeout=10, limits=limits) as client, ThreadPoolExecutor(32) as pool:
        codes = list(
            pool.map(
                lambda i: (
                    client.post(
                        listener.sms_url,
                        data={"SmsSid": f"SM{i:04d}", "Body": f"reply {i} " + "y" * 300},
                    ).status_code
                ),
                range(100),
            )
        )
    assert codes == [200] * 100
    recs = dump_lines(listener.out_path)
    assert sorted(r["SmsSid"] for r in recs) == [f"SM{i:04d}" for i in range(100)]
    assert listener.app.state.writer.lines_written == 100


def test_secret_never_logged(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG), serve_listener(tmp_path / "d.jsonl") as handle:
        httpx.post(handle.sms_url, data={"Body": "hi"}).raise_for_status()
        httpx.post(handle.url.replace(handle.secret, "nope") + "/sms", data={"Body": "x"})
        assert handle.secret not in repr(handle)
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_side, "expected the server's own log records to be captured"
    assert not [r.getMessage() for r in server_side if handle.secret in r.getMessage()]


def test_a_dump_cut_mid_line_gets_a_newline_first(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b'{"received_at":"2025-03-04T10:00:00Z","SmsSid":"SM0","Body":"ok"}\n{"recei')
    with serve_listener(dump) as handle:
        httpx.post(handle.sms_url, data={"SmsSid": "SM1", "Body": "after"}).raise_for_status()
    frame = ptdata.load_inbound(dump)
    assert frame["SmsSid"].tolist() == ["SM0", "SM1"]
    assert frame.attrs["ptdata.load"]["skipped_lines"] == {str(dump): [2]}


def test_one_listener_per_dump(tmp_path):
    with (
        serve_listener(tmp_path / "d.jsonl"),
        pytest.raises(RuntimeError, match="already being written by another listener"),
        serve_listener(tmp_path / "d.jsonl"),
    ):
        pass


def test_sandbox_delivers_to_the_listener(tmp_path, sandbox, client):
    with serve_listener(tmp_path / "d.jsonl") as handle:
        sms = client.register_webhook(handle.sms_url, kind="sms")
        mms = client.register_webhook(handle.mms_url, kind="mms")
        r = httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={"From": "+14155550123", "Body": "STOP", "FromZip": "02134"},
        )
        r.raise_for_status()
        r = httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={
                "From": "+14155550124",
                "Body": "pic",
                "NumMedia": "1",
                "mediaURL": "https://media.example/ME9",
            },
        )
        r.raise_for_status()
        client.delete_webhook(sms)
        client.delete_webhook(mms)
    frame = ptdata.load_inbound(handle.out_path)
    assert frame[["kind", "From", "Body", "FromZip"]].values.tolist()[0] == [
        "sms",
        "+14155550123",
        "STOP",
        "02134",
    ]
    assert frame.loc[1, "kind"] == "mms" and frame.loc[1, "NumMedia"] == 1
    assert ptdata.suppression_list(frame) == {"+14155550123"}


def test_clock_is_injectable(tmp_path):
    import asyncio
    from datetime import UTC, datetime

    from ptdata.inbound.listener import create_listener_app

    fixed = datetime(2025, 3, 4, 17, 2, 11, 123456, tzinfo=UTC)
    app = create_listener_app(tmp_path / "d.jsonl", "s3cret", clock=lambda: fixed)

    async def post():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://listener") as c:
            return (await c.post("/s3cret/sms", data={"SmsSid": "SM1"})).status_code

    with ThreadPoolExecutor(1) as pool:  # its own thread: never inside someone else's loop
        assert pool.submit(asyncio.run, post()).result() == 200
    app.state.writer.close()
    assert dump_lines(tmp_path / "d.jsonl") == [
        {"received_at": "2025-03-04T17:02:11.123456Z", "kind": "sms", "SmsSid": "SM1"}
    ]


def test_threads_left_behind_are_none(tmp_path):
    before = {t.name for t in threading.enumerate()}
    with serve_listener(tmp_path / "d.jsonl"):
        pass
    assert "ptdata-listener" not in {t.name for t in threading.enumerate()} - before
