"""The ASGI application that serves a ``Sandbox`` over HTTP (uvicorn runs it).

A plain ASGI callable rather than a framework app: the dropped-connection fault needs to
start a response with a ``Content-Length`` and break it half-way, which only the raw
protocol allows. Everything else is ``Sandbox.handle``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ptdata.sandbox.core import Sandbox

__all__ = ["MAX_BODY_BYTES", "SandboxApp", "quiet_uvicorn"]

#: Larger bodies are refused with 413 (an MMS attachment is at most 5 MB).
MAX_BODY_BYTES = 12 * 1024 * 1024


class DroppedConnection(Exception):
    """Raised on purpose to make the server cut a response short."""


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


_FILTER = _DropFilter()


def quiet_uvicorn() -> None:
    """Keep the intentional drops out of uvicorn's error log (real errors still show)."""
    log = logging.getLogger("uvicorn.error")
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)


class SandboxApp:
    """ASGI 3 app for one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _send(
                    send,
                    413,
                    [("content-type", "application/json")],
                    json.dumps(
                        {
                            "Success": False,
                            "Error": {
                                "Status": "PayloadTooLarge",
                                "Message": f"the body is over {MAX_BODY_BYTES // (1024 * 1024)} MB",
                            },
                            "Data": None,
                        }
                    ).encode(),
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        reply = await self.sandbox.handle(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            list(scope.get("headers", [])),
            b"".join(chunks),
        )
        if reply.fault == "stall" and await self._stalled_out(reply.stall_seconds, receive):
            return  # the client gave up; nobody to answer
        if reply.fault in ("drop", "drop_before"):
            await send(
                {
                    "type": "http.response.start",
                    "status": reply.status,
                    "headers": _headers(reply.headers, len(reply.body)),
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": reply.body[: len(reply.body) // 2],
                    "more_body": True,
                }
            )
            raise DroppedConnection("connection dropped on purpose (sandbox fault)")
        await _send(send, reply.status, reply.headers, reply.body)

    async def _stalled_out(self, seconds: float, receive) -> bool:
        """Sleep ``seconds``; True when the client disconnected meanwhile."""
        sleeper = asyncio.ensure_future(self.sandbox.stall(seconds))
        waiter = asyncio.ensure_future(receive())
        done, _ = await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeper, waiter):
            if task not in done:
                task.cancel()
        await asyncio.gather(sleeper, waiter, return_exceptions=True)
        return (
            waiter in done
            and not waiter.cancelled()
            and not waiter.exception()
            and waiter.result().get("type") == "http.disconnect"
        )


def _headers(headers: list[tuple[str, str]], length: int) -> list[tuple[bytes, bytes]]:
    out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    out.append((b"content-length", str(length).encode()))
    return out


async def _send(send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": _headers(headers, len(body))}
    )
    await send({"type": "http.response.body", "body": body})
