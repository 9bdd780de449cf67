"""Send a plan: paced, concurrent, recorded in the ledger, every row accounted for in the report.

Threads, not asyncio: the sync client is the cheapest per request and a thread pool works the
same in a script and inside a running Jupyter event loop. The limiter spaces the calls evenly
(one every ``1 / rate`` s) and enough threads keep a call in flight each to hold that pace
against slow replies. A thread woken for its slot reads the reply of its previous call (in by
then) and sends its next one: one wake-up per message, and what a message costs the processor
is mostly how much code runs after that wake-up, so calls are also built ahead and reserved in
the ledger a few dozen at a time (one fsync), and each is only marked, without an fsync, right
before its POST (``ptdata.bulk.ledger`` says why that is still safe).

What each call's rows become (they share its fate: one POST to a list is many messages):
- accepted → ``sent`` (or ``scheduled``) with the CampaignId;
- refused by Power Textor (400, ``Success: false``) → ``failed`` with the server's message;
- could not connect even after retries → ``failed`` (nothing was sent; a re-run tries again);
- timeout after sending, dropped connection, 5xx, unreadable reply → ``unknown``: it may have
  gone out, so it is never sent again unless ``resend_unknown=True``;
- a refused API key (401/403) or a server that asks to wait longer than ``max_retry_after``
  stops the run: the rest are ``skipped`` (reason ``run_stopped``) and a re-run sends them.

``run_calls`` is the same machinery for any list of API calls (the contact sync uses it).

>>> report = ptdata.send(plan, client, rate=5)     # 5 calls per second at most
>>> report.write("report.csv")
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ptdata.api.errors import (
    AuthenticationError,
    PowerTextorError,
    RateLimitedError,
    RejectedError,
    ResponseError,
    ServerError,
    TimeoutError_,
    UsageError,
)
from ptdata.api.results import campaign_id_of, is_unknown_outcome
from ptdata.bulk.ledger import DEFAULT_LEDGER, Ledger, LedgerRecord, utc_now
from ptdata.bulk.limiter import RateLimiter
from ptdata.bulk.plans import Call, Plan
from ptdata.bulk.report import Report, planned_frame, results_frame

__all__ = ["CallsRun", "run_calls", "send"]

_STATE_TO_STATUS = {"sent": "sent", "scheduled": "scheduled", "rejected": "failed",
                    "not_sent": "failed", "unknown": "unknown", "intent": "unknown"}


def send(
    plan: Plan,
    client: Any,
    *,
    rate: float = 5.0,
    burst: int = 1,
    concurrency: int | None = None,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    resend_unknown: bool = False,
    stop_on_auth: bool = True,
    force_new_job: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Send (or schedule) every call of ``plan`` through ``client``; returns the ``Report``.

    Args:
        rate: API calls per second, never exceeded in any 1-second window (paced evenly at
            98 % of it). Ask Power Textor what your account allows; 5/s is a safe default.
        burst: calls allowed back to back after an idle spell (1 = strictly even pacing).
        concurrency: calls in flight at once; default: a few threads, more as soon as slow
            replies hold back the pace, up to enough for replies taking a second
            (``min(32, ceil(rate)) + 2``).
        progress: a ``tqdm`` bar (a widget in Jupyter) counting recipients and calls.
        ledger: the ledger file (default ``.ptdata/ledger.sqlite`` in the current directory),
            a ``Ledger``, or False for none (then a re-run cannot know what was sent).
        resend_unknown: send again the calls an earlier run left ``unknown`` (they may
            already have gone out: only when you know they did not).
        stop_on_auth: stop at the first refused API key instead of failing every call.
        force_new_job: send even though the same campaign already reached Power Textor
            under a plan that has changed since (``CampaignChangedError`` otherwise): only
            to send it again on purpose.

    >>> report = ptdata.send(ptdata.plan(frame, body="Hi!"), ptdata.PowerTextor(), rate=10)
    >>> print(report.summary())
    """
    if not isinstance(plan, Plan):
        raise UsageError(f"send() takes the Plan made by ptdata.plan(...), not {type(plan).__name__}")
    RateLimiter(rate, burst=burst)  # checks rate and burst even when there is nothing to send
    job_id = plan.job_id
    if plan.n_calls == 0:
        return Report(planned_frame(plan).assign(status=lambda f: f["status"].replace(
            {"planned": "skipped"})), job_id=job_id)
    run = run_calls(job_id, range(plan.n_calls), plan.call, client, sizes=plan.messages_per_call,
                    description={"rows": len(plan.frame), "calls": plan.n_calls,
                                 "kind": plan.settings.kind, "to": plan.settings.to},
                    rate=rate, burst=burst, concurrency=concurrency, progress=progress,
                    ledger=ledger, resend_unknown=resend_unknown, stop_on_auth=stop_on_auth,
                    family=None if force_new_job else plan.family_id,
                    planned_at=plan.settings.planned_at, clock=clock, sleep=sleep)
    frame = results_frame(plan, run.outcomes,
                          not_attempted=("skipped", "run_stopped", run.stopped or "not attempted"))
    return Report(frame, job_id=job_id, calls_made=run.calls_made, stopped=run.stopped)


class CallsRun(NamedTuple):
    """What ``run_calls`` did: each call's outcome by batch id, calls made, why it stopped."""

    #: indexed by batch id: status, reason, message, campaign_id, attempts, first_attempt_at,
    #: finished_at (calls not attempted because the run stopped are absent)
    outcomes: pd.DataFrame
    calls_made: int
    stopped: str | None


def run_calls(
    job_id: str,
    batch_ids: Sequence[int],
    call_for: Callable[[int], Call],
    client: Any,
    *,
    sizes: Any = None,
    description: dict | None = None,
    replay: Callable[[int, LedgerRecord], bool | None] | None = None,
    rate: float = 5.0,
    burst: int = 1,
    concurrency: int | None = None,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    resend_unknown: bool = False,
    stop_on_auth: bool = True,
    family: str | None = None,
    planned_at: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    unit: str = "msg",
    desc: str = "sending",
) -> CallsRun:
    """Make the API calls ``call_for(b)`` for ``b`` in ``batch_ids``: paced, in the ledger, classified.

    The engine under ``send`` for any list of calls. ``sizes[b]`` is what call ``b`` counts
    for on the progress bar (default 1). ``replay(b, record)`` decides about a call the ledger
    already knows for this job: True reports the earlier outcome instead of calling, False
    calls again (attempts add up), None means the record was about another call (forgotten).
    Default: a call stands unless it was ``not_sent`` (or ``unknown`` with ``resend_unknown``).
    ``family`` names the campaign independently of the clock: another job of the same family
    that already reached the server stops this one (``CampaignChangedError``).

    >>> run = run_calls(job_id, [0, 1], calls.__getitem__, client, rate=5)
    >>> run.outcomes.loc[0, "status"]
    'sent'
    """
    limiter = RateLimiter(rate, burst=burst, clock=clock, sleep=sleep)
    options = dict(sizes=sizes, concurrency=concurrency, progress=progress,
                   stop_on_auth=stop_on_auth, resend_unknown=resend_unknown, replay=replay,
                   unit=unit, desc=desc)
    own_ledger = not isinstance(ledger, Ledger) and ledger is not False
    if ledger is False:
        book = None
    elif isinstance(ledger, Ledger):
        book = ledger
    else:
        book = Ledger(DEFAULT_LEDGER if ledger is None or ledger is True else Path(ledger))
    try:
        if book is None:
            return _Run(job_id, batch_ids, call_for, client, limiter, None, {},
                        **options).go()
        with book.hold(job_id):
            if family is not None:
                book.check_family(family, job_id)
            book.start_job(job_id, description, family_id=family, planned_at=planned_at)
            book.settle_interrupted(job_id)
            earlier = book.records(job_id)
            try:
                return _Run(job_id, batch_ids, call_for, client, limiter, book, earlier,
                            **options).go()
            finally:  # while the job is still held: another sender's reservations are its own
                book.release(job_id)  # reserved, never posted: the run stopped first
    finally:
        if book is not None:
            book.flush()  # the last outcomes, which no further write carried
            if own_ledger:
                book.close()


class _Run:
    def __init__(self, job_id, batch_ids, call_for, client, limiter, book, earlier, *,
                 sizes, concurrency, progress, stop_on_auth, resend_unknown, replay, unit, desc):
        self.call_for, self.client, self.limiter, self.book = call_for, client, limiter, book
        self.job_id = job_id
        self.stop_on_auth = stop_on_auth
        if replay is None:
            def replay(b, rec):
                return not (rec.state == "not_sent" or (rec.state == "unknown" and resend_unknown))
        wanted = batch_ids if isinstance(batch_ids, range) else set(batch_ids)
        self.earlier = {}
        self.outcomes: dict[int, tuple] = {}
        for b, rec in earlier.items():
            if b not in wanted:
                continue
            stands = replay(b, rec)
            if stands is None:
                continue
            self.earlier[b] = rec
            if stands:
                self.outcomes[b] = _earlier_outcome(rec)
        self.todo = [b for b in batch_ids if b not in self.outcomes]
        # ``concurrency`` fixes the threads; by default the pool starts with enough for replies
        # within ~1/4 s and grows, up to ``min(32, ceil(rate)) + 2``, whenever a call finds its
        # paced slot already due (every thread was waiting on a reply): fewer idle threads
        # waking up is less CPU per message
        limit = max(1, min(len(self.todo) or 1,
                           concurrency or (min(32, math.ceil(limiter.rate)) + 2)))
        self.max_workers = limit
        self.workers = limit if concurrency else min(limit, math.ceil(limiter.rate / 4) + 2)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list = []
        self._next = iter(self.todo)
        self._ready: deque[_Ready] = deque()  # calls built ahead, in batch order
        self._stop = threading.Event()
        self.stopped: str | None = None
        self.calls_made = 0
        self.failed = self.unknown = 0
        self.sizes = None if sizes is None else np.asarray(sizes)
        if self.sizes is None:
            total = len(self.todo)
        else:
            total = int(self.sizes[self.todo].sum()) if self.todo else 0
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit=unit, desc=desc, disable=not progress or total == 0,
                        dynamic_ncols=True, smoothing=0.1)

    def go(self) -> CallsRun:
        try:
            if self.todo:
                with ThreadPoolExecutor(self.max_workers, thread_name_prefix="ptdata-send") as pool:
                    with self._lock:  # a worker may already be growing the pool
                        self._pool = pool
                        self._futures = [pool.submit(self._worker) for _ in range(self.workers)]
                    try:
                        while not all(f.done() for f in self._running()):
                            # the pool may have grown meanwhile: look again when these end
                            wait(self._running(), timeout=_MAIN_WAKE)
                    except KeyboardInterrupt:
                        self._halt("interrupted (Ctrl-C): the calls in flight were finished "
                                   "and recorded; run again to send the rest")
                        wait(self._running())
                    for f in self._running():
                        f.result()
        finally:
            self.bar.close()
        outcomes = pd.DataFrame.from_dict(
            self.outcomes, orient="index",
            columns=["status", "reason", "message", "campaign_id", "attempts",
                     "first_attempt_at", "finished_at"])
        return CallsRun(outcomes, self.calls_made, self.stopped)

    def _running(self) -> list:
        with self._lock:
            return list(self._futures)

    def _grow(self) -> None:
        """One more worker thread (up to ``max_workers``): the pace is waiting on replies."""
        with self._lock:
            if self._pool is None or self.workers >= self.max_workers or self._stop.is_set():
                return
            self.workers += 1
            self._futures.append(self._pool.submit(self._worker))

    def _halt(self, why: str) -> None:
        with self._lock:
            if self.stopped is None:
                self.stopped = why
        self._stop.set()

    def _worker(self) -> None:
        # each thread keeps one call in flight between its slots: woken for its next slot,
        # it reads the reply of its previous call (there by then, unless the server is
        # slower than the pool is wide) and sends the next - one wake-up for both
        pending: _Pending | None = None
        try:
            while not self._stop.is_set():
                ready = self._take()
                if ready is None:
                    return
                pending = self._one(ready, pending)
        finally:
            if pending is not None:
                self._finish(pending)

    def _take(self) -> _Ready | None:
        """The next call to send, built ahead with the next few (None when all are taken).

        Building a call (its fields, the checked request, its ledger key) does not depend on
        any reply, so it is done ``_AHEAD`` calls at a time: one pass while the processor's
        caches are warm costs a fraction of building each call alone after a sleep.
        """
        with self._lock:
            if not self._ready:
                built = [self._build(b) for b in itertools.islice(self._next, _AHEAD)]
                if built and self.book is not None:  # one fsync for them all
                    self.book.reserve(self.job_id, [self._reservation(r) for r in built])
                self._ready.extend(built)
            return self._ready.popleft() if self._ready else None

    def _reservation(self, ready: _Ready) -> tuple:
        call = ready.call
        before = self.earlier.get(call.batch_id)
        return (call.batch_id, ready.key or call.key, call.operation.op_id, call.recipients,
                before.attempts if before else 0, before.first_attempt_at if before else None,
                before.state if before else None)

    def _build(self, batch_id: int) -> _Ready:
        call = self.call_for(batch_id)
        if isinstance(call.fields.get("Attachment"), str):
            return _Ready(call, None, None)  # a file per row: read when it is sent, not ahead
        try:
            req = call.prepared()
        except UsageError as exc:
            return _Ready(call, exc, None)
        return _Ready(call, req, call.key if self.book is not None else None)

    def _one(self, ready: _Ready, pending: _Pending | None) -> _Pending | None:
        """Wait for a slot, settle ``pending``, send ``ready``; what is now in flight."""
        call, req, _ = ready
        batch_id = call.batch_id
        if req is None:
            try:
                req = call.prepared()
            except UsageError as exc:
                req = exc
        if isinstance(req, UsageError):
            self._record(call, ("failed", "bad_request", str(req), None, 0, None, utc_now()),
                         "not_sent", 0)
            return pending
        paced = self.limiter.pace()
        late = False
        if pending is not None:
            reply_from = time.monotonic()
            self._finish(pending)
            # the reply was not in yet when the slot came: the pool is too narrow
            late = time.monotonic() - reply_from > self.limiter.interval / 2
        if (paced == 0.0 or late) and self.workers < self.max_workers:
            self._grow()  # this slot was already due: nobody was waiting for it
        if self._stop.is_set():
            return None  # not attempted: reported as skipped/run_stopped
        started = utc_now()
        before = self.earlier.get(batch_id)
        earlier_attempts = before.attempts if before else 0
        if self.book is not None:  # reserved durably in _take; now marked as being posted
            self.book.posting(self.job_id, batch_id, started)
        self.limiter.space()  # the write above took its time: never closer than 1/rate
        try:
            # the client's own retries (429, refused connection) take a paced slot too
            reply = self.client.begin(req, before_retry=self.limiter.acquire)
        except Exception as exc:  # noqa: BLE001 - classified in _failed
            self._failed(call, exc, started, earlier_attempts)
            return None
        return _Pending(call, reply, started, earlier_attempts)

    def _finish(self, pending: _Pending) -> None:
        """Wait for the reply of a call in flight and record how it ended."""
        call, reply, started, earlier_attempts = pending
        try:
            result = reply()
        except Exception as exc:  # noqa: BLE001 - classified in _failed
            self._failed(call, exc, started, earlier_attempts)
            return
        state = "scheduled" if call.operation.scheduled else "sent"
        self._record(call, (state, None, None, campaign_id_of(result),
                            earlier_attempts + result.attempts, started, utc_now()),
                     state, result.attempts)

    def _failed(self, call: Call, exc: Exception, started: str, earlier_attempts: int) -> None:
        if not isinstance(exc, PowerTextorError):  # a bug, not a server answer: maybe sent
            self._record(call, ("unknown", "error", f"{type(exc).__name__}: {exc}", None,
                                earlier_attempts + 1, started, utc_now()), "unknown", 1)
            return
        state, reason, message = self._classify(exc)
        attempts = getattr(exc, "attempts", 1)
        self._record(call, (_STATE_TO_STATUS[state], reason, message, None,
                            earlier_attempts + attempts, started, utc_now()), state, attempts)

    def _classify(self, exc: PowerTextorError) -> tuple[str, str, str]:
        msg = str(exc)
        if isinstance(exc, AuthenticationError):
            if self.stop_on_auth:
                self._halt(f"Power Textor refused the API key (HTTP {exc.status_code}); fix "
                           "POWERTEXTOR_API_KEY and run again: the ledger skips what was sent")
            return "not_sent", "auth", msg
        if isinstance(exc, RateLimitedError):
            self._halt(msg + " Run the same command again later: the ledger skips what was sent.")
            return "not_sent", "rate_limited", msg
        if isinstance(exc, RejectedError):
            return "rejected", "rejected", exc.server_message or msg
        if is_unknown_outcome(exc):
            if isinstance(exc, ServerError):
                reason = "server_error"
            elif isinstance(exc, TimeoutError_):
                reason = "timeout"
            elif isinstance(exc, ResponseError):
                reason = "bad_reply"
            else:
                reason = "connection_lost"
            return "unknown", reason, msg
        return "not_sent", "connect_failed", msg

    def _record(self, call, outcome: tuple, state: str, attempts: int) -> None:
        status, reason, message, campaign_id, _, _, finished = outcome
        if self.book is not None:
            self.book.outcome(self.job_id, call.batch_id, state, reason=reason, message=message,
                              campaign_id=campaign_id, attempts=attempts, finished_at=finished)
        with self._lock:
            self.outcomes[call.batch_id] = outcome
            if attempts:
                self.calls_made += 1
            self.failed += status == "failed"
            self.unknown += status == "unknown"
            if not self.bar.disable:
                self.bar.set_postfix(calls=self.calls_made, failed=self.failed,
                                     unknown=self.unknown, refresh=False)
                self.bar.update(call.recipients if self.sizes is None
                                else int(self.sizes[call.batch_id]))


#: how often the calling thread wakes up while the workers send: on POSIX never (Ctrl-C
#: interrupts the wait itself); elsewhere twice a second, to notice Ctrl-C
_MAIN_WAKE = None if os.name == "posix" else 0.5

#: calls built ahead at a time (see ``_Run._take``)
_AHEAD = 32


class _Ready(NamedTuple):
    """A call built ahead: its request (or why it cannot be sent; None: build it when sent)."""

    call: Call
    req: Any
    key: str | None


class _Pending(NamedTuple):
    """A call whose request went out; ``reply()`` waits for the answer (``PowerTextor.begin``)."""

    call: Call
    reply: Callable[[], Any]
    started: str
    earlier_attempts: int


def _earlier_outcome(rec) -> tuple:
    status = _STATE_TO_STATUS.get(rec.state, "unknown")
    if status == "unknown":
        note = " (left unknown by an earlier run: pass resend_unknown=True / --resend-unknown " \
               "to send it again if you know it did not go out)"
        return (status, rec.reason or "unknown", (rec.message or "") + note, rec.campaign_id,
                rec.attempts, rec.first_attempt_at, rec.finished_at)
    return (status, "earlier_run", rec.message, rec.campaign_id, rec.attempts,
            rec.first_attempt_at, rec.finished_at)
