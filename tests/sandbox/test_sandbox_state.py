"""What sends do to the sandbox's state: per-recipient messages, new contacts and groups."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import httpx
import pytest

import ptdata
from ptdata.sandbox import OPT_OUT_FOOTER, Sandbox
from ptdata.sandbox.examples import EXAMPLE_PNG, seed_group_id

VIP = ["+14155550101", "+14155550102", "+14155550103"]
NEWSLETTER = ["+14155550101", "+14155550104", "+14155550105", "+14155550106"]


def test_seeded_places_groups_and_contacts(client):
    assert [p.name for p in client.places()] == [
        "Main Street Bakery",
        "Harbor Dental",
        "Uptown Salon",
    ]
    assert all(p.google_place_id.startswith("ChIJ") for p in client.places())
    assert [(g.name, g.contacts_count) for g in client.groups()] == [
        ("VIP customers", 3),
        ("Newsletter", 4),
        ("Staff", 2),
    ]
    first = client.contacts()[0]
    assert (first.phone, first.name, first.status, first.groups) == (
        "+14155550101",
        "Ava Martinez",
        "Active",
        "VIP customers, Newsletter",
    )


def test_group_send_expands_to_one_message_per_member(client, sandbox):
    result = client.send_text("Doors open at 9", group="VIP customers")
    rows = sandbox.messages(campaign_id=result.campaign_id)
    assert [m["phone"] for m in rows] == VIP
    assert {(m["status"], m["kind"], m["body"], m["operation"]) for m in rows} == {
        ("sent", "text", "Doors open at 9", "SendTextMessageToAGroup")
    }


def test_groups_send_reaches_each_contact_once(client, sandbox):
    result = client.send_text("Sale!", groups=["VIP customers", "Newsletter"])
    phones = [m["phone"] for m in sandbox.messages(campaign_id=result.campaign_id)]
    assert phones == list(dict.fromkeys(VIP + NEWSLETTER))
    assert result.reach == 6


def test_numbers_send_splits_the_comma_joined_string(client, sandbox):
    result = client.send_text("Hi", numbers=["+14155550123", "(415) 555-0124"])
    assert [m["phone"] for m in sandbox.messages()] == ["+14155550123", "+14155550124"]
    assert result.reach == 2


def test_opt_out_footer_is_appended(client, sandbox):
    client.send_text("Hi", number="+14155550123", opt_out_footer=True)
    assert sandbox.messages()[0]["body"] == "Hi" + OPT_OUT_FOOTER


def test_scheduled_send_stores_the_utc_instant(client, sandbox):
    at = datetime(2027, 12, 3, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    result = client.send_text("See you", contact="+14155550102", at=at)
    (row,) = sandbox.messages()
    assert (row["status"], row["send_at"], row["scheduled"]) == (
        "scheduled",
        "2027-12-03T14:30:00.000Z",
        True,
    )
    assert (result.status, result.send_date, result.sent_count) == (
        "Scheduled",
        "2027-12-03T14:30:00.000Z",
        0,
    )


@pytest.mark.parametrize(
    ("event_date", "days", "at", "send_at"),
    [
        pytest.param("12/10/2027", 2, "09:00 AM", "2027-12-08T09:00:00.000Z", id="two-days"),
        pytest.param("03/01/2028", 1, "12:00 AM", "2028-02-29T00:00:00.000Z", id="leap-day"),
        pytest.param("01/01/2028", 0, "11:59 PM", "2028-01-01T23:59:00.000Z", id="same-day"),
        pytest.param("01/03/2028", 3, "12:30 PM", "2027-12-31T12:30:00.000Z", id="year-back"),
    ],
)
def test_reminder_send_at_is_event_date_minus_days_at_time(
    client, sandbox, event_date, days, at, send_at
):
    result = client.send_reminder(
        "Your appointment", event_date=event_date, days_before=days, time=at, group="Staff"
    )
    rows = sandbox.messages()
    assert [m["send_at"] for m in rows] == [send_at, send_at]
    assert {(m["kind"], m["status"]) for m in rows} == {("reminder", "scheduled")}
    assert result.send_date == send_at


def test_reminder_time_object_in_utc(client, sandbox):
    client.send_reminder(
        "Bring your card",
        event_date="06/15/2027",
        days_before=1,
        time=time(14, 0, tzinfo=UTC),
        contact="+14155550101",
    )
    assert sandbox.messages()[0]["send_at"] == "2027-06-14T14:00:00.000Z"


def test_review_stores_the_place(client, sandbox):
    result = client.send_review("How did we do?", place="Harbor Dental", contacts=["+14155550101"])
    place = client.resolve_place("Harbor Dental").google_place_id
    assert result.type == "Review" and result.place_id == place
    assert sandbox.messages()[0]["place_id"] == place


def test_new_contact_send_creates_the_contact(client, sandbox):
    client.send_text("Welcome!", new_contact="+14155550160", name="Ivy", last_name="Lopez")
    (contact,) = [c for c in client.contacts() if c.phone == "+14155550160"]
    assert contact.name == "Ivy Lopez"
    assert sandbox.messages()[0]["contact_id"] == contact.contact_id


def test_new_group_send_creates_group_and_contacts(client, sandbox):
    result = client.send_text(
        "Welcome to the club", new_group="Spring promo", members=["+14155550101", "+14155550161"]
    )
    group = client.resolve_group("Spring promo")
    assert group.contacts_count == 2
    assert result.raw["Groups"] == "Spring promo"  # this reply names groups in a string
    assert "+14155550161" in {c.phone for c in client.contacts()}
    assert [m["phone"] for m in sandbox.messages()] == ["+14155550101", "+14155550161"]
    # the same name again adds to that group rather than making a twin
    client.send_text("Again", new_group="Spring promo", members=["+14155550162"])
    assert [g.name for g in client.groups()].count("Spring promo") == 1
    assert client.resolve_group("Spring promo").contacts_count == 3


def test_mms_stores_the_attachment(client, sandbox):
    client.send_mms("Our new menu", ("menu.png", EXAMPLE_PNG, "image/png"), group="Staff")
    rows = sandbox.messages()
    assert [m["attachment"] for m in rows] == [
        {"filename": "menu.png", "size": len(EXAMPLE_PNG), "content_type": "image/png"}
    ] * 2
    assert {m["kind"] for m in rows} == {"mms"}


def test_create_contact_is_an_upsert_by_phone(client):
    first = client.create_contact("(415) 555-0170", "Max", "Ford")
    again = client.create_contact("+14155550170", "Maxine")
    assert first.contact_id == again.contact_id
    assert (again.phone, again.name) == ("+14155550170", "Maxine Ford")
    assert [c.phone for c in client.contacts()].count("+14155550170") == 1


def test_update_contact_changes_name_and_number(client):
    updated = client.update_contact("+14155550101", name="Avery", new_phone="+14155550171")
    assert (updated.phone, updated.name, updated.groups) == (
        "+14155550171",
        "Avery Martinez",
        "VIP customers, Newsletter",
    )
    assert "+14155550101" not in {c.phone for c in client.contacts()}


def test_sandbox_routes_list_state(client, sandbox):
    result = client.send_text("Hi", group="Staff")
    url = sandbox.url
    messages = httpx.get(url + "/_sandbox/messages", params={"campaign_id": result.campaign_id})
    assert [m["phone"] for m in messages.json()] == ["+14155550107", "+14155550108"]
    by_phone = httpx.get(url + "/_sandbox/messages", params={"phone": "+14155550108"}).json()
    assert len(by_phone) == 1 and set(by_phone[0]) == {
        "id",
        "message_id",
        "campaign_id",
        "operation",
        "phone",
        "contact_id",
        "body",
        "kind",
        "status",
        "send_at",
        "place_id",
        "created_at",
        "scheduled",
        "attachment",
    }
    (campaign,) = httpx.get(url + "/_sandbox/campaigns").json()
    assert (campaign["campaign_id"], campaign["reach"], campaign["group_ids"]) == (
        result.campaign_id,
        2,
        [seed_group_id("Staff")],
    )
    health = httpx.get(url + "/_sandbox/health").json()
    assert health["ok"] is True and health["counts"]["messages"] == 2
    requests = httpx.get(url + "/_sandbox/requests", params={"since": 1}).json()
    assert [r["seq"] for r in requests] == [2]  # GetGroups, then the send
    assert httpx.delete(url + "/_sandbox/requests").json() == {"cleared": True}
    assert sandbox.requests() == []
    assert httpx.post(url + "/_sandbox/reset").json() == {"reset": True}
    assert sandbox.messages() == []
    assert httpx.get(url + "/_sandbox/nope").status_code == 404


def test_config_over_http(sandbox):
    response = httpx.post(
        sandbox.url + "/_sandbox/config", json={"latency": 0.01, "rate_limit": 50}
    )
    assert response.json()["latency"] == 0.01 and response.json()["rate_limit"] == 50
    bad = httpx.post(sandbox.url + "/_sandbox/config", json={"lag": 1})
    assert bad.status_code == 400 and bad.json()["error"].startswith("unknown option 'lag'")
    bad = httpx.post(sandbox.url + "/_sandbox/config", json={"error_rate": 2})
    assert bad.status_code == 400 and "between 0 and 1" in bad.json()["error"]


def test_state_persists_in_a_db_file(tmp_path, api_key):
    db = str(tmp_path / "sandbox.sqlite")
    with (
        Sandbox(db=db) as sb,
        ptdata.PowerTextor(
            api_key=api_key, base_url="http://sb", transport=sb.transport()
        ) as client,
    ):
        client.send_text("Hi", group="Staff")
        client.create_contact("+14155550180", "Kim")
    with Sandbox(db=db) as sb:
        assert len(sb.messages()) == 2
        assert len(sb.requests()) == 3
        assert "+14155550180" in {c["phone"] for c in sb.store.contacts()}
        assert len(sb.store.groups()) == 3  # seeded once, not again
