"""What a webhook request may hold: its body read within limits, its payloads parsed and checked.

The listener stores only what ``load_inbound`` can read back exactly, so a request is refused
(``PayloadError``, answered 400) when its text is not valid Unicode (invalid UTF-8, or a JSON
``\\ud800`` escape that leaves a lone surrogate), when it nests deeper than ``max_depth`` or
holds more than ``max_fields`` fields in all. The body must arrive whole within
``read_timeout`` seconds (``TooSlow``, answered 408) and be at most ``max_body`` bytes
(``TooLarge``, answered 413).

>>> limits = Limits(max_depth=2)
>>> check_payloads([{"Body": "STOP", "Extra": {"a": [1]}}], limits)
Traceback (most recent call last):
...
ptdata.inbound.payloads.PayloadError: field Extra nests deeper than 2 levels (see --max-depth)
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from starlette.requests import Request

from ptdata._serving import DEFAULT_MAX_BODY, Limits
from ptdata.api.errors import PtdataError

__all__ = [
    "DEFAULT_MAX_BODY",
    "Limits",
    "PayloadError",
    "TooLarge",
    "TooSlow",
    "check_payloads",
    "parse_payloads",
    "read_body",
]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class PayloadError(PtdataError, ValueError):
    """The request is not a payload the dump can keep (answered 400, with this text)."""


class TooLarge(PtdataError):
    """The body is longer than ``max_body`` (answered 413)."""


class TooSlow(PtdataError):
    """The body did not arrive within ``read_timeout`` (answered 408)."""


async def read_body(request: Request, limits: Limits) -> bytes:
    """The whole body, refused when it is too big or arrives too slowly."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise PayloadError("bad Content-Length")
        if int(length) > limits.max_body:
            raise TooLarge
    chunks, size = [], 0
    try:
        async with asyncio.timeout(limits.read_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body:
                    raise TooLarge
                chunks.append(chunk)
    except TimeoutError:
        raise TooSlow from None
    return b"".join(chunks)


async def parse_payloads(request: Request, body: bytes, limits: Limits) -> list[dict]:
    """The posted fields, JSON (an object, or an array of them) or form-encoded (or
    multipart), exactly as sent; raises :class:`PayloadError` for anything else."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        ctype == "application/json"
        or ctype.endswith("+json")
        or (ctype not in _FORM_TYPES and body.lstrip()[:1] in (b"{", b"["))
    ):
        items = _json_payloads(body)
        check_payloads(items, limits)
        return items
    try:
        if ctype == "multipart/form-data":
            pairs = await _multipart(request, body, limits)
        else:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=limits.max_fields,
            )
    except UnicodeDecodeError:
        raise PayloadError("the form is not UTF-8 text") from None
    except ValueError as exc:  # "Max number of fields exceeded", or multipart's own
        if "fields" in str(exc):
            raise PayloadError(f"more than {limits.max_fields} fields (see --max-fields)") from None
        raise PayloadError(str(exc)) from None
    payload: dict = {}
    for key, value in pairs:
        if key in payload:
            prev = payload[key]
            payload[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            payload[key] = value
    return [payload]


def _json_payloads(body: bytes) -> list[dict]:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise PayloadError("the JSON nests too deeply (see --max-depth)") from None
    except UnicodeDecodeError:
        raise PayloadError("the JSON is not UTF-8 text") from None
    except ValueError as exc:
        raise PayloadError(f"unreadable JSON ({exc})") from None
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(p, dict) for p in items):
        raise PayloadError("the JSON body must be an object (or an array of objects)")
    return items


async def _multipart(request: Request, body: bytes, limits: Limits) -> list[tuple[str, str]]:
    from starlette.datastructures import UploadFile
    from starlette.exceptions import HTTPException
    from starlette.formparsers import MultiPartException

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        from starlette.requests import Request

        form = await Request(request.scope, replay).form(
            max_fields=limits.max_fields, max_files=limits.max_fields
        )
    except (MultiPartException, HTTPException) as exc:  # starlette raises either
        raise ValueError(
            getattr(exc, "detail", None) or getattr(exc, "message", str(exc))
        ) from None
    return [
        (k, (v.filename or "") if isinstance(v, UploadFile) else v) for k, v in form.multi_items()
    ]


def check_payloads(items: list[dict], limits: Limits) -> None:
    """Refuse payloads the dump could not give back exactly, or that are absurdly shaped:
    text with a lone surrogate, nesting past ``max_depth``, more than ``max_fields`` fields."""
    fields = 0
    for payload in items:
        todo: list[tuple[object, int, str | None]] = [(payload, 1, None)]
        while todo:
            value, depth, top = todo.pop()
            if isinstance(value, dict):
                if depth > limits.max_depth:
                    raise PayloadError(
                        f"field {_shown(top)} nests deeper than "
                        f"{limits.max_depth} levels (see --max-depth)"
                    )
                fields += len(value)
                for key, item in value.items():
                    name = top or key
                    _unicode(key, name)
                    todo.append((item, depth + 1, name))
            elif isinstance(value, list):
                if depth > limits.max_depth:
                    raise PayloadError(
                        f"field {_shown(top)} nests deeper than "
                        f"{limits.max_depth} levels (see --max-depth)"
                    )
                fields += len(value)
                todo.extend((item, depth + 1, top) for item in value)
            elif isinstance(value, str):
                _unicode(value, top)
            if fields > limits.max_fields:
                raise PayloadError(f"more than {limits.max_fields} fields (see --max-fields)")


def _shown(field: str | None) -> str:
    """A field name fit for a reply and a log line (escaped, cut short)."""
    text = (field or "").encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 40 else text[:37] + "..."


def _unicode(text: str, field: str | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        raise PayloadError(
            f"field {_shown(field)} holds a lone surrogate (\\u{code:04x}), which is not valid "
            "Unicode text: send UTF-8 text (an emoji is two \\u escapes, both halves)"
        ) from None
