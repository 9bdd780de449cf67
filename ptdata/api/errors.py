"""One exception family for everything ptdata raises on purpose: catch ``PtdataError``.

::

    PtdataError                      root: catch this to catch them all
    ├── SheetError (ValueError)      a sheet cannot be read as a table (ptdata.sheets)
    ├── TemplateError (ValueError)   a merge-field template is wrong (ptdata.sheets)
    ├── MessageTooLong (ValueError)  above the segment or character limit (ptdata.sheets)
    ├── InboundLoadError (ValueError) a dump cannot be read (ptdata.inbound)
    ├── ReportWriteError (OSError)   a report cannot be written, e.g. a full disk (ptdata.bulk)
    ├── HistoryFullError (OSError)   the send history's disk is full: the run stops (ptdata.bulk)
    └── PowerTextorError             using the client and calling Power Textor
        ├── UsageError (ValueError)  bad arguments, caught before anything is sent
        │   ├── InvalidRowsError     the sheet has rows that cannot be sent (ptdata.bulk)
        │   ├── CampaignChangedError kept for old code: campaigns no longer refuse a change
        │   ├── JobLockedError       another process is sending this campaign (ptdata.bulk)
        │   └── LedgerDamagedError   the send history is damaged: nothing is sent (ptdata.bulk)
        ├── TransportError           the request could not be completed
        │   ├── ConnectError         nothing reached the server (safe to retry)
        │   ├── RequestTimeoutError  connect, pool, read or overall-deadline timeout
        │   └── ResponseError        the server answered something unreadable (not JSON, cut
        │                            off, too large, a redirect)
        └── APIError                 the server answered and said no
            ├── AuthenticationError  401/403: wrong, expired or missing ApiKey
            ├── RateLimitedError     429: carries ``retry_after`` seconds
            ├── ServerError          5xx: the server may or may not have acted
            └── RejectedError        400 or ``Success: false``: carries ``status`` and ``message``

``UsageError`` sits under ``PowerTextorError`` so that ``except ptdata.PowerTextorError``
around a client call also catches a wrong argument. ``TransportError.sent`` tells whether the
request may have reached the server: for a POST that sends messages, ``sent=True`` means the
outcome is unknown and the POST must not be repeated automatically. Every httpx error is
translated in exactly one place (``ptdata.api.client``), so no httpx exception escapes.

>>> import ptdata
>>> issubclass(ptdata.SheetError, ptdata.PtdataError)
True
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConnectError",
    "PowerTextorError",
    "PtdataError",
    "RateLimitedError",
    "RejectedError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "TimeoutError_",
    "TransportError",
    "UsageError",
]


class PtdataError(Exception):
    """Root of every error ptdata raises on purpose."""


class PowerTextorError(PtdataError):
    """Using the client and calling Power Textor went wrong (API errors and bad arguments)."""

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

    def __init__(
        self, message: str, *, operation: str | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message, operation=operation, sent=False)
        self.retryable = retryable


class RequestTimeoutError(TransportError):
    """A timeout. ``phase`` is ``connect``, ``pool`` (nothing sent), ``write``, ``read`` or
    ``deadline`` (the whole exchange took longer than allowed; ``sent`` says whether any of
    the request had gone out)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        phase: str = "read",
        sent: bool | None = None,
    ) -> None:
        if sent is None:
            sent = phase not in ("connect", "pool")
        super().__init__(message, operation=operation, sent=sent)
        self.phase = phase


#: The earlier name of ``RequestTimeoutError``, kept so code written for it keeps working.
TimeoutError_ = RequestTimeoutError


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
