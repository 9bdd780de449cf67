"""Even pacing for API calls: one request every ``1 / rate`` seconds, slowed down by 429s.

A token bucket lets a whole second's worth of requests out at once and a sliding window
still shows more than the limit at the server when the network jitters. The generic cell
rate algorithm (GCRA) spaces requests evenly instead: each caller is given the next slot,
``1 / rate`` after the previous one, at the moment it asks - so callers held up by a slow
reply never catch up in a bunch. Aiming a little under the limit (``headroom=0.98``) keeps
every 1-second window at the server at or below the limit when some requests are delayed on
the way and others are not.

When the server answers 429 anyway, ``slow_down(retry_after)`` holds every caller back for
the time it asked and halves the pace; each success afterwards (``recover()``) brings the
pace back up by a step, to the configured rate at most.

>>> requests = [call.prepared() for call in plan.calls()]
>>> limiter = RateLimiter(5.0)          # at most 5 requests in any second
>>> for req in requests:
...     waited = limiter.acquire()      # blocks until this request's slot
...     result = client.send_prepared(req)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ptdata.api.errors import UsageError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Thread-safe GCRA limiter: ``acquire()`` blocks until the caller may send.

    Args:
        rate: the limit, in requests per second, never to be exceeded.
        burst: how many requests may go back to back after an idle spell (1 = even pacing).
        headroom: the fraction of ``rate`` actually aimed at (default 0.98), so that network
            jitter cannot squeeze ``rate + 1`` requests into one second at the server.
        clock, sleep: injectable for tests (monotonic seconds, and a sleep of seconds).
    """

    #: the slowest pace a run of 429s brings the limiter down to, as a fraction of ``rate``
    FLOOR = 1 / 16

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        headroom: float = 0.98,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(rate, (int, float)) or not rate > 0:
            raise UsageError(f"rate must be a positive number of requests per second, not {rate!r}")
        if not isinstance(burst, int) or burst < 1:
            raise UsageError(f"burst must be a whole number of at least 1, not {burst!r}")
        if not 0 < headroom <= 1:
            raise UsageError(f"headroom must be in (0, 1], not {headroom!r}")
        self.rate = float(rate)
        self.burst = burst
        self._best = 1.0 / (self.rate * headroom)
        #: seconds between two requests at the current pace (longer after 429s)
        self.interval = self._best
        self._clock = clock
        self._sleep = sleep
        #: the shortest gap between two requests that actually go out, a little over
        #: ``1 / rate``: a caller woken late never passes together with the next one on time,
        #: and ``rate + 1`` requests never fit in one second
        self._min_gap = 1.0 / (self.rate * (1 + headroom) / 2) if headroom < 1 else 1.0 / self.rate
        self._lock = threading.Lock()
        self._tat: float | None = None  # theoretical arrival time of the next request
        self._last: float | None = None  # when the previous caller actually went

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}/s, burst={self.burst})"

    @property
    def current_rate(self) -> float:
        """The pace aimed at now, in requests per second (under ``rate`` after 429s)."""
        return 1.0 / self.interval

    def reserve(self) -> float:
        """Book the next slot; how many seconds the caller must wait for it (pure GCRA)."""
        with self._lock:
            now = self._clock()
            tat = now if self._tat is None else max(self._tat, now)
            wait = max(0.0, tat - (self.burst - 1) * self.interval - now)
            self._tat = tat + self.interval
            return wait

    def acquire(self) -> float:
        """Wait for the next slot, then ``space``; returns the seconds waited.

        >>> limiter, req = RateLimiter(5.0), next(plan.calls()).prepared()
        >>> limiter.acquire(); client.send_prepared(req)
        0.0
        Result(operation=..., status_code=200, ...)
        """
        return self.pace() + self.space()

    def pace(self) -> float:
        """Wait for the next slot of the even pace; returns the seconds waited.

        For work between the slot and the request (a bulk run writes the call's intent to
        its history), followed by ``space`` right before the request goes.
        """
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def space(self) -> float:
        """Go no sooner than the shortest gap after the previous caller went; the seconds
        waited. Books no slot: work of varying length after ``pace`` (a disk write, a thread
        woken late) never brings two requests closer than the limit allows."""
        if self.burst > 1:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                gap = self._min_gap if self._last is None else now - self._last
                if gap >= self._min_gap - 1e-9:
                    self._last = now
                    return waited
                extra = self._min_gap - gap
            self._sleep(extra)
            waited += extra

    def slow_down(self, retry_after: float | None = None) -> None:
        """The server answered 429: hold every caller back ``retry_after`` s, halve the pace."""
        with self._lock:
            self.interval = min(self.interval * 2, self._best / self.FLOOR)
            now = self._clock()
            hold = now + (retry_after if retry_after is not None else self.interval)
            self._tat = max(self._tat or now, hold)

    def recover(self) -> None:
        """A call went through: bring the pace a step (1/16 of the rate) back towards ``rate``."""
        if self.interval == self._best:
            return
        with self._lock:
            faster = 1.0 / self.interval + (1.0 / self._best) * self.FLOOR
            self.interval = max(self._best, 1.0 / faster)
