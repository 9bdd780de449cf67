"""Benchmark: sending against a slow server at a configured rate, versus a sequential loop.

A sandbox runs in its own process with 300 ms latency and a 20/s rate limit (it answers 429
beyond it). ptdata.send sends N personalised messages (one API call each) at rate=20; the
figures come from the server's own request log:

- achieved rate (target: within 5 % of 20/s) and the most requests seen in any 1-second
  window at the server (target: never above 20), and 429s received (target: 0);
- the client's CPU time per message (process CPU / messages; target: < 1 ms), ledger included;
- the same job the naive way (a loop of client calls, one after the other) on a sample,
  extrapolated to N.

    .venv/bin/python benchmarks/bench_send.py            # 400 messages (~20 s)
    .venv/bin/python benchmarks/bench_send.py --size 1200
"""

from __future__ import annotations

import argparse
import os
import socket
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
        [sys.executable, "-m", "ptdata", "sandbox", "--port", str(port), "--latency", str(LATENCY),
         "--rate-limit", str(LIMIT)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    return sorted(datetime.fromisoformat(r["received_at"].replace("Z", "+00:00")).timestamp()
                  for r in requests if r["method"] == "POST")


def max_in_any_second(times: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def frame(n: int, start: int) -> pd.DataFrame:
    return pd.DataFrame({"Phone": [f"+1415{start + i:07d}" for i in range(n)],
                         "Name": [f"Guest {i}" for i in range(n)]}, dtype="str")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=400, help="messages to send (default 400)")
    ap.add_argument("--naive-sample", type=int, default=50,
                    help="messages the naive loop sends to time it (default 50)")
    args = ap.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_sandbox(port)
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                ptdata.PowerTextor(api_key="bench", base_url=url) as client:
            p = ptdata.plan(frame(args.size, 5550000), template="Hi {Name}, doors open at 9!",
                            quiet=None)  # measures pacing, whatever the hour
            cpu0, wall0, main0, os0 = time.process_time(), time.perf_counter(), \
                time.thread_time(), os.times()
            report = ptdata.send(p, client, rate=LIMIT, progress=False,
                                 ledger=Path(tmp) / "ledger.sqlite")
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            main_cpu, os1 = time.thread_time() - main0, os.times()
            sys_cpu = os1.system - os0.system
            reqs = server_requests(url)
            t = times_of(reqs)
            achieved = (len(t) - 1) / (t[-1] - t[0])
            peak = max_in_any_second(t)
            n429 = sum(1 for r in reqs if r["status"] == 429)

            sample = frame(args.naive_sample, 6660000)
            httpx.delete(url + "/_sandbox/requests", timeout=10)
            n0, c0 = time.perf_counter(), time.process_time()
            for phone, name in zip(sample["Phone"], sample["Name"]):
                client.send_text(f"Hi {name}, doors open at 9!", number=phone)
            naive, naive_cpu = time.perf_counter() - n0, time.process_time() - c0
    finally:
        server.terminate()
        server.wait()

    naive_rate = args.naive_sample / naive
    sent = report.counts.get("sent", 0)
    if sent != args.size:
        print(report.summary())
        print(report.frame[report.frame["status"] != "sent"][["row", "status", "reason", "message"]].head(5).to_string())
    print(f"ptdata.send: {args.size} messages, {args.size} API calls, server latency "
          f"{LATENCY * 1000:.0f} ms, rate limit {LIMIT:g}/s")
    print(f"  sent {sent}/{args.size} in {wall:.1f} s; achieved {achieved:.2f}/s at the server "
          f"= {achieved / LIMIT:.1%} of {LIMIT:g}/s (target ≥ 95 %)")
    print(f"  most requests in any 1-second window at the server: {peak} (limit {LIMIT:g}); "
          f"429s: {n429}")
    print(f"  client CPU: {cpu:.2f} s = {cpu / args.size * 1000:.2f} ms per message "
          "(target < 1 ms; includes planning rows to calls, ledger writes and the HTTP client)")
    print(f"    of which in the kernel {sys_cpu / args.size * 1000:.2f} ms (sockets, the ledger's "
          f"fsyncs, thread wake-ups); calling thread {main_cpu / args.size * 1000:.2f} ms "
          "(set-up, ledger open, report), the rest in the sending threads")
    print(f"naive loop (one call after the other): {naive_rate:.2f}/s over {args.naive_sample} "
          f"messages → {args.size / naive_rate:.0f} s for {args.size}; client CPU "
          f"{naive_cpu / args.naive_sample * 1000:.2f} ms per message (no ledger, no pacing)")
    print(f"  ptdata.send finished {(args.size / naive_rate) / wall:.1f}× sooner; its CPU per message "
          f"is {(cpu / args.size) / (naive_cpu / args.naive_sample):.2f}× the naive loop's")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ok = sent == args.size and achieved >= 0.95 * LIMIT and peak <= LIMIT and n429 == 0 \
        and cpu / args.size < 0.001
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
