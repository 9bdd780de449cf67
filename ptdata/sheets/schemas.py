"""pandera schemas that read like the sheets they check: contacts, group memberships, campaigns.

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

Campaign sheet (one message per row)::

    Phone | Groups   who: one phone number, or one or more Power Textor group names (not both)
    Recipient        number | contact | new_contact | group  (blank: group for Groups; for a Phone,
                     number where Power Textor can send to a plain number - a text or MMS now -
                     else contact, an existing Power Textor contact)
    Name, LastName   the new contact's name (Recipient = new_contact)
    Kind             text | review | reminder | mms (blank: text)
    Body*            the message, or a template with {Column} merge fields from this sheet
    SendAt           when to send (blank: now): 2026-12-03 10:30, optionally with an offset
                     (2026-12-03 10:30-05:00) or as 12/03/2026 10:30 AM; cleaned to ISO form.
                     Without an offset it is local time (TimeZone column, else the number's zone)
    EventDate        reminder: the event's date, 2026-12-03 or 12/03/2026 (cleaned to ISO)
    DaysBefore       reminder: whole days before the event to send (0 = that day)
    Time             reminder: time of day to send, 14:30 or 2:30 PM (cleaned to 14:30)
    Place            review: the place's name or GooglePlaceId (from GetPlaces)
    Attachment       mms: the file to attach (a path relative to the sheet)
    TimeZone         optional IANA zone for SendAt/Time

>>> sorted(ContactsSheet.to_schema().columns)
['Groups', 'LastName', 'Name', 'Phone', 'TimeZone', 'ZIP']
"""

from __future__ import annotations

import zoneinfo

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from ptdata.api.operations import find_operation

__all__ = [
    "CAMPAIGN_COLUMNS",
    "CampaignSheet",
    "ContactsSheet",
    "GroupsSheet",
    "KINDS",
    "RECIPIENTS",
    "TIME_ZONES",
    "first_positions",
    "operation_for_rows",
]

KINDS = ("text", "review", "reminder", "mms")
RECIPIENTS = ("number", "contact", "new_contact", "group")

#: Campaign columns -> the other spellings accepted for them (case and spaces ignored).
CAMPAIGN_COLUMNS: dict[str, tuple[str, ...]] = {
    "Recipient": ("Recipient", "Recipient Type", "To"),
    "Kind": ("Kind", "Type", "Message Type"),
    "Body": ("Body", "Message", "Text", "Template"),
    "SendAt": ("SendAt", "Send At", "Send Time", "Scheduled", "Schedule"),
    "EventDate": ("EventDate", "Event Date", "Event"),
    "DaysBefore": ("DaysBefore", "Days Before", "Day"),
    "Time": ("Time", "Reminder Time"),
    "Place": ("Place", "Place Id", "Google Place Id"),
    "Attachment": ("Attachment", "Media", "File", "Image"),
}

#: IANA zones a TimeZone cell may name: geographic zones with DST rules, plus UTC. Legacy
#: fixed-offset names such as EST or MST exist in the database but silently ignore daylight
#: saving time, so they are refused with a suggestion.
TIME_ZONES = frozenset(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
) | {"UTC"}

E164 = r"\+[1-9][0-9]{1,14}"
ZIP_US = r"[0-9]{5}(?:-[0-9]{4})?"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO_TIME = r"[0-9]{2}:[0-9]{2}"
ISO_MOMENT = ISO_DATE + " " + ISO_TIME + r"(?:[+-][0-9]{2}:[0-9]{2})?"


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the sheet does not have it."""
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="str")


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


def _real(value: pd.Series, fmt: str) -> pd.Series:
    """True where the text is a real date/time in ``fmt`` (2026-02-30 and 25:00 are not)."""
    return pd.to_datetime(value, format=fmt, errors="coerce").notna()


def _has(df: pd.DataFrame, name: str) -> pd.Series:
    return _col(df, name).notna()


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


def _kind(df: pd.DataFrame) -> pd.Series:
    return _col(df, "Kind")


def _timing(df: pd.DataFrame) -> pd.Series:
    kind = _kind(df)
    timing = pd.Series("now", index=df.index, dtype="str")
    timing = timing.mask(_has(df, "SendAt"), "scheduled")
    return timing.mask(kind == "reminder", "event")


def _target(df: pd.DataFrame) -> pd.Series:
    recipient = _col(df, "Recipient")
    several = _col(df, "Groups").str.contains(";", regex=False).fillna(False).astype(bool)
    return recipient.mask((recipient == "group") & several, "groups")


def operation_for_rows(df: pd.DataFrame) -> pd.Series:
    """The connector operationId each prepared campaign row needs (missing when none exists).

    >>> rows = pd.DataFrame({"Kind": ["text", "mms"], "Recipient": ["group", "number"],
    ...                      "SendAt": [None, "2026-12-03 10:30"], "Groups": ["VIP", None]})
    >>> operation_for_rows(rows).tolist()
    ['SendTextMessageToAGroup', nan]
    """
    keys = pd.DataFrame({"a": _kind(df), "t": _timing(df), "r": _target(df)})
    found = {
        key: (op.op_id if (op := find_operation(*key)) else None)
        for key in keys.dropna().drop_duplicates().itertuples(index=False, name=None)
    }
    ops = [found.get(key) for key in keys.itertuples(index=False, name=None)]
    return pd.Series(ops, index=df.index, dtype="str")


def _needs(df: pd.DataFrame, column: str, kind: str) -> Series[bool]:
    return ~((_kind(df) == kind) & ~_has(df, column))


def _only_for(df: pd.DataFrame, column: str, kinds: tuple[str, ...]) -> Series[bool]:
    return ~(_has(df, column) & _kind(df).notna() & ~_kind(df).isin(kinds))


class CampaignSheet(pa.DataFrameModel):
    """A campaign: one message per row (see the module docstring for the columns)."""

    Phone: Series[str] | None = pa.Field(nullable=True)
    Groups: Series[str] | None = pa.Field(nullable=True)
    Recipient: Series[str] | None = pa.Field(nullable=True)
    Kind: Series[str] = pa.Field(nullable=False)
    Body: Series[str] = pa.Field(nullable=False)
    SendAt: Series[str] | None = pa.Field(nullable=True)
    EventDate: Series[str] | None = pa.Field(nullable=True)
    DaysBefore: Series[str] | None = pa.Field(nullable=True)
    Time: Series[str] | None = pa.Field(nullable=True)
    Place: Series[str] | None = pa.Field(nullable=True)
    Attachment: Series[str] | None = pa.Field(nullable=True)
    TimeZone: Series[str] | None = pa.Field(nullable=True)

    @pa.check("Kind", name="unknown_kind")
    def _kinds(cls, kind: Series[str]) -> Series[bool]:
        return kind.isin(KINDS)

    @pa.check("Recipient", name="unknown_recipient")
    def _recipients(cls, recipient: Series[str]) -> Series[bool]:
        return recipient.isin(RECIPIENTS)

    @pa.check("SendAt", name="bad_datetime")
    def _moment(cls, value: Series[str]) -> Series[bool]:
        return value.str.fullmatch(ISO_MOMENT) & _real(value.str.slice(0, 16), "%Y-%m-%d %H:%M")

    @pa.check("EventDate", name="bad_date")
    def _date(cls, value: Series[str]) -> Series[bool]:
        return value.str.fullmatch(ISO_DATE) & _real(value, "%Y-%m-%d")

    @pa.check("Time", name="bad_time")
    def _time(cls, value: Series[str]) -> Series[bool]:
        return value.str.fullmatch(ISO_TIME) & _real(value, "%H:%M")

    @pa.check("DaysBefore", name="bad_days")
    def _days(cls, value: Series[str]) -> Series[bool]:
        return value.str.fullmatch(r"[0-9]{1,3}")

    @pa.check("TimeZone", name="unknown_timezone")
    def _iana(cls, zone: Series[str]) -> Series[bool]:
        return zone.isin(TIME_ZONES)

    @pa.check("Phone", name="invalid")
    def _e164(cls, phone: Series[str]) -> Series[bool]:
        return phone.str.fullmatch(E164)

    @pa.dataframe_check(name="phone:Phone", ignore_na=False)
    def _usable_phone(cls, df: pd.DataFrame) -> Series[bool]:
        return ~_has(df, "_phone_problem")

    @pa.dataframe_check(name="no_recipient:Phone", ignore_na=False)
    def _someone(cls, df: pd.DataFrame) -> Series[bool]:
        return _has(df, "Phone") | _has(df, "Groups") | _has(df, "_phone_problem")

    @pa.dataframe_check(name="two_recipients:Groups", ignore_na=False)
    def _one_recipient(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(_has(df, "Groups") & (_has(df, "Phone") | _has(df, "_phone_problem")))

    @pa.dataframe_check(name="recipient_mismatch:Recipient", ignore_na=False)
    def _recipient_fits(cls, df: pd.DataFrame) -> Series[bool]:
        recipient = _col(df, "Recipient")
        to_group = (recipient == "group").fillna(False).astype(bool)
        to_phone = recipient.isin(["number", "contact", "new_contact"])
        return ~(
            (to_group & ~_has(df, "Groups") & _has(df, "Phone")) | (to_phone & _has(df, "Groups"))
        )

    @pa.dataframe_check(name="required:Place", ignore_na=False)
    def _review_place(cls, df: pd.DataFrame) -> Series[bool]:
        return _needs(df, "Place", "review")

    @pa.dataframe_check(name="required:Attachment", ignore_na=False)
    def _mms_attachment(cls, df: pd.DataFrame) -> Series[bool]:
        return _needs(df, "Attachment", "mms")

    @pa.dataframe_check(name="required:EventDate", ignore_na=False)
    def _reminder_date(cls, df: pd.DataFrame) -> Series[bool]:
        return _needs(df, "EventDate", "reminder")

    @pa.dataframe_check(name="required:DaysBefore", ignore_na=False)
    def _reminder_days(cls, df: pd.DataFrame) -> Series[bool]:
        return _needs(df, "DaysBefore", "reminder")

    @pa.dataframe_check(name="required:Time", ignore_na=False)
    def _reminder_time(cls, df: pd.DataFrame) -> Series[bool]:
        return _needs(df, "Time", "reminder")

    @pa.dataframe_check(name="not_for_kind:Place", ignore_na=False)
    def _place_only_review(cls, df: pd.DataFrame) -> Series[bool]:
        return _only_for(df, "Place", ("review",))

    @pa.dataframe_check(name="not_for_kind:Attachment", ignore_na=False)
    def _attachment_only_mms(cls, df: pd.DataFrame) -> Series[bool]:
        return _only_for(df, "Attachment", ("mms",))

    @pa.dataframe_check(name="not_for_kind:EventDate", ignore_na=False)
    def _event_only_reminder(cls, df: pd.DataFrame) -> Series[bool]:
        return _only_for(df, "EventDate", ("reminder",))

    @pa.dataframe_check(name="not_for_kind:DaysBefore", ignore_na=False)
    def _days_only_reminder(cls, df: pd.DataFrame) -> Series[bool]:
        return _only_for(df, "DaysBefore", ("reminder",))

    @pa.dataframe_check(name="not_for_kind:Time", ignore_na=False)
    def _time_only_reminder(cls, df: pd.DataFrame) -> Series[bool]:
        return _only_for(df, "Time", ("reminder",))

    @pa.dataframe_check(name="not_for_kind:SendAt", ignore_na=False)
    def _reminders_are_timed_by_event(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(_has(df, "SendAt") & (_kind(df) == "reminder").fillna(False).astype(bool))

    @pa.dataframe_check(name="no_operation:Recipient", ignore_na=False)
    def _operation_exists(cls, df: pd.DataFrame) -> Series[bool]:
        known = _kind(df).isin(KINDS) & _col(df, "Recipient").isin(RECIPIENTS)
        return ~known | operation_for_rows(df).notna()

    @pa.dataframe_check(name="body:Body", ignore_na=False)
    def _sendable_body(cls, df: pd.DataFrame) -> Series[bool]:
        # Templates are checked against the sheet's columns and rendered per row beforehand
        # (ptdata.sheets.campaign.body_problems); the reason lands in _body_problem.
        return ~_has(df, "_body_problem")

    @pa.dataframe_check(name="duplicate:Phone", ignore_na=False)
    def _same_message_once(cls, df: pd.DataFrame) -> Series[bool]:
        key = [
            c
            for c in (
                "Phone",
                "Groups",
                "Kind",
                "Body",
                "SendAt",
                "EventDate",
                "DaysBefore",
                "Time",
                "Place",
                "Attachment",
            )
            if c in df.columns
        ]
        recipient = _has(df, "Phone") | _has(df, "Groups")
        return ~(df.duplicated(subset=key, keep="first") & recipient)

    class Config:
        strict = False
        coerce = False
