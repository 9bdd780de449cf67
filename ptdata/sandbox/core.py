"""``Sandbox``: a local Power Textor that answers like the real API, one handler for all uses.

``Sandbox.handle(method, path, query, headers, body)`` is the single request handler. The ASGI
app (served by uvicorn, see ``serve_sandbox``) and the in-process httpx transports both call
it, so the socket server and the fast unit-test path cannot drift apart.

>>> from ptdata import PowerTextor, Sandbox
>>> sb = Sandbox()
>>> client = PowerTextor(api_key="test", base_url="http://sandbox.local", transport=sb.transport())
>>> client.send_text("Hello!", group="VIP customers").reach
3
>>> [m["phone"] for m in sb.messages()]
['+14155550101', '+14155550102', '+14155550103']

Order of work for an ``/api/...`` request: record it, rate limit (429), ``ApiKey`` (401),
route (404/405), a fault that refuses before acting (429/4xx/``success_false``), checks (400),
the operation itself, ``latency``, then a fault that strikes after acting (5xx, drop, stall,
non-JSON). Faults apply only to send requests: POSTs of message and contact operations.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ptdata.api.operations import Operation
from ptdata.sandbox.actions import Actions
from ptdata.sandbox.faults import Fault, FaultPlan, RateLimiter
from ptdata.sandbox.inbound import deliver_inbound
from ptdata.sandbox.replies import Reply, json_reply
from ptdata.sandbox.routing import route
from ptdata.sandbox.shapes import envelope, error_envelope
from ptdata.sandbox.store import Store
from ptdata.sandbox.validate import BadRequest, check_fields, fields_from_body, parse_body

__all__ = ["Sandbox"]

logger = logging.getLogger("ptdata.sandbox")

_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p>"
    b"</body></html>"
)


def _as_account(data: Any, account_id: str | None) -> Any:
    """``data`` with every AccountId naming ``account_id`` (the key's account), if it has one."""
    if account_id is None:
        return data
    if isinstance(data, list):
        return [_as_account(d, account_id) for d in data]
    if isinstance(data, dict):
        return {
            k: account_id if k == "AccountId" else _as_account(v, account_id)
            for k, v in data.items()
        }
    return data


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Sandbox:
    """A local Power Textor-compatible API with SQLite state, request log and fault injection.

    Args:
        db: SQLite file to keep the state in; None keeps it in memory.
        api_key: accept only this ApiKey (never stored in the log); None accepts any non-empty key.
        latency: seconds added to every API response (an async sleep: requests overlap).
        rate_limit: requests per second (sliding 1-second window); beyond it, 429 + Retry-After.
        error_rate, drop_rate, stall_rate: shares of send requests that fail with a 5xx from
            ``error_statuses``, a broken connection, or a stall of ``stall_seconds``.
        seed: seed of the random faults (same seed, same faults).
        seed_data: start with the demo places, groups and contacts.
        service_number: the sandbox's own number (``To`` of inbound messages).
    """

    def __init__(
        self,
        *,
        db: str | None = None,
        api_key: str | None = None,
        latency: float = 0.0,
        rate_limit: float | None = None,
        error_rate: float = 0.0,
        error_statuses: Sequence[int] = (500, 502, 503),
        drop_rate: float = 0.0,
        stall_rate: float = 0.0,
        stall_seconds: float = 30.0,
        seed: int | None = None,
        seed_data: bool = True,
        service_number: str = "+14155550100",
    ) -> None:
        self.store = Store(db, seed=seed_data)
        self.service_number = service_number
        self.actions = Actions(self.store, service_number=service_number)
        self._api_key = api_key or None
        self.accounts: dict[str, str] = {}
        self._faults = FaultPlan(
            error_rate=error_rate,
            error_statuses=error_statuses,
            drop_rate=drop_rate,
            stall_rate=stall_rate,
            seed=seed,
        )
        self.latency = 0.0
        self.stall_seconds = 30.0
        self._limiter: RateLimiter | None = None
        self.configure(latency=latency, rate_limit=rate_limit, stall_seconds=stall_seconds)
        self.closing = threading.Event()
        self._loop_thread: Any = None
        self._loop_lock = threading.Lock()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "any"
        return (
            f"Sandbox(db={self.store.path!r}, api_key={key}, latency={self.latency}, "
            f"rate_limit={self.rate_limit})"
        )

    # -- options -----------------------------------------------------------------------------

    @property
    def rate_limit(self) -> float | None:
        return self._limiter.rate if self._limiter else None

    def configure(
        self,
        *,
        latency: float | None = None,
        rate_limit: float | None | str = "keep",
        error_rate: float | None = None,
        error_statuses: Sequence[int] | None = None,
        drop_rate: float | None = None,
        stall_rate: float | None = None,
        stall_seconds: float | None = None,
        seed: int | None = None,
        accounts: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change behaviour options while running (``rate_limit=None`` turns the limit off).

        ``accounts`` maps API keys to the AccountId their replies name (a key not in it is the
        sandbox's one account): two keys of one account, or two accounts, for history tests.
        The accounts share the sandbox's contacts and groups.
        """
        if accounts is not None:
            self.accounts = {str(k).strip(): str(v) for k, v in accounts.items()}
        if latency is not None:
            if latency < 0:
                raise ValueError("latency must be zero or more seconds")
            self.latency = float(latency)
        if stall_seconds is not None:
            if stall_seconds < 0:
                raise ValueError("stall_seconds must be zero or more")
            self.stall_seconds = float(stall_seconds)
        if rate_limit != "keep":
            self._limiter = RateLimiter(float(rate_limit)) if rate_limit else None
        self._faults.configure(
            error_rate=error_rate,
            error_statuses=error_statuses,
            drop_rate=drop_rate,
            stall_rate=stall_rate,
            seed=seed,
        )
        return self.options()

    def options(self) -> dict[str, Any]:
        """The current behaviour options (never the key)."""
        f = self._faults
        return {
            "latency": self.latency,
            "rate_limit": self.rate_limit,
            "error_rate": f.error_rate,
            "error_statuses": list(f.error_statuses),
            "drop_rate": f.drop_rate,
            "stall_rate": f.stall_rate,
            "stall_seconds": self.stall_seconds,
            "api_key_required": bool(self._api_key),
            "db": self.store.path,
            "service_number": self.service_number,
        }

    # -- inspection helpers (also served under /_sandbox/) -----------------------------------

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every API request received, in order (never the ApiKey)."""
        return self.store.requests(since)

    def clear_requests(self) -> None:
        self.store.clear_requests()

    def messages(
        self, *, campaign_id: str | None = None, phone: str | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        """One row per recipient of every accepted send (status sent, scheduled or undelivered)."""
        return self.store.messages(campaign_id=campaign_id, phone=phone, since=since)

    def campaigns(self) -> list[dict[str, Any]]:
        """One row per accepted send call."""
        return self.store.campaigns()

    def webhooks(self) -> list[dict[str, Any]]:
        """Webhook registrations (id, kind, created_at; URLs withheld: they hold secrets)."""
        return [
            {
                "RegistrationId": w["registration_id"],
                "kind": w["kind"],
                "created_at": w["created_at"],
            }
            for w in self.store.webhooks()
        ]

    def script_faults(self, entries: Iterable[str | int]) -> list[str]:
        """Queue faults for the next send requests, e.g. ``["500", "drop", "429:2", "ok"]``."""
        if isinstance(entries, (str, int)):
            entries = [entries]
        return self._faults.script(entries)

    def pending_faults(self) -> list[str]:
        return self._faults.pending()

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        """Back to the seeded state: no messages, requests, webhooks or queued faults."""
        self.store.reset()
        self._faults.clear()
        self.accounts = {}
        if self._limiter is not None:
            self._limiter = RateLimiter(self._limiter.rate)

    def deliver_inbound(
        self, payload: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Deliver an inbound SMS/MMS to the registered webhooks (see ``/_sandbox/inbound``)."""
        return self.run(self.inbound({**(payload or {}), **fields}))

    async def inbound(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await deliver_inbound(self.store, payload, service_number=self.service_number)

    # -- in-process use ----------------------------------------------------------------------

    def transport(self):
        """An ``httpx.BaseTransport`` that answers from this sandbox without a socket."""
        from ptdata.sandbox.transport import SandboxTransport

        return SandboxTransport(self)

    def async_transport(self):
        """An ``httpx.AsyncBaseTransport`` for ``httpx.AsyncClient``."""
        from ptdata.sandbox.transport import AsyncSandboxTransport

        return AsyncSandboxTransport(self)

    @property
    def app(self):
        """The ASGI application (for uvicorn or any ASGI server)."""
        from ptdata.sandbox.asgi import SandboxApp

        return SandboxApp(self)

    def run(self, coro):
        """Run a coroutine on the sandbox's private event loop (for the sync transport)."""
        from ptdata.sandbox.transport import LoopThread

        with self._loop_lock:
            if self._loop_thread is None:
                self._loop_thread = LoopThread()
        return self._loop_thread.run(coro)

    def close(self) -> None:
        """Stop the private loop and close the database."""
        self.closing.set()
        with self._loop_lock:
            if self._loop_thread is not None:
                self._loop_thread.stop()
                self._loop_thread = None
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def stall(self, seconds: float) -> None:
        """Sleep ``seconds``, waking early when the sandbox closes."""
        deadline = time.monotonic() + seconds
        while not self.closing.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))

    # -- the one handler ---------------------------------------------------------------------

    async def handle(
        self, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Reply:
        """Answer one HTTP request (headers as lower-case ``(name, value)`` byte pairs)."""
        method = method.upper()
        if path.startswith("/_sandbox"):
            try:
                from ptdata.sandbox.control import control

                return await control(self, method, path, query, body)
            except Exception:  # a bug must not take the server down
                logger.exception("sandbox control route %s %s failed", method, path)
                return json_reply(500, {"error": "sandbox internal error; see its log"})
        started = time.perf_counter()
        seq = self.store.log_request(_now_iso(), method, path)
        state: dict[str, Any] = {"op": None, "record": {}, "fault": None}
        try:
            reply = await self._api(method, path, query, headers, body, state)
        except Exception:
            logger.exception("sandbox failed on %s %s", method, path)
            reply = json_reply(500, error_envelope(500, "sandbox internal error; see its log"))
        status = {"drop": "dropped", "drop_before": "dropped", "stall": "stalled"}.get(
            reply.fault or "", str(reply.status)
        )
        op: Operation | None = state["op"]
        self.store.finish_request(
            seq,
            operation=op.op_id if op else None,
            record=state["record"],
            status=status,
            fault=state["fault"],
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return reply

    async def _api(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        state: dict[str, Any],
    ) -> Reply:
        hdrs = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
        content_type = hdrs.get("content-type", "")
        state["record"] = {"content_type": content_type or None}
        if query:
            state["record"]["query"] = query

        if self._limiter is not None:
            retry = self._limiter.admit()
            if retry is not None:
                return await self._finish(
                    json_reply(
                        429,
                        error_envelope(
                            429,
                            f"rate limit of {self._limiter.rate:g} requests "
                            f"per second exceeded; retry after {retry} s",
                        ),
                        {"Retry-After": str(retry)},
                    )
                )

        key = hdrs.get("apikey", "")
        if not key.strip():
            return await self._finish(
                json_reply(
                    401,
                    error_envelope(
                        401, "missing ApiKey header; make a key in the Power Textor web app"
                    ),
                )
            )
        if self._api_key is not None and not hmac.compare_digest(
            key.encode("utf-8", "replace"), self._api_key.encode("utf-8")
        ):
            return await self._finish(
                json_reply(401, error_envelope(401, "the ApiKey is not valid (wrong or expired)"))
            )

        op, params = route(method, path)
        if op is None:
            if params is not None:  # the path exists with another method
                return await self._finish(
                    json_reply(
                        405,
                        error_envelope(
                            405, f"{method} is not allowed on {path}; use {params['allowed']}"
                        ),
                    )
                )
            return await self._finish(
                json_reply(
                    404, error_envelope(404, f"no Power Textor operation at {method} {path}")
                )
            )
        state["op"] = op

        parsed = None
        if op.encoding != "none":
            parsed = await parse_body(content_type, body, headers)
            state["record"].update(parsed.record())

        fault: Fault | None = None
        if op.method == "POST" and (op.is_message or op.action == "contact"):
            fault = self._faults.next()
            state["fault"] = fault.text if fault else None
        if fault is not None and not fault.after_acting:
            return await self._finish(self._refusal(fault, op))

        try:
            values: dict[str, Any] = {}
            if parsed is not None:
                values = check_fields(op, fields_from_body(op, parsed, content_type))
            outcome = self.actions.run(op, values, now=datetime.now(UTC), path_params=params)
            data = _as_account(outcome.data, self.accounts.get(key.strip()))
            reply = json_reply(outcome.status, envelope(op, data), outcome.headers)
        except BadRequest as exc:
            reply = json_reply(exc.status, error_envelope(exc.status, exc.message, op))
        reply = await self._finish(reply)
        if fault is not None:
            reply = self._after(fault, op, reply)
        return reply

    async def _finish(self, reply: Reply) -> Reply:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return reply

    def _refusal(self, fault: Fault, op: Operation) -> Reply:
        if fault.kind == "rate_limit":
            secs = fault.seconds if fault.seconds is not None else 1.0
            shown = f"{secs:g}"
            return json_reply(
                429,
                error_envelope(429, f"rate limited (injected); retry after {shown} s"),
                {"Retry-After": shown},
            )
        if fault.kind == "success_false":
            return json_reply(
                200,
                {
                    "Success": False,
                    "Error": {
                        "Status": "Failed",
                        "Message": "the message could not be sent (injected)",
                    },
                    "Data": None,
                },
            )
        if fault.kind == "drop_before":
            reply = json_reply(200, envelope(op, None))
            reply.fault = "drop_before"
            return reply
        status = fault.status or 400
        return json_reply(status, error_envelope(status, f"injected HTTP {status}", op))

    def _after(self, fault: Fault, op: Operation, reply: Reply) -> Reply:
        if fault.kind == "status":
            status = fault.status or 500
            return json_reply(status, error_envelope(status, f"injected HTTP {status}", op))
        if fault.kind == "non_json":
            return Reply(200, _HTML, [("content-type", "text/html; charset=utf-8")])
        if fault.kind == "drop":
            reply.fault = "drop"
            return reply
        if fault.kind == "stall":
            reply.fault = "stall"
            reply.stall_seconds = fault.seconds if fault.seconds is not None else self.stall_seconds
            return reply
        return reply
