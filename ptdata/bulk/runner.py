"""Send a plan: paced, concurrent, recorded in the history, every row accounted for in the report.

Threads, not asyncio: the sync client works the same in a script and inside a running Jupyter
event loop. The limiter spaces the calls evenly (one every ``1 / rate`` s, booked at the
moment each call is about to go) and enough threads each keep one call in flight to hold
that pace against slow replies. Right before each POST its intent - the call and everyone it
reaches - is written to the history with an fsync; its outcome right after.

What each call's rows become (they share its fate: one POST to a list is many messages):
- accepted → ``sent`` (or ``scheduled``) with the CampaignId and Power Textor's counts;
- refused by Power Textor (400, ``Success: false``) → ``failed`` with the server's message;
- could not connect even after retries → ``failed`` (nothing was sent; a re-run tries again);
- timeout after sending, dropped connection, 5xx, unreadable reply → ``unknown``: it may have
  gone out, so it is never sent again unless ``resend_unknown=True``;
- 429: the run waits as asked and slows down, then recovers its pace; a refusal that lasts
  ``max_rate_limited`` seconds stops the run, like a refused API key (401/403): the rest are
  ``skipped`` (reason ``run_stopped``) and a re-run sends them.

``run_calls`` is the same machinery for any list of API calls (the contact sync uses it).

>>> report = ptdata.send(plan, client, rate=5)     # 5 calls per second at most
>>> report.write("report.csv")
PosixPath('report.csv')
"""

from __future__ import annotations

import errno
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
from ptdata.api.results import is_unknown_outcome
from ptdata.bulk.ledger import HistoryFullError, Ledger, LedgerRecord, utc_now
from ptdata.bulk.limiter import RateLimiter
from ptdata.bulk.plan_object import Call
from ptdata.bulk.report import OUTCOME_COLUMNS, STATUS_OF_STATE

__all__ = ["CallsRun", "run_calls"]


class CallsRun(NamedTuple):
    """What ``run_calls`` did: each call's outcome by batch id, calls made, why it stopped."""

    #: indexed by batch id, the columns of ``OUTCOME_COLUMNS`` (calls not attempted because
    #: the run stopped are absent)
    outcomes: pd.DataFrame
    calls_made: int
    stopped: str | None
    #: the AccountId Power Textor named in its replies (None when it named none)
    account_id: str | None = None


def open_ledger(
    ledger: Ledger | str | os.PathLike[str] | bool | None,
) -> tuple[Ledger | None, bool]:
    """The history to use (None for none) and whether the caller opened it (and closes it)."""
    if ledger is False:
        return None, False
    if isinstance(ledger, Ledger):
        return ledger, False
    return Ledger(None if ledger is None or ledger is True else Path(ledger)), True


def run_calls(
    job_id: str,
    batch_ids: Sequence[int],
    call_for: Callable[[int], Call],
    client: Any,
    *,
    sizes: Any = None,
    description: dict | None = None,
    replay: Callable[[int, LedgerRecord], bool | None] | None = None,
    messages: Callable[[Call], list[tuple]] | None = None,
    rate: float = 5.0,
    burst: int = 1,
    concurrency: int | None = None,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    resend_unknown: bool = False,
    stop_on_auth: bool = True,
    max_rate_limited: float = 300.0,
    hold: str | None = None,
    job: dict | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    unit: str = "msg",
    desc: str = "sending",
) -> CallsRun:
    """Make the API calls ``call_for(b)`` for ``b`` in ``batch_ids``: paced, in the history,
    classified.

    The engine under ``send`` for any list of calls. ``sizes[b]`` is what call ``b`` counts
    for on the progress bar (default 1). ``replay(b, record)`` decides about a call the history
    already knows for this job: True reports the earlier outcome instead of calling, False
    calls again (attempts add up), None means the record was about another call (forgotten).
    Default: a call stands unless it was ``not_sent`` (or ``unknown`` with ``resend_unknown``).
    ``messages(call)`` lists whom a message call reaches, recorded with its intent. ``hold``
    names the lock to hold (default the job); ``job`` the history's fields of the job.

    >>> job_id, calls = plan.job_id, list(plan.calls())
    >>> run = run_calls(job_id, range(len(calls)), calls.__getitem__, client, rate=5)
    >>> run.outcomes.loc[0, "status"]
    'sent'
    """
    limiter = RateLimiter(rate, burst=burst, clock=clock, sleep=sleep)
    options = dict(
        sizes=sizes,
        concurrency=concurrency,
        progress=progress,
        stop_on_auth=stop_on_auth,
        resend_unknown=resend_unknown,
        replay=replay,
        messages=messages,
        max_rate_limited=max_rate_limited,
        clock=clock,
        unit=unit,
        desc=desc,
    )
    book, own = open_ledger(ledger)
    try:
        if book is None:
            return _Run(job_id, batch_ids, call_for, client, limiter, None, {}, **options).go()
        with book.hold(hold or job_id):
            try:
                book.start_job(job_id, description, **(job or {}))
                book.settle_interrupted([job_id])
            except HistoryFullError:
                raise HistoryFullError(errno.ENOSPC, _full(book.path, "nothing was sent")) from None
            runner = _Run(
                job_id, batch_ids, call_for, client, limiter, book, book.records(job_id), **options
            )
            run = runner.go()
            if not runner.full:
                try:
                    book.finish_job(job_id, run.stopped)
                except HistoryFullError:
                    raise HistoryFullError(
                        errno.ENOSPC,
                        _full(book.path, "as the run ended; every call's outcome was recorded"),
                    ) from None
            if runner.full:
                raise HistoryFullError(errno.ENOSPC, runner.full_message(book.path))
            return run
    finally:
        if own and book is not None:
            book.close()


class _Run:
    def __init__(
        self,
        job_id,
        batch_ids,
        call_for,
        client,
        limiter,
        book,
        earlier,
        *,
        sizes,
        concurrency,
        progress,
        stop_on_auth,
        resend_unknown,
        replay,
        messages,
        max_rate_limited,
        clock,
        unit,
        desc,
    ):
        self.call_for, self.client, self.limiter, self.book = call_for, client, limiter, book
        self.job_id = job_id
        self.stop_on_auth = stop_on_auth
        self.messages = messages
        self.max_rate_limited = max_rate_limited
        self.clock = clock
        if replay is None:

            def replay(b, rec):
                return not (rec.state == "not_sent" or (rec.state == "unknown" and resend_unknown))

        wanted = set(batch_ids)
        self.earlier: dict[int, LedgerRecord] = {}
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
        # enough threads to hold the pace with replies taking about a second
        self.workers = max(
            1, min(len(self.todo) or 1, concurrency or (min(32, math.ceil(limiter.rate)) + 2))
        )
        self._lock = threading.Lock()
        self._next = iter(self.todo)
        self._stop = threading.Event()
        self.stopped: str | None = None
        self.calls_made = 0
        self.failed = self.unknown = 0
        self.account_id: str | None = None
        self._limited_since: float | None = None  # first 429 of the current refusal
        # the history's disk filled: the run stops; outcomes recorded, and not, this run
        self.full = False
        self.recorded = 0
        self.unrecorded: list[str] = []  # the states of calls that ended unrecorded
        self.sizes = None if sizes is None else np.asarray(sizes)
        if self.sizes is None:
            total = len(self.todo)
        else:
            total = int(self.sizes[self.todo].sum()) if self.todo else 0
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=total,
            unit=unit,
            desc=desc,
            disable=not progress or total == 0,
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def go(self) -> CallsRun:
        try:
            if self.todo:
                pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ptdata-send")
                futures = [pool.submit(self._worker) for _ in range(self.workers)]
                try:
                    for f in futures:
                        f.result()
                except KeyboardInterrupt:
                    self._halt(
                        "interrupted (Ctrl-C): the calls in flight were finished and "
                        "recorded; run again to send the rest"
                    )
                    for f in futures:
                        f.result()
                finally:
                    pool.shutdown(wait=True)
        finally:
            self.bar.close()
        outcomes = pd.DataFrame.from_dict(self.outcomes, orient="index", columns=OUTCOME_COLUMNS)
        return CallsRun(outcomes, self.calls_made, self.stopped, self.account_id)

    def _halt(self, why: str) -> None:
        with self._lock:
            if self.stopped is None:
                self.stopped = why
        self._stop.set()

    def _take(self) -> int | None:
        with self._lock:
            return next(self._next, None)

    def _worker(self) -> None:
        while not self._stop.is_set():
            batch_id = self._take()
            if batch_id is None:
                return
            self._one(self.call_for(batch_id))

    def _one(self, call: Call) -> None:
        try:
            req = call.prepared()
        except UsageError as exc:
            self._record(
                call, ("failed", "bad_request", str(exc), None, 0, None, utc_now()), "not_sent", 0
            )
            return
        before = self.earlier.get(call.batch_id)
        earlier_attempts = before.attempts if before else 0
        recorded = False
        while True:
            self.limiter.pace()
            if self._stop.is_set():  # not attempted: reported as skipped/run_stopped
                if recorded and self.book is not None:  # its intent: a 429 sent nothing
                    try:
                        self.book.outcome(
                            self.job_id,
                            call.batch_id,
                            "not_sent",
                            reason="run_stopped",
                            message="the run stopped before this call was sent",
                        )
                    except HistoryFullError:  # it stays "intent": maybe sent, never resent
                        self._history_full()
                return
            started = utc_now()
            if self.book is not None and not recorded:
                try:
                    self.book.intent(
                        self.job_id,
                        call.batch_id,
                        call.key,
                        call.operation.op_id,
                        call.recipients,
                        started,
                        attempts=earlier_attempts,
                        messages=self.messages(call) if self.messages else (),
                    )
                except HistoryFullError:  # not recorded, so not sent: the run stops here
                    self._history_full()
                    return
                recorded = True
            self.limiter.space()  # the write took its time: never closer than the limit allows
            try:
                result = self.client.send_prepared(req)
            except RateLimitedError as exc:
                if self._rate_limited(exc):
                    earlier_attempts += getattr(exc, "attempts", 1)
                    continue  # a 429 was not acted on: the same call again, later
                self._failed(call, exc, started, earlier_attempts)
                return
            except Exception as exc:
                self._failed(call, exc, started, earlier_attempts)
                return
            with self._lock:
                self._limited_since = None
            self.limiter.recover()
            self._succeeded(call, result, started, earlier_attempts)
            return

    def _history_full(self) -> None:
        with self._lock:
            self.full = True
        self._halt("the disk of the send history is full")

    def full_message(self, path: Path) -> str:
        """The one line for a run stopped by a full history: what it holds, what to do."""
        with self._lock:
            recorded, unrecorded = self.recorded, list(self.unrecorded)
        left = len(self.todo) - recorded - len(unrecorded)
        held = f"the {recorded:,} call(s) this run made"
        if unrecorded:
            went = sum(state in ("sent", "scheduled") for state in unrecorded)
            held += (
                f", and {len(unrecorded):,} more whose outcome could not be written ({went:,} "
                "of them went out): kept as maybe sent, they are not sent again, so leave out "
                "resend_unknown=True (--resend-unknown)"
            )
        return _full(
            path, f"so the run stopped. It holds {held}; the {left:,} call(s) left were not sent"
        )

    def _rate_limited(self, exc: RateLimitedError) -> bool:
        """A 429: slow down and try again, unless the refusal has lasted too long."""
        now = self.clock()
        with self._lock:
            if self._limited_since is None:
                self._limited_since = now
            lasted = now - self._limited_since
        if lasted + (exc.retry_after or 0) > self.max_rate_limited or self._stop.is_set():
            return False
        self.limiter.slow_down(exc.retry_after)
        return True

    def _succeeded(self, call: Call, result: Any, started: str, earlier_attempts: int) -> None:
        data = result.data if isinstance(result.data, dict) else {}
        counts = tuple(_int(data.get(k)) for k in ("Reach", "SentCount", "UndeliveredCount"))
        account = data.get("AccountId")
        if account and self.account_id is None:
            self.account_id = str(account)
        campaign_id = data.get("CampaignId")
        state = "scheduled" if call.operation.scheduled else "sent"
        self._record(
            call,
            (
                state,
                None,
                None,
                None if campaign_id is None else str(campaign_id),
                earlier_attempts + result.attempts,
                started,
                utc_now(),
                *counts,
            ),
            state,
            result.attempts,
            counts,
        )

    def _failed(self, call: Call, exc: Exception, started: str, earlier_attempts: int) -> None:
        if not isinstance(exc, PowerTextorError):  # a bug, not a server answer: maybe sent
            self._record(
                call,
                (
                    "unknown",
                    "error",
                    f"{type(exc).__name__}: {exc}",
                    None,
                    earlier_attempts + 1,
                    started,
                    utc_now(),
                ),
                "unknown",
                1,
            )
            return
        state, reason, message = self._classify(exc)
        attempts = getattr(exc, "attempts", 1)
        self._record(
            call,
            (
                STATUS_OF_STATE[state],
                reason,
                message,
                None,
                earlier_attempts + attempts,
                started,
                utc_now(),
            ),
            state,
            attempts,
        )

    def _classify(self, exc: PowerTextorError) -> tuple[str, str, str]:
        msg = str(exc)
        if isinstance(exc, AuthenticationError):
            if self.stop_on_auth:
                self._halt(
                    f"Power Textor refused the API key (HTTP {exc.status_code}); fix "
                    "POWERTEXTOR_API_KEY and run again: the history skips what was sent"
                )
            return "not_sent", "auth", msg
        if isinstance(exc, RateLimitedError):
            minutes = self.max_rate_limited / 60
            self._halt(
                f"Power Textor kept refusing with 429 (too many requests) for "
                f"{minutes:g} minute{'s' if minutes != 1 else ''}: {msg} Run the same "
                "command again later: the history skips everyone it reached."
            )
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

    def _record(
        self,
        call: Call,
        outcome: tuple,
        state: str,
        attempts: int,
        counts: tuple = (None, None, None),
    ) -> None:
        outcome = outcome + (None,) * (len(OUTCOME_COLUMNS) - len(outcome))
        status, reason, message, campaign_id, _, _, finished = outcome[:7]
        if self.book is not None:
            try:
                self.book.outcome(
                    self.job_id,
                    call.batch_id,
                    state,
                    reason=reason,
                    message=message,
                    campaign_id=campaign_id,
                    attempts=attempts,
                    finished_at=finished,
                    counts=counts,
                )
            except HistoryFullError:  # its intent stays: a later run counts it maybe sent
                self._history_full()
                with self._lock:
                    self.unrecorded.append(state)
            else:
                with self._lock:
                    self.recorded += 1
        with self._lock:
            self.outcomes[call.batch_id] = outcome
            if attempts:
                self.calls_made += 1
            self.failed += status == "failed"
            self.unknown += status == "unknown"
            if not self.bar.disable:
                self.bar.set_postfix(
                    calls=self.calls_made, failed=self.failed, unknown=self.unknown, refresh=False
                )
                self.bar.update(
                    call.recipients if self.sizes is None else int(self.sizes[call.batch_id])
                )


def _full(path: Path, what: str) -> str:
    return (
        f"could not write the send history {path}: the disk is full (no space left on "
        f"device), {what}. Free some space and run the same command again: it skips everyone "
        "already texted and sends the rest"
    )


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _earlier_outcome(rec: LedgerRecord) -> tuple:
    status = STATUS_OF_STATE.get(rec.state, "unknown")
    if status == "unknown":
        note = (
            " (left unknown by an earlier run: pass resend_unknown=True / --resend-unknown "
            "to send it again if you know it did not go out)"
        )
        return (
            status,
            rec.reason or "unknown",
            (rec.message or "") + note,
            rec.campaign_id,
            rec.attempts,
            rec.first_attempt_at,
            rec.finished_at,
            None,
            None,
            None,
        )
    return (
        status,
        "earlier_run",
        rec.message,
        rec.campaign_id,
        rec.attempts,
        rec.first_attempt_at,
        rec.finished_at,
        None,
        None,
        None,
    )
