"""Benchmark: sending against a slow server at a configured rate, versus a sequential loop.

A sandbox runs in its own process with 300 ms latency and a 20/s rate limit (it answers 429
beyond it). ptdata.send sends N personalised messages (one API call each) at rate=20, ledger
on, in each of R rounds; the figures come from the server's own request log:

- achieved rate (target: within 3 % of 20/s) and the most requests seen in any 1-second
  window at the server (target: never above 20), and 429s received (target: 0), worst round;
- the client's CPU time per message (process CPU / messages), history included, the median
  of the rounds: printed, not a target (at these rates it is a rounding error);
- the already-sent check of a 100,000-recipient campaign re-run (target: under 2 s), beside
  the naive way: one history look-up per recipient;
- the same job the naive way: a loop of ``httpx.Client.post`` calls, one after the other, as
  one writes it by hand, on a sample, extrapolated to N - its time, and its CPU per message
  (no ledger, no pacing) as the yardstick for this machine.

    .venv/bin/python benchmarks/bench_send.py            # 3 rounds of 400 messages (~90 s)
    .venv/bin/python benchmarks/bench_send.py --size 1200 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import pandas as pd

import ptdata

LATENCY = 0.3
LIMIT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ptdata",
            "sandbox",
            "--port",
            str(port),
            "--latency",
            str(LATENCY),
            "--rate-limit",
            str(LIMIT),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/_sandbox/health", timeout=1).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def server_requests(url: str) -> list[dict]:
    return httpx.get(url + "/_sandbox/requests", timeout=30).json()


def times_of(requests: list[dict]) -> list[float]:
    return sorted(
        datetime.fromisoformat(r["received_at"].replace("Z", "+00:00")).timestamp()
        for r in requests
        if r["method"] == "POST"
    )


def max_in_any_second(times: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def frame(n: int, start: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Phone": [f"+1415{start + i:07d}" for i in range(n)],
            "Name": [f"Guest {i}" for i in range(n)],
        },
        dtype="str",
    )


def one_round(url: str, size: int, start: int) -> dict:
    """ptdata.send of ``size`` messages at 20/s with a ledger: CPU and the server's view."""
    httpx.delete(url + "/_sandbox/requests", timeout=10)
    with (
        tempfile.TemporaryDirectory() as tmp,
        ptdata.PowerTextor(api_key="bench", base_url=url) as client,
    ):
        p = ptdata.plan(
            frame(size, start), template="Hi {Name}, doors open at 9!", quiet=None
        )  # measures pacing, whatever the hour
        cpu0, wall0, os0 = time.process_time(), time.perf_counter(), os.times()
        main0 = time.thread_time()
        report = ptdata.send(
            p, client, rate=LIMIT, progress=False, ledger=Path(tmp) / "ledger.sqlite"
        )
        cpu, wall, os1 = time.process_time() - cpu0, time.perf_counter() - wall0, os.times()
        main = time.thread_time() - main0
    reqs = server_requests(url)
    t = times_of(reqs)
    if report.counts.get("sent", 0) != size:
        print(report.summary())
        print(
            report.frame[report.frame["status"] != "sent"][["row", "status", "reason", "message"]]
            .head(5)
            .to_string()
        )
    return {
        "sent": report.counts.get("sent", 0),
        "wall": wall,
        "cpu": cpu / size,
        "main": main / size,
        "sys": (os1.system - os0.system) / size,
        "achieved": (len(t) - 1) / (t[-1] - t[0]),
        "peak": max_in_any_second(t),
        "n429": sum(1 for r in reqs if r["status"] == 429),
    }


def naive_loop(url: str, n: int) -> tuple[float, float]:
    """The job as written by hand: httpx.Client.post in a loop. (seconds, CPU per message)."""
    sample = frame(n, 6660000)
    with httpx.Client(base_url=url, timeout=30) as http:
        n0, c0 = time.perf_counter(), time.process_time()
        for phone, name in zip(sample["Phone"], sample["Name"], strict=True):
            reply = http.post(
                "/api/messages/sendsimple",
                headers={"ApiKey": "bench"},
                json={
                    "To": phone,
                    "Body": f"Hi {name}, doors open at 9!",
                    "ReplySTOPToOptOut": False,
                },
            )
            reply.raise_for_status()
        return time.perf_counter() - n0, (time.process_time() - c0) / n


def already_sent_check(n: int) -> tuple[float, float]:
    """A campaign of ``n`` recipients already in the history, re-run: (seconds for the check,
    seconds the naive per-recipient look-up takes, extrapolated from a sample)."""
    from ptdata.bulk.ledger import Ledger
    from ptdata.bulk.sending import PendingSend

    rows = frame(n, 2000000)
    p = ptdata.plan(rows, body="Doors open at 9!", quiet=None, batch_size=100)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"

        class Client:  # what PendingSend asks of a client, without a server
            base_url = "https://connectorservices.powertextor.com"

            def places(self, refresh=False):
                return []

            def key_fingerprint(self, salt):
                return "bench"

        with PendingSend(p, Client(), ledger=path) as pending:  # record everyone as sent
            book, job = pending.book, pending.job_id
            book.start_job(job, account=pending.account.key, campaign=pending.campaign, round=1)
            keys = p.recipient_keys()
            for b in range(p.n_calls):
                call = p.call(b)
                book.intent(
                    job,
                    b,
                    call.key,
                    call.operation.op_id,
                    call.recipients,
                    "2026-12-01",
                    messages=[
                        (
                            keys["recipient"].iat[i],
                            "",
                            "number",
                            None,
                            keys["text_fp"].iat[i],
                            None,
                            int(i),
                        )
                        for i in call.rows
                    ],
                )
                book.outcome(job, b, "sent")
            book.finish_job(job, None)
        t0 = time.perf_counter()
        with PendingSend(p, Client(), ledger=path) as again:
            assert again.already_sent == n, again.already_sent
        check = time.perf_counter() - t0
        with Ledger(path) as book:  # the naive way: one query per recipient, on a sample
            sample = rows["Phone"].head(2000).tolist()
            t0 = time.perf_counter()
            for phone in sample:
                book._db.execute(
                    "SELECT c.state FROM messages m JOIN calls c USING (job_id, "
                    "batch_id) WHERE m.recipient = ?",
                    (phone,),
                ).fetchall()
            naive = (time.perf_counter() - t0) * n / len(sample)
    return check, naive


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=400, help="messages per round (default 400)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of ptdata.send (default 3)")
    ap.add_argument(
        "--history-size",
        type=int,
        default=100_000,
        help="recipients of the already-sent check (default 100,000)",
    )
    ap.add_argument(
        "--naive-sample",
        type=int,
        default=50,
        help="messages the naive loop sends to time it (default 50)",
    )
    args = ap.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_sandbox(port)
    try:
        rounds = [one_round(url, args.size, 5550000 + 100000 * i) for i in range(args.rounds)]
        naive, naive_cpu = naive_loop(url, args.naive_sample)
    finally:
        server.terminate()
        server.wait()
    check, naive_check = already_sent_check(args.history_size)

    cpus = sorted(r["cpu"] for r in rounds)
    cpu = statistics.median(cpus)
    sys_cpu = statistics.median(r["sys"] for r in rounds)
    main_cpu = statistics.median(r["main"] for r in rounds)
    achieved = min(r["achieved"] for r in rounds)
    peak = max(r["peak"] for r in rounds)
    n429 = sum(r["n429"] for r in rounds)
    sent = sum(r["sent"] for r in rounds)
    wall = statistics.median(r["wall"] for r in rounds)
    naive_rate = args.naive_sample / naive
    total = args.size * args.rounds
    print(
        f"ptdata.send: {args.rounds} round(s) of {args.size} messages, one API call each, "
        f"server latency {LATENCY * 1000:.0f} ms, rate limit {LIMIT:g}/s, ledger on"
    )
    print(
        f"  sent {sent}/{total}; a round took {wall:.1f} s; achieved {achieved:.2f}/s at the "
        f"server (worst round) = {achieved / LIMIT:.1%} of {LIMIT:g}/s (target ≥ 97 %)"
    )
    print(
        f"  most requests in any 1-second window at the server: {peak} (limit {LIMIT:g}); "
        f"429s: {n429}"
    )
    print(
        f"  client CPU per message: {cpu * 1000:.2f} ms, median of "
        + ", ".join(f"{c * 1000:.2f}" for c in cpus)
        + " (printed, not a target: the history's two durable writes per call and HTTP)"
    )
    print(
        f"    of which in the kernel {sys_cpu * 1000:.2f} ms (sockets, the ledger's fsync, "
        f"wake-ups); in the calling thread {main_cpu * 1000:.2f} ms (once per run: checks, "
        "the ledger's opening, the report; less per message in a longer run)"
    )
    print(
        f"naive loop (httpx.Client.post, one after the other): {naive_rate:.2f}/s over "
        f"{args.naive_sample} messages → {args.size / naive_rate:.0f} s for {args.size}; "
        f"client CPU {naive_cpu * 1000:.2f} ms per message (no ledger, no pacing)"
    )
    print(
        f"  ptdata.send finished {(args.size / naive_rate) / wall:.1f}× sooner; its CPU per "
        f"message, ledger included, is {cpu / naive_cpu:.2f}× the naive loop's"
    )
    print(
        f"already-sent check of a {args.history_size:,}-recipient campaign re-run: "
        f"{check:.2f} s (target < 2 s); the naive way, one indexed look-up per recipient: "
        f"{naive_check:.2f} s ({naive_check / check:.2f}× the check's time: the check also "
        "plans who is left to send, the look-ups alone do not)"
    )
    print(
        f"  machine load average while measuring: {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores"
    )
    ok = sent == total and achieved >= 0.97 * LIMIT and peak <= LIMIT and n429 == 0 and check < 2.0
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
