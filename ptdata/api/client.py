"""``PowerTextor``: the HTTP client. Every call goes through one choke point, ``begin``.

>>> from ptdata import PowerTextor
>>> client = PowerTextor(api_key="...")              # or POWERTEXTOR_API_KEY
>>> client.operation("SendTextMessageToANumber", To="+14155550123", Body="Hi!")
Result(operation='SendTextMessageToANumber', status_code=200, ...)
>>> client.send_text("Hi!", number="+14155550123")   # the same, friendlier
CampaignResult(campaign_id=..., status='Sent', ...)

Retries follow the reliability rules: a POST is retried only when nothing reached the server
(connect failures, connect/pool timeouts, a 408 saying the server gave up waiting for the
request) or when the server answered 429 (after Retry-After,
capped by ``max_retry_after``). Read timeouts, dropped connections, a passed deadline once the
request had started to go out and 5xx on a POST raise at once with ``sent=True``: the server
may have acted, so repeating could text people twice. GET and DELETE are idempotent and are
also retried on those. All requests go through one ``httpx.Client`` (its connection pool, the
proxies named in the environment, its TLS set-up); ``ptdata.api.exchange`` holds each attempt
to an overall deadline and caps the size of a reply.
"""

from __future__ import annotations

import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from ptdata._version import __version__
from ptdata.api.errors import (
    ConnectError,
    PowerTextorError,
    RateLimitedError,
    RejectedError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    TransportError,
    UsageError,
)
from ptdata.api.exchange import DeadlineExceeded, Exchange, NoFreeConnection, ReplyTooLarge
from ptdata.api.friendly import FriendlyMethods
from ptdata.api.operations import get_operation
from ptdata.api.pricing import read_price
from ptdata.api.request import PreparedRequest, attachment_stream, build_request
from ptdata.api.results import Result, parse_response, scrub

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
                    f"max_retry_after={max_retry_after:g} s, "
                    "so ptdata stopped instead of sleeping. "
                    "Try again later or lower the rate.",
                    operation=exc.operation,
                    status_code=429,
                    retry_after=exc.retry_after,
                    status=exc.status,
                    server_message=exc.server_message,
                ) from exc
            return exc.retry_after
        return min(max_retry_after, backoff * 2 ** (attempt - 1) * (1 + rand()))
    nothing_sent = isinstance(exc, TransportError) and not exc.sent and exc.retryable
    # 408: the server says it gave up waiting for the request, so it did not act on it (a
    # server closing an idle connection may leave one ahead of the next reply)
    nothing_sent = nothing_sent or (isinstance(exc, RejectedError) and exc.status_code == 408)
    if nothing_sent or (idempotent and isinstance(exc, (TransportError, ServerError))):
        return backoff * 2 ** (attempt - 1) * (1 + rand())
    return None


class PowerTextor(FriendlyMethods):
    """A client for the Power Textor API: every connector action, safe retries, typed results.

    Args:
        api_key: the ApiKey; default ``POWERTEXTOR_API_KEY``.
        base_url: default ``POWERTEXTOR_BASE_URL``, else the real Power Textor host.
        timeout: seconds for connect/read/write/pool (a float or an ``httpx.Timeout``).
        deadline: the most seconds one attempt may take in all, however slowly the reply
            comes in (default: the connect plus the read timeout, the longest a server that
            answers at all should need).
        max_retries: retries for failures that are safe to retry (see the module doc).
        max_retry_after: the longest Retry-After (seconds) ptdata will wait on a 429.
        max_reply_bytes: a longer reply is refused (``ResponseError``) instead of read.
        transport: an httpx transport, e.g. the sandbox's in-process transport for tests.
        verify: check the server's TLS certificate against the usual CA bundle (True), or
            an ``ssl.SSLContext`` (e.g. with a company proxy's CA loaded).
        max_connections: connections kept open to the server (requests in flight at once).
        price_per_segment: what one segment costs you, in dollars (default
            ``POWERTEXTOR_PRICE_PER_SEGMENT``; none: no cost estimates are shown).

    Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), as
    httpx reads them; redirects are never followed, so the key stays with ``base_url``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        deadline: float | None = None,
        max_retries: int = 3,
        max_retry_after: float = 120.0,
        max_reply_bytes: int = 64 * 1024 * 1024,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_connections: int = 32,
        verify: bool | ssl.SSLContext = True,
        price_per_segment: Any = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("POWERTEXTOR_API_KEY")
        if key is None:
            raise UsageError(
                "no Power Textor API key: pass api_key=... or set POWERTEXTOR_API_KEY "
                "(make a key in the Power Textor web app; the sandbox accepts any key)"
            )
        key = key.strip()  # a newline or space pasted along with it
        if not key:
            raise UsageError(
                "no Power Textor API key: the key given is blank (empty or only spaces); pass "
                "api_key=... or set POWERTEXTOR_API_KEY to the key from the Power Textor web app"
            )
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
        if deadline is None:
            parts = [t for t in (self.timeout.connect, self.timeout.read) if t is not None]
            deadline = sum(parts) if parts else None
        self.deadline = deadline
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.max_reply_bytes = max_reply_bytes
        self._sleep = sleep
        # httpx's own transport says (through its trace events) when a request starts to go out
        self._traced = transport is None or isinstance(transport, httpx.HTTPTransport)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
            follow_redirects=False,
            transport=transport,
            verify=httpx.create_ssl_context(verify=verify),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": f"ptdata/{__version__}", "Accept": "application/json"},
        )
        self._slots = threading.BoundedSemaphore(max_connections)
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

    def key_fingerprint(self, salt: bytes) -> str:
        """A salted HMAC of the API key: tells two keys apart without revealing either."""
        import hashlib
        import hmac

        return hmac.new(salt, self._key.reveal().encode("utf-8"), hashlib.sha256).hexdigest()

    def __getstate__(self):
        raise TypeError("PowerTextor clients cannot be pickled (they hold the API key)")

    # -- the contract ------------------------------------------------------------------------

    def operation(self, op_id: str, /, **fields: Any) -> Result:
        """Send any connector action by its spec operationId with the spec's field names.

        >>> client.operation("SendTextMessageToMultipleContacts",
        ...                  To=["+14155550101"], Body="Hi", ReplySTOPToOptOut=True)
        Result(operation='SendTextMessageToMultipleContacts', status_code=200, ...)
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
        """Start sending the request now; returns the function that waits for the Result.

        ``client.begin(req)()`` is ``client.send_prepared(req)``; in between, the caller may do
        other work while the request goes out and the server thinks (a bulk run sleeps until
        its next paced slot). The returned function makes the retries of ``send_prepared``
        and raises what they could not fix. The reply is read whether or not it is called.
        """
        exchange = self._start(req)

        def result() -> Result:
            nonlocal exchange
            attempt = 1
            while True:
                try:
                    return self._finish(req, exchange, attempt)
                except PowerTextorError as exc:
                    attempt = self._retry_or_raise(req, exc, attempt, before_retry)
                exchange = self._start(req)

        return result

    def _retry_or_raise(self, req, exc: PowerTextorError, attempt: int, before_retry) -> int:
        """Wait for the retry ``exc`` allows (then ``before_retry``), or raise it; the next
        attempt."""
        exc.attempts = attempt
        delay = retry_delay(
            exc,
            attempt,
            method=req.method,
            max_retries=self.max_retries,
            max_retry_after=self.max_retry_after,
        )
        if delay is None:
            raise exc
        logger.info(
            "%s: %s; retrying in %.2f s (attempt %d)",
            req.operation.op_id,
            type(exc).__name__,
            delay,
            attempt + 1,
        )
        self._sleep(delay)
        if before_retry is not None:
            before_retry()
        return attempt + 1

    def _start(self, req: PreparedRequest) -> Exchange:
        """The one place where requests go out: one attempt of ``req``, under way."""
        if self._http.is_closed:
            raise UsageError("this PowerTextor client has been closed; make a new one")
        files = None
        if req.files:  # a fresh stream for each attempt
            files = {k: attachment_stream(v) for k, v in req.files.items()}
        request = self._http.build_request(
            req.method,
            req.path,
            json=req.json,
            data=req.data,
            files=files,
            headers={"ApiKey": self._key.reveal()},
        )
        return Exchange(
            self._http,
            request,
            deadline=self.deadline,
            max_bytes=self.max_reply_bytes,
            traced=self._traced,
            slots=self._slots,
            pool_timeout=self.timeout.pool,
        )

    def _finish(self, req: PreparedRequest, exchange: Exchange, attempt: int) -> Result:
        """The Result of one attempt, or the failure as one of ptdata's exceptions."""
        started = time.perf_counter()
        try:
            status_code, headers, content = exchange.wait()
        except (httpx.HTTPError, DeadlineExceeded, NoFreeConnection, ReplyTooLarge) as exc:
            failure = self._translate(exc, req.operation.op_id)
        else:
            logger.debug(
                "%s %s -> %s in %.3f s",
                req.method,
                req.path,
                status_code,
                time.perf_counter() - started,
            )
            return parse_response(
                req.operation,
                status_code,
                content,
                headers,
                attempts=attempt,
                secret=self._key.reveal(),
            )
        raise failure  # outside the except: no httpx error (holding the request) chained to it

    def _translate(self, exc: Exception, name: str) -> PowerTextorError:
        """The one place where a failure to complete an exchange becomes ptdata's exception."""
        if isinstance(exc, DeadlineExceeded):
            if not exc.sent:
                return RequestTimeoutError(
                    f"{name}: could not start sending within the {exc.deadline:g} s deadline "
                    "(waiting for a connection); nothing was sent",
                    operation=name,
                    phase="deadline",
                    sent=False,
                )
            return RequestTimeoutError(
                f"{name}: no complete reply within the {exc.deadline:g} s deadline; the server "
                "may have acted on the request",
                operation=name,
                phase="deadline",
                sent=True,
            )
        if isinstance(exc, ReplyTooLarge):
            return ResponseError(
                f"{name}: the reply (HTTP {exc.status_code}) is larger than {exc.limit} bytes "
                "(max_reply_bytes), so it was not read; the server may have acted on the request",
                operation=name,
                status_code=exc.status_code,
            )
        if isinstance(exc, httpx.ConnectTimeout):
            return RequestTimeoutError(
                f"{name}: timed out connecting to {self.base_url}", operation=name, phase="connect"
            )
        if isinstance(exc, (NoFreeConnection, httpx.PoolTimeout)):
            return RequestTimeoutError(
                f"{name}: no free connection in time (pool timeout)", operation=name, phase="pool"
            )
        if isinstance(exc, httpx.WriteTimeout):
            return RequestTimeoutError(
                f"{name}: timed out sending the request; the server may have received it",
                operation=name,
                phase="write",
            )
        if isinstance(exc, httpx.ReadTimeout):
            return RequestTimeoutError(
                f"{name}: no reply within {self.timeout.read} s; the "
                "server may have acted on the request",
                operation=name,
                phase="read",
            )
        if isinstance(exc, httpx.ConnectError):
            bad_cert = _cause(exc, ssl.SSLCertVerificationError)
            if bad_cert is not None:  # waiting will not fix it
                return ConnectError(
                    f"{name}: cannot connect to {self.base_url}: certificate verification "
                    f"failed ({bad_cert.verify_message or bad_cert}); not retried. Check the "
                    "base URL, or pass verify=ssl.create_default_context(cafile=...) with "
                    "your network's CA",
                    operation=name,
                    retryable=False,
                )
            return ConnectError(
                f"{name}: cannot connect to {self.base_url} ({self._reason(exc)})", operation=name
            )
        if isinstance(exc, httpx.LocalProtocolError):  # refused before anything went out
            # its own words may quote the refused value, which may be the key: not repeated
            return UsageError(
                f"{name}: the request cannot be sent as built (a header value "
                "has a line break or a character outside Latin-1)"
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return TransportError(
                f"{name}: the connection broke before a reply "
                f"({self._reason(exc)}); the server may have acted on the "
                "request",
                operation=name,
                sent=True,
            )
        return TransportError(
            f"{name}: HTTP failure ({type(exc).__name__}); the server may "
            "have acted on the request",
            operation=name,
            sent=True,
        )

    def _reason(self, exc: Exception) -> str:
        """An httpx error's own words, which may quote what the server sent: without the key."""
        text = str(exc) or type(exc).__name__
        return scrub(text, self._key.reveal())[:200]

    # -- cached look-ups used to resolve names to ids ----------------------------------------

    def _cached(self, key: str, load: Callable[[], Any], refresh: bool) -> Any:
        with self._cache_lock:
            if not refresh and key in self._cache:
                return self._cache[key]
        value = load()
        with self._cache_lock:
            self._cache[key] = value
        return value


def _cause(exc: BaseException | None, kind: type[_E]) -> _E | None:
    """The first ``kind`` in the chain of causes/contexts behind ``exc``, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
