"""One exception family for everything that can go wrong talking to Power Textor.

::

    PowerTextorError                 root: catch this to catch them all
    ├── UsageError                   bad arguments, caught before anything is sent
    ├── TransportError               the request could not be completed
    │   ├── ConnectError             nothing reached the server (safe to retry)
    │   ├── TimeoutError_            connect, read or pool timeout
    │   └── ResponseError            the server answered something unreadable (not JSON, cut off)
    └── APIError                     the server answered and said no
        ├── AuthenticationError      401/403: wrong, expired or missing ApiKey
        ├── RateLimitedError         429: carries ``retry_after`` seconds
        ├── ServerError              5xx: the server may or may not have acted
        └── RejectedError            400 or ``Success: false``: carries ``status`` and ``message``

``TransportError.sent`` tells whether the request may have reached the server: for a POST that
sends messages, ``sent=True`` means the outcome is unknown and the POST must not be repeated
automatically (see DESIGN's reliability rule 1). Every httpx error is translated in exactly one
place (``ptdata.api.client``), so no httpx exception escapes.
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConnectError",
    "PowerTextorError",
    "RateLimitedError",
    "RejectedError",
    "ResponseError",
    "ServerError",
    "TimeoutError_",
    "TransportError",
    "UsageError",
]


class PowerTextorError(Exception):
    """Root of every error ptdata raises about Power Textor calls."""

    #: operationId of the call that failed, when there was one.
    operation: str | None = None
    #: how many times the request was sent (or tried) before this error was raised.
    attempts: int = 1

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation


class UsageError(PowerTextorError, ValueError):
    """The call was wrong before anything was sent: a missing field, a naive datetime, ..."""


class TransportError(PowerTextorError):
    """The request did not complete; ``sent`` says whether the server may have received it.

    ``retryable`` is False when waiting cannot help (a certificate that fails verification).
    """

    sent: bool = True
    retryable: bool = True

    def __init__(self, message: str, *, operation: str | None = None, sent: bool = True) -> None:
        super().__init__(message, operation=operation)
        self.sent = sent


class ConnectError(TransportError):
    """Could not connect: nothing was sent, so a retry cannot send anything twice."""

    def __init__(self, message: str, *, operation: str | None = None,
                 retryable: bool = True) -> None:
        super().__init__(message, operation=operation, sent=False)
        self.retryable = retryable


class TimeoutError_(TransportError):  # noqa: N801 - avoid shadowing the builtin TimeoutError
    """A timeout. ``phase`` is ``connect``, ``pool`` (nothing sent), ``write`` or ``read``."""

    def __init__(self, message: str, *, operation: str | None = None, phase: str = "read") -> None:
        super().__init__(message, operation=operation, sent=phase not in ("connect", "pool"))
        self.phase = phase


class ResponseError(TransportError):
    """The server answered, but not with a readable Power Textor envelope."""

    def __init__(
        self, message: str, *, operation: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message, operation=operation, sent=True)
        self.status_code = status_code


class APIError(PowerTextorError):
    """The server answered and refused; ``status_code`` is the HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status_code: int | None = None,
        status: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code
        #: ``Error.Status`` from the envelope, when the server sent one.
        self.status = status
        #: ``Error.Message`` (or the plain-text body) from the server.
        self.server_message = server_message


class AuthenticationError(APIError):
    """401/403: the ApiKey is missing, wrong or expired. Make a new key in the Power Textor app."""


class RateLimitedError(APIError):
    """429: too many requests. ``retry_after`` is the wait the server asked for, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed. For a send, it may still have acted: the outcome is unknown."""


class RejectedError(APIError):
    """400, or HTTP 200 with ``Success: false``: the server understood and said no."""
