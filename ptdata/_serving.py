"""Serving an ASGI app (the sandbox, the webhook listener): socket, URL, uvicorn in a thread.

>>> from starlette.applications import Starlette
>>> app = Starlette()
>>> sock = bind_socket("127.0.0.1", 0)            # port 0: a free port
>>> server = BackgroundServer(uvicorn_server(app), sock, name="my-app").start()
>>> socket_url(sock)                               # e.g. 'http://127.0.0.1:54321'
'http://127.0.0.1:...'
>>> server.stop()
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_MAX_BODY",
    "Limits",
    "BackgroundServer",
    "bind_socket",
    "socket_url",
    "uvicorn_config",
    "uvicorn_server",
]

#: The largest request body the webhook listener accepts by default (here, not in the listener,
#: so that ``ptdata listen --help`` shows it without loading the listener and pandas).
DEFAULT_MAX_BODY = 64 * 1024  # a Twilio payload is a few KB; 1,600 characters of body at most


@dataclass(frozen=True)
class Limits:
    """The listener's limits on one request (each is a ``ptdata listen`` option).

    A payload is one level deep (``{"Body": ...}``); a Twilio payload has 20 to 50 fields.
    """

    max_body: int = DEFAULT_MAX_BODY  # bytes
    max_depth: int = 8  # levels of nesting in one payload
    max_fields: int = 1000  # keys and list items in the whole request
    read_timeout: float = 10.0  # seconds for the headers, and again for the body


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


def uvicorn_config(
    app: Any,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    header_timeout: float | None = None,
    **config: Any,
):
    """Quiet uvicorn settings: no access log by default (URLs may hold secrets), logging
    configuration left to the application. ``header_timeout``: a connection whose request
    headers have not all arrived that many seconds after it opened (or after its last
    response) gets 408 and is closed; uvicorn's own keep-alive timeout stops counting as
    soon as the first byte arrives, so a client trickling its headers would be kept forever.
    """
    import uvicorn

    if header_timeout is not None:
        config["http"] = _header_timeout_protocol(header_timeout)
    return uvicorn.Config(
        app, log_config=None, log_level=log_level, access_log=access_log, **config
    )


def _header_timeout_protocol(seconds: float) -> type:
    """uvicorn's h11 protocol, closing connections that are slow to send request headers."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: Any = None
        _partial = False  # some of a request's headers have come

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the headers are all in
                self._disarm()
            else:
                self._partial = True

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm()  # the next request's headers are due within the time too

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._partial = False
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self._partial:  # part of a request came: say why (an idle one just closes)
                    self.transport.write(
                        b"HTTP/1.1 408 Request Timeout\r\nconnection: close"
                        b"\r\ncontent-length: 0\r\n\r\n"
                    )
                self.transport.close()

    return HeaderTimeoutProtocol


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
        except BaseException as exc:
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
                raise RuntimeError(
                    f"the server did not start on {socket_url(self.sock)}"
                    + (f": {self.error!r}" if self.error else "")
                )
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit, wait for the thread, release the port."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        with contextlib.suppress(OSError):
            self.sock.close()
