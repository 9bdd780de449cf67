"""Run a sandbox on a real socket: uvicorn in a background thread, started and stopped cleanly.

>>> from ptdata import serve_sandbox, PowerTextor
>>> with serve_sandbox(latency=0.05) as server:           # port 0: a free port
...     with PowerTextor(api_key="test", base_url=server.url) as client:
...         result = client.send_text("Hi!", number="+14155550123")
...     server.requests()[-1]["path"]
'/api/messages/sendsimple'

In a notebook, keep it running across cells: ``server = serve_sandbox()`` … ``server.stop()``.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from ptdata._serving import BackgroundServer, bind_socket, socket_url
from ptdata._serving import uvicorn_config as quiet_config
from ptdata.sandbox.asgi import quiet_uvicorn
from ptdata.sandbox.core import Sandbox

if TYPE_CHECKING:
    import uvicorn

__all__ = ["SandboxServer", "bind_socket", "serve_sandbox", "uvicorn_config"]


def uvicorn_config(
    sandbox: Sandbox, *, access_log: bool = False, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn settings for a sandbox: quiet, no access log, logging config left alone."""
    quiet_uvicorn()
    return quiet_config(
        sandbox.app,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
        server_header=False,
    )


class SandboxServer:
    """A running sandbox server: ``url``, ``sandbox``, ``stop()``; also a context manager.

    Other attributes are the sandbox's: ``server.requests()``, ``server.messages()``,
    ``server.script_faults([...])``, ``server.reset()``, ``server.configure(latency=0.3)``.
    """

    def __init__(self, sandbox: Sandbox, sock: socket.socket, *, owns_sandbox: bool) -> None:
        self.sandbox = sandbox
        self.host, self.port = sock.getsockname()[:2]
        self.url = socket_url(sock)
        self._owns_sandbox = owns_sandbox
        import uvicorn

        self._serving = BackgroundServer(
            uvicorn.Server(uvicorn_config(sandbox)), sock, name=f"ptdata-sandbox-{self.port}"
        )

    def __repr__(self) -> str:
        state = "running" if self._serving.running else "stopped"
        return f"SandboxServer(url={self.url!r}, {state})"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        try:
            self._serving.start(timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving (in-flight stalls end at once) and release the port."""
        self.sandbox.closing.set()
        self._serving.stop()
        if self._owns_sandbox:
            self.sandbox.close()
        else:
            self.sandbox.closing.clear()

    def __getattr__(self, name: str) -> Any:
        # server.requests(), server.messages(), server.script_faults(), server.reset(), ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.sandbox, name)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, sandbox: Sandbox | None = None, **options: Any
) -> SandboxServer:
    """Start a sandbox on ``host:port`` in a background thread; returns the running server.

    ``options`` are ``Sandbox`` arguments (latency, rate_limit, error_rate, drop_rate,
    stall_rate, stall_seconds, seed, db, api_key, ...); or pass a ready ``sandbox=``.
    Use it as a context manager, or call ``.stop()`` when done.
    """
    if sandbox is not None and options:
        raise TypeError("pass either sandbox= or Sandbox options, not both")
    owns = sandbox is None
    sb = sandbox if sandbox is not None else Sandbox(**options)
    try:
        sock = bind_socket(host, port)
    except OSError:
        if owns:
            sb.close()
        raise
    return SandboxServer(sb, sock, owns_sandbox=owns).start()
