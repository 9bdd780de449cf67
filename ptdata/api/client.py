"""``PowerTextor``: the HTTP client. Every call goes through one choke point, ``_start``.

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

import json
import logging
import os
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

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
from ptdata.api.pricing import read_price
from ptdata.api.request import PreparedRequest, attachment_stream, build_request
from ptdata.api.results import Result, parse_response
from ptdata.api.wire import Wire

__all__ = ["DEFAULT_BASE_URL", "PowerTextor", "retry_delay"]

DEFAULT_BASE_URL = "https://connectorservices.powertextor.com"
_E = TypeVar("_E", bound=BaseException)
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
    nothing_sent = isinstance(exc, TransportError) and not exc.sent and exc.retryable
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
        price_per_segment: what one segment costs you, in dollars (default
            ``POWERTEXTOR_PRICE_PER_SEGMENT``; none: no cost estimates are shown).

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
        price_per_segment: Any = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("POWERTEXTOR_API_KEY")
        if not key:
            raise UsageError(
                "no Power Textor API key: pass api_key=... or set POWERTEXTOR_API_KEY "
                "(make a key in the Power Textor web app; the sandbox accepts any key)"
            )
        key = key.strip()  # a newline or space pasted along with it
        if not key.isascii() or not key.isprintable():
            raise UsageError(
                "the API key has a line break or a character that is not plain ASCII in it "
                "(pasted along with it?); copy it again from the Power Textor web app"
            )
        self._key = _Secret(key)
        self.price_per_segment = read_price(price_per_segment)
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
        self._routes: dict[str, tuple[httpx.URL, httpx.BaseTransport | None, str]] = {}
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
        return self.begin(req, before_retry=before_retry)()

    def begin(
        self, req: PreparedRequest, *, before_retry: Callable[[], None] | None = None
    ) -> Callable[[], Result]:
        """Send the request now; returns the function that waits for the reply and gives the Result.

        ``client.begin(req)()`` is ``client.send_prepared(req)``; in between, the caller may do
        other work while the server thinks (a bulk run sleeps until its next paced slot, so
        one wake-up serves the reply of one call and the sending of the next). Retries are
        those of ``send_prepared``: a failure to connect is retried before ``begin`` returns,
        a 429 when the reply is awaited. Always call the returned function: the connection
        is held until then.
        """
        attempt = 1
        finish = self._start_retrying(req, attempt, before_retry)

        def result() -> Result:
            nonlocal attempt, finish
            while True:
                try:
                    return finish()
                except PowerTextorError as exc:
                    attempt = self._retry_or_raise(req, exc, attempt, before_retry)
                finish = self._start_retrying(req, attempt, before_retry)

        return result

    def _start_retrying(self, req, attempt, before_retry) -> Callable[[], Result]:
        while True:
            try:
                return self._start(req, attempt)
            except PowerTextorError as exc:
                attempt = self._retry_or_raise(req, exc, attempt, before_retry)

    def _retry_or_raise(self, req, exc: PowerTextorError, attempt: int, before_retry) -> int:
        """Wait for the retry ``exc`` allows (then ``before_retry``), or raise it; the next attempt."""
        exc.attempts = attempt  # type: ignore[attr-defined]
        delay = retry_delay(exc, attempt, method=req.method, max_retries=self.max_retries,
                            max_retry_after=self.max_retry_after)
        if delay is None:
            raise exc
        logger.info("%s: %s; retrying in %.2f s (attempt %d)",
                    req.operation.op_id, type(exc).__name__, delay, attempt + 1)
        self._sleep(delay)
        if before_retry is not None:
            before_retry()
        return attempt + 1

    def _start(self, req: PreparedRequest, attempt: int) -> Callable[[], Result]:
        """The one place where requests go out: sends ``req``, returns what awaits the reply.

        Transport failures of either phase are translated by ``_translate``.
        """
        if self._http.is_closed:
            raise UsageError("this PowerTextor client has been closed; make a new one")
        name = req.operation.op_id
        started = time.perf_counter()

        def reply(status_code: int, headers: dict[str, str], content: bytes) -> Result:
            logger.debug("%s %s -> %s in %.3f s", req.method, req.path, status_code,
                         time.perf_counter() - started)
            return parse_response(req.operation, status_code, content, headers, attempts=attempt)

        if self._wire is not None and req.data is None and not req.files:
            try:
                exchange = self._wire.start(req.method, self._route(req.path)[2],
                                            *self._wire_body(req))
            except httpx.HTTPError as exc:
                raise self._translate(exc, name) from None

            def finish() -> Result:
                try:
                    status_code, pairs, content = exchange.finish()
                except httpx.HTTPError as exc:
                    raise self._translate(exc, name) from None
                return reply(status_code, {k.lower(): v for k, v in pairs}, content)

            return finish
        files = None
        if req.files:
            files = {k: attachment_stream(v) for k, v in req.files.items()}
        try:
            response = self._exchange_httpx(req, files)
            try:
                content = response.read()
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise self._translate(exc, name) from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        return lambda: reply(response.status_code, headers, content)

    def _translate(self, exc: httpx.HTTPError, name: str) -> PowerTextorError:
        """An httpx failure (raised by httpx, or by ``Wire`` for the same phase) as ptdata's."""
        if isinstance(exc, httpx.ConnectTimeout):
            return TimeoutError_(f"{name}: timed out connecting to {self.base_url}",
                                 operation=name, phase="connect")
        if isinstance(exc, httpx.PoolTimeout):
            return TimeoutError_(f"{name}: no free connection in time (pool timeout)",
                                 operation=name, phase="pool")
        if isinstance(exc, httpx.WriteTimeout):
            return TimeoutError_(f"{name}: timed out sending the request; the server may have "
                                 "received it", operation=name, phase="write")
        if isinstance(exc, httpx.ReadTimeout):
            return TimeoutError_(f"{name}: no reply within {self.timeout.read} s; the server "
                                 "may have acted on the request", operation=name, phase="read")
        if isinstance(exc, httpx.LocalProtocolError):  # refused before anything went out
            # h11's own words quote the refused value, which may be the key: not repeated
            return UsageError(f"{name}: the request cannot be sent as built (a header value "
                              "has a line break or a character outside Latin-1)")
        if isinstance(exc, httpx.ConnectError):
            bad_cert = _cause(exc, ssl.SSLCertVerificationError)
            if bad_cert is not None:  # waiting will not fix it
                return ConnectError(
                    f"{name}: cannot connect to {self.base_url}: certificate verification "
                    f"failed ({bad_cert.verify_message or bad_cert}); not retried. Check the "
                    "base URL, or pass verify=ssl.create_default_context(cafile=...) with "
                    "your network's CA", operation=name, retryable=False)
            return ConnectError(f"{name}: cannot connect to {self.base_url} ({_reason(exc)})",
                                operation=name)
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return TransportError(f"{name}: the connection broke before a reply "
                                  f"({_reason(exc)}); the server may have acted on the request",
                                  operation=name, sent=True)
        return TransportError(f"{name}: HTTP failure ({type(exc).__name__})", operation=name,
                              sent=True)

    def _route(self, path: str) -> tuple[httpx.URL, httpx.BaseTransport | None, str]:
        """For ``path`` under the base URL: its URL, the httpx transport that serves it (None:
        this httpx has no look-up, go the public way) and the request target, percent-encoded
        as httpx would; cached per path."""
        route = self._routes.get(path)
        if route is None:
            url = httpx.URL(self.base_url + "/" + path.lstrip("/"))
            transport = None
            lookup = getattr(self._http, "_transport_for_url", None)  # private in httpx
            if lookup is not None:
                try:
                    transport = lookup(url)
                except Exception:  # noqa: BLE001 - another httpx: take the public way
                    transport = None
            route = (url, transport, url.raw_path.decode("ascii"))
            if len(self._routes) > 256:  # paths with ids in them: keep the cache small
                self._routes.clear()
            self._routes[path] = route
        return route

    def _wire_body(self, req: PreparedRequest) -> tuple[bytes | None, dict[str, str]]:
        headers = {**self._wire_headers, "ApiKey": self._key.reveal()}
        if req.json is not None:  # encoded as httpx does: compact UTF-8
            headers["Content-Type"] = "application/json"
            return json.dumps(req.json, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False).encode("utf-8"), headers
        return (b"" if req.method in ("POST", "PUT", "PATCH") else None), headers

    def _exchange_httpx(self, req: PreparedRequest, files: dict | None) -> httpx.Response:
        """One HTTP exchange, straight to the connection pool (or proxy) ``self._http`` uses.

        ``httpx.Client.request`` spends about as much CPU on layers ptdata does not use
        (cookies, auth, redirect handling, merging the URL with the base URL) as on the
        exchange itself; a bulk send makes thousands of calls, so the request is built here
        with the client's headers and timeout and handed to the client's transport.
        """
        url, transport, _ = self._route(req.path)
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


def _cause(exc: BaseException | None, kind: type[_E]) -> _E | None:
    """The first ``kind`` in the chain of causes/contexts behind ``exc``, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
