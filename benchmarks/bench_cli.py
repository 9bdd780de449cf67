"""Benchmark: how fast ``ptdata --help`` answers, next to ``python -c "import pandas"``.

Each is run as a fresh process, alternately, N times; the medians are compared (target:
``ptdata --help`` faster than importing pandas alone, since the commands import pandas only
when they run). Also times ``ptdata send --help``, the command with the most options.

    .venv/bin/python benchmarks/bench_cli.py            # 15 runs of each (~30 s)
    .venv/bin/python benchmarks/bench_cli.py --runs 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def ptdata_command() -> list[str]:
    """The ``ptdata`` script installed beside this Python, else ``python -m ptdata``."""
    script = Path(sys.executable).parent / "ptdata"
    if script.exists():
        return [str(script)]
    found = shutil.which("ptdata")
    return [found] if found else [sys.executable, "-m", "ptdata"]


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = ap.parse_args()
    ptdata = ptdata_command()
    commands = {
        "ptdata --help": [*ptdata, "--help"],
        "ptdata send --help": [*ptdata, "send", "--help"],
        'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
    }
    for command in commands.values():  # warm the file cache and the .pyc files
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # alternated, so that machine load falls on all alike
        for name, command in commands.items():
            times[name].append(wall(command))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"{args.runs} runs of each, alternated; median (min-max) wall time per run")
    for name, ts in times.items():
        print(
            f"  {name:28} {medians[name] * 1000:7.0f} ms  "
            f"({min(ts) * 1000:.0f}-{max(ts) * 1000:.0f})"
        )
    pandas = medians['python -c "import pandas"']
    ratio = medians["ptdata --help"] / pandas
    print(f"ptdata --help takes {ratio:.2f}× the time of importing pandas alone (target < 1)")
    print(
        f"  machine load average while measuring: {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores"
    )
    print("target met" if ratio < 1 else "TARGET MISSED")


if __name__ == "__main__":
    main()
