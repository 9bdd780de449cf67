"""pandera schemas that read like the sheets they check: contacts and group memberships.

The schemas run on a *prepared* frame (``ptdata.validate`` builds it): text stripped, blank
rows dropped, ``Phone`` already E.164 (missing where the number is unusable, so a missing
Phone means "see the phone reason"), index = spreadsheet row number. Each check is named with
the reason code it reports; ``reason:Column`` names a rule between columns and the column it
points at. Other columns are allowed and kept (they are merge fields).

Contacts sheet (one person per row)::

    Phone*    E.164 after normalisation; unique - later duplicates are reported, the first kept
    Name, LastName
    Groups    several names separated by ; or |  (cleaned to "VIP;Staff")
    TimeZone  an IANA zone with daylight-saving rules (America/New_York), not EST
    ZIP       12345 or 12345-6789 (checked when the region is US)

Groups sheet (one membership per row): ``Groups``* (the group name) and ``Phone``*;
the same phone twice in the same group is a duplicate.

>>> sorted(ContactsSheet.to_schema().columns)
['Groups', 'LastName', 'Name', 'Phone', 'TimeZone', 'ZIP']
"""

from __future__ import annotations

import zoneinfo

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = [
    "ContactsSheet",
    "GroupsSheet",
    "TIME_ZONES",
    "first_positions",
]

#: IANA zones a TimeZone cell may name: geographic zones with DST rules, plus UTC. Legacy
#: fixed-offset names such as EST or MST exist in the database but silently ignore daylight
#: saving time, so they are refused with a suggestion.
TIME_ZONES = frozenset(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
) | {"UTC"}

E164 = r"\+[1-9][0-9]{1,14}"
ZIP_US = r"[0-9]{5}(?:-[0-9]{4})?"


def first_positions(values: pd.Series) -> np.ndarray:
    """For each value, the position of its first occurrence (-1 where missing).

    >>> first_positions(pd.Series(["a", "b", "a", None, "b"], dtype="str")).tolist()
    [0, 1, 0, -1, 1]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    positions = np.arange(len(codes))
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = positions[::-1]  # written last to first, so the first occurrence wins
    return np.where(codes >= 0, first[np.maximum(codes, 0)], -1)


class ContactsSheet(pa.DataFrameModel):
    """A contact list: one person per row, any extra columns kept as merge fields."""

    Phone: Series[str] = pa.Field(nullable=False)
    Name: Series[str] | None = pa.Field(nullable=True)
    LastName: Series[str] | None = pa.Field(nullable=True)
    Groups: Series[str] | None = pa.Field(nullable=True)
    TimeZone: Series[str] | None = pa.Field(nullable=True)
    ZIP: Series[str] | None = pa.Field(nullable=True)

    @pa.check("Phone", name="invalid")
    def _e164(cls, phone: Series[str]) -> Series[bool]:
        return phone.str.fullmatch(E164)

    @pa.check("Phone", name="duplicate")
    def _first_of_each_number(cls, phone: Series[str]) -> Series[bool]:
        return pd.Series(first_positions(phone) == np.arange(len(phone)), index=phone.index)

    @pa.check("TimeZone", name="unknown_timezone")
    def _iana(cls, zone: Series[str]) -> Series[bool]:
        return zone.isin(TIME_ZONES)

    @pa.check("ZIP", name="invalid_zip")
    def _zip(cls, zip_code: Series[str]) -> Series[bool]:
        return zip_code.str.fullmatch(ZIP_US)

    class Config:
        strict = False
        coerce = False


class GroupsSheet(pa.DataFrameModel):
    """Group memberships: one (group, phone) per row."""

    Groups: Series[str] = pa.Field(nullable=False)
    Phone: Series[str] = pa.Field(nullable=False)
    Name: Series[str] | None = pa.Field(nullable=True)
    LastName: Series[str] | None = pa.Field(nullable=True)

    @pa.check("Phone", name="invalid")
    def _e164(cls, phone: Series[str]) -> Series[bool]:
        return phone.str.fullmatch(E164)

    @pa.dataframe_check(name="duplicate:Phone", ignore_na=False)
    def _membership_once(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(subset=["Groups", "Phone"], keep="first") | df["Phone"].isna()

    class Config:
        strict = False
        coerce = False
