"""``ptdata listen`` as a real process (SIGKILL, SIGTERM, --register) and ``ptdata inbound
summary``."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import ptdata
from ptdata.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


class Listener:
    """``python -m ptdata listen ...`` in a subprocess, its output read line by line."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ptdata", "listen", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if text in line:
                return line
        raise AssertionError(
            f"no {text!r} in the output: {''.join(self.out)}"
            f"{self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        )

    def finish(self, timeout: float = 20.0) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, "".join(self.out), err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigkill_mid_burst_loses_no_acknowledged_payload(tmp_path):
    dump = tmp_path / "dump.jsonl"
    listener = Listener("--out", str(dump), "--port", "0", "--secret", "burst-secret")
    url = listener.wait_for("SMS: ").split("SMS: ")[1].strip()
    acked: list[str] = []
    stop = threading.Event()

    def worker(w: int) -> None:
        with httpx.Client(timeout=5) as client:
            for i in range(100000):
                if stop.is_set():
                    return
                sid = f"SM{w:02d}{i:06d}"
                try:
                    r = client.post(url, data={"SmsSid": sid, "Body": f"burst {w} {i}"})
                except httpx.HTTPError:
                    return  # the listener is gone
                if r.status_code == 200:
                    acked.append(sid)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(listener.proc.pid, signal.SIGKILL)  # mid-burst: the workers are still posting
    for t in threads:
        t.join(timeout=30)
    stop.set()
    code, _, stderr = listener.finish()
    assert code == -signal.SIGKILL
    assert len(acked) >= 300
    frame = ptdata.load_inbound(dump)
    assert set(acked) <= set(frame["SmsSid"])
    assert "burst-secret" not in stderr


@pytest.mark.slow
def test_register_with_sandbox_then_sigterm_deletes_both(tmp_path, sandbox, api_key):
    port = free_port()
    dump = tmp_path / "dump.jsonl"
    listener = Listener(
        "--out",
        str(dump),
        "--port",
        str(port),
        "--register",
        f"http://127.0.0.1:{port}",
        env={
            "POWERTEXTOR_API_KEY": api_key,
            "POWERTEXTOR_BASE_URL": sandbox.url,
            "PTDATA_LISTENER_SECRET": "reg-secret",
        },
    )
    listener.wait_for("Registered the MMS webhook")
    registered = {w["kind"]: w["RegistrationId"] for w in sandbox.webhooks()}
    assert set(registered) == {"sms", "mms"}
    for payload in (
        {"From": "+14155550123", "Body": "STOP"},
        {
            "From": "+14155550124",
            "Body": "pic",
            "NumMedia": "1",
            "mediaURL": "https://media.example/ME1",
        },
    ):
        httpx.post(f"{sandbox.url}/_sandbox/inbound", json=payload).raise_for_status()
    listener.proc.send_signal(signal.SIGTERM)
    code, out, err = listener.finish()
    assert code == 0, err
    for kind in ("sms", "mms"):
        assert f"Deleted the {kind.upper()} webhook registration {registered[kind]}." in out
    assert "2 payload(s) saved" in out
    calls = [(r["method"], r["path"]) for r in sandbox.requests()]
    assert ("POST", "/api/twilio/registration") in calls
    assert ("POST", "/api/twilio/MMSregistration") in calls
    assert ("DELETE", f"/api/twilio/{registered['sms']}") in calls
    assert ("DELETE", f"/api/twilio/{registered['mms']}") in calls
    assert sandbox.webhooks() == []
    frame = ptdata.load_inbound(dump)
    assert frame[["kind", "From"]].values.tolist() == [
        ["sms", "+14155550123"],
        ["mms", "+14155550124"],
    ]
    assert api_key not in out + err
    assert "reg-secret" not in err


def test_listen_prints_urls_and_stops_on_sigterm(tmp_path):
    listener = Listener("--out", str(tmp_path / "d.jsonl"), "--port", "0")
    sms = listener.wait_for("SMS: ").split("SMS: ")[1].strip()
    mms = listener.wait_for("MMS: ").split("MMS: ")[1].strip()
    assert sms.startswith("http://127.0.0.1:") and sms.endswith("/sms")
    assert mms == sms[: -len("/sms")] + "/mms"
    assert len(sms.split("/")[-2]) >= 40  # a generated secret
    httpx.post(sms, data={"SmsSid": "SM1"}).raise_for_status()
    listener.proc.send_signal(signal.SIGTERM)
    code, out, _ = listener.finish()
    assert code == 0
    assert "1 payload(s) saved" in out


def test_listen_limits_are_options(tmp_path):
    listener = Listener(
        "--out",
        str(tmp_path / "d.jsonl"),
        "--port",
        "0",
        "--max-depth",
        "2",
        "--max-fields",
        "5",
        "--max-body",
        "300",
        "--read-timeout",
        "0.5",
    )
    sms = listener.wait_for("SMS: ").split("SMS: ")[1].strip()
    try:
        deep = httpx.post(sms, json={"SmsSid": "SM1", "Extra": {"a": [1]}})
        assert (deep.status_code, deep.text) == (
            400,
            "Bad Request: field Extra nests deeper than 2 levels (see --max-depth)",
        )
        wide = httpx.post(sms, data={f"F{i}": "x" for i in range(6)})
        assert (wide.status_code, wide.text) == (
            400,
            "Bad Request: more than 5 fields (see --max-fields)",
        )
        assert httpx.post(sms, data={"Body": "x" * 400}).status_code == 413
        host, port = sms.split("/")[2].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            started = time.monotonic()
            slow.sendall(b"POST / HTTP/1.1\r\nHo")
            assert slow.recv(100).startswith(b"HTTP/1.1 408 Request Timeout")
            assert time.monotonic() - started < 3
        assert httpx.post(sms, data={"SmsSid": "SM2", "Body": "ok"}).status_code == 200
    finally:
        listener.proc.send_signal(signal.SIGTERM)
        code, out, _ = listener.finish()
    assert code == 0 and "1 payload(s) saved" in out


def test_listen_refuses_a_busy_port_and_a_bad_key(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(
            main, ["listen", "--out", str(tmp_path / "d.jsonl"), "--port", str(port)]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    result = CliRunner(env={"POWERTEXTOR_API_KEY": ""}).invoke(
        main,
        [
            "listen",
            "--out",
            str(tmp_path / "e.jsonl"),
            "--port",
            "0",
            "--register",
            "https://example.test",
        ],
    )
    assert result.exit_code == 2
    assert "no Power Textor API key" in result.output


def test_summary_prints_and_writes_tables(tmp_path):
    report = tmp_path / "report.csv"
    report.write_text(
        "row,phone,status,campaign_id,operation,body,group,place,finished_at\n"
        "1,+12125550142,sent,C1,SendTextMessageToANumber,Hi,VIP,,2025-03-03T14:00:00Z\n"
        "2,+16175550123,sent,C1,SendTextMessageToANumber,Hi,VIP,,2025-03-03T14:00:00Z\n"
        "3,+14155550199,sent,C2,SendReviewSingleContact,Review us,,Main St,2025-03-03T14:00:00Z\n"
        "4,+13125550187,failed,C2,SendReviewSingleContact,Review us,,Main St,\n",
        encoding="utf-8",
    )
    out = tmp_path / "summary"
    result = CliRunner().invoke(
        main,
        [
            "inbound",
            "summary",
            str(SAMPLES / "inbound_*"),
            "--sent",
            str(report),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "17 message(s) (14 SMS, 3 MMS) from 13 sender(s), 2025-03-03 14:02 to 2025-03-05 18:30 UTC"
    )
    assert lines[1] == (
        "Opt-outs: 1 opted out, 2 re-subscribed, 2 to review (suppressed), 1 asked for help"
    )
    assert lines[2] == "Skipped: 1 duplicate deliveries, 0 torn or invalid line(s)"
    assert lines[3] == "Against the report: 3 sent, 2 replied (66.7%), 1 opted out (33.3%)"
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        [
            "opt_outs.csv",
            "volume_by_hour.csv",
            "volume_by_hour.png",
            "volume_by_weekday.csv",
            "volume_by_weekday.png",
            "geography.csv",
            "geography.png",
            "reply_stats_by_campaign.csv",
            "reply_stats_by_campaign.png",
            "reply_stats_by_group.csv",
            "reply_stats_by_group.png",
            "reply_stats_by_body.csv",
            "reply_stats_by_body.png",
            "review_funnel.csv",
            "review_funnel.png",
        ]
    )
    assert (out / "volume_by_hour.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    opt = ptdata.read_report(out / "opt_outs.csv")
    assert opt.loc[opt["status"] == "opted_out", "phone"].tolist() == ["+14155550171"]
    by_campaign = (out / "reply_stats_by_campaign.csv").read_text(encoding="utf-8-sig")
    assert by_campaign.splitlines()[0] == (
        "campaign_id,sent,replied,reply_rate,replies,opted_out,opt_out_rate,review,"
        "median_minutes_to_first_reply"
    )
    assert by_campaign.splitlines()[1] == '"C1",2,2,1,4,1,0.5,0,4'  # text quoted, numbers not


def test_summary_reports_torn_lines(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_text(
        '{"SmsSid":"SM1","From":"+14155550101","Body":"hi"}\n{"SmsSid":"SM2","Fr', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["inbound", "summary", str(dump)])
    assert result.exit_code == 0, result.output
    assert "Skipped: 0 duplicate deliveries, 1 torn or invalid line(s)" in result.output
    assert f"  {dump}: line(s) 2" in result.output


def test_summary_missing_file_is_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["inbound", "summary", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_summary_of_an_empty_dump(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_text("")
    result = CliRunner().invoke(
        main, ["inbound", "summary", str(dump), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "0 message(s) (0 SMS, 0 MMS) from 0 sender(s)"
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "geography.csv",
        "opt_outs.csv",
        "volume_by_hour.csv",
        "volume_by_hour.png",
        "volume_by_weekday.csv",
        "volume_by_weekday.png",
    ]
