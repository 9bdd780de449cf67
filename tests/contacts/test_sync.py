"""Contact sync against the sandbox over a socket: exactly the creates and updates needed, once."""

from __future__ import annotations

import pytest
from contacts_helpers import by_phone, gets, posts, records, sheet

import ptdata
from ptdata.bulk.make_plan import InvalidRowsError

CRM = (
    "Phone,Name,LastName\n"
    "+14155550101,Ava,Martinez\n"  # unchanged (seeded as Ava Martinez)
    "(415) 555-0102,Benjamin,Carter\n"  # renamed (seeded as Ben Carter)
    "415.555.0199,Zoe,Quinn\n"  # new
    "+1 415 555 0198,,\n"  # new, no name
)


@pytest.fixture
def sync(tmp_path):
    """sync_contacts with a ledger in tmp_path and no progress bar."""

    def _sync(frame, client, **kw):
        kw.setdefault("progress", False)
        kw.setdefault("ledger", tmp_path / "ledger.sqlite")
        kw.setdefault("rate", 200)
        return ptdata.sync_contacts(frame, client, **kw)

    return _sync


def test_new_renamed_and_unchanged_contacts_make_exactly_the_needed_calls(sandbox, client, sync):
    result = sync(sheet(CRM), client)

    assert posts(sandbox) == [
        ("CreateAContact", {"Phone": "+14155550198"}),
        ("CreateAContact", {"Phone": "+14155550199", "Name": "Zoe", "LastName": "Quinn"}),
        (
            "UpdateAPowerTextorContact",
            {
                "Contact": "+14155550102",
                "UpdatedContactName": "Benjamin",
                "UpdatedContactLastName": "Carter",
            },
        ),
    ]
    assert gets(sandbox) == ["GetContacts"]
    sheet_rows = result.frame[result.frame["row"].notna()]
    assert records(sheet_rows, ["row", "phone", "status", "operation"]) == [
        {"row": 2, "phone": "+14155550101", "status": "unchanged", "operation": None},
        {
            "row": 3,
            "phone": "+14155550102",
            "status": "updated",
            "operation": "UpdateAPowerTextorContact",
        },
        {"row": 4, "phone": "+14155550199", "status": "created", "operation": "CreateAContact"},
        {"row": 5, "phone": "+14155550198", "status": "created", "operation": "CreateAContact"},
    ]
    assert by_phone(sheet_rows, "previous_name")["+14155550102"] == "Ben Carter"
    assert result.ok and result.calls_made == 3
    names = {c.phone: c.name for c in client.contacts()}
    assert names["+14155550102"] == "Benjamin Carter" and names["+14155550199"] == "Zoe Quinn"


def test_a_second_run_makes_no_calls(sandbox, client, sync):
    sync(sheet(CRM), client)
    sandbox.clear_requests()

    again = sync(sheet(CRM), client)

    assert posts(sandbox) == []
    assert again.frame.loc[again.frame["row"].notna(), "status"].tolist() == ["unchanged"] * 4
    assert again.calls_made == 0 and again.ok


def test_a_dry_run_changes_nothing_and_shows_the_diff(sandbox, client, sync):
    result = sync(sheet(CRM), client, dry_run=True)

    assert posts(sandbox) == []
    diff = result.plan.frame
    assert records(diff.head(4), ["row", "phone", "action", "current_name", "new_name"]) == [
        {
            "row": 2,
            "phone": "+14155550101",
            "action": "unchanged",
            "current_name": "Ava Martinez",
            "new_name": "Ava Martinez",
        },
        {
            "row": 3,
            "phone": "+14155550102",
            "action": "update",
            "current_name": "Ben Carter",
            "new_name": "Benjamin Carter",
        },
        {
            "row": 4,
            "phone": "+14155550199",
            "action": "create",
            "current_name": None,
            "new_name": "Zoe Quinn",
        },
        {
            "row": 5,
            "phone": "+14155550198",
            "action": "create",
            "current_name": None,
            "new_name": None,
        },
    ]
    assert result.frame["status"].head(4).tolist() == ["unchanged", "planned", "planned", "planned"]
    assert result.dry_run and result.summary().startswith("dry run, nothing changed: 4 rows")


def test_contacts_only_in_powertextor_are_listed_never_deleted(sandbox, client, sync):
    result = sync(sheet(CRM), client)

    only = result.frame[result.frame["status"] == "only_in_powertextor"]
    assert only["phone"].tolist() == [f"+1415555010{i}" for i in range(3, 9)]
    assert only["row"].isna().all()
    assert only["previous_name"].tolist()[0] == "Chloe Nguyen"
    assert [op for op, _ in posts(sandbox)].count("UpdateAPowerTextorContact") == 1
    assert len(client.contacts()) == 8 + 2
    assert "6 only in Power Textor" in result.plan.summary().splitlines()[0]
    assert "never deleted (the API has no delete)" in result.plan.summary()


def test_a_number_stored_in_another_format_is_matched_not_duplicated(sandbox, client, sync):
    ava = next(c for c in client.contacts() if c.phone == "+14155550101")
    sandbox.store.update_contact(ava.contact_id, phone="(415) 555-0101")

    result = sync(sheet("Phone,Name,LastName\n+14155550101,Ava,Martinez\n"), client)

    assert posts(sandbox) == []
    assert result.frame.loc[0, ["status", "pt_phone"]].tolist() == ["unchanged", "(415) 555-0101"]
    assert "+14155550101" not in result.frame.loc[result.frame["row"].isna(), "phone"].tolist()
    # a rename addresses the contact by the Phone Power Textor holds (as GetContacts gave it)
    renamed = ptdata.plan_sync(sheet("Phone,Name,LastName\n4155550101,Ava,Moreno\n"), client)
    [call] = renamed.calls().values()
    assert (call.operation.op_id, call.fields) == (
        "UpdateAPowerTextorContact",
        {
            "Contact": "(415) 555-0101",
            "UpdatedContactName": "Ava",
            "UpdatedContactLastName": "Moreno",
        },
    )


def test_unknown_group_names_are_reported_with_the_closest_names(sandbox, client, sync):
    crm = (
        "Phone,Name,Groups\n"
        "+14155550102,Ben Carter,VIP Customer;Staff\n"
        "+14155550199,Zoe,Newsleter\n"
    )
    result = sync(sheet(crm), client, dry_run=True)

    summary = result.plan.summary()
    assert (
        "unknown group names: VIP Customer (closest: VIP customers); "
        "Newsleter (closest: Newsletter)"
    ) in summary
    assert "note: Power Textor's API has no action that adds a contact to a group" in summary
    assert gets(sandbox) == ["GetContacts", "GetGroups"]
    assert posts(sandbox) == []
    ben, zoe = result.frame.iloc[0], result.frame.iloc[1]
    staff = next(g for g in client.groups() if g.name == "Staff")
    assert ben["group_ids"] == staff.group_id
    assert ben["unknown_groups"] == "VIP Customer (closest: VIP customers)"
    assert (ben["missing_groups"], ben["extra_groups"]) == ("Staff", "VIP customers")
    assert ben["message"] == (
        "groups: not in Power Textor's group Staff; also in VIP customers; "
        "unknown group VIP Customer (closest: VIP customers) (not changed: "
        "the API cannot add a contact to a group)"
    )
    assert zoe["unknown_groups"] == "Newsleter (closest: Newsletter)"


def test_a_5xx_makes_the_row_unknown_and_no_later_run_repeats_it(sandbox, client, sync):
    crm = "Phone,Name,LastName\n+14155550102,Benjamin,Carter\n"
    sandbox.script_faults(["500"])

    first = sync(sheet(crm), client)

    row = first.frame.iloc[0]
    assert (row["status"], row["reason"]) == ("unknown", "server_error")
    assert not first.ok
    # the sandbox acted on it: the next sync finds nothing to do
    sandbox.clear_requests()
    assert sync(sheet(crm), client).frame.loc[0, "status"] == "unchanged"
    assert posts(sandbox) == []

    # had it not acted (here: changed back), the same call is still not made again ...
    ben = next(c for c in client.contacts() if c.phone == "+14155550102")
    sandbox.store.update_contact(ben.contact_id, name="Ben")
    sandbox.clear_requests()
    again = sync(sheet(crm), client)
    assert posts(sandbox) == []
    assert again.frame.loc[0, ["status", "reason"]].tolist() == ["unknown", "server_error"]
    assert "left unknown by an earlier run" in again.frame.loc[0, "message"]
    # ... unless the user says so
    resent = sync(sheet(crm), client, resend_unknown=True)
    assert [op for op, _ in posts(sandbox)] == ["UpdateAPowerTextorContact"]
    assert resent.frame.loc[0, ["status", "attempts"]].tolist() == ["updated", 2]


def test_a_change_made_again_after_a_success_is_synced_again(sandbox, client, sync):
    crm = "Phone,Name,LastName\n+14155550102,Benjamin,Carter\n"
    sync(sheet(crm), client)
    ben = next(c for c in client.contacts() if c.phone == "+14155550102")
    sandbox.store.update_contact(ben.contact_id, name="Ben")  # someone renamed it back
    sandbox.clear_requests()

    result = sync(sheet(crm), client)

    assert [op for op, _ in posts(sandbox)] == ["UpdateAPowerTextorContact"]
    assert result.frame.loc[0, "status"] == "updated"


def test_a_refused_call_fails_the_row_and_the_rest_go_on(sandbox, client, sync):
    sandbox.script_faults(["400"])
    result = sync(sheet("Phone,Name\n+14155550199,Zoe\n"), client)
    assert result.frame.loc[0, ["status", "reason"]].tolist() == ["failed", "rejected"]
    assert not result.ok


def test_invalid_rows_stop_the_sync_unless_skipped(sandbox, client, sync):
    crm = "Phone,Name\n+14155550199,Zoe\n4.15555E+09,Bad\n+14155550199,Zoe again\n"
    with pytest.raises(InvalidRowsError, match=r"1 row cannot be synced \(row 3: ") as info:
        sync(sheet(crm), client)
    assert info.value.rows == [3]
    assert posts(sandbox) == []

    result = sync(sheet(crm), client, skip_invalid=True)

    sheet_rows = result.frame[result.frame["row"].notna()]
    assert records(sheet_rows, ["row", "status", "reason"]) == [
        {"row": 2, "status": "created", "reason": None},
        {"row": 3, "status": "skipped", "reason": "invalid"},
        {"row": 4, "status": "skipped", "reason": "duplicate"},
    ]
    assert posts(sandbox) == [("CreateAContact", {"Phone": "+14155550199", "Name": "Zoe"})]
    assert result.ok


def test_update_names_false_only_creates(sandbox, client, sync):
    result = sync(sheet(CRM), client, update_names=False)
    assert [op for op, _ in posts(sandbox)] == ["CreateAContact", "CreateAContact"]
    assert by_phone(result.frame, "status")["+14155550102"] == "skipped"
    assert by_phone(result.frame, "reason")["+14155550102"] == "names_not_updated"
    assert result.ok


def test_the_report_round_trips_through_the_report_writers(sandbox, client, sync, tmp_path):
    result = sync(sheet(CRM), client)
    for name in ("sync.csv", "sync.xlsx", "sync.parquet"):
        back = ptdata.read_report(result.write(tmp_path / name))
        assert list(back.columns) == list(ptdata.contacts.REPORT_COLUMNS)
        assert back["status"].tolist() == result.frame["status"].tolist()
        assert back["phone"].tolist() == result.frame["phone"].tolist()
    raw = (tmp_path / "sync.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrow,phone,phone_as_written,phone_column,action,status,")


def test_a_validation_or_a_clean_frame_is_taken_as_is(sandbox, client):
    checked = ptdata.validate(sheet(CRM))
    for given in (checked, checked.clean):
        plan = ptdata.plan_sync(given, client)
        assert plan.frame["row"].head(4).tolist() == [2, 3, 4, 5]
        assert plan.counts == {
            "create": 2,
            "update": 1,
            "unchanged": 1,
            "skipped": 0,
            "only_in_powertextor": 6,
        }


def test_a_refused_key_stops_the_sync_and_the_rest_are_skipped(sandbox, client, sync):
    sandbox.script_faults(["401"])

    result = sync(sheet(CRM), client, rate=5)

    todo = result.frame[result.frame["action"].isin(["create", "update"])]
    assert sorted(zip(todo["status"], todo["reason"], strict=True)) == [
        ("failed", "auth"),
        ("skipped", "run_stopped"),
        ("skipped", "run_stopped"),
    ]
    assert "refused the API key" in result.stopped
    assert not result.ok
    assert len(posts(sandbox)) == 1
