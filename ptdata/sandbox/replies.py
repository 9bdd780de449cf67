"""What the sandbox answers: a status, headers, a body, and maybe a broken exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reply", "json_reply"]


@dataclass(slots=True)
class Reply:
    """What to answer: status, headers, body, and a transport-level fault (drop/stall)."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: "drop", "drop_before" or "stall": the ASGI app / transport breaks the exchange.
    fault: str | None = None
    stall_seconds: float = 0.0


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    try:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: escape it rather than fail
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    hdrs = [("content-type", "application/json; charset=utf-8")]
    hdrs += list((headers or {}).items())
    return Reply(status, body, hdrs)
