"""``PowerTextor``: the HTTP client. Every call goes through one choke point, ``_send``.

>>> from ptdata import PowerTextor
>>> client = PowerTextor(api_key="...")              # or POWERTEXTOR_API_KEY
>>> client.operation("SendTextMessageToANumber", To="+14155550123", Body="Hi!")
>>> client.send_text("Hi!", number="+14155550123")   # the same, friendlier

Retries follow the reliability rules: a POST is retried only when nothing reached the server
(connect failures, connect/pool timeouts) or when the server answered 429 (after Retry-After,
capped by ``max_retry_after``). Read timeouts, dropped connections and 5xx on a POST raise at
once with ``sent=True``: the server may have acted, so repeating could text people twice.
GET and DELETE are idempotent and are also retried on those.
"""

from __future__ import annotations

import logging
import os
import json
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx

from ptdata import __version__
from ptdata.api.errors import (
    ConnectError,
    PowerTextorError,
    RateLimitedError,
    ServerError,
    TimeoutError_,
    TransportError,
    UsageError,
)
from ptdata.api.friendly import FriendlyMethods
from ptdata.api.operations import get_operation
from ptdata.api.request import PreparedRequest, attachment_stream, build_request
from ptdata.api.results import Result, parse_response
from ptdata.api.wire import Wire

__all__ = ["DEFAULT_BASE_URL", "PowerTextor", "retry_delay"]

DEFAULT_BASE_URL = "https://connectorservices.powertextor.com"
logger = logging.getLogger("ptdata.api")


class _Secret:
    """Holds the API key; prints as ``'***'`` wherever it ends up."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __reduce__(self):  # never pickle the key into a file by accident
        raise TypeError("the API key cannot be pickled")


def retry_delay(
    exc: PowerTextorError,
    attempt: int,
    *,
    method: str,
    max_retries: int,
    max_retry_after: float,
    backoff: float = 0.5,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up (pure).

    ``attempt`` counts attempts made so far (1 after the first). Raises RateLimitedError when
    the server asks for a wait longer than ``max_retry_after``: sleeping for hours in a batch
    job is never what the user wants.
    """
    if attempt > max_retries:
        return None
    idempotent = method in ("GET", "DELETE")
    if isinstance(exc, RateLimitedError):
        if exc.retry_after is not None:
            if exc.retry_after > max_retry_after:
                raise RateLimitedError(
                    f"{exc.message}; the server asked to wait {exc.retry_after:g} s, more than "
                    f"max_retry_after={max_retry_after:g} s, so ptdata stopped instead of sleeping. "
                    "Try again later or lower the rate.",
                    operation=exc.operation, status_code=429, retry_after=exc.retry_after,
                    status=exc.status, server_message=exc.server_message,
                ) from exc
            return exc.retry_after
        return min(max_retry_after, backoff * 2 ** (attempt - 1) * (1 + rand()))
    nothing_sent = isinstance(exc, TransportError) and not exc.sent
    if nothing_sent or (idempotent and isinstance(exc, (TransportError, ServerError))):
        return backoff * 2 ** (attempt - 1) * (1 + rand())
    return None


class PowerTextor(FriendlyMethods):
    """A client for the Power Textor API: every connector action, safe retries, typed results.

    Args:
        api_key: the ApiKey; default ``POWERTEXTOR_API_KEY``.
        base_url: default ``POWERTEXTOR_BASE_URL``, else the real Power Textor host.
        timeout: seconds for connect/read/write/pool (a float or an ``httpx.Timeout``).
        max_retries: retries for failures that are safe to retry (see the module doc).
        max_retry_after: the longest Retry-After (seconds) ptdata will wait on a 429.
        transport: an httpx transport, e.g. the sandbox's in-process transport for tests.
        verify: check the server's TLS certificate against the usual CA bundle (True), or
            an ``ssl.SSLContext`` (e.g. with a company proxy's CA loaded).
        max_connections: connections kept open to the server (requests in flight at once).

    JSON requests go over a lean keep-alive pool (``ptdata.api.wire``) unless a transport is
    given or a proxy is set in the environment (``HTTPS_PROXY``...): then, and for
    attachments, over httpx.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 3,
        max_retry_after: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_connections: int = 32,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("POWERTEXTOR_API_KEY")
        if not key:
            raise UsageError(
                "no Power Textor API key: pass api_key=... or set POWERTEXTOR_API_KEY "
                "(make a key in the Power Textor web app; the sandbox accepts any key)"
            )
        self._key = _Secret(key)
        url = base_url or os.environ.get("POWERTEXTOR_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise UsageError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        tls = httpx.create_ssl_context(verify=verify)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
            follow_redirects=False,
            transport=transport,
            verify=tls,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": f"ptdata/{__version__}", "Accept": "application/json"},
        )
        self._headers = dict(self._http.headers)  # User-Agent, Accept, Accept-Encoding, ...
        self._wire: Wire | None = None
        origin = httpx.URL(self.base_url)
        if transport is None and not _proxied(origin):
            self._wire = Wire(origin.scheme, origin.host, origin.port, timeout=self.timeout,
                              max_connections=max_connections, ssl_context=tls)
            self._wire_headers = {"User-Agent": self._headers["user-agent"],
                                  "Accept": "application/json"}
        self._timeout_ext = self.timeout.as_dict()
        self._routes: dict[str, tuple[httpx.URL, httpx.BaseTransport | None]] = {}
        self._targets: dict[str, str] = {}
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PowerTextor(base_url={self.base_url!r}, api_key='***')"

    def __enter__(self) -> PowerTextor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
        if self._wire is not None:
            self._wire.close()

    def __getstate__(self):
        raise TypeError("PowerTextor clients cannot be pickled (they hold the API key)")

    # -- the contract ------------------------------------------------------------------------

    def operation(self, op_id: str, /, **fields: Any) -> Result:
        """Send any connector action by its spec operationId with the spec's field names.

        >>> client.operation("SendTextMessageToMultipleContacts",
        ...                  To=["+14155550123"], Body="Hi", ReplySTOPToOptOut=True)
        """
        try:
            op = get_operation(op_id)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
        return self.send_prepared(build_request(op, fields))

    def send_prepared(
        self, req: PreparedRequest, *, before_retry: Callable[[], None] | None = None
    ) -> Result:
        """Send a request built by ``build_request``, with the safe retries described above.

        ``before_retry`` is called after the back-off wait and before each retry: a bulk
        run passes its rate limiter here so that retries take a paced slot too.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(req, attempt)
            except PowerTextorError as exc:
                exc.attempts = attempt  # type: ignore[attr-defined]
                delay = retry_delay(
                    exc, attempt, method=req.method, max_retries=self.max_retries,
                    max_retry_after=self.max_retry_after,
                )
                if delay is None:
                    raise
                logger.info(
                    "%s: %s; retrying in %.2f s (attempt %d)",
                    req.operation.op_id, type(exc).__name__, delay, attempt + 1,
                )
                self._sleep(delay)
                if before_retry is not None:
                    before_retry()

    def _send(self, req: PreparedRequest, attempt: int) -> Result:
        """The one place where requests go out and transport failures are translated."""
        name = req.operation.op_id
        files = None
        if req.files:
            files = {k: attachment_stream(v) for k, v in req.files.items()}
        started = time.perf_counter()
        try:
            status_code, headers, content = self._exchange(req, files)
        except httpx.ConnectTimeout:
            raise TimeoutError_(f"{name}: timed out connecting to {self.base_url}", operation=name,
                                phase="connect") from None
        except httpx.PoolTimeout:
            raise TimeoutError_(f"{name}: no free connection in time (pool timeout)",
                                operation=name, phase="pool") from None
        except httpx.WriteTimeout:
            raise TimeoutError_(f"{name}: timed out sending the request; the server may have "
                                "received it", operation=name, phase="write") from None
        except httpx.ReadTimeout:
            raise TimeoutError_(f"{name}: no reply within {self.timeout.read} s; the server may "
                                "have acted on the request", operation=name, phase="read") from None
        except httpx.ConnectError as exc:
            raise ConnectError(f"{name}: cannot connect to {self.base_url} ({_reason(exc)})",
                               operation=name) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise TransportError(f"{name}: the connection broke before a reply "
                                 f"({_reason(exc)}); the server may have acted on the request",
                                 operation=name, sent=True) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"{name}: HTTP failure ({type(exc).__name__})", operation=name,
                                 sent=True) from None
        elapsed = time.perf_counter() - started
        logger.debug("%s %s -> %s in %.3f s", req.method, req.path, status_code, elapsed)
        return parse_response(req.operation, status_code, content, headers, attempts=attempt)

    def _exchange(
        self, req: PreparedRequest, files: dict | None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP exchange: status code, headers (lower-case names) and the whole body."""
        if self._http.is_closed:
            raise UsageError("this PowerTextor client has been closed; make a new one")
        if self._wire is not None and req.data is None and files is None:
            headers = {**self._wire_headers, "ApiKey": self._key.reveal()}
            body = None
            if req.json is not None:
                # as httpx encodes it: compact UTF-8
                body = json.dumps(req.json, ensure_ascii=False, separators=(",", ":"),
                                  allow_nan=False).encode("utf-8")
                headers["Content-Type"] = "application/json"
            elif req.method in ("POST", "PUT", "PATCH"):
                body = b""
            target = self._targets.get(req.path)
            if target is None:  # percent-encoded as httpx would
                url = httpx.URL(self.base_url + "/" + req.path.lstrip("/"))
                target = url.raw_path.decode("ascii")
                if len(self._targets) > 256:  # paths with ids in them: keep the cache small
                    self._targets.clear()
                self._targets[req.path] = target
            status, pairs, content = self._wire.exchange(req.method, target, body, headers)
            return status, {k.lower(): v for k, v in pairs}, content
        response = self._exchange_httpx(req, files)
        try:
            content = response.read()
        finally:
            response.close()
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}, content

    def _exchange_httpx(self, req: PreparedRequest, files: dict | None) -> httpx.Response:
        """One HTTP exchange, straight to the connection pool (or proxy) ``self._http`` uses.

        ``httpx.Client.request`` spends about as much CPU on layers ptdata does not use
        (cookies, auth, redirect handling, merging the URL with the base URL) as on the
        exchange itself; a bulk send makes thousands of calls, so the request is built here
        with the client's headers and timeout and handed to the client's transport.
        """
        if self._http.is_closed:
            raise UsageError("this PowerTextor client has been closed; make a new one")
        route = self._routes.get(req.path)
        if route is None:
            url = httpx.URL(self.base_url + "/" + req.path.lstrip("/"))
            transport = None
            lookup = getattr(self._http, "_transport_for_url", None)  # private in httpx
            if lookup is not None:
                try:
                    transport = lookup(url)
                except Exception:  # noqa: BLE001 - another httpx: take the public way below
                    transport = None
            route = (url, transport)
            if len(self._routes) > 256:  # paths with ids in them: keep the cache small
                self._routes.clear()
            self._routes[req.path] = route
        url, transport = route
        if transport is None:  # an httpx without the private look-up: the public way
            return self._http.request(req.method, url, json=req.json, data=req.data,
                                      files=files, headers={"ApiKey": self._key.reveal()})
        request = httpx.Request(
            req.method, url, json=req.json, data=req.data, files=files,
            headers={**self._headers, "ApiKey": self._key.reveal()},
            extensions={"timeout": self._timeout_ext},
        )
        return transport.handle_request(request)

    # -- cached look-ups used to resolve names to ids ----------------------------------------

    def _cached(self, key: str, load: Callable[[], Any], refresh: bool) -> Any:
        with self._cache_lock:
            if not refresh and key in self._cache:
                return self._cache[key]
        value = load()
        with self._cache_lock:
            self._cache[key] = value
        return value


def _proxied(url: httpx.URL) -> bool:
    """True when the environment names a proxy for this URL (then httpx takes the requests)."""
    proxies = urllib.request.getproxies()
    if not (proxies.get(url.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(url.host)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
