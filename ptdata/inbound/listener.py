"""The webhook listener: receives inbound SMS/MMS payloads and appends them to a JSONL dump.

Dump format (one line per payload, UTF-8 JSON, what ``load_inbound`` reads)::

    {"received_at":"2025-03-04T17:02:11.123456Z","kind":"sms","From":"+14155550123","Body":"STOP",...}

``received_at`` (UTC, when the listener got it) and ``kind`` (``sms``/``mms``) come first,
then every field exactly as it was posted, flat: form values as text, JSON values as JSON
(a repeated form field becomes a list). A payload field that is itself called ``received_at``
or ``kind`` is kept as ``payload_received_at`` / ``payload_kind``.

A JSON array of payloads is saved as one line each.

Safety: the URL path holds a secret (anything else gets 404, and the secret never reaches a
log: the access log is off); bodies over ``max_body`` get 413 (on Content-Length and while
streaming); the request headers and then the body must each arrive within ``read_timeout``
seconds (else 408 and the connection is closed), so slow clients cannot hold connections;
each payload is written and fsync'ed before the 2xx; one writer appends whole lines
(concurrent posts share one write + fsync, never interleave); binds 127.0.0.1 by default.

Only what ``load_inbound`` reads back exactly is stored: a payload that is not valid Unicode
(invalid UTF-8, or a JSON ``\\ud800`` escape leaving a lone surrogate), that nests deeper
than ``max_depth`` or holds more than ``max_fields`` fields gets 400 with the reason, and
nothing is written (see :mod:`ptdata.inbound.payloads`).

>>> from ptdata.inbound.listener import serve_listener
>>> with serve_listener("inbound.jsonl") as listener:           # doctest: +SKIP
...     print(listener.sms_url)       # give this URL to Power Textor (or the sandbox)
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ptdata._serving import BackgroundServer, bind_socket, socket_url
from ptdata._serving import uvicorn_server as quiet_server
from ptdata.api.errors import UsageError
from ptdata.inbound.payloads import (
    DEFAULT_MAX_BODY,
    Limits,
    PayloadError,
    TooLarge,
    TooSlow,
    parse_payloads,
    read_body,
)

__all__ = [
    "DEFAULT_MAX_BODY",
    "DumpWriter",
    "Limits",
    "ListenerHandle",
    "create_listener_app",
    "dump_line",
    "infer_kind",
    "new_secret",
    "serve_listener",
]

logger = logging.getLogger("ptdata.inbound.listener")

_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def new_secret() -> str:
    """A fresh URL secret (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def infer_kind(payload: dict) -> str:
    """``"mms"`` when the payload carries media (NumMedia > 0 or a media URL), else ``"sms"``."""
    try:
        if int(str(payload.get("NumMedia") or "0").strip() or "0") > 0:
            return "mms"
    except ValueError:
        pass
    if any(k.lower().startswith("mediaurl") and payload[k] for k in payload):
        return "mms"
    return "sms"


def dump_line(payload: dict, kind: str, received_at: datetime) -> bytes:
    r"""One dump line (ending in a newline) for a payload received at ``received_at``.

    >>> at = datetime(2025, 3, 4, 17, 2, 11, tzinfo=UTC)
    >>> dump_line({"From": "+14155550123", "Body": "STOP"}, "sms", at)
    b'{"received_at":"2025-03-04T17:02:11.000000Z","kind":"sms","From":"+14155550123","Body":"STOP"}\n'
    """
    stamp = received_at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    record: dict = {"received_at": stamp, "kind": kind}
    for key, value in payload.items():
        record[f"payload_{key}" if key in ("received_at", "kind") else key] = value
    # strict UTF-8: text that is not valid Unicode was refused before it got here
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class DumpWriter:
    """Appends whole lines to the dump and fsyncs them; concurrent appends share one flush.

    One writer per dump file: a second listener on the same file is refused (an advisory
    lock), and a file that ends mid-line (a crash while writing) gets a newline first so the
    torn line never swallows the next payload.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _lock(self._fd, self.path)
        except BaseException:
            os.close(self._fd)
            raise
        if created:
            _fsync_dir(self.path.parent)
        self._needs_newline = _ends_mid_line(self.path)
        self._pending: list[tuple[bytes, int, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None
        self.lines_written = 0

    async def append(self, lines: bytes, *, count: int = 1) -> None:
        """Return once ``lines`` (``count`` whole payload lines) are on disk.

        Raises OSError when they could not be written.
        """
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((lines, count, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            data = b"".join(lines for lines, _, _ in batch)
            try:
                await run_in_threadpool(self._write, data)
            except OSError as exc:
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                self.lines_written += sum(count for _, count, _ in batch)
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    def _write(self, data: bytes) -> None:
        if self._needs_newline:
            data = b"\n" + data
        self._needs_newline = True  # until the whole batch is on disk
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self._needs_newline = False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _lock(fd: int, path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RuntimeError(
            f"{path} is already being written by another listener; use another --out file"
        ) from None


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _ends_mid_line(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def create_listener_app(
    out_path: str | os.PathLike,
    secret: str,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    max_depth: int = Limits.max_depth,
    max_fields: int = Limits.max_fields,
    read_timeout: float = Limits.read_timeout,
    clock=lambda: datetime.now(UTC),
) -> Starlette:
    """The ASGI app: POST payloads to ``/<secret>/sms``, ``/<secret>/mms`` or ``/<secret>``.

    ``app.state.writer`` is the :class:`DumpWriter` (``lines_written`` counts payloads saved);
    ``app.state.limits`` the :class:`Limits` (serve it with :func:`uvicorn_server`, which
    also times out slow request headers).

    >>> app = create_listener_app("inbound.jsonl", new_secret())   # doctest: +SKIP
    """
    if not secret:
        raise UsageError("the listener needs a non-empty secret")
    limits = Limits(
        max_body=max_body, max_depth=max_depth, max_fields=max_fields, read_timeout=read_timeout
    )
    writer = DumpWriter(out_path)
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.path_params["secret"].encode()
        kind = request.path_params.get("kind")
        if not hmac.compare_digest(given, expected) or kind not in (None, "sms", "mms"):
            return PlainTextResponse("Not Found", status_code=404)
        if request.method in ("GET", "HEAD"):
            return PlainTextResponse("ptdata listener: POST inbound messages here\n")
        if request.method != "POST":
            return PlainTextResponse(
                "Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD, POST"}
            )
        try:
            body = await read_body(request, limits)
            payloads = await parse_payloads(request, body, limits)
        except TooLarge:
            return PlainTextResponse(f"Payload Too Large (limit {max_body} bytes)", status_code=413)
        except TooSlow:
            logger.warning("a request body took longer than %s s: connection closed", read_timeout)
            return PlainTextResponse(
                f"Request Timeout (the body took over {read_timeout:g} s)",
                status_code=408,
                headers={"Connection": "close"},
            )
        except PayloadError as exc:
            logger.warning("refused a payload: %s", exc)
            return PlainTextResponse(f"Bad Request: {exc}", status_code=400)
        now = clock()
        lines = b"".join(dump_line(p, kind or infer_kind(p), now) for p in payloads)
        try:
            await writer.append(lines, count=len(payloads))
        except OSError as exc:
            logger.error("could not save a payload to the dump: %s", exc)
            return PlainTextResponse("could not save the payload", status_code=500)
        return Response(_EMPTY_TWIML, media_type="text/xml")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            writer.close()

    app = Starlette(
        routes=[
            Route("/{secret}/{kind}", receive, methods=_METHODS),
            Route("/{secret}", receive, methods=_METHODS),
        ],
        lifespan=lifespan,
    )
    app.state.writer = writer
    app.state.limits = limits
    return app


@dataclass
class ListenerHandle:
    """A running listener: ``url`` (with the secret), ``sms_url``, ``mms_url``, ``out_path``."""

    url: str
    secret: str
    out_path: Path
    app: Starlette

    @property
    def sms_url(self) -> str:
        return f"{self.url}/sms"

    @property
    def mms_url(self) -> str:
        return f"{self.url}/mms"

    def __repr__(self) -> str:  # the secret stays out of reprs and logs
        return f"ListenerHandle(out_path={str(self.out_path)!r})"


def uvicorn_server(app, *, log_level: str = "warning"):
    """A uvicorn server for ``app`` with the access log off (URLs hold the secret) and
    request headers that must arrive within the app's ``read_timeout``."""
    return quiet_server(
        app,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
        header_timeout=app.state.limits.read_timeout,
    )


@contextlib.contextmanager
def serve_listener(
    out_path: str | os.PathLike,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    secret: str | None = None,
    **limits,
) -> Iterator[ListenerHandle]:
    """Run the listener in a background thread for the ``with`` block (tests, notebooks).

    ``limits``: ``max_body``, ``max_depth``, ``max_fields``, ``read_timeout`` (see
    :class:`Limits`).

    >>> with serve_listener("inbound.jsonl") as listener:          # doctest: +SKIP
    ...     client.register_webhook(listener.sms_url, kind="sms")
    """
    secret = secret or new_secret()
    app = create_listener_app(out_path, secret, **limits)
    serving = BackgroundServer(uvicorn_server(app), bind_socket(host, port), name="ptdata-listener")
    try:
        serving.start()
    except RuntimeError:
        raise RuntimeError("the listener did not start") from None
    try:
        yield ListenerHandle(f"{socket_url(serving.sock)}/{secret}", secret, Path(out_path), app)
    finally:
        serving.stop()
