"""Injected faults and the request-rate limit: how the sandbox misbehaves on purpose.

A fault applies to one *send* request: a POST of a message or contact operation. Faults come
from a deterministic script (for exact tests) or at random (seeded) from the configured rates.

Script entries (strings), each applied to the next send request, in order:

==================  ===========  ==========================================================
entry               server acts  what the client sees
==================  ===========  ==========================================================
``ok``              yes          the normal reply
``500`` (any 5xx)   **yes**      that status with a failure envelope
``drop``            **yes**      the reply starts, then the connection breaks
``drop_before``     no           the connection breaks without a reply, nothing was done
``stall[:S]``       **yes**      no reply for S seconds (default ``stall_seconds``)
``non_json``        **yes**      HTTP 200 with an HTML page instead of JSON
``429[:S]``         no           429 with ``Retry-After: S`` (default 1)
``400`` (any 4xx)   no           that status with a failure envelope
``success_false``   no           HTTP 200 with ``{"Success": false, ...}``
==================  ===========  ==========================================================

The faults after which the server has acted are the worst case for a client: the messages
exist, yet the client cannot know. The others refuse before anything happens.

>>> parse_fault("429:2")
Fault(kind='rate_limit', status=429, seconds=2.0, text='429:2')
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Fault", "FaultPlan", "RateLimiter", "parse_fault"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault (see the module table)."""

    kind: str  # ok, status, drop, drop_before, stall, non_json, rate_limit, success_false
    status: int | None = None
    seconds: float | None = None
    text: str = ""

    @property
    def after_acting(self) -> bool:
        """True when the server performs the request before failing."""
        if self.kind == "status":
            return (self.status or 0) >= 500
        return self.kind in ("drop", "stall", "non_json")


def parse_fault(entry: str | int) -> Fault:
    """A ``Fault`` from a script entry such as ``"500"``, ``"429:2"``, ``"drop"``, ``"stall:3"``."""
    text = str(entry).strip().lower()
    name, _, arg = text.partition(":")
    seconds = None
    if arg:
        try:
            seconds = float(arg)
        except ValueError:
            raise ValueError(f"fault {entry!r}: {arg!r} is not a number of seconds") from None
        if seconds < 0 or math.isnan(seconds) or math.isinf(seconds):
            raise ValueError(f"fault {entry!r}: seconds must be zero or more")
    if name == "ok" and not arg:
        return Fault("ok", text=text)
    if name in ("drop", "drop_before", "non_json", "success_false") and not arg:
        return Fault(name, text=text)
    if name == "stall":
        return Fault("stall", seconds=seconds, text=text)
    if name.isdigit() and len(name) == 3:
        status = int(name)
        if status == 429:
            return Fault(
                "rate_limit", status=429, seconds=1.0 if seconds is None else seconds, text=text
            )
        if 400 <= status <= 599 and not arg:
            return Fault("status", status=status, text=text)
    raise ValueError(
        f"unknown fault {entry!r}; use ok, 500 (any 4xx/5xx), 429[:seconds], drop, drop_before, "
        "stall[:seconds], non_json or success_false"
    )


class FaultPlan:
    """The scripted queue and the seeded random faults; thread-safe."""

    def __init__(
        self,
        *,
        error_rate: float = 0.0,
        error_statuses: Sequence[int] = (500, 502, 503),
        drop_rate: float = 0.0,
        stall_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.configure(
            error_rate=error_rate,
            error_statuses=error_statuses,
            drop_rate=drop_rate,
            stall_rate=stall_rate,
            seed=seed,
        )

    def configure(
        self,
        *,
        error_rate: float | None = None,
        error_statuses: Sequence[int] | None = None,
        drop_rate: float | None = None,
        stall_rate: float | None = None,
        seed: int | None = None,
    ) -> None:
        with self._lock:
            if error_rate is not None:
                self.error_rate = _rate(error_rate, "error_rate")
            if drop_rate is not None:
                self.drop_rate = _rate(drop_rate, "drop_rate")
            if stall_rate is not None:
                self.stall_rate = _rate(stall_rate, "stall_rate")
            if error_statuses is not None:
                statuses = tuple(int(s) for s in error_statuses)
                if not statuses or any(not 500 <= s <= 599 for s in statuses):
                    raise ValueError("error_statuses must be 5xx statuses, e.g. (500, 502, 503)")
                self.error_statuses = statuses
            if seed is not None or not hasattr(self, "_rng"):
                self._rng = random.Random(seed)
            if self.error_rate + self.drop_rate + self.stall_rate > 1:
                raise ValueError("error_rate + drop_rate + stall_rate must not exceed 1")

    def script(self, entries: Iterable[str | int]) -> list[str]:
        """Queue faults for the next send requests; returns the whole queue."""
        faults = [parse_fault(e) for e in entries]  # all or nothing
        with self._lock:
            self._queue.extend(faults)
            return [f.text for f in self._queue]

    def pending(self) -> list[str]:
        with self._lock:
            return [f.text for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def next(self) -> Fault | None:
        """The fault for the next send request: the script first, then the random rates."""
        with self._lock:
            if self._queue:
                fault = self._queue.popleft()
                return None if fault.kind == "ok" else fault
            total = self.error_rate + self.drop_rate + self.stall_rate
            if total <= 0:
                return None
            r = self._rng.random()
            if r < self.error_rate:
                status = self._rng.choice(self.error_statuses)
                return Fault("status", status=status, text=str(status))
            if r < self.error_rate + self.drop_rate:
                return Fault("drop", text="drop")
            if r < total:
                return Fault("stall", text="stall")
            return None


def _rate(value: float, name: str) -> float:
    value = float(value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return value


class RateLimiter:
    """At most ``rate`` requests in any sliding 1-second window; thread-safe.

    ``admit()`` returns None when the request may proceed, else the seconds (rounded up, at
    least 1) until a slot frees, for ``Retry-After``. Refused requests do not use a slot.
    """

    def __init__(self, rate: float, *, clock=time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate_limit must be positive, got {rate}")
        self.rate = rate
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> int | None:
        with self._lock:
            now = self._clock()
            while self._times and now - self._times[0] >= 1.0:
                self._times.popleft()
            if len(self._times) < self.rate:
                self._times.append(now)
                return None
            wait = 1.0 - (now - self._times[0])
            return max(1, math.ceil(wait))
