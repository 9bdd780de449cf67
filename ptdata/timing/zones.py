"""Each recipient's time zone: from a TimeZone column, else ZIP, else State, else the number.

The plan shows the zone used and where it came from. When the source gives several zones (a
state split by a time-zone line, an area code that spans two zones) the row is
``ambiguous`` and the rule decides:

- ``"strictest"`` (default): ``tz`` is the zone most people there use, and ``check_zones``
  lists every candidate, so quiet hours must hold in all of them. A local time ("10:00")
  is read in ``tz``; the quiet-hour check then moves it if it is too early or late anywhere.
- ``"first"``: ``tz`` and ``check_zones`` are that one zone.
- ``"skip"``: no zone; ``skip_reason = "ambiguous_timezone"``.

A TimeZone value that is not an IANA name is never guessed around: the row gets
``tz_source = "invalid"``, ``skip_reason = "invalid_timezone"`` and a ``tz_detail`` naming
the value and the closest real name (or, with ``errors="raise"``, one UsageError listing the
rows). Work is done once per distinct value, so a million rows take about a second.

>>> import pandas as pd
>>> frame = pd.DataFrame({"Phone": ["+12125550123", "+13105550123"]})
>>> resolve_timezones(frame)[["tz", "tz_source"]].values.tolist()
[['America/New_York', 'number'], ['America/Los_Angeles', 'number']]
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from functools import cache

import numpy as np
import pandas as pd

from ptdata._columns import keep_where, map_unique, to_str
from ptdata.api.errors import UsageError
from ptdata.timing._data import US_STATE_ZONES, ZIP3_STATE, state_code
from ptdata.timing._numbers import number_states, number_zones

__all__ = ["resolve_timezones"]

RULES = ("strictest", "first", "skip")
_ZIP_RE = re.compile(r"\d{5}(?:-?\d{4})?")
# Names people write that are not IANA zones; used only to suggest the right one.
_HINTS = {
    "EASTERN": "America/New_York",
    "ET": "America/New_York",
    "EDT": "America/New_York",
    "CENTRAL": "America/Chicago",
    "CT": "America/Chicago",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MOUNTAIN": "America/Denver",
    "MDT": "America/Denver",
    "PACIFIC": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "ALASKA": "America/Anchorage",
    "AKST": "America/Anchorage",
    "HAWAII": "Pacific/Honolulu",
    "HST": "Pacific/Honolulu",
}
_STATE_ZONES = {code: ";".join(zones) for code, zones in US_STATE_ZONES.items()}


@cache
def _zone_names() -> dict[str, str]:
    """Lower-cased IANA name -> its proper spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _canonical_zone(text: str) -> str | None:
    return _zone_names().get(text.lower())


def _zone_hint(text: str) -> str:
    hint = _HINTS.get(text.upper())
    if hint is None:
        close = difflib.get_close_matches(text, list(_zone_names().values()), n=1, cutoff=0.6)
        hint = close[0] if close else None
    return f"; did you mean {hint!r}?" if hint else "; use a name like 'America/New_York'"


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """The column as stripped text with blanks as NA; all-NA when the sheet has no such column."""
    if column is None or column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    values = frame[column]
    if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        values = values.astype("str")
    values = values.str.strip()
    return values.mask(values == "")


def _zip_state(text: str) -> str | None:
    return ZIP3_STATE.get(text[:3]) if _ZIP_RE.fullmatch(text) else None


def _zip_note(text: str) -> str | None:
    if not _ZIP_RE.fullmatch(text):
        return f"ZIP {text!r} is not a 5-digit ZIP code (a leading zero lost in Excel?); not used"
    if text[:3] not in ZIP3_STATE:
        return f"ZIP {text!r} is not in a US state or territory (military or unassigned); not used"
    return None


def _state_note(text: str) -> str | None:
    if state_code(text) is None:
        return f"State {text!r} is not a US state name or code; not used"
    return None


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Notes side by side: ``a; b`` where both are present, else whichever is."""
    out = np.where(pd.isna(a), b, a)
    both = ~pd.isna(a) & ~pd.isna(b)
    if both.any():
        out[both] = a[both] + "; " + b[both]
    return out


def resolve_timezones(
    frame: pd.DataFrame,
    *,
    phone: str | None = "Phone",
    tz: str | None = "TimeZone",
    zip: str | None = "ZIP",
    state: str | None = "State",
    rule: str = "strictest",
    region: str = "US",
    precision: str = "exchange",
    default_tz: str | None = None,
    errors: str = "report",
) -> pd.DataFrame:
    """The time zone each row's recipient lives in, where it came from, and the state.

    Returns a frame aligned to ``frame.index`` with columns ``tz`` (IANA name or NA),
    ``tz_source`` (``column``, ``zip``, ``state``, ``number``, ``default``, ``ambiguous``,
    ``invalid``, ``unknown``), ``tz_candidates`` (every zone the source allows, ';'-joined),
    ``check_zones`` (the zones quiet hours must hold in under ``rule``), ``state`` (two-letter
    code from the State column, else the ZIP, else the area code; used for stricter state
    quiet hours), ``skip_reason`` (``invalid_timezone``, ``ambiguous_timezone``,
    ``unknown_timezone`` or NA) and ``tz_detail`` (why, in words; NA when plain).

    Absent columns are simply not used. ``precision="area_code"`` treats a number as anywhere
    its area code reaches (e.g. every 850 number as Eastern or Central) instead of trusting
    the exchange. ``default_tz`` fills rows nothing else locates (``tz_source = "default"``).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"Phone": ["+18502001234"], "State": ["FL"]})
    >>> resolve_timezones(frame).loc[0, ["tz", "tz_source", "tz_candidates"]].tolist()
    ['America/New_York', 'ambiguous', 'America/New_York;America/Chicago']
    """
    if rule not in RULES:
        raise UsageError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    if precision not in ("exchange", "area_code"):
        raise UsageError(f"precision must be 'exchange' or 'area_code', not {precision!r}")
    if region != "US":
        raise UsageError(f"region {region!r}: ZIP and State columns are read as US only")
    if errors not in ("report", "raise"):
        raise UsageError(f"errors must be 'report' or 'raise', not {errors!r}")
    if default_tz is not None and _canonical_zone(default_tz) is None:
        raise UsageError(
            f"default_tz={default_tz!r} is not an IANA time zone{_zone_hint(default_tz)}"
        )

    index, n = frame.index, len(frame)

    # 1. The TimeZone column: valid names win, invalid ones are reported and not guessed around.
    written = _text(frame, tz)
    column_zone = map_unique(written, _canonical_zone)
    invalid = written.notna().to_numpy() & pd.isna(column_zone)
    if invalid.any() and errors == "raise":
        bad = written[invalid]
        rows = [
            f"row {label}: {value!r}{_zone_hint(value)}" for label, value in bad.head(10).items()
        ]
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise UsageError(
            f"column {tz!r} has values that are not IANA time zone names: "
            + "; ".join(rows)
            + more
            + ". Fix them, or clear the cells to locate those rows by ZIP, State or number."
        )

    # 2.-4. ZIP, State, number: each only where the previous gave nothing.
    zips, states_written, phones = _text(frame, zip), _text(frame, state), _text(frame, phone)
    zip_state = map_unique(zips, _zip_state)
    column_state = map_unique(states_written, state_code)
    candidates = np.full(n, None, dtype=object)
    source = np.full(n, "unknown", dtype=object)
    for name, zones in (
        ("column", column_zone),
        ("zip", map_unique(zip_state, _STATE_ZONES.get)),
        ("state", map_unique(column_state, _STATE_ZONES.get)),
    ):
        take = pd.isna(candidates) & ~pd.isna(zones) & ~invalid
        candidates[take], source[take] = zones[take], name
    need = pd.isna(candidates) & ~invalid & phones.notna().to_numpy()
    if need.any():
        by_number = number_zones(phones[need], precision=precision)
        found = np.flatnonzero(need)[~pd.isna(by_number)]
        candidates[found], source[found] = by_number[~pd.isna(by_number)], "number"
    if default_tz is not None:
        take = pd.isna(candidates) & ~invalid
        candidates[take], source[take] = _canonical_zone(default_tz), "default"
    source[invalid] = "invalid"

    # The rule for several candidates.
    primary = map_unique(candidates, lambda c: c.split(";")[0])
    ambiguous = ~pd.isna(candidates) & (primary != candidates)
    detail = map_unique(
        written.where(invalid),
        lambda v: f"TimeZone {v!r} is not an IANA time zone name{_zone_hint(v)}",
    )
    if ambiguous.any():
        how = {
            "strictest": "quiet hours must hold in all of them",
            "first": "using the first",
            "skip": "row skipped",
        }[rule]
        spans = {
            "zip": "the ZIP's state spans",
            "state": "the state spans",
            "number": "the number's area spans",
            "column": "spans",
        }
        pairs = keep_where(ambiguous, source + "|" + np.where(ambiguous, candidates, ""))
        detail = _join(
            detail,
            map_unique(
                pairs,
                lambda p: "{} {}: {}".format(
                    spans[p.split("|")[0]], p.split("|")[1].replace(";", ", "), how
                ),
            ),
        )
        source[ambiguous] = "ambiguous"
    check = candidates.copy() if rule == "strictest" else primary.copy()
    skip_reason = np.full(n, None, dtype=object)
    skip_reason[invalid] = "invalid_timezone"
    skip_reason[pd.isna(candidates) & ~invalid] = "unknown_timezone"
    if rule == "skip":
        skip_reason[ambiguous] = "ambiguous_timezone"
        primary[ambiguous] = check[ambiguous] = None
    detail = _join(detail, map_unique(zips, _zip_note))
    detail = _join(detail, map_unique(states_written, _state_note))

    us_state = np.where(pd.isna(column_state), zip_state, column_state)
    missing = pd.isna(us_state) & phones.notna().to_numpy()
    if missing.any():
        us_state[missing] = number_states(phones[missing])
    columns = {
        "tz": primary,
        "tz_source": source,
        "tz_candidates": candidates,
        "check_zones": check,
        "state": us_state,
        "skip_reason": skip_reason,
        "tz_detail": detail,
    }
    return pd.DataFrame({name: to_str(values, index) for name, values in columns.items()})
