"""Regenerate ``_area_codes.py`` (US area code -> state) from libphonenumber's geocoder data.

Loading the geocoder costs ~0.3 s and ~100 MB, so the table is generated once and stored as
a literal; a test re-derives it from the installed ``phonenumbers`` and compares. Run after
upgrading phonenumbers::

    python -m ptdata.timing._build_area_codes > ptdata/timing/_area_codes.py
"""

from __future__ import annotations

import re
from collections import Counter

from ptdata.timing._data import state_code

__all__ = ["derive_area_code_states", "render_module"]

# NANP members that are US territories: libphonenumber gives them their own region code,
# which is also their postal code.
_US_REGIONS = {"US", "PR", "VI", "GU", "MP", "AS"}
_CITY_STATE = re.compile(r", ([A-Z]{2})$")


def derive_area_code_states() -> dict[str, str]:
    """Area code (3 digits) -> two-letter state, by majority of the geocoder's descriptions."""
    import phonenumbers
    from phonenumbers.geodata import GEOCODE_DATA

    votes: dict[str, Counter[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4 or not names.get("en"):
            continue
        text = names["en"]
        m = _CITY_STATE.search(text)
        code = m.group(1) if m else state_code(text)
        if code is not None:
            votes.setdefault(prefix[1:4], Counter())[code] += 1
    table: dict[str, str] = {}
    for npa in sorted(
        {p[1:4] for p in GEOCODE_DATA if p.startswith("1") and len(p) >= 4}
        | {"670", "671", "684", "787", "939"}
    ):
        region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}2345678"))
        if region not in _US_REGIONS:
            continue
        if region != "US":
            table[npa] = region
        elif npa in votes:
            table[npa] = votes[npa].most_common(1)[0][0]
    return table


def render_module(table: dict[str, str]) -> str:
    """The source text of ``_area_codes.py`` for ``table``."""
    import phonenumbers

    rows = []
    items = sorted(table.items())
    for i in range(0, len(items), 7):
        rows.append("    " + " ".join(f'"{k}": "{v}",' for k, v in items[i : i + 7]))
    return (
        '"""US area code -> state, generated from libphonenumber\'s geocoder data '
        f"(phonenumbers {phonenumbers.__version__}).\n\n"
        "Do not edit by hand: ``python -m ptdata.timing._build_area_codes > "
        'ptdata/timing/_area_codes.py``.\n"""\n\n'
        "AREA_CODE_STATE: dict[str, str] = {\n" + "\n".join(rows) + "\n}\n"
    )


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    print(render_module(derive_area_code_states()), end="")
