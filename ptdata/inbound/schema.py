"""The inbound frame: one row per received SMS/MMS, its columns and its pandera schema.

Columns, in this order (extra fields a sender adds are kept after them, as text):

- ``received_at`` (datetime64[us, UTC], missing when the source had no receive time)
- ``kind`` (``"sms"`` or ``"mms"``)
- the payload fields of the connector's two triggers, as text exactly as sent
  (``From="+14155550123"``, ``FromZip="02134"``), except ``NumMedia`` and
  ``ReferralNumMedia`` which are nullable integers (``Int64``).

>>> from ptdata.inbound.schema import INBOUND_SCHEMA, empty_inbound_frame
>>> INBOUND_SCHEMA.validate(empty_inbound_frame()).columns[:4].tolist()
['received_at', 'kind', 'From', 'To']
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

__all__ = [
    "INBOUND_SCHEMA",
    "INTEGER_FIELDS",
    "KINDS",
    "META_FIELDS",
    "STANDARD_COLUMNS",
    "TEXT_FIELDS",
    "empty_inbound_frame",
]

#: Added by the listener to every dump line (and by the loader when a source lacks them).
META_FIELDS = ("received_at", "kind")

#: Text fields of the SMS and MMS triggers (x-ms-notification-content), most useful first.
TEXT_FIELDS = (
    "From",
    "To",
    "Body",
    "SmsSid",
    "MessageSid",
    "OptOutType",
    "mediaURL",
    "contentType",
    "MessageStatus",
    "MessagingServiceSid",
    "AccountSid",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToCity",
    "ToState",
    "ToZip",
    "ToCountry",
)

#: Fields the MMS trigger declares as integers.
INTEGER_FIELDS = ("NumMedia", "ReferralNumMedia")

#: Every inbound frame has these columns, in this order; extra fields follow.
STANDARD_COLUMNS = (
    "received_at",
    "kind",
    "From",
    "To",
    "Body",
    "SmsSid",
    "MessageSid",
    "OptOutType",
    "NumMedia",
    "mediaURL",
    "contentType",
    "MessageStatus",
    "MessagingServiceSid",
    "AccountSid",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToCity",
    "ToState",
    "ToZip",
    "ToCountry",
    "ReferralNumMedia",
)

KINDS = ("sms", "mms")

_TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))  # pandas 3's default ``str``


def _text_column() -> pa.Column:
    return pa.Column(_TEXT, nullable=True, required=True)


INBOUND_SCHEMA = pa.DataFrameSchema(
    {
        "received_at": pa.Column(pd.DatetimeTZDtype("us", "UTC"), nullable=True),
        "kind": pa.Column(_TEXT, pa.Check.isin(KINDS), nullable=False),
        **{name: _text_column() for name in TEXT_FIELDS},
        **{name: pa.Column("Int64", pa.Check.ge(0), nullable=True) for name in INTEGER_FIELDS},
    },
    strict=False,  # Twilio adds fields without notice: extra columns are kept
    ordered=False,
    name="inbound",
)


def empty_inbound_frame() -> pd.DataFrame:
    """An inbound frame with no rows (every standard column, typed)."""
    cols: dict[str, pd.Series] = {}
    for name in STANDARD_COLUMNS:
        if name == "received_at":
            dtype: object = pd.DatetimeTZDtype("us", "UTC")
        elif name in INTEGER_FIELDS:
            dtype = "Int64"
        else:
            dtype = _TEXT
        cols[name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(cols)
