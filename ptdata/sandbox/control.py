"""The sandbox-only routes under ``/_sandbox/``: look inside, inject faults, deliver inbound.

======  ======================  ===========================================================
GET     /_sandbox/health        ``{"ok": true, "counts": {...}, "options": {...}}``
GET     /_sandbox/requests      every API request, in order (``?since=SEQ`` for the newer)
DELETE  /_sandbox/requests      forget them
GET     /_sandbox/messages      one row per recipient (``?campaign_id=``, ``?phone=``, ``?since=``)
GET     /_sandbox/campaigns     one row per accepted send
GET     /_sandbox/webhooks      registrations (ids and kinds; URLs withheld)
POST    /_sandbox/inbound       deliver an SMS/MMS payload (JSON of Twilio fields)
GET     /_sandbox/faults        the queued fault script
POST    /_sandbox/faults        queue faults: ``{"script": ["500", "drop", "429:2"]}`` or a list
DELETE  /_sandbox/faults        clear the queue
POST    /_sandbox/config        change options: ``{"latency": 0.3, "rate_limit": 20, ...}``
POST    /_sandbox/reset         back to the seeded state
======  ======================  ===========================================================

These answer plain JSON (not the Power Textor envelope), need no ApiKey, are not rate
limited or delayed, and are not recorded in ``/_sandbox/requests``.

A request record: ``{"seq", "received_at" (ISO UTC, µs), "method", "path", "operationId",
"status" (int, or "dropped"/"stalled"), "fault" (script entry or null), "duration_ms",
"content_type", and "json": {...} or "form": {...} + "files": [{"name", "filename", "size",
"content_type"}] (or "body_text" when unreadable), "query" when there was one}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ptdata.sandbox.replies import Reply, json_reply
from ptdata.sandbox.validate import BadRequest

if TYPE_CHECKING:
    from ptdata.sandbox.core import Sandbox

__all__ = ["control"]

_CONFIG_KEYS = (
    "latency",
    "rate_limit",
    "error_rate",
    "error_statuses",
    "drop_rate",
    "stall_rate",
    "stall_seconds",
    "seed",
)


def _json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc})") from None


def _int(params: dict[str, list[str]], name: str) -> int:
    value = params.get(name, ["0"])[-1]
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not a whole number") from None


async def control(sandbox: Sandbox, method: str, path: str, query: str, body: bytes) -> Reply:
    """Answer one ``/_sandbox/...`` request."""
    route = path.rstrip("/")
    params = parse_qs(query, keep_blank_values=True)
    try:
        handler = _ROUTES.get((method, route))
        if handler is None:
            known = sorted({p for _, p in _ROUTES})
            if any(p == route for _, p in _ROUTES):
                return json_reply(405, {"error": f"{method} is not allowed on {route}"})
            return json_reply(404, {"error": f"no sandbox route {method} {route}", "routes": known})
        status, payload = await handler(sandbox, params, body)
        return json_reply(status, payload)
    except BadRequest as exc:
        return json_reply(exc.status, {"error": exc.message})
    except ValueError as exc:  # option and fault-script errors
        return json_reply(400, {"error": str(exc)})


async def _health(sb: Sandbox, params, body):
    return 200, {"ok": True, "counts": sb.store.counts(), "options": sb.options()}


async def _requests(sb: Sandbox, params, body):
    return 200, sb.requests(since=_int(params, "since"))


async def _clear_requests(sb: Sandbox, params, body):
    sb.clear_requests()
    return 200, {"cleared": True}


async def _messages(sb: Sandbox, params, body):
    return 200, sb.messages(
        campaign_id=params.get("campaign_id", [None])[-1],
        phone=params.get("phone", [None])[-1],
        since=_int(params, "since"),
    )


async def _campaigns(sb: Sandbox, params, body):
    return 200, sb.campaigns()


async def _webhooks(sb: Sandbox, params, body):
    return 200, sb.webhooks()


async def _inbound(sb: Sandbox, params, body):
    payload = _json(body)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BadRequest("the inbound payload must be a JSON object of Twilio fields")
    return 200, await sb.inbound(payload)


async def _faults(sb: Sandbox, params, body):
    return 200, {"queued": sb.pending_faults()}


async def _script_faults(sb: Sandbox, params, body):
    payload = _json(body)
    entries = payload.get("script") if isinstance(payload, dict) else payload
    if not isinstance(entries, list) or not all(isinstance(e, (str, int)) for e in entries):
        raise BadRequest('send {"script": ["500", "drop", "429:2", ...]} or a JSON list')
    return 200, {"queued": sb.script_faults(entries)}


async def _clear_faults(sb: Sandbox, params, body):
    sb.clear_faults()
    return 200, {"queued": []}


async def _config(sb: Sandbox, params, body):
    payload = _json(body) or {}
    if not isinstance(payload, dict):
        raise BadRequest("send a JSON object of options")
    unknown = [k for k in payload if k not in _CONFIG_KEYS]
    if unknown:
        raise BadRequest(f"unknown option {unknown[0]!r}; options: {', '.join(_CONFIG_KEYS)}")
    return 200, sb.configure(**payload)


async def _reset(sb: Sandbox, params, body):
    sb.reset()
    return 200, {"reset": True}


_ROUTES = {
    ("GET", "/_sandbox/health"): _health,
    ("GET", "/_sandbox/requests"): _requests,
    ("DELETE", "/_sandbox/requests"): _clear_requests,
    ("GET", "/_sandbox/messages"): _messages,
    ("GET", "/_sandbox/campaigns"): _campaigns,
    ("GET", "/_sandbox/webhooks"): _webhooks,
    ("POST", "/_sandbox/inbound"): _inbound,
    ("GET", "/_sandbox/faults"): _faults,
    ("POST", "/_sandbox/faults"): _script_faults,
    ("DELETE", "/_sandbox/faults"): _clear_faults,
    ("POST", "/_sandbox/config"): _config,
    ("POST", "/_sandbox/reset"): _reset,
}
