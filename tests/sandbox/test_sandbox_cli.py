"""``ptdata sandbox``: prints where it listens, serves until Ctrl-C/SIGTERM, stops cleanly."""

import re
import signal
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from ptdata.cli import main
from ptdata.sandbox.server import bind_socket


def start(*args):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptdata", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    header = "".join(proc.stdout.readline() for _ in range(4))
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+) ", header)
    assert match, header + proc.stderr.read()
    return proc, match.group(1), header


@pytest.mark.parametrize(
    "sig", [pytest.param(signal.SIGINT, id="ctrl-c"), pytest.param(signal.SIGTERM, id="sigterm")]
)
def test_cli_serves_until_signalled(sig):
    proc, url, header = start("--latency", "0.01", "--rate-limit", "50")
    try:
        health = httpx.get(url + "/_sandbox/health", timeout=5).json()
        assert health["options"]["latency"] == 0.01 and health["options"]["rate_limit"] == 50
        reply = httpx.post(
            url + "/api/messages/sendsimple",
            headers={"ApiKey": "k"},
            json={"To": "+14155550123", "Body": "Hi"},
            timeout=5,
        )
        assert reply.json()["Data"]["Reach"] == 1
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert f"  export POWERTEXTOR_BASE_URL={url}\n" in header
    assert out == "sandbox stopped\n"
    assert err == ""  # quiet: no access log, no uvicorn banner


def test_cli_never_prints_the_configured_key():
    proc, url, header = start("--api-key", "pt-cli-secret-77")
    try:
        assert httpx.get(url + "/api/groups", headers={"ApiKey": "x"}).status_code == 401
        assert (
            httpx.get(url + "/api/groups", headers={"ApiKey": "pt-cli-secret-77"}).status_code
            == 200
        )
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert "pt-cli-secret-77" not in header + out + err
    assert "POWERTEXTOR_API_KEY=<the key given with --api-key>" in header


def test_cli_port_in_use_is_a_usage_error():
    sock = bind_socket("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        result = CliRunner().invoke(main, ["sandbox", "--port", str(port)])
    finally:
        sock.close()
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Try --port 0 for a free port." in result.output


def test_cli_rejects_fault_rates_over_one():
    result = CliRunner().invoke(main, ["sandbox", "--error-rate", "0.6", "--drop-rate", "0.6"])
    assert result.exit_code == 2
    assert "--error-rate + --drop-rate + --stall-rate must not exceed 1" in result.output
