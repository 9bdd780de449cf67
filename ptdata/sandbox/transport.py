"""In-process httpx transports: the sandbox without a socket, for fast unit tests.

They call the same ``Sandbox.handle`` as the socket server. Faults that break the exchange
surface as the exceptions httpx raises for the real thing: a dropped connection as
``httpx.RemoteProtocolError``, a stall as ``httpx.ReadTimeout`` (at once: there is no point
waiting for a timeout that is certain). Both happen after the sandbox acted.

>>> sb = Sandbox()
>>> client = PowerTextor(api_key="k", base_url="http://sandbox.local", transport=sb.transport())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ptdata.sandbox.core import Reply, Sandbox

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]


def _raw_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in request.headers.raw]


def _response(request: httpx.Request, reply: Reply) -> httpx.Response:
    if reply.fault in ("drop", "drop_before"):
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=request)
    if reply.fault == "stall":
        raise httpx.ReadTimeout("timed out waiting for the sandbox (injected stall)",
                                request=request)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body,
                          request=request)


class SandboxTransport(httpx.BaseTransport):
    """A sync transport: runs the sandbox's async handler on its private event loop."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        reply = self.sandbox.run(self.sandbox.handle(
            request.method, request.url.path, request.url.query.decode("ascii", "replace"),
            _raw_headers(request), body))
        return _response(request, reply)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """An async transport: runs the handler in the caller's event loop."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = await self.sandbox.handle(
            request.method, request.url.path, request.url.query.decode("ascii", "replace"),
            _raw_headers(request), body)
        return _response(request, reply)
