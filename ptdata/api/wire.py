"""Keep-alive HTTP/1.1 connections to the Power Textor host: h11 over plain sockets.

A bulk send makes thousands of small JSON POSTs, one every few tens of milliseconds, each
waiting a few hundred milliseconds for its reply. Between two calls the processor's caches go
cold, so what a request costs is mostly how much code it runs: httpx (request and response
models, httpcore's pool and its locks and traces) runs several times as much per exchange as
h11 - the HTTP/1.1 state machine httpcore itself is built on - driven directly. This module is
that lean path; ``PowerTextor`` uses it for JSON requests when no custom transport and no
proxy is configured, and httpx for everything else (attachments, proxies, transports given by
the caller). Failures are raised as the httpx exceptions of the same phase, so both paths are
classified by one piece of code (connect failures: nothing was sent; failures after the
request started to go out: the server may have acted).

A request is written in one ``sendall``; ``Wire.start`` returns as soon as it is written, and
``InFlight.finish`` reads the reply, so a caller can sleep in between. A connection that sat
idle is checked before it is reused: when the server has closed it, sent something unasked,
or it idled longer than ``keepalive_expiry`` (4 s, under the 5 s many servers wait), a new
one is opened instead, so a POST is never written into a connection the server has already
given up on.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time

import h11
import httpx

__all__ = ["InFlight", "Wire"]

_READ_SIZE = 65536


class Wire:
    """A thread-safe pool of keep-alive connections to one ``http(s)://host[:port]`` origin.

    ``max_connections`` requests may be in flight at once; one more waits up to the pool
    timeout for a free slot (``httpx.PoolTimeout``: nothing was sent).
    """

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int | None,
        *,
        timeout: httpx.Timeout,
        max_connections: int,
        ssl_context: ssl.SSLContext | None,
        keepalive_expiry: float = 4.0,
    ) -> None:
        self.scheme, self.host = scheme, host
        default_port = 443 if scheme == "https" else 80
        self.port = port or default_port
        self._host_header = host if self.port == default_port else f"{host}:{self.port}"
        if ":" in host:  # an IPv6 literal
            self._host_header = f"[{host}]" + ("" if self.port == default_port else f":{self.port}")
        self._connect_timeout = timeout.connect
        self._write_timeout = timeout.write
        self._read_timeout = timeout.read
        self._pool_timeout = timeout.pool
        self._ssl = ssl_context if scheme == "https" else None
        self._expiry = keepalive_expiry
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._idle: list[tuple[_Connection, float]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"Wire({self.scheme}://{self._host_header}, idle={len(self._idle)})"

    def close(self) -> None:
        """Close the idle connections; those in use close when their exchange ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request and its whole reply: (status code, headers, body)."""
        return self.start(method, target, body, headers).finish()

    def start(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> InFlight:
        """Send a request; ``finish()`` on what it returns reads the reply.

        The connection (and a slot of ``max_connections``) is held until ``finish()``.
        """
        fields = [("Host", self._host_header), *headers.items()]
        if body is not None:
            fields.append(("Content-Length", str(len(body))))
        if not self._slots.acquire(
            timeout=-1 if self._pool_timeout is None else self._pool_timeout
        ):
            raise httpx.PoolTimeout("no free connection in time")
        try:
            conn = self._checkout()
            try:
                conn.write(method, target, fields, body, self._write_timeout)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._slots.release()
            raise
        return InFlight(self, conn)

    def _checkout(self) -> _Connection:
        """The most recently used idle connection that is still good, or a new one."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if now - since < self._expiry and not conn.dropped():
                return conn
            conn.close()
        return _Connection.open(self.host, self.port, self._ssl, self._connect_timeout)

    def _checkin(self, conn: _Connection) -> None:
        if conn.reusable():
            with self._lock:
                if not self._closed:
                    self._idle.append((conn, time.monotonic()))
                    return
        conn.close()


class InFlight:
    """A request written to its connection, its reply not read yet (see ``Wire.start``)."""

    __slots__ = ("_conn", "_wire")

    def __init__(self, wire: Wire, conn: _Connection) -> None:
        self._wire, self._conn = wire, conn

    def finish(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """Wait for and read the whole reply: (status code, headers, body)."""
        conn, wire = self._conn, self._wire
        if conn is None:
            raise RuntimeError("this reply was read already")
        self._conn = None
        try:
            try:
                reply = conn.read(wire._read_timeout)
            except BaseException:
                conn.close()
                raise
            wire._checkin(conn)
            return reply
        finally:
            wire._slots.release()


class _Connection:
    """One socket and its h11 state machine."""

    __slots__ = ("_h11", "_poller", "_timeout", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._h11 = h11.Connection(h11.CLIENT)
        self._timeout = sock.gettimeout()
        self._poller = None
        if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)

    @classmethod
    def open(cls, host: str, port: int, tls: ssl.SSLContext | None,
             timeout: float | None) -> _Connection:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out") from None
        except OSError as exc:  # refused, unreachable, unknown host
            raise httpx.ConnectError(_describe(exc)) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)  # handshake, same timeout
        except TimeoutError as exc:
            sock.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out") from None
        except OSError as exc:  # ssl.SSLError among them: a bad certificate sends nothing
            sock.close()
            raise httpx.ConnectError(_describe(exc)) from None
        return cls(sock)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def dropped(self) -> bool:
        """True when the server closed the idle connection (or sent something unasked)."""
        sock = self.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        try:
            if self._poller is not None:
                return bool(self._poller.poll(0))
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def _set_timeout(self, timeout: float | None) -> None:
        if timeout != self._timeout:  # each change costs a system call
            self.sock.settimeout(timeout)
            self._timeout = timeout

    def reusable(self) -> bool:
        """True (and ready for the next request) when the exchange ended cleanly."""
        conn = self._h11
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return False
        if conn.trailing_data != (b"", False):  # bytes after the reply, unasked: not ours
            return False
        conn.start_next_cycle()
        return True

    def write(self, method: str, target: str, fields: list[tuple[str, str]],
              body: bytes | None, timeout: float | None) -> None:
        conn = self._h11
        try:
            data = conn.send(h11.Request(method=method, target=target, headers=fields))
            if body:
                data += conn.send(h11.Data(data=body))
            data += conn.send(h11.EndOfMessage())
        except (h11.LocalProtocolError, UnicodeError):
            data = None  # raised below, out of this block: h11's message quotes the value
        if data is None:
            raise httpx.LocalProtocolError(
                "a header value has a line break or a character outside Latin-1")
        try:
            self._set_timeout(timeout)
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out") from None
        except OSError as exc:
            raise httpx.WriteError(_describe(exc)) from None

    def read(self, timeout: float | None) -> tuple[int, list[tuple[str, str]], bytes]:
        conn, sock = self._h11, self.sock
        status, headers, chunks = 0, [], []
        try:
            self._set_timeout(timeout)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(sock.recv(_READ_SIZE))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    headers = [(k.decode("latin-1"), v.decode("latin-1"))
                               for k, v in event.headers]
                elif isinstance(event, h11.Data):
                    chunks.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return status, headers, b"".join(chunks)
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection without a full reply")
                # InformationalResponse (1xx): read on
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from None
        except h11.RemoteProtocolError as exc:  # garbled, or cut short
            raise httpx.RemoteProtocolError(str(exc) or "malformed reply") from None
        except OSError as exc:
            raise httpx.ReadError(_describe(exc)) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc}"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
