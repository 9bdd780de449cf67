"""Header names: the canonical columns ptdata knows and the ways spreadsheets spell them.

Matching ignores case, spaces, ``_``, ``-`` and ``.``: ``Mobile #``, ``PHONE_NUMBER`` and
``phone number`` all mean ``Phone``. Columns that match nothing keep their name (stripped of
surrounding spaces) and serve as merge fields.

>>> canonical_header("Mobile #"), canonical_header("Zip Code"), canonical_header("Order Id")
('Phone', 'ZIP', None)
"""

from __future__ import annotations

import re

__all__ = ["CANONICAL", "canonical_header", "header_key"]

#: Canonical column -> the spellings (compared by ``header_key``) that mean it.
CANONICAL: dict[str, tuple[str, ...]] = {
    "Phone": (
        "Phone", "Mobile", "Cell", "Phone Number", "Mobile #", "Phone #", "Cell #",
        "Mobile Number", "Cell Number", "Mobile Phone", "Cell Phone", "Telephone", "Tel",
        "Phone No", "Mobile No", "Contact Number",
    ),
    "Name": ("Name", "First Name", "First", "Given Name", "FName"),
    "LastName": ("Last Name", "LastName", "Surname", "Last", "Family Name", "LName"),
    "Groups": ("Groups", "Group", "Group Name", "Group Names"),
    "TimeZone": ("Time Zone", "TimeZone", "TZ"),
    "ZIP": ("ZIP", "Zip Code", "ZIP Code", "Postal Code", "Postcode", "Post Code"),
}

_IGNORED = re.compile(r"[\s_\-.]+")


def header_key(header: str) -> str:
    """The comparison key of a header: lower case without spaces, ``_``, ``-`` or ``.``."""
    return _IGNORED.sub("", str(header)).lower()


_BY_KEY = {header_key(alias): name for name, aliases in CANONICAL.items() for alias in aliases}


def canonical_header(header: str) -> str | None:
    """The canonical column a header means (``Phone``, ``Name``...), or None for other columns."""
    return _BY_KEY.get(header_key(header))
