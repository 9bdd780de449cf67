"""Serving an ASGI app (the sandbox, the webhook listener): socket, URL, uvicorn in a thread.

>>> sock = bind_socket("127.0.0.1", 0)            # port 0: a free port
>>> server = BackgroundServer(uvicorn_server(app), sock, name="my-app").start()
>>> socket_url(sock)
'http://127.0.0.1:54321'
>>> server.stop()
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["DEFAULT_MAX_BODY", "BackgroundServer", "bind_socket", "socket_url", "uvicorn_config",
           "uvicorn_server"]

#: The largest request body the webhook listener accepts by default (here, not in the listener,
#: so that ``ptdata listen --help`` shows it without loading the listener and pandas).
DEFAULT_MAX_BODY = 64 * 1024   # a Twilio payload is a few KB; 1,600 characters of body at most


def bind_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
    # protocol says TCP; without it every reply waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def uvicorn_config(app: Any, *, log_level: str = "warning", access_log: bool = False,
                   **config: Any):
    """Quiet uvicorn settings: no access log by default (URLs may hold secrets), logging
    configuration left to the application."""
    import uvicorn

    return uvicorn.Config(app, log_config=None, log_level=log_level, access_log=access_log,
                          **config)


def uvicorn_server(app: Any, **config: Any):
    """A uvicorn server for ``app`` with ``uvicorn_config``'s quiet settings."""
    import uvicorn

    return uvicorn.Server(uvicorn_config(app, **config))


class BackgroundServer:
    """Run a uvicorn server on an already bound socket in a daemon thread."""

    def __init__(self, server: Any, sock: socket.socket, *, name: str) -> None:
        self.server = server
        self.sock = sock
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _main(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        """Start serving; returns once the server accepts connections (RuntimeError if not)."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start on {socket_url(self.sock)}"
                                   + (f": {self.error!r}" if self.error else ""))
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit, wait for the thread, release the port."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        try:
            self.sock.close()
        except OSError:
            pass
