"""Shared fixtures: a Power Textor sandbox on a real socket, and a client talking to it.

- ``sandbox``: the running server (``.url``; and the sandbox's ``.requests()``,
  ``.messages()``, ``.script_faults()``, ``.configure()`` ...), reset to the seeded state
  with default options before each test. One server serves the whole session.
- ``api_key``: a unique fake key per test (sweep output for it to prove it never leaks).
- ``client``: ``ptdata.PowerTextor`` against ``sandbox`` with ``api_key``.
- ``local_sandbox`` / ``local_client``: the same without a socket (in-process transport).
"""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest

# never the user's real send history, whatever a test or a notebook forgets to pass
os.environ["PTDATA_HOME"] = tempfile.mkdtemp(prefix="ptdata-home-")

import ptdata
from ptdata.sandbox import Sandbox, serve_sandbox

_DEFAULT_OPTIONS = dict(
    latency=0.0,
    rate_limit=None,
    error_rate=0.0,
    drop_rate=0.0,
    stall_rate=0.0,
    stall_seconds=30.0,
    error_statuses=(500, 502, 503),
)


@pytest.fixture(autouse=True)
def ptdata_home(tmp_path, monkeypatch):
    """Each test its own send history (``PTDATA_HOME``), so tests never share one."""
    home = tmp_path / "ptdata-home"
    monkeypatch.setenv("PTDATA_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def _sandbox_server():
    with serve_sandbox() as server:
        yield server


@pytest.fixture
def sandbox(_sandbox_server):
    """The session's socket sandbox, freshly reset."""
    _sandbox_server.reset()
    _sandbox_server.configure(**_DEFAULT_OPTIONS)
    yield _sandbox_server
    _sandbox_server.clear_faults()


@pytest.fixture
def api_key() -> str:
    return f"pt-test-key-{uuid.uuid4().hex}"


@pytest.fixture
def client(sandbox, api_key):
    with ptdata.PowerTextor(api_key=api_key, base_url=sandbox.url, timeout=5.0) as c:
        yield c


@pytest.fixture
def local_sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def local_client(local_sandbox, api_key):
    with ptdata.PowerTextor(
        api_key=api_key, base_url="http://sandbox.local", transport=local_sandbox.transport()
    ) as c:
        yield c


@pytest.fixture
def cli(tmp_path, monkeypatch, api_key):
    """Run ``ptdata ...`` in-process from tmp_path (the default ledger lands there), with a key."""
    from click.testing import CliRunner

    from ptdata.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args, **kw):
        env = {"POWERTEXTOR_API_KEY": api_key, **kw.pop("env", {})}
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False, **kw)

    return invoke
