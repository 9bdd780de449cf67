"""One HTTP exchange through the client's ``httpx.Client``, held to a deadline and a size cap.

httpx's timeouts apply to each network operation, so a server that trickles its reply a byte
at a time, faster than the read timeout, can hold a call for as long as it likes; and a reply
is read into memory whatever its size. ``Exchange`` runs one attempt in a thread of its own
and the caller waits for it at most ``deadline`` seconds; the body is streamed and refused
past ``max_bytes``. httpcore's ``trace`` extension tells the moment the request starts to go
out, so a deadline that passes before then is reported as "nothing sent" (and the request can
never start afterwards), and one that passes later as "maybe sent". At most ``max_connections``
attempts are inside httpx at once (``slots``): httpcore's pool, when requests queue in it, can
close a connection it has just handed to one of them (encode/httpcore#1110). When the connection is
known (a new one, or once the headers are in) it is shut down, so the abandoned attempt ends
at once instead of holding a connection. ``ptdata.api.client`` turns every failure raised
here into ptdata's exceptions.

>>> exchange = Exchange(http, http.build_request("GET", "/api/groups"), deadline=30,
...                     max_bytes=1 << 20, traced=True,
...                     slots=threading.BoundedSemaphore(32), pool_timeout=30)  # doctest: +SKIP
>>> status_code, headers, content = exchange.wait()                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import httpx

__all__ = ["DeadlineExceeded", "Exchange", "NoFreeConnection", "ReplyTooLarge"]


class DeadlineExceeded(Exception):
    """The exchange did not end within its deadline; ``sent``: whether the request went out."""

    def __init__(self, deadline: float, *, sent: bool) -> None:
        super().__init__(f"no complete reply within {deadline:g} s")
        self.deadline, self.sent = deadline, sent


class ReplyTooLarge(Exception):
    """The reply is longer than the cap (said so by its Content-Length, or read that far)."""

    def __init__(self, limit: int, status_code: int) -> None:
        super().__init__(f"the reply is larger than {limit} bytes")
        self.limit, self.status_code = limit, status_code


class NoFreeConnection(Exception):
    """All ``max_connections`` were busy for the whole pool timeout; nothing was sent."""


class _Abandoned(Exception):
    """Raised inside the attempt once its caller has given up on it."""


class Exchange:
    """One attempt of one request, started at once in its own thread; ``wait()`` for the reply.

    ``traced``: the transport is httpx's own, whose trace events say when the request starts
    to go out. With any other transport a deadline is always reported as "maybe sent".
    """

    __slots__ = (
        "_abandoned",
        "_deadline",
        "_done",
        "_ends",
        "_http",
        "_lock",
        "_max_bytes",
        "_outcome",
        "_pool_timeout",
        "_request",
        "_sending",
        "_slots",
        "_stream",
        "_traced",
    )

    def __init__(
        self,
        http: httpx.Client,
        request: httpx.Request,
        *,
        deadline: float | None,
        max_bytes: int,
        traced: bool,
        slots: threading.BoundedSemaphore,
        pool_timeout: float | None,
    ) -> None:
        self._http, self._request, self._max_bytes = http, request, max_bytes
        self._deadline, self._traced = deadline, traced
        self._slots, self._pool_timeout = slots, pool_timeout
        self._ends = None if deadline is None else time.monotonic() + deadline
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._sending = self._abandoned = False
        self._stream: Any = None  # httpcore's network stream, once known
        self._outcome: Any = None
        request.extensions["trace"] = self._trace
        threading.Thread(target=self._run, name="ptdata-http", daemon=True).start()

    def wait(self) -> tuple[int, httpx.Headers, bytes]:
        """(status code, headers, body); raises the httpx error, ``ReplyTooLarge``,
        ``NoFreeConnection`` or ``DeadlineExceeded``."""
        remaining = None if self._ends is None else max(0.0, self._ends - time.monotonic())
        if not self._done.wait(remaining):
            with self._lock:
                if self._outcome is None:  # else it ended just now: take its outcome
                    self._abandoned = True
                    sent = self._sending or not self._traced
            if self._abandoned:
                self._hang_up()
                raise DeadlineExceeded(self._deadline or 0.0, sent=sent)
        outcome = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run(self) -> None:
        try:
            timeout = -1 if self._pool_timeout is None else self._pool_timeout
            if not self._slots.acquire(timeout=timeout):
                raise NoFreeConnection
            try:
                outcome: Any = self._exchange()
            finally:
                self._slots.release()
        except BaseException as exc:
            outcome = exc
        with self._lock:
            self._outcome = outcome
        self._done.set()

    def _exchange(self) -> tuple[int, httpx.Headers, bytes]:
        if self._abandoned:  # the deadline passed while waiting for a slot
            raise _Abandoned
        response = self._http.send(self._request, stream=True)
        try:
            self._stream = response.extensions.get("network_stream", self._stream)
            return response.status_code, response.headers, self._read(response)
        finally:
            response.close()

    def _read(self, response: httpx.Response) -> bytes:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise ReplyTooLarge(self._max_bytes, response.status_code)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise ReplyTooLarge(self._max_bytes, response.status_code)
            chunks.append(chunk)
            if self._abandoned:
                raise _Abandoned
        return b"".join(chunks)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            self._stream = info.get("return_value")
        elif event.endswith("send_request_headers.started"):
            if getattr(info.get("request"), "method", None) == b"CONNECT":
                return  # opening a tunnel through a proxy: nothing of ours goes out yet
            with self._lock:
                if self._abandoned:  # too late: the caller reported it as not sent
                    raise _Abandoned
                self._sending = True

    def _hang_up(self) -> None:
        """Shut the abandoned attempt's connection, when known, so that it ends now."""
        stream = self._stream
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
