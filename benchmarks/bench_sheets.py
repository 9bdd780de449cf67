"""Read + validate + normalise a 1M-row contact sheet; compare with per-row libphonenumber.

Builds a realistic CSV (mixed phone formats, Canadian and overseas numbers, invalid numbers,
Excel damage, duplicates, blank rows and cells) in a temporary folder, then:

1. in a fresh subprocess, times ``read_sheet`` + ``validate`` and reports the peak resident
   memory of that process (``VmHWM``; tracemalloc cannot see pyarrow's buffers);
2. in this process, times ``normalize_phones`` and the naive way - ``phonenumbers.parse`` ->
   ``is_valid_number`` -> ``format_number(E164)`` row by row - on the same Phone strings,
   and counts disagreements, both for ``normalize_phones`` and for the E.164 numbers in
   ``validate``'s clean rows. Any disagreement makes the script exit 1.

Target (DESIGN.md): read + validate + normalise 1M rows in <= 5 s on the 2-core machine.

    .venv/bin/python benchmarks/bench_sheets.py            # 1,000,000 rows
    .venv/bin/python benchmarks/bench_sheets.py --rows 50000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Area codes in use (US and a few Canadian and Caribbean ones, which take the +1 region chain).
_US_AREAS = np.array(["201", "202", "206", "212", "213", "214", "305", "310", "312", "404", "408", "415",
                      "469", "503", "512", "602", "612", "617", "646", "702", "713", "718", "720", "773",
                      "786", "808", "813", "818", "832", "917"])
_OTHER_NANP = np.array(["416", "604", "514", "403", "876", "787"])
_OVERSEAS = np.array(["+44 20 7946 0", "+44 7700 900", "+49 30 901820", "+33 1 40 20 50", "+61 2 9374 4",
                      "+52 55 5128 0"])
_FIRST = np.array(["Ana", "Ben", "Chloé", "David", "Emma", "Farah", "George", "Hana", "Ivan", "Jade", "Kai",
                   "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tom"])
_LAST = np.array(["García", "Okafor", "Martin", "Cohen", "Rossi", "Haddad", "Nowak", "Sato", "Petrov", "Lee"])
_GROUPS = np.array(["VIP", "Newsletter", "VIP;Newsletter", "Staff | VIP", "", ""])
_ZONES = np.array(["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                   "America/Phoenix", "", ""])


def build_sheet(path: Path, rows: int, seed: int = 7) -> None:
    """Write the benchmark CSV: realistic formats, about 4 % of rows with a problem."""
    rng = np.random.default_rng(seed)
    area = _US_AREAS[rng.integers(0, len(_US_AREAS), rows)]
    other = rng.random(rows) < 0.03
    area[other] = _OTHER_NANP[rng.integers(0, len(_OTHER_NANP), other.sum())]
    exchange = rng.integers(200, 1000, rows).astype(str)
    line = np.char.zfill(rng.integers(0, 10000, rows).astype(str), 4)
    shape = rng.integers(0, 7, rows)
    templates = [
        lambda a, e, n: f"({a}) {e}-{n}", lambda a, e, n: f"{a}-{e}-{n}", lambda a, e, n: f"+1 {a} {e} {n}",
        lambda a, e, n: f"{a}.{e}.{n}", lambda a, e, n: f"1{a}{e}{n}", lambda a, e, n: f"+1{a}{e}{n}",
        lambda a, e, n: f"{a}{e}{n}",
    ]
    phones = [templates[s](a, e, n) for s, a, e, n in zip(shape, area, exchange, line)]
    draw = rng.random(rows)
    for i in np.flatnonzero(draw < 0.045):
        d = draw[i]
        if d < 0.015:
            phones[i] = _OVERSEAS[i % len(_OVERSEAS)] + f"{rng.integers(100, 1000)}"
        elif d < 0.022:
            phones[i] = f"555-{line[i]}"                      # no area code
        elif d < 0.027:
            phones[i] = f"(200) {exchange[i]}-{line[i]}"      # unassigned area code
        elif d < 0.030:
            phones[i] = f"{area[i][0]}.{area[i][1:]}{exchange[i][:3]}E+09"   # Excel scientific
        elif d < 0.033:
            phones[i] = f"{area[i]}{exchange[i]}{line[i]}.0"  # Excel decimal
        elif d < 0.036:
            phones[i] = ""                                    # missing
        elif d < 0.040:
            phones[i] = phones[max(0, i - 1000)]              # duplicate of an earlier row
        elif d < 0.043:
            phones[i] = f"{area[i]}-{exchange[i]}-{line[i]} x{rng.integers(1, 999)}"  # extension
        else:
            phones[i] = "call me"
    first = _FIRST[rng.integers(0, len(_FIRST), rows)]
    last = _LAST[rng.integers(0, len(_LAST), rows)]
    groups = _GROUPS[rng.integers(0, len(_GROUPS), rows)]
    zones = _ZONES[rng.integers(0, len(_ZONES), rows)]
    zones[rng.random(rows) < 0.005] = "EST"                   # a fixed offset, refused
    zips = np.char.zfill(rng.integers(501, 99951, rows).astype(str), 5)
    blank = rng.random(rows) < 0.002
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Phone,First Name,Last Name,Groups,Time Zone,ZIP\n")
        for i in range(rows):
            if blank[i]:
                fh.write(",,,,,\n")
            else:
                fh.write(f"{phones[i]},{first[i]},{last[i]},{groups[i]},{zones[i]},{zips[i]}\n")


_CHILD = r"""
import json, sys, time
import ptdata

def high_water_kb():
    # VmHWM is this process's own peak RSS; ru_maxrss would include the parent's at fork time.
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

# pandera imports its pandas backends on first use: do that outside the timing, like imports.
ptdata.validate(ptdata.read_sheet(__import__("io").BytesIO(b"Phone\n+14155550123\n")))
base = high_water_kb()
t0 = time.perf_counter()
frame = ptdata.read_sheet(sys.argv[1])
t1 = time.perf_counter()
result = ptdata.validate(frame)
t2 = time.perf_counter()
peak = high_water_kb()
result.clean[["row", "Phone"]].to_parquet(sys.argv[2])
print(json.dumps({
    "read": t1 - t0, "validate": t2 - t1, "total": t2 - t0, "rows": result.rows_read,
    "valid": len(result.clean), "failed": len(result.failed_rows), "blank": result.blank_rows,
    "reasons": result.counts().to_dict(), "peak_kb": peak, "base_kb": base,
    "encoding": frame.attrs["ptdata.read"]["encoding"],
}))
"""


def libphonenumber(values: list) -> list:
    import phonenumbers

    out = []
    for value in values:
        try:
            number = phonenumbers.parse(value, "US")
        except phonenumbers.NumberParseException:
            out.append(None)
            continue
        out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                   if phonenumbers.is_valid_number(number) else None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the sheet (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import pandas as pd

    import ptdata

    with tempfile.TemporaryDirectory(prefix="bench_sheets_") as tmp:
        sheet, clean_file = Path(tmp) / "contacts.csv", Path(tmp) / "clean.parquet"
        started = time.perf_counter()
        build_sheet(sheet, args.rows, args.seed)
        size_mb = sheet.stat().st_size / 1e6
        print(f"bench_sheets: {args.rows:,} rows, {size_mb:.1f} MB CSV (built in "
              f"{time.perf_counter() - started:.1f} s), {os.cpu_count()} cores")

        child = subprocess.run([sys.executable, "-c", _CHILD, str(sheet), str(clean_file)],
                               capture_output=True, text=True, check=True)
        m = json.loads(child.stdout)
        print(f"  read_sheet                          {m['read']:6.2f} s")
        print(f"  validate (normalise, schema, dups)  {m['validate']:6.2f} s")
        print(f"  read + validate + normalise         {m['total']:6.2f} s   (target <= 5 s: "
              f"{'met' if m['total'] <= 5 else 'MISSED'})")
        print(f"  peak memory of that process         {m['peak_kb'] / 1e6:6.2f} GB  "
              f"({m['base_kb'] / 1e6:.2f} GB after imports and a one-row warm-up)")
        print(f"  rows {m['rows']:,}: valid {m['valid']:,}, failed {m['failed']:,}, blank {m['blank']:,}; "
              f"encoding {m['encoding']}")
        print("  failures by reason: " + ", ".join(f"{k} {v:,}" for k, v in m["reasons"].items()))

        phones = ptdata.read_sheet(sheet)["Phone"]
        t0 = time.perf_counter()
        ours = ptdata.normalize_phones(phones)
        t_ours = time.perf_counter() - t0
        values = phones.tolist()
        present = [v if isinstance(v, str) else "" for v in values]
        t0 = time.perf_counter()
        naive = libphonenumber(present)
        t_naive = time.perf_counter() - t0
        ours_list = [None if pd.isna(v) else v for v in ours]
        disagree = sum(1 for a, b, v in zip(ours_list, naive, values) if isinstance(v, str) and a != b)

        clean = pd.read_parquet(clean_file)
        expected = dict(zip(range(2, 2 + len(values)), naive))
        clean_disagree = sum(1 for row, phone in zip(clean["row"], clean["Phone"]) if expected[row] != phone)

        print(f"  normalize_phones alone              {t_ours:6.2f} s")
        print(f"  per-row phonenumbers (naive)        {t_naive:6.2f} s   = {t_naive / t_ours:.1f}x "
              f"normalize_phones, {t_naive / m['total']:.1f}x the whole read + validate")
        print(f"  disagreements with libphonenumber   {disagree} of {len(values):,} (normalize_phones), "
              f"{clean_disagree} of {len(clean):,} (validate's clean Phone)")
        return 1 if disagree or clean_disagree else 0


if __name__ == "__main__":
    sys.exit(main())
