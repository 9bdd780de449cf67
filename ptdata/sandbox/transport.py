"""In-process httpx transports: the sandbox without a socket, for fast unit tests.

They call the same ``Sandbox.handle`` as the socket server. Faults that break the exchange
surface as the exceptions httpx raises for the real thing: a dropped connection as
``httpx.RemoteProtocolError``, a stall as ``httpx.ReadTimeout`` (at once: there is no point
waiting for a timeout that is certain). Both happen after the sandbox acted.

>>> from ptdata import PowerTextor, Sandbox
>>> sb = Sandbox()
>>> client = PowerTextor(api_key="k", base_url="http://sandbox.local", transport=sb.transport())
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ptdata.sandbox.core import Sandbox
    from ptdata.sandbox.replies import Reply

__all__ = ["AsyncSandboxTransport", "LoopThread", "SandboxTransport"]


def _raw_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in request.headers.raw]


def _response(request: httpx.Request, reply: Reply) -> httpx.Response:
    if reply.fault in ("drop", "drop_before"):
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=request
        )
    if reply.fault == "stall":
        raise httpx.ReadTimeout(
            "timed out waiting for the sandbox (injected stall)", request=request
        )
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body, request=request)


class SandboxTransport(httpx.BaseTransport):
    """A sync transport: runs the sandbox's async handler on its private event loop."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        reply = self.sandbox.run(
            self.sandbox.handle(
                request.method,
                request.url.path,
                request.url.query.decode("ascii", "replace"),
                _raw_headers(request),
                body,
            )
        )
        return _response(request, reply)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """An async transport: runs the handler in the caller's event loop."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = await self.sandbox.handle(
            request.method,
            request.url.path,
            request.url.query.decode("ascii", "replace"),
            _raw_headers(request),
            body,
        )
        return _response(request, reply)


class LoopThread:
    """A private asyncio loop in a daemon thread, for running the async handler from sync code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="ptdata-sandbox-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()
