"""Read + validate + normalise a 1M-row contact sheet; compare with per-row libphonenumber.

Part 1 builds a realistic CSV (mixed phone formats, Canadian and overseas numbers, invalid
numbers, Excel damage, extensions, duplicates, blank rows and cells) in a temporary folder, then:

1. in a fresh subprocess, times ``read_sheet`` + ``validate`` (which maps the columns and
   picks each row's number) and reports the peak resident memory of that process
   (``VmHWM``; tracemalloc cannot see pyarrow's buffers);
2. in this process, times ``normalize_phones`` and the naive way - ``phonenumbers.parse`` ->
   ``is_valid_number`` -> ``format_number(E164)`` row by row - on the same Phone strings,
   and counts disagreements, both for ``normalize_phones`` and for the E.164 numbers in
   ``validate``'s clean rows.

Part 2 builds a messy export with three phone columns (Mobile, Phone, Home Phone), 20 % of
rows repeating an earlier row's numbers and 20 % of the values foreign, with an extension or
junk, and times ``read_sheet`` + ``validate`` (each row: its first valid mobile, else its next
valid number, each distinct value parsed once) against the per-row loop people write: try the
row's columns in order with ``phonenumbers`` until one is valid and has no extension. The
numbers chosen must agree on every row. Any disagreement makes the script exit 1.

Targets: read + validate + normalise 1M rows in <= 5 s on the 2-core machine (DESIGN.md);
the messy sheet >= 5x faster than the per-row loop.

    .venv/bin/python benchmarks/bench_sheets.py            # 1,000,000 rows, both parts
    .venv/bin/python benchmarks/bench_sheets.py --rows 50000 --part messy
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
_US_AREAS = np.array(
    [
        "201",
        "202",
        "206",
        "212",
        "213",
        "214",
        "305",
        "310",
        "312",
        "404",
        "408",
        "415",
        "469",
        "503",
        "512",
        "602",
        "612",
        "617",
        "646",
        "702",
        "713",
        "718",
        "720",
        "773",
        "786",
        "808",
        "813",
        "818",
        "832",
        "917",
    ]
)
_OTHER_NANP = np.array(["416", "604", "514", "403", "876", "787"])
_OVERSEAS = np.array(
    [
        "+44 20 7946 0",
        "+44 7700 900",
        "+49 30 901820",
        "+33 1 40 20 50",
        "+61 2 9374 4",
        "+52 55 5128 0",
    ]
)
_FIRST = np.array(
    [
        "Ana",
        "Ben",
        "Chloé",
        "David",
        "Emma",
        "Farah",
        "George",
        "Hana",
        "Ivan",
        "Jade",
        "Kai",
        "Lena",
        "Marco",
        "Nadia",
        "Omar",
        "Priya",
        "Quinn",
        "Rosa",
        "Sam",
        "Tom",
    ]
)
_LAST = np.array(
    ["García", "Okafor", "Martin", "Cohen", "Rossi", "Haddad", "Nowak", "Sato", "Petrov", "Lee"]
)
_GROUPS = np.array(["VIP", "Newsletter", "VIP;Newsletter", "Staff | VIP", "", ""])
_ZONES = np.array(
    [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Phoenix",
        "",
        "",
    ]
)


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
        lambda a, e, n: f"({a}) {e}-{n}",
        lambda a, e, n: f"{a}-{e}-{n}",
        lambda a, e, n: f"+1 {a} {e} {n}",
        lambda a, e, n: f"{a}.{e}.{n}",
        lambda a, e, n: f"1{a}{e}{n}",
        lambda a, e, n: f"+1{a}{e}{n}",
        lambda a, e, n: f"{a}{e}{n}",
    ]
    phones = [templates[s](a, e, n) for s, a, e, n in zip(shape, area, exchange, line, strict=True)]
    draw = rng.random(rows)
    for i in np.flatnonzero(draw < 0.045):
        d = draw[i]
        if d < 0.015:
            phones[i] = _OVERSEAS[i % len(_OVERSEAS)] + f"{rng.integers(100, 1000)}"
        elif d < 0.022:
            phones[i] = f"555-{line[i]}"  # no area code
        elif d < 0.027:
            phones[i] = f"(200) {exchange[i]}-{line[i]}"  # unassigned area code
        elif d < 0.030:
            phones[i] = f"{area[i][0]}.{area[i][1:]}{exchange[i][:3]}E+09"  # Excel scientific
        elif d < 0.033:
            phones[i] = f"{area[i]}{exchange[i]}{line[i]}.0"  # Excel decimal
        elif d < 0.036:
            phones[i] = ""  # missing
        elif d < 0.040:
            phones[i] = phones[max(0, i - 1000)]  # duplicate of an earlier row
        elif d < 0.043:
            phones[i] = f"{area[i]}-{exchange[i]}-{line[i]} x{rng.integers(1, 999)}"  # extension
        else:
            phones[i] = "call me"
    first = _FIRST[rng.integers(0, len(_FIRST), rows)]
    last = _LAST[rng.integers(0, len(_LAST), rows)]
    groups = _GROUPS[rng.integers(0, len(_GROUPS), rows)]
    zones = _ZONES[rng.integers(0, len(_ZONES), rows)]
    zones[rng.random(rows) < 0.005] = "EST"  # a fixed offset, refused
    zips = np.char.zfill(rng.integers(501, 99951, rows).astype(str), 5)
    blank = rng.random(rows) < 0.002
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Phone,First Name,Last Name,Groups,Time Zone,ZIP\n")
        for i in range(rows):
            if blank[i]:
                fh.write(",,,,,\n")
            else:
                fh.write(f"{phones[i]},{first[i]},{last[i]},{groups[i]},{zones[i]},{zips[i]}\n")


_MOBILE_AREAS = np.array(["206", "212", "305", "312", "415", "503", "617", "702", "713", "917"])
_FOREIGN = np.array(
    [
        "+44 20 7946 ",
        "+44 7700 900",
        "+49 30 9018",
        "+33 1 40 20 5",
        "+61 2 9374 4",
        "+52 55 5128 0",
    ]
)
_JUNK = np.array(["n/a", "call me", "-", "555", "none", "see notes", "0", "TBD"])


def build_messy(path: Path, rows: int, seed: int = 11) -> None:
    """A CRM export with Mobile, Phone and Home Phone: duplicates, foreign, extensions, junk."""
    rng = np.random.default_rng(seed)

    def numbers(n: int) -> np.ndarray:
        area = _MOBILE_AREAS[rng.integers(0, len(_MOBILE_AREAS), n)]
        exchange = rng.integers(200, 1000, n).astype(str)
        line = np.char.zfill(rng.integers(0, 10000, n).astype(str), 4)
        shapes = rng.integers(0, 3, n)
        out = np.where(
            shapes == 0,
            np.char.add(
                np.char.add(np.char.add("(", area), ") "),
                np.char.add(np.char.add(exchange, "-"), line),
            ),
            np.where(
                shapes == 1,
                np.char.add(np.char.add(area, "."), np.char.add(np.char.add(exchange, "."), line)),
                np.char.add("+1", np.char.add(area, np.char.add(exchange, line))),
            ),
        )
        return out.astype(object)

    columns = {}
    for name, filled in (("Mobile", 0.6), ("Phone", 0.7), ("Home Phone", 0.5)):
        values = numbers(rows)
        values[rng.random(rows) > filled] = ""
        odd = np.flatnonzero(rng.random(rows) < 0.2 / 3 * 2)  # about 20 % of the values overall
        kind = rng.integers(0, 3, len(odd))
        digits = np.char.zfill(rng.integers(0, 1000, len(odd)).astype(str), 3)
        values[odd[kind == 0]] = np.char.add(
            _FOREIGN[rng.integers(0, len(_FOREIGN), (kind == 0).sum())], digits[kind == 0]
        )
        values[odd[kind == 1]] = np.char.add(
            numbers((kind == 1).sum()).astype(str),
            np.char.add(" x", rng.integers(1, 999, (kind == 1).sum()).astype(str)),
        )
        values[odd[kind == 2]] = _JUNK[rng.integers(0, len(_JUNK), (kind == 2).sum())]
        columns[name] = values
    repeat = np.flatnonzero(rng.random(rows) < 0.2)
    repeat = repeat[repeat > 0]
    source = (rng.random(len(repeat)) * repeat).astype(np.int64)  # an earlier row
    for values in columns.values():
        values[repeat] = values[source]
    first = _FIRST[rng.integers(0, len(_FIRST), rows)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("First Name,Mobile,Phone,Home Phone\n")
        for i in range(rows):
            fh.write(
                f"{first[i]},{columns['Mobile'][i]},{columns['Phone'][i]},"
                f"{columns['Home Phone'][i]}\n"
            )


def naive_choice(rows: list[tuple[str, str, str]]) -> list[str | None]:
    """The loop people write: each row's columns in order, phonenumbers until one is usable."""
    import phonenumbers

    out: list[str | None] = []
    for cells in rows:
        chosen = None
        for value in cells:
            if not value:
                continue
            try:
                number = phonenumbers.parse(value, "US")
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number) and not number.extension:
                chosen = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                break
        out.append(chosen)
    return out


_MESSY_CHILD = r"""
import json, sys, time
import ptdata
import ptdata.sheets.phones
from ptdata.sheets.mapping import apply_layout
from ptdata.sheets.phone_choice import choose_phones

ptdata.validate(ptdata.read_sheet(__import__("io").BytesIO(b"Mobile,Phone\n+14155550123,\n")))
t0 = time.perf_counter()
frame = ptdata.read_sheet(sys.argv[1])
result = ptdata.validate(frame)
total = time.perf_counter() - t0
chosen = result.frame[["row", "Phone", "phone_column"]]
chosen.to_parquet(sys.argv[2])
ptdata.sheets.phones._verdict.cache_clear()   # nothing known beforehand
mapped, layout = apply_layout(frame)
t0 = time.perf_counter()
choose_phones(mapped, layout.phones)
choose = time.perf_counter() - t0
print(json.dumps({"total": total, "choose": choose, "rows": result.rows_read,
                  "valid": len(result.clean),
                  "reasons": result.counts().to_dict(),
                  "columns": chosen["phone_column"].value_counts().to_dict(),
                  "order": result.read.get("layout_notes")}))
"""


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
        out.append(
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number)
            else None
        )
    return out


def _in_child(code: str, *paths: Path) -> dict:
    """Run ``code`` in a fresh interpreter (its own memory figures, no warm caches); its JSON."""
    child = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, check=True
    )
    return json.loads(child.stdout)


def contacts_part(args, tmp: Path) -> int:
    import pandas as pd

    import ptdata

    sheet, clean_file = tmp / "contacts.csv", tmp / "clean.parquet"
    started = time.perf_counter()
    build_sheet(sheet, args.rows, args.seed)
    size_mb = sheet.stat().st_size / 1e6
    print(
        f"bench_sheets: {args.rows:,} rows, {size_mb:.1f} MB CSV (built in "
        f"{time.perf_counter() - started:.1f} s), {os.cpu_count()} cores"
    )

    m = _in_child(_CHILD, sheet, clean_file)
    print(f"  read_sheet                          {m['read']:6.2f} s")
    print(f"  validate (map, normalise, schema)   {m['validate']:6.2f} s")
    print(
        f"  read + validate + normalise         {m['total']:6.2f} s   (target <= 5 s: "
        f"{'met' if m['total'] <= 5 else 'MISSED'})"
    )
    print(
        f"  peak memory of that process         {m['peak_kb'] / 1e6:6.2f} GB  "
        f"({m['base_kb'] / 1e6:.2f} GB after imports and a one-row warm-up)"
    )
    print(
        f"  rows {m['rows']:,}: valid {m['valid']:,}, failed {m['failed']:,}, blank "
        f"{m['blank']:,}; "
        f"encoding {m['encoding']}"
    )
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
    disagree = sum(
        1 for a, b, v in zip(ours_list, naive, values, strict=True) if isinstance(v, str) and a != b
    )

    clean = pd.read_parquet(clean_file)
    expected = dict(zip(range(2, 2 + len(values)), naive, strict=True))
    clean_disagree = sum(
        1 for row, phone in zip(clean["row"], clean["Phone"], strict=True) if expected[row] != phone
    )

    print(f"  normalize_phones alone              {t_ours:6.2f} s")
    print(
        f"  per-row phonenumbers (naive)        {t_naive:6.2f} s   = {t_naive / t_ours:.1f}x "
        f"normalize_phones, {t_naive / m['total']:.1f}x the whole read + validate"
    )
    print(
        f"  disagreements with libphonenumber   {disagree} of {len(values):,} (normalize_phones), "
        f"{clean_disagree} of {len(clean):,} (validate's clean Phone)"
    )
    return 1 if disagree or clean_disagree else 0


def messy_part(args, tmp: Path) -> int:
    import pandas as pd

    sheet, chosen_file = tmp / "messy.csv", tmp / "chosen.parquet"
    started = time.perf_counter()
    build_messy(sheet, args.rows, args.seed)
    print(
        f"messy export: {args.rows:,} rows x 3 phone columns (Mobile, Phone, Home Phone), "
        f"{sheet.stat().st_size / 1e6:.1f} MB (built in {time.perf_counter() - started:.1f} s)"
    )
    m = _in_child(_MESSY_CHILD, sheet, chosen_file)
    print(
        f"  each row's number (choose_phones)   {m['choose']:6.2f} s   "
        f"({'; '.join(m['order'] or [])})"
    )
    print(f"  read_sheet + validate (all checks)  {m['total']:6.2f} s")
    print("  numbers from: " + ", ".join(f"{k} {v:,}" for k, v in m["columns"].items()))
    print("  failures by reason: " + ", ".join(f"{k} {v:,}" for k, v in m["reasons"].items()))
    raw = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    cells = list(zip(raw["Mobile"], raw["Phone"], raw["Home Phone"], strict=True))
    t0 = time.perf_counter()
    naive = naive_choice(cells)
    t_naive = time.perf_counter() - t0
    chosen = pd.read_parquet(chosen_file)
    ours = {
        row: None if pd.isna(phone) else phone
        for row, phone in zip(chosen["row"], chosen["Phone"], strict=True)
    }
    disagree = sum(1 for row, want in enumerate(naive, start=2) if ours.get(row) != want)
    ratio = t_naive / m["choose"]
    print(
        f"  per-row phonenumbers (naive)        {t_naive:6.2f} s   = {ratio:.1f}x choose_phones "
        "(target "
        f">= 5x: {'met' if ratio >= 5 else 'MISSED'}), {t_naive / m['total']:.1f}x the whole read "
        "+ "
        "validate"
    )
    print(f"  rows where the number chosen differs  {disagree} of {len(naive):,}")
    return 1 if disagree else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows in each sheet (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--part", choices=["contacts", "messy", "both"], default="both")
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench_sheets_") as tmp:
        if args.part in ("contacts", "both"):
            failed |= contacts_part(args, Path(tmp))
        if args.part in ("messy", "both"):
            failed |= messy_part(args, Path(tmp))
    return failed


if __name__ == "__main__":
    sys.exit(main())
