"""Header names: the canonical columns ptdata knows and the ways spreadsheets spell them.

Matching ignores case, spaces, ``_``, ``-`` and ``.``: ``Mobile #``, ``PHONE_NUMBER`` and
``phone number`` all mean ``Phone``. Columns that match nothing keep their name (stripped of
surrounding spaces) and serve as merge fields.

Two headers that could mean the same column are never an error; the documented priority
decides. For ``Name``, ``LastName``, ``Groups``, ``TimeZone``, ``ZIP`` and ``State`` one
column is used: the first spelling in ``CANONICAL`` wins (``First Name`` and ``Given Name``
beat a plain ``Name``, which is often the full name; a home or mailing ZIP beats a business
one), sheet order breaks ties. Phone numbers may come from several columns: per row, the first
valid number in a mobile column (``PHONE_TIERS["mobile"]``, or Google's ``Phone N - Value``
whose ``Phone N - Type``/``Label`` says Mobile), else the first valid one in the other phone
columns, general ones (``Phone``, ``Primary Phone``) before the rest (``Home Phone``,
``Business Phone``...). Fax, pager, assistant and emergency-contact numbers are never used.

>>> canonical_header("Mobile #"), canonical_header("Zip Code"), canonical_header("Order Id")
('Phone', 'ZIP', None)
>>> phone_tier("Mobile Phone Number"), phone_tier("Business Phone"), phone_tier("Business Fax")
('mobile', 'other', None)
"""

from __future__ import annotations

import re

__all__ = [
    "CANONICAL",
    "PHONE_TIERS",
    "canonical_header",
    "google_phone",
    "header_key",
    "header_rank",
    "is_excluded_label",
    "is_mobile_label",
    "looks_like_phone",
    "phone_tier",
]

#: Phone columns by tier, the order in which a row's numbers are tried.
PHONE_TIERS: dict[str, tuple[str, ...]] = {
    "mobile": (
        "Mobile",
        "Cell",
        "Mobile Phone",
        "Cell Phone",
        "Mobile Phone Number",
        "Mobile Number",
        "Cell Number",
        "Cell Phone Number",
        "Mobile #",
        "Cell #",
        "Mobile No",
        "Cellular",
        "Cellular Phone",
        "SMS",
        "SMS Number",
        "SMS Phone",
        "SMS Phone Number",
        "Text Number",
        "Mobil",
        "Mobiltelefon",
        "Mobilnummer",
        "Handy",
        "Handynummer",
        "Portable",
        "Téléphone portable",
        "Téléphone mobile",
        "Móvil",
        "Celular",
    ),
    "general": (
        "Phone",
        "Phone Number",
        "Phone #",
        "Phone No",
        "Telephone",
        "Telephone Number",
        "Tel",
        "Contact Number",
        "Primary Phone",
        "Main Phone",
        "Telefon",
        "Telefonnummer",
        "Téléphone",
        "Teléfono",
    ),
    "other": (
        "Home Phone",
        "Home Phone 2",
        "Work Phone",
        "Business Phone",
        "Business Phone 2",
        "Office Phone",
        "Other Phone",
        "Company Main Phone",
        "Car Phone",
        "Default Address Phone",
        "Day Phone",
        "Daytime Phone",
        "Evening Phone",
        "Night Phone",
        "Alternate Phone",
        "Secondary Phone",
        "Home Telephone",
        "Work Telephone",
        "Telefon privat",
        "Telefon geschäftlich",
    ),
}

#: Canonical column -> the spellings that mean it, highest priority first (see the module doc).
CANONICAL: dict[str, tuple[str, ...]] = {
    "Phone": PHONE_TIERS["mobile"] + PHONE_TIERS["general"] + PHONE_TIERS["other"],
    "Name": (
        "First Name",
        "Given Name",
        "FirstName",
        "First",
        "FName",
        "Forename",
        "Vorname",
        "Prénom",
        "Nombre",
        "Name",
    ),
    "LastName": (
        "Last Name",
        "Surname",
        "Family Name",
        "LastName",
        "Last",
        "LName",
        "Nachname",
        "Familienname",
        "Nom",
        "Apellido",
        "Apellidos",
    ),
    "Groups": ("Groups", "Group", "Group Name", "Group Names", "Gruppe", "Gruppen"),
    "TimeZone": ("Time Zone", "TimeZone", "TZ", "Zeitzone"),
    "ZIP": (
        "ZIP",
        "Zip Code",
        "ZIP Code",
        "Postal Code",
        "Postcode",
        "Post Code",
        "Zip/Postal Code",
        "Mailing Zip/Postal Code",
        "Mailing Postal Code",
        "Mailing Zip",
        "Home Postal Code",
        "Default Address Zip",
        "Address 1 - Postal Code",
        "PLZ",
        "Postleitzahl",
        "Code postal",
        "Código postal",
        "Business Postal Code",
        "Other Postal Code",
        "Other Zip/Postal Code",
        "Address 2 - Postal Code",
    ),
    "State": (
        "State",
        "State/Province",
        "State/Region",
        "Province",
        "Province Code",
        "Mailing State/Province",
        "Mailing State",
        "Home State",
        "Default Address Province Code",
        "Address 1 - Region",
        "Business State",
        "Other State",
        "Other State/Province",
        "Address 2 - Region",
    ),
}

_IGNORED = re.compile(r"[\s_\-.]+")
_GOOGLE = re.compile(r"phone(\d+)(value|type|label)")
_PHONEISH = re.compile(r"phone|mobile|cell|tel|handy|sms")
_NEVER = re.compile(
    r"fax|pager|assistant|emergency|guardian|telex|tty|isdn|radio|callback|"
    r"beeper|spouse|manager"
)


def header_key(header: str) -> str:
    """The comparison key of a header: lower case without spaces, ``_``, ``-`` or ``.``."""
    return _IGNORED.sub("", str(header)).lower()


_BY_KEY = {header_key(alias): name for name, aliases in CANONICAL.items() for alias in aliases}
_RANK = {
    header_key(alias): rank for aliases in CANONICAL.values() for rank, alias in enumerate(aliases)
}
_TIER = {header_key(alias): tier for tier, aliases in PHONE_TIERS.items() for alias in aliases}


def canonical_header(header: str) -> str | None:
    """The canonical column a header means (``Phone``, ``Name``...), or None for other columns."""
    key = header_key(header)
    if _GOOGLE.fullmatch(key) and key.endswith("value"):
        return "Phone"
    return _BY_KEY.get(key)


def header_rank(header: str) -> int:
    """Where a spelling stands in its canonical column's priority (0 = first); large if none."""
    return _RANK.get(header_key(header), 1 << 20)


def phone_tier(header: str) -> str | None:
    """``mobile``, ``general`` or ``other`` for a phone column's header; None for any other."""
    key = header_key(header)
    if _GOOGLE.fullmatch(key):
        return "general" if key.endswith("value") else None
    return _TIER.get(key)


def google_phone(header: str) -> tuple[int, str] | None:
    """(N, ``value``/``type``/``label``) for Google Contacts' ``Phone N - Value`` columns."""
    m = _GOOGLE.fullmatch(header_key(header))
    return (int(m[1]), m[2]) if m else None


def looks_like_phone(header: str) -> bool:
    """True for a header that may hold numbers but is not a known phone column (a hint)."""
    key = header_key(header)
    return (
        bool(_PHONEISH.search(key))
        and not _NEVER.search(key)
        and phone_tier(header) is None
        and google_phone(header) is None
    )


def is_mobile_label(value: str) -> bool:
    """True when a Google ``Phone N - Type`` cell names a mobile (``Mobile``, ``* Mobile``,
    ``Cell``)."""
    return header_key(value.strip().lstrip("*").strip()) in _MOBILE_LABELS


def is_excluded_label(value: str) -> bool:
    """True when a Google ``Phone N - Type`` cell names a fax or a pager: never texted."""
    return bool(re.search(r"fax|pager", value.lower()))


_MOBILE_LABELS = {header_key(a) for a in PHONE_TIERS["mobile"]} | {"mobile", "cell", "iphone"}
