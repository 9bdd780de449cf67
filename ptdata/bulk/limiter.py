"""Even pacing for API calls: one request every ``1 / rate`` seconds, never a burst.

A token bucket lets a whole second's worth of requests out at once and a sliding window
still shows more than the limit at the server when the network jitters. The generic cell
rate algorithm (GCRA) spaces requests evenly instead; aiming a little under the limit
(``headroom=0.98``) keeps every 1-second window at the server at or below the limit even
when some requests are delayed on the way and others are not.

>>> limiter = RateLimiter(5.0)          # at most 5 requests in any second
>>> for call in calls:
...     limiter.acquire()               # blocks until this call's slot
...     client.send_prepared(call)

A bulk run does some work between its slot and its request (reads the previous reply, marks
the call in the ledger): it calls ``pace()`` for the slot, does the work, then ``space()``,
which only checks that the request does not go out closer than ``1 / rate`` after the
previous one.
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

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        headroom: float = 0.98,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise UsageError(f"rate must be a positive number of requests per second, not {rate!r}")
        if int(burst) < 1:
            raise UsageError(f"burst must be at least 1, not {burst!r}")
        if not 0 < headroom <= 1:
            raise UsageError(f"headroom must be in (0, 1], not {headroom!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        #: seconds between two requests at the paced rate
        self.interval = 1.0 / (self.rate * headroom)
        self._tolerance = (self.burst - 1) * self.interval
        #: the shortest gap ``space`` lets through: the limit itself, under the paced interval
        #: by the headroom, so that jitter of a millisecond costs no second wake-up and the
        #: limit still holds in every 1-second window
        self._min_gap = 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat: float | None = None  # theoretical arrival time of the next request
        self._last: float | None = None  # when the previous caller actually went

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}/s, burst={self.burst})"

    def reserve(self) -> float:
        """Book the next slot and return how many seconds the caller must wait for it (pure GCRA)."""
        with self._lock:
            now = self._clock()
            tat = now if self._tat is None else max(self._tat, now)
            wait = max(0.0, tat - self._tolerance - now)
            self._tat = tat + self.interval
            return wait

    def pace(self) -> float:
        """Wait for the next slot of the even pace (one wake-up); returns the seconds waited.

        Unlike ``acquire`` the moment the previous caller actually went is not checked: for
        work done between the slot and the request (a bulk run writes its ledger entry after
        ``pace`` and calls ``space`` right before the POST).
        """
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def acquire(self) -> float:
        """Wait for the next slot, then ``space``; returns the seconds waited.

        >>> limiter.acquire(); client.send_prepared(req)
        """
        waited = self.reserve()
        if waited > 0:
            self._sleep(waited)
        return waited + self.space()

    def space(self) -> float:
        """Go no sooner than ``1 / rate`` after the previous caller went; returns the wait.

        Books no slot: it guards the moment of sending after ``pace`` (work of varying length
        in between, such as reading a reply or a disk write, must not bring two requests
        closer than the limit allows) and after ``acquire``'s own wait (a thread woken late
        must not pass together with the next one on time). Mostly it returns at once: waits
        of a fraction of a millisecond are not worth a second wake-up, so the floor is the
        limit itself, ``1 / rate``, under the paced interval. With ``burst`` > 1 it does not
        wait at all.
        """
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
