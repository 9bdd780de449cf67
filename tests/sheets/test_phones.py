"""normalize_phones agrees with libphonenumber on every input; phone_problems names Excel damage."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptdata import normalize_phones
from ptdata.sheets.phones import phone_problem_message, phone_problems


def libphonenumber(value: str, region: str | None) -> str | None:
    """The contract, spelled out: parse -> is_valid_number -> format E.164."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def as_list(series: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("(415) 555-0123", "+14155550123", id="parentheses"),
        pytest.param("415.555.0123", "+14155550123", id="dots"),
        pytest.param("415-555-0123", "+14155550123", id="dashes"),
        pytest.param("4155550123", "+14155550123", id="digits"),
        pytest.param("14155550123", "+14155550123", id="leading-1"),
        pytest.param("+1 415 555 0123", "+14155550123", id="plus-1-spaces"),
        pytest.param("+1 (415) 555-0123", "+14155550123", id="plus-1-parentheses"),
        pytest.param(" 415 555 0123\t", "+14155550123", id="surrounding-space"),
        pytest.param("415-555-0123 ext. 12", "+14155550123", id="extension"),
        pytest.param("+44 20 7946 0958", "+442079460958", id="uk"),
        pytest.param("(204) 555-0123", "+12045550123", id="canada"),
        pytest.param("(268) 555-0123", None, id="antigua-invalid"),
        pytest.param("(268) 464-1234", "+12684641234", id="antigua-valid"),
        pytest.param("(200) 555-0123", None, id="unassigned-area-code"),
        pytest.param("555-0123", None, id="no-area-code"),
        pytest.param("310-1234", "+13101234", id="seven-digit-canadian-uan"),
        pytest.param("4.155550123E9", None, id="excel-scientific"),
        pytest.param("call me", None, id="words"),
        pytest.param("", None, id="empty"),
    ],
)
def test_normalize_phones_table(value, expected):
    assert as_list(normalize_phones([value])) == [expected]
    assert libphonenumber(value, "US") == expected


def test_a_series_keeps_its_index_missing_stays_missing_and_the_dtype_is_str():
    values = pd.Series(["(415) 555-0123", None, "nope"], index=[10, 20, 30], name="Phone")
    out = normalize_phones(values)
    assert out.index.tolist() == [10, 20, 30]
    assert as_list(out) == ["+14155550123", None, None]
    assert str(out.dtype) == "str"


def test_region_is_how_numbers_without_plus_are_read():
    values = ["020 7946 0958", "+14155550123", "4155550123"]
    assert as_list(normalize_phones(values, region="GB")) == ["+442079460958", "+14155550123", None]
    assert as_list(normalize_phones(values, region=None)) == [None, "+14155550123", None]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("4.155550123E9", "excel_scientific", id="scientific"),
        pytest.param("4.15555E+09", "excel_scientific", id="scientific-rounded"),
        pytest.param("1,41555E+10", "excel_scientific", id="scientific-decimal-comma"),
        pytest.param("4155550123.0", "excel_decimal", id="trailing-dot-0"),
        pytest.param("415555012.0", "excel_decimal", id="decimal-libphonenumber-would-accept"),
        pytest.param("1234567890123456780", "excel_truncated", id="16-plus-digits-ending-in-0"),
        pytest.param("", "missing", id="empty"),
        pytest.param("   ", "missing", id="spaces"),
        pytest.param(None, "missing", id="na"),
        pytest.param("call me", "not_a_number", id="words"),
        pytest.param("(415) 555-012", "invalid", id="too-short"),
        pytest.param("+999 1234 5678", "invalid", id="unknown-country"),
        pytest.param("(415) 555-0123", None, id="fine"),
        pytest.param("+44 20 7946 0958", None, id="fine-uk"),
    ],
)
def test_phone_problems_table(value, reason):
    assert as_list(phone_problems([value])) == [reason]


def test_the_shortcuts_give_libphonenumbers_own_reasons_and_details():
    from ptdata.sheets.phones import _verdict

    for value in ["555-0123", "(200) 555-0123", "+1 200 555 0123", "415 555 0123"]:
        assert as_list(phone_problems([value])) == [_verdict(value, "US")[1]]
        if _verdict(value, "US")[1]:
            assert (
                phone_problem_message("invalid", value)
                .split(": ", 1)[1]
                .startswith(_verdict(value, "US")[2])
            )


def test_excel_damage_is_flagged_even_when_libphonenumber_accepts_the_digits():
    assert libphonenumber("415555012.0", "US") == "+14155550120"  # a 0 that was never dialled
    assert as_list(phone_problems(["415555012.0"])) == ["excel_decimal"]


@pytest.mark.parametrize(
    ("reason", "value", "message"),
    [
        pytest.param(
            "excel_scientific",
            "4.15555E+09",
            "Excel changed this number to scientific notation (4.15555E+09) and its digits are "
            "lost: "
            "format the Phone column as Text, re-enter the number from the source, and export "
            "again.",
            id="scientific",
        ),
        pytest.param(
            "invalid",
            "555-0116",
            "'555-0116' is not a valid phone number: it has 7 digits; add the area code in front.",
            id="local-only",
        ),
        pytest.param(
            "invalid",
            "(415) 555-012",
            "'(415) 555-012' is not a valid phone number: it has 9 digits, too few for a US "
            "number. "
            "A number outside North America needs + and its country code.",
            id="too-short",
        ),
        pytest.param(
            "invalid",
            "+1 200 555 0123",
            "'+1 200 555 0123' is not a valid phone number: no North American number starts like "
            "this; "
            "check the area code and the next 3 digits.",
            id="unassigned",
        ),
        pytest.param(
            "missing", None, "No phone number: fill it in or delete the row.", id="missing"
        ),
    ],
)
def test_problem_messages_say_what_to_do(reason, value, message):
    assert phone_problem_message(reason, value) == message


# ---- the property: agreement with libphonenumber on generated inputs ------------------------

_AREAS = [
    "415",
    "212",
    "204",
    "416",
    "268",
    "809",
    "876",
    "939",
    "340",
    "800",
    "900",
    "555",
    "200",
    "911",
    "011",
    "123",
]
_SEP = st.sampled_from(["", " ", "-", ".", "  ", "/", "--"])
_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=4)


@st.composite
def nanp_shaped(draw) -> str:
    area = draw(
        st.one_of(st.sampled_from(_AREAS), st.text(alphabet="0123456789", min_size=3, max_size=3))
    )
    exchange = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    line = draw(st.text(alphabet="0123456789", min_size=3, max_size=5))
    prefix = draw(
        st.sampled_from(["", "1", "+1", "1 ", "+1 ", "+1-", "1-", "+", "01", "001 ", "+ 1 "])
    )
    if draw(st.booleans()):
        area = f"({area})"
    s1, s2 = draw(_SEP), draw(_SEP)
    tail = draw(st.sampled_from(["", " ", "\t", " x12", " ext 5", ";", "#"]))
    lead = draw(st.sampled_from(["", " ", "Tel: "]))
    return f"{lead}{prefix}{area}{s1}{exchange}{s2}{line}{tail}"


@st.composite
def international(draw) -> str:
    cc = draw(st.sampled_from(["1", "44", "49", "33", "52", "61", "91", "999", "7"]))
    groups = draw(st.lists(_DIGITS, min_size=1, max_size=4))
    return "+" + cc + " " + " ".join(groups)


@st.composite
def excel_damaged(draw) -> str:
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=12))
    style = draw(st.sampled_from(["sci", "dec", "long"]))
    if style == "sci":
        return f"{digits[0]}.{digits[1:6]}E+{len(digits) - 1:02d}"
    if style == "dec":
        return digits + ".0"
    return digits + draw(st.text(alphabet="0123456789", min_size=4, max_size=8)) + "0"


@st.composite
def local_number(draw) -> str:
    first = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    rest = draw(st.text(alphabet="0123456789", min_size=3, max_size=5))
    return (
        draw(st.sampled_from(["", " ", "\t"]))
        + first
        + draw(_SEP)
        + rest
        + draw(st.sampled_from(["", " "]))
    )


_JUNK = st.text(alphabet="0123456789 ()-.+xX#*;/,aZ\u00a0\uff11", max_size=16)
_INPUTS = st.lists(
    st.one_of(nanp_shaped(), local_number(), international(), excel_damaged(), _JUNK),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_INPUTS, region=st.sampled_from(["US", "CA", "GB", None]))
def test_normalize_phones_agrees_with_libphonenumber(values, region):
    assert as_list(normalize_phones(values, region=region)) == [
        libphonenumber(v, region) for v in values
    ]
