"""Keep-alive HTTP/1.1 connections to the Power Textor host, over the standard ``http.client``.

A bulk send makes thousands of small JSON POSTs, one every few tens of milliseconds, each
waiting a few hundred milliseconds for its reply. Between two calls the processor's caches go
cold, so what a request costs is mostly how much code it runs: httpx (request and response
models, httpcore's pool, h11) runs about twice as much per exchange as ``http.client``. This
module is that lean path; ``PowerTextor`` uses it for JSON requests when no custom transport
and no proxy is configured, and httpx for everything else (attachments, proxies, transports
given by the caller). Failures are raised as the httpx exceptions of the same phase, so both
paths are classified by one piece of code (connect failures: nothing was sent; failures after
the request started to go out: the server may have acted).

A connection that sat idle is checked before it is reused: when the server has closed it (or
it idled longer than ``keepalive_expiry``), a new one is opened instead, so a POST is never
written into a connection the server has already given up on.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time

import httpx

__all__ = ["Wire"]


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
        keepalive_expiry: float = 5.0,
    ) -> None:
        self.scheme, self.host = scheme, host
        self.port = port or (443 if scheme == "https" else 80)
        self._connect_timeout = timeout.connect
        self._write_timeout = timeout.write
        self._read_timeout = timeout.read
        self._pool_timeout = timeout.pool
        self._ssl = ssl_context
        self._expiry = keepalive_expiry
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"Wire({self.scheme}://{self.host}:{self.port}, idle={len(self._idle)})"

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
        if not self._slots.acquire(
            timeout=-1 if self._pool_timeout is None else self._pool_timeout
        ):
            raise httpx.PoolTimeout("no free connection in time")
        try:
            conn = self._checkout()
            try:
                status, reply_headers, content, reusable = self._talk(
                    conn, method, target, body, headers
                )
            except BaseException:
                conn.close()
                raise
            if reusable:
                with self._lock:
                    if not self._closed:
                        self._idle.append((conn, time.monotonic()))
                        conn = None
            if conn is not None:
                conn.close()
            return status, reply_headers, content
        finally:
            self._slots.release()

    # -- one connection ------------------------------------------------------------------------

    def _checkout(self) -> http.client.HTTPConnection:
        """The most recently used idle connection that is still good, or a new one."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if now - since < self._expiry and not _dropped(conn):
                return conn
            conn.close()
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self._connect_timeout, context=self._ssl
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self._connect_timeout)
        try:
            conn.connect()
        except TimeoutError as exc:  # socket.timeout
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out") from None
        except OSError as exc:  # refused, unreachable, unknown host, TLS handshake/certificate
            conn.close()
            raise httpx.ConnectError(_describe(exc)) from None
        return conn

    def _talk(self, conn, method, target, body, headers):
        sock = conn.sock
        try:
            sock.settimeout(self._write_timeout)
            conn.request(method, target, body=body, headers=headers)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out") from None
        except OSError as exc:
            raise httpx.WriteError(_describe(exc)) from None
        try:
            sock.settimeout(self._read_timeout)
            reply = conn.getresponse()
            content = reply.read()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from None
        except http.client.HTTPException as exc:  # closed without a reply, garbled, cut short
            raise httpx.RemoteProtocolError(_describe(exc)) from None
        except OSError as exc:
            raise httpx.ReadError(_describe(exc)) from None
        reusable = not reply.will_close and conn.sock is not None
        return reply.status, reply.getheaders(), content, reusable


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """True when the server closed the idle connection (or sent something unasked)."""
    sock = conn.sock
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without replying"
    if isinstance(exc, http.client.IncompleteRead):
        return "the reply was cut short"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc}"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text
