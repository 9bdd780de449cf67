"""A local Power Textor: every connector operation, SQLite state, a request log and faults.

Try ptdata without an account, and test against something that answers like the real API::

    from ptdata import PowerTextor, Sandbox, serve_sandbox

    sb = Sandbox()                                         # in-process, no socket
    client = PowerTextor(api_key="test", base_url="http://sandbox.local",
                         transport=sb.transport())

    with serve_sandbox(latency=0.3, rate_limit=20) as server:   # a real socket
        client = PowerTextor(api_key="test", base_url=server.url)
        server.sandbox.script_faults(["500", "drop", "429:2"])

From a shell: ``ptdata sandbox --port 8765``. Sandbox-only routes live under ``/_sandbox/``
(see ``ptdata.sandbox.control``); fault scripts are described in ``ptdata.sandbox.faults``.
"""

from ptdata.sandbox.actions import OPT_OUT_FOOTER
from ptdata.sandbox.core import Sandbox
from ptdata.sandbox.faults import parse_fault
from ptdata.sandbox.server import SandboxServer, serve_sandbox

__all__ = ["OPT_OUT_FOOTER", "Sandbox", "SandboxServer", "parse_fault", "serve_sandbox"]
