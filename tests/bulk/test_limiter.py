"""The rate limiter spaces calls evenly and never lets more than ``rate`` into any second."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from ptdata.bulk.limiter import RateLimiter


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def _times(limiter: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    out = []
    for _ in range(n):
        limiter.acquire()
        out.append(clock.now)
    return out


def _max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_calls_are_evenly_spaced_at_98_percent_of_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    times = _times(limiter, clock, 60)
    gaps = {round(b - a, 9) for a, b in pairwise(times)}
    assert gaps == {round(1 / (20 * 0.98), 9)}
    assert times[0] == 1000.0  # the first call does not wait


@pytest.mark.parametrize("rate", [pytest.param(r, id=f"{r:g}/s") for r in (1, 5, 20, 50, 0.5)])
def test_never_more_than_rate_in_any_one_second_window(rate):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    times = _times(limiter, clock, 200)
    assert _max_in_any_second(times) <= max(1, int(rate))


def test_idle_time_is_not_saved_up_into_a_burst():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    _times(limiter, clock, 3)
    clock.now += 60  # a minute idle
    times = _times(limiter, clock, 11)
    assert _max_in_any_second(times) <= 10
    assert times[1] - times[0] == pytest.approx(1 / 9.8)


def test_burst_lets_that_many_through_at_once_then_paces():
    clock = FakeClock()
    limiter = RateLimiter(10, burst=3, headroom=1.0, clock=clock, sleep=clock.sleep)
    times = _times(limiter, clock, 6)
    assert times[:3] == [1000.0, 1000.0, 1000.0]
    assert times[3] == pytest.approx(1000.1)
    assert times[5] == pytest.approx(1000.3)


def test_threads_share_one_pace():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            w = limiter.reserve()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 100 reservations at a frozen clock: slot k waits exactly k intervals
    assert sorted(round(w / limiter.interval) for w in waits) == list(range(100))


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"rate": 0}, id="zero-rate"),
        pytest.param({"rate": -1}, id="negative-rate"),
        pytest.param({"rate": 5, "burst": 0}, id="zero-burst"),
        pytest.param({"rate": 5, "headroom": 1.5}, id="headroom-above-1"),
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)


def test_a_caller_woken_late_does_not_pass_together_with_the_next():
    clock = FakeClock()
    late = {"first": True}

    def sleep(seconds):
        clock.sleep(seconds)
        if late["first"] and seconds > 0:  # the first real wait overshoots by 80 ms
            late["first"] = False
            clock.sleep(0.08)

    limiter = RateLimiter(10, headroom=1.0, clock=clock, sleep=sleep)
    times = _times(limiter, clock, 4)
    gaps = [round(b - a, 6) for a, b in pairwise(times)]
    assert min(gaps) >= 0.1 - 1e-6
    assert gaps[0] == pytest.approx(0.18)  # slot at +0.1 missed by 80 ms: the next waits for it


def test_wake_ups_a_fraction_of_a_millisecond_late_cost_no_second_sleep():
    clock = FakeClock()
    sleeps = []

    def sleep(seconds):  # every other wake-up overshoots by 0.3 ms, as a busy machine does
        sleeps.append(seconds)
        clock.sleep(seconds + (0.0003 if len(sleeps) % 2 else 0.0))

    limiter = RateLimiter(20, clock=clock, sleep=sleep)
    times = _times(limiter, clock, 41)
    gaps = [b - a for a, b in pairwise(times)]
    assert len(sleeps) == 40  # one sleep per paced call, none to make up 0.3 ms
    assert min(gaps) > 1 / 20
    assert _max_in_any_second(times) <= 20


def test_a_429_holds_everyone_back_as_asked_and_halves_the_pace_then_it_recovers():
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.slow_down(retry_after=2.0)
    start = clock.now
    limiter.acquire()
    assert clock.now - start == pytest.approx(2.0)  # Retry-After honoured for the next caller
    assert limiter.current_rate == pytest.approx(20 * 0.98 / 2)
    times = _times(limiter, clock, 5)
    assert min(b - a for a, b in pairwise(times)) == pytest.approx(2 / (20 * 0.98))
    for _ in range(40):  # each success brings the pace a step back, never past the limit
        limiter.recover()
    assert limiter.current_rate == pytest.approx(20 * 0.98)


def test_repeated_429s_slow_down_to_a_floor_not_to_a_standstill():
    limiter = RateLimiter(16, clock=FakeClock(), sleep=lambda s: None)
    for _ in range(20):
        limiter.slow_down()
    assert limiter.current_rate == pytest.approx(16 * 0.98 / 16)
