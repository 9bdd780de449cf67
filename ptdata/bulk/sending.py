"""Send a campaign: skip everyone who already got it, send to everyone else, report every row.

``ptdata.send(plan, client)`` opens the send history (``ptdata.bulk.ledger``), finds whose it
is (the Power Textor account, on this server) and which campaign the plan belongs to, and
skips every recipient that campaign already reached - however the sheet, the suppression list,
the batch size, the clock or the working folder changed since. Rows added or fixed since,
rows that failed and rows a crash never reached are sent. Sending to everyone again takes
``again=True`` (CLI ``--again``) or another campaign name.

A campaign without a name is its message as written, kind, place, timing as asked and target
kind. A message that differs from an earlier campaign's of the same kind, place, timing and
target only a little (a typo fixed: 90 % alike or more) is taken as that campaign, and the
summary says so: fixing a typo never texts the people already reached again.

>>> with PendingSend(plan, client) as pending:          # what the CLI shows before asking
...     print(pending.summary())
...     report = pending.run(rate=5)
10 rows → 1 API call, 10 segments
  calls: SendMessageToMultipleNumbers ×1
  campaign ... (no name given)
"""

from __future__ import annotations

import contextlib
import difflib
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ptdata._words import Summary
from ptdata.api.errors import UsageError
from ptdata.bulk.ledger import Account, Ledger
from ptdata.bulk.limiter import RateLimiter
from ptdata.bulk.plan_object import Call, Plan, campaign_label
from ptdata.bulk.report import Report, planned_frame, results_frame
from ptdata.bulk.runner import open_ledger, run_calls

__all__ = ["PendingSend", "send", "send_test"]

#: how alike two messages must be for an unnamed campaign to be taken as the earlier one
SIMILAR = 0.9
_TARGETS = {
    "numbers": "number",
    "contacts": "contact",
    "new-contacts": "contact",
    "groups": "group",
    "new-group": "number",
}


def send(
    plan: Plan,
    client: Any,
    *,
    rate: float = 5.0,
    burst: int = 1,
    concurrency: int | None = None,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    again: bool = False,
    resend_unknown: bool = False,
    max_per_recipient: tuple[int, float] | None = None,
    stop_on_auth: bool = True,
    max_rate_limited: float = 300.0,
    test_to: Any = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Send (or schedule) ``plan`` through ``client`` to everyone its campaign has not reached.

    Args:
        rate: API calls per second, never exceeded in any 1-second window (paced evenly at
            98 % of it; slowed down while Power Textor answers 429). 5/s is a safe default.
        burst: calls allowed back to back after an idle spell (1 = strictly even pacing).
        concurrency: calls in flight at once (default enough for replies taking a second).
        progress: a ``tqdm`` bar (a widget in Jupyter) counting recipients.
        ledger: the send history: default ``history.sqlite`` in the user's data folder
            (``PTDATA_HOME`` overrides the folder), a path, a ``Ledger``, or False for none
            (then nothing stops a later run from texting the same people again).
        again: send the campaign again to everyone, even those who already got it (a new
            round of it; a later run of the round skips whom it reached).
        resend_unknown: send again to recipients whose earlier call is ``unknown`` (it may
            have gone out: only when you know it did not).
        max_per_recipient: ``(N, hours)``: skip (``frequency_cap``) a recipient who already
            has N messages from this account going out in the last ``hours`` (scheduled ones
            still due count), e.g. ``(3, 24)``.
        stop_on_auth: stop at the first refused API key instead of failing every call.
        max_rate_limited: seconds of unbroken 429 refusals after which the run stops (the
            report is written; a re-run sends the rest).
        test_to: staff numbers to send a test to instead: only they are texted, now (even
            for a scheduled campaign or a reminder), with the first recipient's message as
            they would get it. Recorded in the history as a test, which reaches no one:
            the campaign's real send still texts everyone (see ``ptdata.bulk.sendtest``).

    >>> report = ptdata.send(ptdata.plan(frame, body="Hi!"), ptdata.PowerTextor(), rate=10)
    >>> print(report.summary())
    job ...: 10 rows
      sent       10
      1 API call made, 10 segments sent or scheduled
    >>> test = ptdata.send(plan, client, test_to=["+14155550199"], progress=False)
    >>> test.frame[["phone", "status"]].values.tolist()   # a test to yourself first
    [['+14155550199', 'sent']]
    """
    RateLimiter(rate, burst=burst)  # bad settings refused before anything is asked or sent
    if test_to is not None:
        from ptdata.bulk.sendtest import refuse_campaign_options

        refuse_campaign_options(
            again=again, resend_unknown=resend_unknown, max_per_recipient=max_per_recipient
        )
        if not isinstance(plan, Plan):
            raise UsageError(
                f"send() takes the Plan made by ptdata.plan(...), not {type(plan).__name__}"
            )
        return send_test(
            plan,
            client,
            test_to,
            rate=rate,
            progress=progress,
            ledger=ledger,
            stop_on_auth=stop_on_auth,
            clock=clock,
            sleep=sleep,
        )
    with PendingSend(
        plan,
        client,
        ledger=ledger,
        again=again,
        resend_unknown=resend_unknown,
        max_per_recipient=max_per_recipient,
    ) as pending:
        return pending.run(
            rate=rate,
            burst=burst,
            concurrency=concurrency,
            progress=progress,
            stop_on_auth=stop_on_auth,
            max_rate_limited=max_rate_limited,
            clock=clock,
            sleep=sleep,
        )


def send_test(
    plan: Plan,
    client: Any,
    to: Any,
    *,
    region: str = "US",
    rate: float = 5.0,
    progress: bool = True,
    ledger: Ledger | str | os.PathLike[str] | bool | None = None,
    stop_on_auth: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Text the campaign's first message to the test numbers ``to`` now; record it as a test.

    What ``send(plan, client, test_to=to)`` does (see ``ptdata.bulk.sendtest``).
    """
    from ptdata.bulk.sendtest import plan_for_test, read_test_numbers

    numbers, written = read_test_numbers(to, region)
    test = plan_for_test(plan, numbers, written)
    job_id = uuid.uuid4().hex
    notes = [
        "a test: only the test numbers were texted, now; the campaign itself was not sent "
        "(its recipients get it when you send it without test_to / --test-to)"
    ]
    book, own = open_ledger(ledger)
    try:
        campaign, job = plan.campaign, None
        if book is not None:
            account = account_of(book, client, notes)
            campaign = campaign_of(book, account.related, plan, [])
            job = dict(
                account=account.key,
                campaign=campaign,
                campaign_name=plan.settings.campaign_name,
                shape=plan.shape,
                message=plan.settings.message_as_written,
                test=True,
            )
        run = run_calls(
            job_id,
            range(test.n_calls),
            test.call,
            client,
            sizes=test.messages_per_call,
            description={"rows": len(test.frame), "calls": test.n_calls, "test": True},
            messages=messages_of(test) if book is not None else None,
            rate=rate,
            progress=progress,
            ledger=book if book is not None else False,
            stop_on_auth=stop_on_auth,
            job=job,
            clock=clock,
            sleep=sleep,
            desc="test send",
        )
    finally:
        if own and book is not None:
            book.close()
    frame = results_frame(
        test,
        run.outcomes,
        job_id=job_id,
        not_attempted=("skipped", "run_stopped", run.stopped or "not attempted"),
    )
    frame["campaign"] = campaign_label(campaign)
    notes.insert(1, str(test.frame["note"].iloc[0]).removeprefix("test: "))
    return Report(frame, job_id=job_id, calls_made=run.calls_made, stopped=run.stopped, notes=notes)


class PendingSend:
    """A send about to happen: the history read, who is skipped and why, the lock held.

    Use it as a context manager; ``plan`` is what will be sent (already-reached recipients
    skipped), ``summary()`` says so, ``run()`` sends.
    """

    def __init__(
        self,
        plan: Plan,
        client: Any,
        *,
        ledger: Ledger | str | os.PathLike[str] | bool | None = None,
        again: bool = False,
        resend_unknown: bool = False,
        max_per_recipient: tuple[int, float] | None = None,
        now: datetime | None = None,
    ) -> None:
        if not isinstance(plan, Plan):
            raise UsageError(
                f"send() takes the Plan made by ptdata.plan(...), not {type(plan).__name__}"
            )
        self.original = plan
        self.plan = plan
        self.client = client
        self.again = bool(again)
        self.resend_unknown = bool(resend_unknown)
        self.cap = _cap(max_per_recipient)
        self.now = now or datetime.now(UTC)
        self.job_id = uuid.uuid4().hex
        self._ledger_arg = ledger
        self._stack = contextlib.ExitStack()
        self.book: Ledger | None = None
        self.account: Account | None = None
        self.campaign = plan.campaign
        self.round = 1
        self.notes: list[str] = []
        #: per skipped row (by position): campaign_id, when, job of the earlier message
        self._earlier: pd.DataFrame | None = None
        self.already_sent = 0
        self.earlier_unknown = 0

    # -- reading the history --------------------------------------------------------------------

    def __enter__(self) -> PendingSend:
        try:
            self._open()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _open(self) -> None:
        book, own = open_ledger(self._ledger_arg)
        if book is None:
            return
        if own:
            self._stack.callback(book.close)
        self.book = book
        self.account = account_of(book, self.client, self.notes)
        accounts = self.account.related
        self.campaign = campaign_of(book, accounts, self.plan, self.notes)
        self._stack.enter_context(book.hold(f"{self.account.key}|{self.campaign}"))
        book.settle_interrupted(account=self.account.key, campaign=self.campaign)
        self.round = self._round(book, accounts)
        self._skip_reached(book, accounts)
        if self.cap is not None:
            self._skip_capped(book, accounts)

    def _round(self, book: Ledger, accounts: tuple[str, ...]) -> int:
        rounds = book.rounds(accounts, self.campaign)
        if not rounds:
            return 1
        latest, finished = rounds[-1]
        if not self.again:
            return latest
        if finished:
            return latest + 1
        self.notes.append(
            f"round {latest} of this campaign did not finish (its run stopped): "
            "--again resumes it instead of starting another; once it has "
            "finished, --again starts a new round"
        )
        return latest

    def _skip_reached(self, book: Ledger, accounts: tuple[str, ...]) -> None:
        rows = book.reached(accounts, self.campaign, self.round)
        if not rows:
            return
        earlier = pd.DataFrame(
            rows, columns=["recipient", "occasion", "state", "when", "job_id", "campaign_id"]
        )
        earlier = earlier.drop_duplicates(["recipient", "occasion"], keep="last")
        keys = self.plan.recipient_keys()
        planned = (self.plan.frame["status"] == "planned").to_numpy()
        merged = keys.reset_index(drop=True).merge(
            earlier, how="left", on=["recipient", "occasion"], sort=False
        )
        state = merged["state"].to_numpy(dtype=object, na_value=None)
        done = planned & np.isin(state, ["sent", "scheduled"])
        unsure = planned & np.isin(state, ["unknown", "intent"]) & (not self.resend_unknown)
        self._earlier = merged[["campaign_id", "when", "job_id"]]
        when = merged["when"].map(_when, na_action="ignore").astype("str")
        job = merged["job_id"].astype("str").str.slice(0, 12)
        plan = self.plan.skip(
            done,
            "already_sent",
            "already sent on " + when + " (job " + job + "); --again (again=True) sends it again",
        )
        self.plan = plan.skip(
            unsure,
            "earlier_unknown",
            "an earlier run on " + when + " (job " + job + ") may or may not "
            "have sent it; --resend-unknown (resend_unknown=True) sends it "
            "again if you know it did not go out",
        )
        self.already_sent = int(done.sum())
        self.earlier_unknown = int(unsure.sum())

    def _skip_capped(self, book: Ledger, accounts: tuple[str, ...]) -> None:
        if self.cap is None:
            return
        n, hours = self.cap
        since = (self.now - timedelta(hours=hours)).isoformat(timespec="milliseconds")
        counts = dict(book.sent_since(accounts, since))
        planned = self.plan.frame["status"] == "planned"
        recipient = self.plan.frame["recipient"].astype("str")
        before = recipient.map(counts).fillna(0).astype("int64")
        # this run's own messages count too, in plan order
        rank = recipient.where(planned).groupby(recipient.where(planned)).cumcount()
        over = (planned & (before + rank.reindex(recipient.index).fillna(0) >= n)).to_numpy()
        self.plan = self.plan.skip(
            over,
            "frequency_cap",
            f"already {n} message{'s' if n != 1 else ''} within "
            f"{hours:g} hours (max_per_recipient / --max-per-recipient)",
        )

    # -- what it says ---------------------------------------------------------------------------

    @property
    def everyone_reached(self) -> bool:
        """True when the campaign already reached every recipient the plan would send to."""
        return self.plan.n_calls == 0 and self.already_sent > 0

    def summary(self) -> Summary:
        """What will be sent, what is skipped as already sent, and why."""
        p = self.plan
        lines: list[str] = [p.summary()]
        if self.already_sent or self.earlier_unknown:
            last = self._last_sent()
            lines.append(
                f"  {self.already_sent:,} already got this campaign"
                + (f" (last on {last})" if last else "")
                + (f", {self.earlier_unknown:,} may have (unknown)" if self.earlier_unknown else "")
                + ": skipped"
            )
        if self.everyone_reached:
            lines.append(
                "  Everyone in this plan already got this campaign: nothing to send. "
                "To send it again on purpose, pass --again (again=True) or give it "
                "another --campaign name."
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return Summary("\n".join(lines))

    def _last_sent(self) -> str | None:
        if self._earlier is None:
            return None
        when = self._earlier["when"].dropna()
        return _when(when.max()) if len(when) else None

    # -- sending --------------------------------------------------------------------------------

    def run(
        self,
        *,
        rate: float = 5.0,
        burst: int = 1,
        concurrency: int | None = None,
        progress: bool = True,
        stop_on_auth: bool = True,
        max_rate_limited: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Report:
        """Send what is left to send; the report of every row."""
        RateLimiter(rate, burst=burst)  # checks rate and burst even when there is nothing to send
        plan = self.plan
        if plan.n_calls == 0:
            frame = planned_frame(plan, job_id=self.job_id)
            frame["status"] = frame["status"].replace({"planned": "skipped"})
            return self._report(frame, 0, None)
        sizes = plan.messages_per_call  # a group counts its members on the progress bar
        job = None
        if self.account is not None:
            job = dict(
                account=self.account.key,
                campaign=self.campaign,
                campaign_name=plan.settings.campaign_name,
                round=self.round,
                shape=plan.shape,
                message=plan.settings.message_as_written,
            )
        run = run_calls(
            self.job_id,
            range(plan.n_calls),
            plan.call,
            self.client,
            sizes=sizes,
            description={
                "rows": len(plan.frame),
                "calls": plan.n_calls,
                "kind": plan.settings.kind,
                "to": plan.settings.to,
            },
            messages=self._messages(),
            rate=rate,
            burst=burst,
            concurrency=concurrency,
            progress=progress,
            ledger=self.book if self.book is not None else False,
            stop_on_auth=stop_on_auth,
            max_rate_limited=max_rate_limited,
            job=job,
            clock=clock,
            sleep=sleep,
        )
        if self.book is not None and self.account is not None and run.account_id:
            self.account = self.book.learn_account_id(self.account, run.account_id)
        frame = results_frame(
            plan,
            run.outcomes,
            job_id=self.job_id,
            not_attempted=("skipped", "run_stopped", run.stopped or "not attempted"),
        )
        return self._report(frame, run.calls_made, run.stopped)

    def _report(self, frame: pd.DataFrame, calls_made: int, stopped: str | None) -> Report:
        if self._earlier is not None:
            earlier = frame["reason"].isin(["already_sent", "earlier_unknown"]).to_numpy()
            e = self._earlier
            frame.loc[earlier, "campaign_id"] = e.loc[earlier, "campaign_id"].astype("str").values
            frame.loc[frame["reason"] == "earlier_unknown", "status"] = "unknown"
        frame["campaign"] = campaign_label(self.campaign)
        return Report(
            frame,
            job_id=self.job_id,
            calls_made=calls_made,
            stopped=stopped,
            already_sent=self.already_sent,
            notes=list(self.notes),
        )

    def _messages(self) -> Callable[[Call], list[tuple]] | None:
        """Whom each call reaches, as its intent records it."""
        return None if self.book is None else messages_of(self.plan)


def messages_of(plan: Plan) -> Callable[[Call], list[tuple]]:
    """Whom each call of ``plan`` reaches, as the history records it with the call's intent."""
    keys = plan.recipient_keys()
    recipient = keys["recipient"].to_numpy(dtype=object, na_value=None)
    occasion = keys["occasion"].to_numpy(dtype=object, na_value="")
    text_fp = keys["text_fp"].to_numpy(dtype=object)
    when = plan.frame["scheduled_for"]
    when = when.dt.strftime("%Y-%m-%dT%H:%M:%S.000+00:00").to_numpy(dtype=object, na_value=None)
    rows = plan.frame["row"].to_numpy(dtype=object, na_value=None)
    target = _TARGETS[plan.settings.to]
    # a group's members, as the plan read them from GetGroups' ContactsCount
    members = (
        plan.frame["members"].astype("Int64").to_numpy(dtype=object, na_value=None)
        if target == "group" and "members" in plan.frame.columns
        else np.full(len(plan.frame), None, dtype=object)
    )

    def messages(call: Call) -> list[tuple]:
        return [
            (recipient[i], occasion[i], target, members[i], text_fp[i], when[i], rows[i])
            for i in call.rows
        ]

    return messages


def account_of(book: Ledger, client: Any, notes: list[str]) -> Account:
    """Whose history a run reads and writes (a note in ``notes`` when it cannot be sure)."""
    account = book.account(
        server_of(client), _account_id(client), client.key_fingerprint(book.salt)
    )
    if not account.exact:
        notes.append(
            "Power Textor has not named this key's account yet: the history of "
            "every account on this server counts, to be safe"
        )
    return account


def campaign_of(book: Ledger, accounts: tuple[str, ...], plan: Plan, notes: list[str]) -> str:
    """The campaign ``plan`` belongs to: its own, or an earlier one whose message it nearly is."""
    if plan.settings.campaign_name:
        return plan.campaign
    earlier = book.campaigns(accounts, plan.shape)
    if any(c == plan.campaign for c, _, _ in earlier):
        return plan.campaign
    mine = _normal(plan.settings.message_as_written)
    for campaign, message, last in earlier:
        matcher = difflib.SequenceMatcher(None, mine, _normal(message or ""), autojunk=False)
        if matcher.real_quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
            notes.append(
                f"this message is {matcher.ratio():.0%} like that of an earlier campaign "
                f"(last sent {_when(last)}), so it is taken as that campaign: whoever got "
                "that message is skipped. If it is a new message, pass --again "
                "(again=True) or name it with --campaign NAME"
            )
            return campaign
    return plan.campaign


def server_of(client: Any) -> str:
    """The server a client talks to, as the history names it (``scheme://host:port``)."""
    import httpx

    url = httpx.URL(str(client.base_url))
    port = url.port or {"https": 443, "http": 80}.get(url.scheme, 0)
    return f"{url.scheme}://{url.host.lower()}:{port}"


def _account_id(client: Any) -> str | None:
    """The AccountId of the client's key, from GetPlaces (None when it lists no place)."""
    from ptdata.api.errors import AuthenticationError

    try:
        places = client.places(refresh=False)
    except AuthenticationError:
        raise
    except Exception:
        return None
    return next((str(p.account_id) for p in places if p.account_id), None)


def _cap(value: Any) -> tuple[int, float] | None:
    if value is None:
        return None
    try:
        n, hours = value
        n, hours = int(n), float(hours)
    except (TypeError, ValueError):
        raise UsageError(
            f"max_per_recipient takes (N, hours), e.g. (3, 24), not {value!r}"
        ) from None
    if n < 1 or not hours > 0:
        raise UsageError(f"max_per_recipient: N must be ≥ 1 and hours > 0, not {value!r}")
    return n, hours


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _when(iso: Any) -> str:
    """ISO UTC text as ``2026-12-01 14:02 UTC``."""
    try:
        return pd.Timestamp(iso).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
    except (ValueError, TypeError):
        return str(iso)
