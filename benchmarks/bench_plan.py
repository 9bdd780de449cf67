"""Benchmark: planning (the dry run) of a million recipients, versus a naive per-row loop.

Two campaigns over N rows: one message for all (batched into N/100 calls) and a personalised
template (one distinct body per row). Prints the plan time (target: ≤ 10 s for 1M), the
memory the plan took (peak RSS above the input frame, sampled), and the same work done the
naive way - a Python loop per row (phonenumbers parse/format, str.format, segment count,
operation lookup, a dict of fields per call) - timed on a sample and extrapolated.

    .venv/bin/python benchmarks/bench_plan.py                # 1,000,000 rows
    .venv/bin/python benchmarks/bench_plan.py --size 200000
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import phonenumbers

import ptdata
from ptdata.api.operations import find_operation
from ptdata.sheets.segments import sms_segments

BODY = "Spring sale: 20% off everything this weekend!"
TEMPLATE = "Hi {Name}, your table for {Party} is ready at {Time}."


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class PeakRSS:
    """Samples the resident memory every 5 ms while the block runs."""

    def __enter__(self):
        self.peak = self.start = rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_mb())


def make_frame(n: int) -> pd.DataFrame:
    i = np.arange(n)
    area = np.array([212, 312, 415, 503, 617, 702, 808, 919])[i % 8]
    phones = pd.Series(
        np.char.add(np.char.add("+1", area.astype(str)), (2000000 + i // 8).astype(str)),
        dtype="str",
    )
    return pd.DataFrame(
        {
            "Phone": phones,
            "Name": pd.Series(np.char.add("Guest ", (i % 50000).astype(str)), dtype="str"),
            "Party": pd.Series((2 + i % 6).astype(str), dtype="str"),
            "Time": pd.Series(np.where(i % 2, "7:30 PM", "8:00 PM"), dtype="str"),
        }
    )


def naive(frame: pd.DataFrame, template: str | None) -> int:
    """The loop people write first: every row through Python objects."""
    batches: dict[tuple, list[str]] = defaultdict(list)
    seen: set[str] = set()
    calls = []
    for row in frame.itertuples(index=False):
        num = phonenumbers.parse(row.Phone, "US")
        if not phonenumbers.is_valid_number(num):
            continue
        phone = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        if phone in seen:
            continue
        seen.add(phone)
        body = template.format(Name=row.Name, Party=row.Party, Time=row.Time) if template else BODY
        info = sms_segments(body)
        batches[(body, info.segments)].append(phone)
    for (body, _), phones in batches.items():
        for k in range(0, len(phones), 100):
            chunk = phones[k : k + 100]
            op = find_operation("text", "now", "numbers" if len(chunk) > 1 else "number")
            calls.append((op.op_id, {op.text_field: body, op.recipient_field: ",".join(chunk)}))
    return len(calls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="rows (default 1,000,000)")
    ap.add_argument(
        "--naive-sample",
        type=int,
        default=20_000,
        help="rows the naive loop is timed on (default 20,000)",
    )
    args = ap.parse_args()
    frame = make_frame(args.size)
    # a fixed daytime "now": quiet hours depend on the clock, the figures should not
    now = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
    ptdata.plan(frame.iloc[:100], body=BODY, now=now)  # warm up imports and compiled patterns
    print(
        f"plan of {args.size:,} rows (input frame: {frame.memory_usage(deep=True).sum() / 1e6:.0f} "
        "MB)"
    )
    for label, kw in (
        ("one message for all", {"body": BODY}),
        ("personalised template", {"template": TEMPLATE}),
    ):
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            p = ptdata.plan(frame, now=now, **kw)
            planned = time.perf_counter() - t0
            t1 = time.perf_counter()
            job = p.job_id
            hashed = time.perf_counter() - t1
        total = planned + hashed
        sample = frame.iloc[: args.naive_sample]
        n0 = time.perf_counter()
        naive(sample, kw.get("template"))
        per_row = (time.perf_counter() - n0) / len(sample)
        naive_total = per_row * args.size
        print(
            f"  {label}: {total:.2f} s (plan {planned:.2f} s + job id {hashed:.2f} s) "
            f"→ {p.n_calls:,} API calls, {p.segments:,} segments; job {job[:12]}"
        )
        print(
            f"    memory: peak {mem.peak - mem.start:,.0f} MB above the input "
            f"({(mem.peak - mem.start) * 1e6 / args.size:.0f} bytes per row); "
            f"plan frame {p.frame.memory_usage(deep=True).sum() / 1e6:,.0f} MB"
        )
        print(
            f"    naive per-row loop: {per_row * 1e6:.1f} µs/row → {naive_total:.1f} s for "
            f"{args.size:,} rows (timed on {len(sample):,}); ptdata.plan is "
            f"{naive_total / total:.1f}× faster"
        )
        target = "met" if total <= 10 * args.size / 1_000_000 else "MISSED"
        print(f"    target ≤ 10 s per million rows: {target}")
        del p
    print(
        f"machine load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
