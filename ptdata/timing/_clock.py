"""The one place timing code asks what time it is: an injected ``now`` or the real clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from ptdata.api.errors import UsageError

__all__ = ["current_utc"]


def current_utc(now: datetime | Callable[[], datetime] | None = None) -> pd.Timestamp:
    """``now`` as a UTC Timestamp: an aware datetime, a clock callable, or None for the real clock.

    >>> current_utc(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    Timestamp('2026-12-03 15:00:00+0000', tz='UTC')
    """
    value = now() if callable(now) else now
    if value is None:
        value = datetime.now(UTC)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise UsageError(
            f"now={value!r} has no time zone; pass an aware datetime, e.g. "
            "datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)"
        )
    return stamp.tz_convert("UTC")
