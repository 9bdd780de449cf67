"""Find the operation for a method and path, from the operation table (no routes re-typed).

>>> route("POST", "/api/messages/SendSimple")[0].op_id
'SendTextMessageToANumber'
>>> route("DELETE", "/api/twilio/abc-123")[1]
{'RegistrationId': 'abc-123'}
"""

from __future__ import annotations

from urllib.parse import unquote

from ptdata.api.operations import OPERATIONS, Operation

__all__ = ["route"]


def _compile_routes() -> tuple[dict[tuple[str, str], Operation], list[tuple[str, str, Operation]]]:
    exact: dict[tuple[str, str], Operation] = {}
    templated: list[tuple[str, str, Operation]] = []
    for op in OPERATIONS:
        if "{" in op.path:
            prefix, _, rest = op.path.partition("{")
            templated.append((prefix, rest.split("}", 1)[0], op))
        else:
            exact[(op.method, op.path.lower())] = op
    return exact, templated


_EXACT, _TEMPLATED = _compile_routes()


def route(method: str, path: str) -> tuple[Operation | None, dict[str, str] | None]:
    """The operation for (method, path) and its path parameters.

    Returns (None, {"allowed": ...}) when the path exists with other methods, (None, None) when
    there is no such path. Paths match case-insensitively, as on the ASP.NET host.
    """
    clean = path.rstrip("/") or "/"
    key = clean.lower()
    op = _EXACT.get((method, key))
    if op is not None:
        return op, {}
    allowed = {m for (m, p) in _EXACT if p == key}
    for prefix, param, templ in _TEMPLATED:
        rest = clean[len(prefix) :] if key.startswith(prefix.lower()) else ""
        if rest and "/" not in rest:
            if templ.method == method:
                return templ, {param: unquote(rest)}
            allowed.add(templ.method)
    if allowed:
        return None, {"allowed": " or ".join(sorted(allowed))}
    return None, None
