"""The contact diff on its own (no server): name rules, phone matching, groups, order."""

from __future__ import annotations

import pandas as pd
import pytest
from contacts_helpers import records

from ptdata.api.results import Group
from ptdata.contacts.diff import diff_contacts, names_match, resolve_group_names


@pytest.mark.parametrize(
    ("first", "last", "current", "same"),
    [
        pytest.param("Ava", "Martinez", "Ava Martinez", True, id="first-and-last"),
        pytest.param("Ava", "Martinez", "Ava  Martinez ", True, id="spaces-collapsed"),
        pytest.param("Ava", "Moreno", "Ava Martinez", False, id="new-last-name"),
        pytest.param("ava", "martinez", "Ava Martinez", False, id="case-is-a-change"),
        pytest.param("Ava", None, "Ava Martinez", True, id="first-only-keeps-pt-last-name"),
        pytest.param("Ava", None, "Avalon Smith", False, id="first-only-must-be-a-whole-word"),
        pytest.param(None, "Martinez", "Ava Martinez", True, id="last-only"),
        pytest.param("Ben", "Carter", None, False, id="pt-has-no-name"),
        pytest.param(None, None, "Ava Martinez", True, id="sheet-has-no-name"),
        pytest.param("Jose\u0301", None, "Jos\u00e9", True, id="unicode-nfc"),
    ],
)
def test_names_match(first, last, current, same):
    assert names_match(first, last, current) is same


def _pt(*rows):
    return pd.DataFrame(rows, columns=["contact_id", "pt_phone", "current_name", "current_groups"])


def _sheet(**cols):
    return pd.DataFrame(cols)


def test_power_textor_numbers_in_any_format_match_and_duplicates_are_listed():
    pt = _pt(
        ("c1", "415-555-0101", "Ava Martinez", ""),
        ("c2", "+14155550101", "Ava M", ""),
        ("c3", "not a phone", "Ghost", ""),
        ("c4", "+14155550104", "Diego", ""),
    )
    sheet = _sheet(row=[2], Phone=["+14155550101"], Name=["Ava"], LastName=["Martinez"])

    diff = diff_contacts(sheet, pt)

    assert records(diff, ["row", "phone", "action", "reason", "pt_phone"]) == [
        {
            "row": 2,
            "phone": "+14155550101",
            "action": "unchanged",
            "reason": None,
            "pt_phone": "415-555-0101",
        },
        {
            "row": None,
            "phone": "+14155550101",
            "action": "only_in_powertextor",
            "reason": "duplicate_in_powertextor",
            "pt_phone": "+14155550101",
        },
        {
            "row": None,
            "phone": None,
            "action": "only_in_powertextor",
            "reason": None,
            "pt_phone": "not a phone",
        },
        {
            "row": None,
            "phone": "+14155550104",
            "action": "only_in_powertextor",
            "reason": None,
            "pt_phone": "+14155550104",
        },
    ]
    assert diff.loc[1, "message"] == (
        "Power Textor holds this number twice; the contact stored "
        "as '415-555-0101' is the one compared with the sheet"
    )
    assert diff.loc[2, "message"] == "Power Textor's number is not a valid phone number"


def test_skipped_rows_keep_their_place_in_the_sheet_order():
    sheet = _sheet(row=[2, 5], Phone=["+14155550101", "+14155550199"], Name=["Ava", "Zoe"])
    skipped = pd.DataFrame(
        {
            "row": [3, 4],
            "phone": ["+14155550101", None],
            "reason": ["duplicate", "invalid"],
            "message": ["dup", "bad"],
        }
    )

    diff = diff_contacts(sheet, _pt(("c1", "+14155550101", "Ava", "")), skipped=skipped)

    assert records(diff, ["row", "action", "reason"]) == [
        {"row": 2, "action": "unchanged", "reason": None},
        {"row": 3, "action": "skipped", "reason": "duplicate"},
        {"row": 4, "action": "skipped", "reason": "invalid"},
        {"row": 5, "action": "create", "reason": None},
    ]


def test_a_sheet_without_names_keeps_power_textors():
    diff = diff_contacts(
        _sheet(row=[2], Phone=["+14155550101"]), _pt(("c1", "+14155550101", "Ava Martinez", ""))
    )
    assert diff.loc[0, ["action", "message"]].tolist() == [
        "unchanged",
        "the sheet gives no name: Power Textor's is kept",
    ]


def test_group_names_resolve_by_id_or_name_and_say_what_is_ambiguous_or_unknown():
    groups = [
        Group("g1", "VIP customers"),
        Group("g2", "Staff"),
        Group("g3", "Staff"),
        Group("g4", "Newsletter"),
    ]

    res = resolve_group_names(["g1", "newsletter", "Staff", "Newsleter", "Zzz"], groups)

    assert res.found == {"g1": ("g1", "VIP customers"), "newsletter": ("g4", "Newsletter")}
    assert res.ambiguous == {"Staff": ["g2", "g3"]}
    assert res.unknown == {"Newsleter": ["Newsletter"], "Zzz": []}
    assert res.describe_unknown("Staff") == "Staff (several groups have this name: g2, g3)"
    assert res.describe_unknown("Zzz") == "Zzz (no close name)"


def test_group_membership_differences_are_computed_per_row():
    groups = [Group("g1", "VIP customers"), Group("g2", "Staff")]
    sheet = _sheet(
        row=[2, 3, 4],
        Phone=["+14155550101", "+14155550102", "+14155550199"],
        Name=["Ava", "Ben", "Zoe"],
        Groups=["VIP customers;Staff", None, "Staff"],
    )
    pt = _pt(("c1", "+14155550101", "Ava", "VIP customers"), ("c2", "+14155550102", "Ben", "Staff"))

    diff = diff_contacts(sheet, pt, groups)

    assert records(diff.head(3), ["group_ids", "missing_groups", "extra_groups"]) == [
        {"group_ids": "g1;g2", "missing_groups": "Staff", "extra_groups": None},
        {"group_ids": None, "missing_groups": None, "extra_groups": "Staff"},
        {"group_ids": "g2", "missing_groups": "Staff", "extra_groups": None},  # a new contact
    ]
