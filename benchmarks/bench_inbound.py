"""Load a 1M-payload webhook dump: ``ptdata.load_inbound`` beside ``pd.read_json(lines=True)``
and DuckDB's ``read_ndjson``, clean, with one torn line mid-file, and with made-up field names.

Generates a dump in the listener's format (JSON lines, ~90% SMS / 10% MMS, a few duplicate
deliveries, form-posted text values) in a temporary folder, then loads it with each reader in
its own fresh subprocess, so each peak memory (ru_maxrss) is measured alone. Then the same
dump with one line torn in the middle (what a listener crash leaves for good) is loaded, the
same dump with one line of 990 made-up fields in the middle (the listener accepts up to
1,000), and the same dump with every 250th line bringing ten field names no other line has
(a leaked listener URL or a broken relay); with ``--big`` a 10M-payload dump. Prints time,
peak memory and the ratios. Targets for load_inbound: <= 2 s and <= 1.2 GB for 1M payloads;
the torn dump and the wide line within 1.2x the clean one (the flood of names has no target:
those lines go through Python, and the figure shows what that costs).
pyarrow's JSON reader alone (the parser load_inbound uses, on the whole file with its own
type inference) is printed as the floor any load through it sits on, so a figure from a slow
day can be read against it. DuckDB comes with the ``bench`` extra (``pip install -e
'.[bench]'``); without it that column is skipped with a note.

    python benchmarks/bench_inbound.py                 # 1,000,000 payloads, every reader
    python benchmarks/bench_inbound.py --rows 200000 --skip-naive
    python benchmarks/bench_inbound.py --big           # and 10,000,000 payloads (minutes, ~10 GB)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_SECONDS = 2.0
TARGET_MB = 1200.0

BODIES = [
    "Yes",
    "YES",
    "Y",
    "No",
    "STOP",
    "Stop.",
    "stop",
    "HELP",
    "START",
    "Confirmed",
    "Thanks! See you Tuesday",
    "please stop texting me",
    "Can I reschedule to Friday?",
    "What time is my appointment tomorrow?",
    "ok \U0001f44d",
    "Who is this?",
    "C",
    "Running 10 min late, sorry!",
    "yes please",
    "Is parking available?",
]
PLACES = [
    ("MA", "BOSTON", "02134"),
    ("CA", "SAN FRANCISCO", "94110"),
    ("NY", "NEW YORK", "10001"),
    ("TX", "AUSTIN", "78701"),
    ("IL", "CHICAGO", "60614"),
    ("FL", "MIAMI", "33101"),
    ("WA", "SEATTLE", "98101"),
    ("NJ", "NEWARK", "07102"),
]
ACCOUNT = "AC5ef8732a3c49700934481addd5ce1659"
SERVICE = "MG9752274e9e519418a7406176694466fa"


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write ``rows`` payload lines like the listener's; returns the file size in bytes."""
    from ptdata.inbound.listener import dump_line

    rnd = random.Random(seed)
    start = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
    with open(path, "wb") as f:
        buf = []
        last = None
        for i in range(rows):
            if last is not None and rnd.random() < 0.002:  # a repeated delivery
                payload, kind = last
            else:
                state, city, zip_ = rnd.choice(PLACES)
                area = rnd.choice(["617", "415", "212", "512", "312"])
                phone = f"+1{area}555{rnd.randrange(10000):04d}"
                body = rnd.choice(BODIES)
                if rnd.random() < 0.1:
                    sid = f"MM{rnd.getrandbits(128):032x}"
                    kind = "mms"
                    payload = {
                        "MessageSid": sid,
                        "SmsSid": sid,
                        "Body": body,
                        "NumMedia": "1",
                        "ReferralNumMedia": "0",
                        "AccountSid": ACCOUNT,
                        "From": phone,
                        "To": "+14155550100",
                        "FromCity": city,
                        "FromState": state,
                        "FromZip": zip_,
                        "FromCountry": "US",
                        "ToState": "CA",
                        "ToCountry": "US",
                        "mediaURL": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
                        f"/Messages/{sid}/Media/ME{rnd.getrandbits(128):032x}",
                        "contentType": "image/jpeg",
                    }
                else:
                    kind = "sms"
                    oot = {"STOP": "STOP", "START": "START", "HELP": "HELP"}.get(body, "")
                    payload = {
                        "SmsSid": f"SM{rnd.getrandbits(128):032x}",
                        "Body": body,
                        "MessageStatus": "received",
                        "OptOutType": oot,
                        "MessagingServiceSid": SERVICE,
                        "AccountSid": ACCOUNT,
                        "From": phone,
                        "To": "+14155550100",
                        "FromCity": city,
                        "FromState": state,
                        "FromZip": zip_,
                        "FromCountry": "US",
                        "ToCity": "SAN FRANCISCO",
                        "ToState": "CA",
                        "ToZip": "94105",
                        "ToCountry": "US",
                    }
                last = (payload, kind)
            buf.append(dump_line(payload, kind, start + timedelta(seconds=i * 0.7)))
            if len(buf) >= 10000:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
    return path.stat().st_size


def tear_middle_line(path: Path, torn: Path) -> int:
    """A copy of the dump with the middle line cut short; returns its line number."""
    size = path.stat().st_size
    with open(path, "rb") as src, open(torn, "wb") as dst:
        half = src.read(size // 2)
        start = half.rfind(b"\n") + 1
        dst.write(half[:start])
        line = src.readline()
        rest = half[start:] + line
        dst.write(rest[: len(rest) // 2] + b"\n")  # a crash mid-write, then a newline
        while block := src.read(64 << 20):
            dst.write(block)
    return half[:start].count(b"\n") + 1


def widen_middle_line(path: Path, wide: Path, fields: int = 990) -> int:
    """A copy of the dump with a line of ``fields`` made-up fields inserted in the middle;
    returns its line number."""
    size = path.stat().st_size
    with open(path, "rb") as src, open(wide, "wb") as dst:
        half = src.read(size // 2)
        start = half.rfind(b"\n") + 1
        dst.write(half[:start])
        made_up = {f"x{k:04d}": "v" for k in range(fields)}
        dst.write(json.dumps({"SmsSid": "SMwide", "From": "+14155550199", **made_up}).encode())
        dst.write(b"\n" + half[start:])
        while block := src.read(64 << 20):
            dst.write(block)
    return half[:start].count(b"\n") + 1


def flood_names(path: Path, flood: Path, every: int = 250, names: int = 10) -> int:
    """A copy of the dump where every ``every``-th line also carries ``names`` field names
    no other line has; returns how many lines do."""
    count = 0
    with open(path, "rb") as src, open(flood, "wb") as dst:
        for i, line in enumerate(src):
            if i % every == every - 1:
                extra = ",".join(f'"n{i}_{j}":"v"' for j in range(names)).encode()
                line = line.rstrip(b"\n")[:-1] + b"," + extra + b"}\n"
                count += 1
            dst.write(line)
    return count


def _child(reader: str, path: str) -> None:
    """Runs in a fresh process: import, then time one load; print the figures as JSON.

    Every reader is imported before the clock starts (``import ptdata`` is lazy, so
    ``ptdata.load_inbound`` is looked up first, as ``import duckdb`` is done first): the
    figures are the load's, not a one-off import's.
    """
    import pandas as pd

    import ptdata

    load_inbound = ptdata.load_inbound  # imports ptdata.inbound
    if reader == "duckdb":
        import duckdb
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    skipped = None
    if reader == "load_inbound":
        frame = load_inbound(path)
        skipped = frame.attrs["ptdata.load"]["skipped_lines"]
    elif reader == "pyarrow":  # the JSON parser load_inbound uses, alone: the floor
        import pyarrow.json as pj

        frame = pj.read_json(path).to_pandas(types_mapper=pd.ArrowDtype)
    elif reader == "duckdb":  # its own type detection; to pandas through Arrow, no copy
        rel = duckdb.sql(f"SELECT * FROM read_ndjson('{path}', ignore_errors=true)")
        table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    else:
        frame = pd.read_json(path, lines=True)
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    peak = r1.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak,
                "baseline_mb": base,
                "rows": len(frame),
                "skipped": skipped,
                "from_dtype": str(frame["From"].dtype),
                "from_first": str(frame["From"].iloc[0]),
                "zip_first": str(frame["FromZip"].iloc[0]),
            }
        )
    )


def measure(reader: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", reader, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(name: str, r: dict) -> str:
    return (
        f"{name:<26} {r['seconds']:6.2f} s (cpu {r['cpu']:5.2f} s)  peak {r['peak_mb']:6.0f} MB"
        f"  rows {r['rows']:,}  From {r['from_first']} ({r['from_dtype']}), "
        f"FromZip {r['zip_first']}"
    )


def _best(reader: str, path: Path, repeat: int) -> dict:
    runs = [measure(reader, path) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r["seconds"])
    if len(runs) > 1:
        best["all"] = ", ".join(f"{r['seconds']:.2f} s / {r['peak_mb']:.0f} MB" for r in runs)
    return best


def _quiet_note() -> None:
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) * 0.5:
        print(
            f"  note: load average {load:.1f} on {os.cpu_count()} cores before measuring "
            "(other work): wall times are inflated; cpu time is the steadier figure"
        )


def _has_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def generate_copies(path: Path, copies: int, base: Path) -> int:
    """``copies`` of the ``base`` dump, each with its own message ids (so none is dropped as
    a repeated delivery): many payloads in seconds instead of minutes."""
    data = base.read_bytes()
    with open(path, "wb") as f:
        for k in range(copies):
            mark = chr(ord("A") + k).encode()
            f.write(
                data.replace(b'Sid":"SM', b'Sid":"S' + mark).replace(b'Sid":"MM', b'Sid":"M' + mark)
            )
    return path.stat().st_size


def run(rows: int, tmp: Path, *, naive: bool, repeat: int, torn: bool = True) -> None:
    path = tmp / f"inbound-{rows}.jsonl"
    t0 = time.perf_counter()
    if rows > 1_000_000 and rows % 1_000_000 == 0 and rows <= 26_000_000:
        base = tmp / "base.jsonl"
        generate(base, 1_000_000)
        size = generate_copies(path, rows // 1_000_000, base)
        base.unlink()
    else:
        size = generate(path, rows)
    print(f"generated {rows:,} payloads ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    torn_path = tmp / f"inbound-{rows}-torn.jsonl"
    wide_path = tmp / f"inbound-{rows}-wide.jsonl"
    flood_path = tmp / f"inbound-{rows}-flood.jsonl"
    line = tear_middle_line(path, torn_path) if torn else 0
    wide_line = widen_middle_line(path, wide_path) if torn else 0
    flooded = flood_names(path, flood_path) if torn else 0
    os.sync()  # nothing still being written out while the loads are timed
    _quiet_note()
    clean_runs, torn_runs, wide_runs = [], [], []
    for _ in range(max(1, repeat)):  # clean and damaged in turns: the same conditions for all
        clean_runs.append(measure("load_inbound", path))
        if torn:
            torn_runs.append(measure("load_inbound", torn_path))
            wide_runs.append(measure("load_inbound", wide_path))
    fast = min(clean_runs, key=lambda r: r["seconds"])
    print(_line("load_inbound", fast))
    if len(clean_runs) > 1:
        print(
            "  all runs: "
            + ", ".join(f"{r['seconds']:.2f} s / {r['peak_mb']:.0f} MB" for r in clean_runs)
        )
    scale = rows / 1_000_000
    ok_time = fast["seconds"] <= TARGET_SECONDS * scale
    ok_mem = fast["peak_mb"] <= TARGET_MB * max(scale, 1)
    if rows == 1_000_000:
        print(
            f"  target <= {TARGET_SECONDS} s: {'met' if ok_time else 'MISSED'}; "
            f"<= {TARGET_MB / 1000:.1f} GB: {'met' if ok_mem else 'MISSED'}"
        )
    if torn:
        cut = min(torn_runs, key=lambda r: r["seconds"])
        print(_line(f"load_inbound, torn line {line:,}", cut))
        print(f"  skipped: {cut['skipped']}")
        t_ratio, m_ratio = cut["seconds"] / fast["seconds"], cut["peak_mb"] / fast["peak_mb"]
        print(
            f"  torn / clean: {t_ratio:.2f}x the time ({cut['cpu'] / fast['cpu']:.2f}x the cpu),"
            f" {m_ratio:.2f}x the memory "
            f"(target <= 1.2x: {'met' if max(t_ratio, m_ratio) <= 1.2 else 'MISSED'})"
        )
        torn_path.unlink()
        wide = min(wide_runs, key=lambda r: r["seconds"])
        print(_line(f"load_inbound, 990 made-up fields on line {wide_line:,}", wide))
        t_ratio, m_ratio = wide["seconds"] / fast["seconds"], wide["peak_mb"] / fast["peak_mb"]
        print(
            f"  wide / clean: {t_ratio:.2f}x the time, {m_ratio:.2f}x the memory "
            f"(target <= 1.2x: {'met' if max(t_ratio, m_ratio) <= 1.2 else 'MISSED'})"
        )
        wide_path.unlink()
        names = measure("load_inbound", flood_path)
        print(_line(f"load_inbound, {flooded:,} lines bringing 10 new names each", names))
        print(
            f"  flood / clean: {names['seconds'] / fast['seconds']:.2f}x the time, "
            f"{names['peak_mb'] / fast['peak_mb']:.2f}x the memory (no target)"
        )
        flood_path.unlink()
    bare = _best("pyarrow", path, repeat)
    print(_line("pyarrow.json.read_json", bare))
    print(
        f"  the parser alone: load_inbound takes {fast['seconds'] / bare['seconds']:.2f}x its "
        f"time ({fast['cpu'] / bare['cpu']:.2f}x its cpu)"
        + (
            f"; on this machine now no load through it can meet {TARGET_SECONDS} s"
            if rows == 1_000_000 and bare["seconds"] > TARGET_SECONDS
            else ""
        )
    )
    if _has_duckdb():
        duck = _best("duckdb", path, repeat)
        print(_line("duckdb read_ndjson", duck))
        print(
            f"  load_inbound takes {fast['seconds'] / duck['seconds']:.2f}x DuckDB's time and "
            f"{fast['peak_mb'] / duck['peak_mb']:.2f}x its memory"
        )
    else:
        print(
            "duckdb read_ndjson          skipped: duckdb is not installed "
            "(pip install -e '.[bench]')"
        )
    if naive:
        slow = measure("read_json", path)  # once: ~30 s and ~8 GB
        print(_line("pd.read_json(lines=True)", slow))
        print(
            f"  ratio: load_inbound is {slow['seconds'] / fast['seconds']:.1f}x faster and "
            f"peaks at {fast['peak_mb'] / slow['peak_mb']:.2f}x the memory"
        )
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--skip-naive",
        action="store_true",
        help="do not run pd.read_json(lines=True) (slow, needs ~8 GB at 1M rows)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of load_inbound and DuckDB (the fastest is kept)",
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help="also load 10,000,000 payloads (minutes; ~5 GB of dump on disk)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child)
    with tempfile.TemporaryDirectory() as tmp:
        run(args.rows, Path(tmp), naive=not args.skip_naive, repeat=args.repeat)
        if args.big:
            print()
            run(10_000_000, Path(tmp), naive=False, repeat=1, torn=False)


if __name__ == "__main__":
    main()
