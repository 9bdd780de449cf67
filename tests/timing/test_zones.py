"""Recipient time zones: TimeZone column, else ZIP, else State, else the number."""

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from phonenumbers.timezone import TIMEZONE_DATA, time_zones_for_number

from ptdata import UsageError
from ptdata.timing import resolve_timezones
from ptdata.timing._area_codes import AREA_CODE_STATE
from ptdata.timing._build_area_codes import derive_area_code_states
from ptdata.timing._numbers import number_zones, sort_zones

NA = None


def one(rule="strictest", precision="exchange", **cells):
    row = {"Phone": "", "TimeZone": "", "ZIP": "", "State": ""} | cells
    out = resolve_timezones(pd.DataFrame([row]), rule=rule, precision=precision)
    values = out.iloc[0].to_dict()
    return {k: (None if pd.isna(v) else v) for k, v in values.items()}


@pytest.mark.parametrize(
    "cells, tz, source, candidates, reason",
    [
        pytest.param(
            {"Phone": "+12125550123"},
            "America/New_York",
            "number",
            "America/New_York",
            NA,
            id="new-york-number",
        ),
        pytest.param(
            {"Phone": "+13105550123"},
            "America/Los_Angeles",
            "number",
            "America/Los_Angeles",
            NA,
            id="los-angeles-number",
        ),
        # libphonenumber splits the 850 area code by exchange: 850-200 is Pensacola (Central),
        # 850-222 Tallahassee (Eastern). Neither is ambiguous at exchange precision.
        pytest.param(
            {"Phone": "+18502001234"},
            "America/Chicago",
            "number",
            "America/Chicago",
            NA,
            id="850-pensacola-exchange-central",
        ),
        pytest.param(
            {"Phone": "+18502221234"},
            "America/New_York",
            "number",
            "America/New_York",
            NA,
            id="850-tallahassee-exchange-eastern",
        ),
        pytest.param(
            {"Phone": "+19075550123"},
            "America/Anchorage",
            "ambiguous",
            "America/Anchorage;America/Adak",
            NA,
            id="alaska-number-two-zones",
        ),
        pytest.param(
            {"Phone": "+12125550123", "TimeZone": "America/Denver"},
            "America/Denver",
            "column",
            "America/Denver",
            NA,
            id="timezone-column-beats-number",
        ),
        pytest.param(
            {"TimeZone": " america/chicago "},
            "America/Chicago",
            "column",
            "America/Chicago",
            NA,
            id="timezone-column-case-and-spaces",
        ),
        pytest.param(
            {"Phone": "+12125550123", "TimeZone": "America/New_Yrok"},
            NA,
            "invalid",
            NA,
            "invalid_timezone",
            id="invalid-timezone-not-guessed-around",
        ),
        pytest.param(
            {"ZIP": "10001", "State": "CA"},
            "America/New_York",
            "zip",
            "America/New_York",
            NA,
            id="zip-beats-state",
        ),
        pytest.param(
            {"ZIP": "02134-1234"},
            "America/New_York",
            "zip",
            "America/New_York",
            NA,
            id="zip-plus-four",
        ),
        pytest.param(
            {"ZIP": "32501"},
            "America/New_York",
            "ambiguous",
            "America/New_York;America/Chicago",
            NA,
            id="zip-in-split-state",
        ),
        pytest.param(
            {"State": "california"},
            "America/Los_Angeles",
            "state",
            "America/Los_Angeles",
            NA,
            id="state-name-any-case",
        ),
        pytest.param(
            {"ZIP": "2134", "Phone": "+13105550123"},
            "America/Los_Angeles",
            "number",
            "America/Los_Angeles",
            NA,
            id="excel-damaged-zip-falls-through",
        ),
        pytest.param(
            {"Phone": "+18885550123"},
            NA,
            "unknown",
            NA,
            "unknown_timezone",
            id="toll-free-number-locates-nobody",
        ),
        pytest.param(
            {"Phone": "+442071234567"},
            "Europe/London",
            "number",
            "Europe/London",
            NA,
            id="london-number",
        ),
        pytest.param({}, NA, "unknown", NA, "unknown_timezone", id="nothing-to-go-on"),
    ],
)
def test_zone_vectors(cells, tz, source, candidates, reason):
    got = one(**cells)
    assert (got["tz"], got["tz_source"], got["tz_candidates"], got["skip_reason"]) == (
        tz,
        source,
        candidates,
        reason,
    )


@pytest.mark.parametrize(
    "rule, tz, check, reason",
    [
        pytest.param(
            "strictest",
            "America/New_York",
            "America/New_York;America/Chicago",
            NA,
            id="strictest-checks-both-zones",
        ),
        pytest.param("first", "America/New_York", "America/New_York", NA, id="first-zone-only"),
        pytest.param("skip", NA, NA, "ambiguous_timezone", id="skip"),
    ],
)
def test_850_area_code_follows_the_rule(rule, tz, check, reason):
    got = one(rule=rule, precision="area_code", Phone="+18502001234")
    assert got["tz_source"] == "ambiguous"
    assert got["tz_candidates"] == "America/New_York;America/Chicago"
    assert (got["tz"], got["check_zones"], got["skip_reason"]) == (tz, check, reason)


def test_ambiguous_row_says_why():
    got = one(ZIP="32501")
    assert got["tz_detail"] == (
        "the ZIP's state spans America/New_York, America/Chicago: "
        "quiet hours must hold in all of them"
    )


def test_invalid_timezone_detail_suggests_the_real_name():
    assert one(TimeZone="America/New_Yrok")["tz_detail"] == (
        "TimeZone 'America/New_Yrok' is not an IANA time zone name; "
        "did you mean 'America/New_York'?"
    )
    assert one(TimeZone="Eastern")["tz_detail"].endswith("did you mean 'America/New_York'?")


def test_invalid_timezones_raise_with_row_numbers():
    frame = pd.DataFrame(
        {"Phone": ["+12125550123"] * 3, "TimeZone": ["America/Chicago", "Pacific", "Mars/Olympus"]},
        index=[2, 3, 4],
    )
    with pytest.raises(UsageError) as info:
        resolve_timezones(frame, errors="raise")
    message = str(info.value)
    assert "row 3: 'Pacific'; did you mean 'America/Los_Angeles'?" in message
    assert "row 4: 'Mars/Olympus'" in message
    assert "row 2" not in message


def test_output_is_aligned_to_the_sheet_rows():
    frame = pd.DataFrame({"Phone": ["+12125550123", "+13105550123"]}, index=[7, 3])
    out = resolve_timezones(frame)
    assert list(out.index) == [7, 3]
    assert list(out["tz"]) == ["America/New_York", "America/Los_Angeles"]
    assert all(str(out[c].dtype) == "str" for c in out.columns)


@pytest.mark.parametrize(
    "cells, state",
    [
        pytest.param(
            {"State": "Florida", "ZIP": "10001", "Phone": "+12125550123"},
            "FL",
            id="state-column-first",
        ),
        pytest.param({"ZIP": "73301", "Phone": "+12125550123"}, "TX", id="then-zip"),
        pytest.param({"Phone": "+18505551234"}, "FL", id="then-area-code"),
        pytest.param({"Phone": "+14165550123"}, NA, id="canadian-number-no-state"),
    ],
)
def test_state_for_quiet_hours(cells, state):
    assert one(**cells)["state"] == state


def test_default_tz_fills_what_nothing_locates():
    frame = pd.DataFrame({"Phone": ["+18885550123", "+13105550123"]})
    out = resolve_timezones(frame, default_tz="America/Chicago")
    assert list(out["tz"]) == ["America/Chicago", "America/Los_Angeles"]
    assert list(out["tz_source"]) == ["default", "number"]


def test_bad_arguments_are_usage_errors():
    frame = pd.DataFrame({"Phone": ["+12125550123"]})
    with pytest.raises(UsageError, match="rule must be one of strictest, first, skip"):
        resolve_timezones(frame, rule="loosest")
    with pytest.raises(UsageError, match="default_tz='Eastern' is not an IANA time zone"):
        resolve_timezones(frame, default_tz="Eastern")


def _library_answer(e164):
    zones = time_zones_for_number(phonenumbers.parse(e164))
    country = TIMEZONE_DATA.get(str(phonenumbers.parse(e164).country_code), ())
    if "Etc/Unknown" in zones or (len(country) > 1 and tuple(zones) == tuple(country)):
        return None
    return sort_zones(zones)


def test_number_zones_agree_with_libphonenumber():
    rng = np.random.default_rng(20261203)
    numbers = []
    while len(numbers) < 3000:
        area, exchange, line = rng.integers(200, 1000), rng.integers(200, 1000), rng.integers(10000)
        text = f"+1{area:03d}{exchange:03d}{line:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(text)):
            numbers.append(text)
    numbers += [
        "+18502001234",
        "+12085550123",
        "+12642351234",
        "+18765550123",
        "+442071234567",
        "+447911123456",
        "+61212345678",
        "+33612345678",
    ]
    # Every NANP member's example fixed-line and mobile number (territories and the
    # Caribbean, where mobiles are non-geographic for libphonenumber).
    for region in phonenumbers.region_codes_for_country_code(1):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(
                    phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
                )
    got = number_zones(pd.Series(numbers, dtype="str"))
    expected = [_library_answer(n) for n in numbers]
    assert [g for g in got] == expected


def test_area_code_table_matches_installed_libphonenumber():
    assert derive_area_code_states() == AREA_CODE_STATE


def test_hundred_thousand_rows_resolve():
    phones = ["+12125550123", "+13105550123", "+18502001234", "+19075550123", "+18885550123"]
    frame = pd.DataFrame({"Phone": phones * 20_000})
    out = resolve_timezones(frame)
    assert out["tz_source"].value_counts().to_dict() == {
        "number": 60_000,
        "ambiguous": 20_000,
        "unknown": 20_000,
    }
