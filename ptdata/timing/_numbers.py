"""Phone number -> time zones and area code -> state, vectorised over libphonenumber's own data.

``phonenumbers.timezone.time_zones_for_number`` finds the longest prefix of the E.164 digits
in ``TIMEZONE_DATA``. Parsing a million numbers one by one to ask it takes about a minute, so
for ``+1`` numbers in areas where every valid number is geographic (the US, Canada, Puerto
Rico, ...; numbers are already validated by the sheets layer) the same longest-prefix lookup
is done here once per distinct prefix. Everything else goes through the library itself, once
per distinct number. A test checks both paths agree with the library.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata

# TIMEZONE_DATA: the prefix table time_zones_for_number reads (its stub does not list it)
from phonenumbers.timezone import TIMEZONE_DATA, time_zones_for_number  # type: ignore[attr-defined]

from ptdata._columns import map_unique
from ptdata.timing._area_codes import AREA_CODE_STATE
from ptdata.timing._data import ZONE_RANK

__all__ = ["number_states", "number_zones", "sort_zones"]

_UNKNOWN = "Etc/Unknown"
_NANP_KEYS = [k for k in TIMEZONE_DATA if k.startswith("1")]
_NANP_LONGEST = max(len(k) for k in _NANP_KEYS)
# Area codes whose zone depends on the exchange; every other area code has one answer.
_REFINED = {k[:4] for k in _NANP_KEYS if len(k) > 4}


def sort_zones(zones) -> str:
    """Candidate zones joined by ';', the one most people use first (see ``ZONE_RANK``)."""
    return ";".join(sorted(set(zones), key=lambda z: (ZONE_RANK.get(z, len(ZONE_RANK)), z)))


def _located(zones: tuple[str, ...], country_code: str) -> str | None:
    """The joined candidates, or None when the zones say nothing about where the person is."""
    if not zones or _UNKNOWN in zones:
        return None
    country = TIMEZONE_DATA.get(country_code, ())
    if len(country) > 1 and tuple(zones) == tuple(country):
        return None  # toll-free, premium or an unassigned area: the whole country's zones
    return sort_zones(zones)


@cache
def _nanp_exchange(key: str) -> str | None:
    for size in range(len(key), 0, -1):
        zones = TIMEZONE_DATA.get(key[:size])
        if zones is not None:
            return _located(zones, "1")
    return None


@cache
def _nanp_area(key4: str) -> str | None:
    located = [_located(TIMEZONE_DATA[k], "1") for k in _NANP_KEYS if k.startswith(key4)]
    zones = {z for loc in located if loc is not None for z in loc.split(";")}
    return sort_zones(zones) if zones else _nanp_exchange(key4)


@cache
def _fast_area(key4: str) -> bool:
    """True when the prefix table alone answers for every valid number in this area code.

    libphonenumber treats a number as geographic when it is fixed-line, or fixed-line-or-mobile
    (the US, Canada, Puerto Rico, Guam...: one pattern for both). Where mobile numbers have
    their own pattern (most of the Caribbean, American Samoa), mobiles are non-geographic and
    get the whole country's zones; those areas go through the library itself.
    """
    npa = key4[1:]
    for region in phonenumbers.region_codes_for_country_code(1):
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None or not meta.leading_digits:
            continue
        if re.match(f"(?:{meta.leading_digits})$", npa):
            fixed, mobile = meta.fixed_line, meta.mobile
            return (fixed and fixed.national_number_pattern) == (
                mobile and mobile.national_number_pattern
            )
    return True  # the US and Canada: no leading digits of their own, one shared pattern


def _other_number(text: str) -> str | None:
    try:
        num = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return _located(time_zones_for_number(num), str(num.country_code))


def number_zones(phones, *, precision: str = "exchange") -> np.ndarray:
    """Candidate zones (';'-joined) per E.164 number, None where the number gives no place.

    ``precision="exchange"`` uses libphonenumber's finest prefix (area code + exchange);
    ``"area_code"`` takes every zone the area code reaches (stricter: ported mobile numbers
    keep their exchange when people move within the area).
    """
    phones = pd.Series(phones, dtype="str")
    nanp = phones.str.fullmatch(r"\+1\d{10}").fillna(False).to_numpy(dtype=bool)
    area = phones.str.slice(1, 5).where(nanp)
    fast = nanp & (map_unique(area, _fast_area) == True)  # noqa: E712 (object array)
    out = np.full(len(phones), None, dtype=object)
    if fast.any():
        sub, area = phones[fast], area[fast]
        if precision == "area_code":
            out[fast] = map_unique(area, _nanp_area)
        else:
            zones = map_unique(area, _nanp_exchange)
            refined = area.isin(_REFINED).to_numpy()
            if refined.any():
                zones[refined] = map_unique(
                    sub[refined].str.slice(1, 1 + _NANP_LONGEST), _nanp_exchange
                )
            out[fast] = zones
    other = ~fast & phones.notna().to_numpy()
    if other.any():
        out[other] = map_unique(phones[other], _other_number)
    return out


def number_states(phones) -> np.ndarray:
    """Two-letter US state of each NANP number's area code; None elsewhere (e.g. Canada)."""
    phones = pd.Series(phones, dtype="str")
    nanp = phones.str.fullmatch(r"\+1\d{10}").fillna(False).astype(bool)
    return map_unique(phones.where(nanp).str.slice(2, 5), AREA_CODE_STATE.get)
