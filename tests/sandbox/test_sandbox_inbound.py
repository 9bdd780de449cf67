"""``/_sandbox/inbound`` delivers Twilio-style payloads, form-encoded, to registered webhooks."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx
import pytest


class Receiver:
    """A tiny webhook endpoint on 127.0.0.1 that keeps what it was sent."""

    def __init__(self, status=200):
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((self.path, self.headers["Content-Type"], body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def forms(self):
        return [
            dict(parse_qsl(body.decode(), keep_blank_values=True)) for _, _, body in self.received
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def inbound(sandbox, payload):
    response = httpx.post(sandbox.url + "/_sandbox/inbound", json=payload, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_sms_is_posted_form_encoded_to_the_sms_webhook(client, sandbox, receiver):
    reg = client.register_webhook(receiver.url + "/hook/s3cret-token?k=1")
    client.register_webhook(receiver.url + "/mms-hook", kind="mms")

    result = inbound(sandbox, {"From": "+14155550102", "Body": "What time do you open?"})

    assert result["deliveries"] == [
        {"RegistrationId": reg.registration_id, "kind": "sms", "status": 200, "error": None}
    ]
    assert "s3cret-token" not in str(result["deliveries"])
    ((path, ctype, _),) = receiver.received
    assert path == "/hook/s3cret-token?k=1"
    assert ctype == "application/x-www-form-urlencoded"
    (form,) = receiver.forms()
    assert list(form) == [
        "SmsSid",
        "Body",
        "MessageStatus",
        "MessagingServiceSid",
        "AccountSid",
        "From",
        "To",
        "FromCity",
        "FromState",
        "FromZip",
        "FromCountry",
        "ToCity",
        "ToState",
        "ToZip",
        "ToCountry",
    ]
    assert form["Body"] == "What time do you open?" and form["From"] == "+14155550102"
    assert form["To"] == "+14155550100" and form["FromCountry"] == "US"
    assert re.fullmatch(r"SM[0-9a-f]{32}", form["SmsSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", form["AccountSid"])
    assert form == result["payload"]


def test_mms_goes_to_the_mms_webhook_only(client, sandbox, receiver):
    client.register_webhook(receiver.url + "/sms", kind="sms")
    reg = client.register_webhook(receiver.url + "/mms", kind="mms")

    result = inbound(
        sandbox,
        {
            "From": "+14155550103",
            "Body": "Photo of the damage",
            "NumMedia": 1,
            "contentType": "image/png",
        },
    )

    assert result["kind"] == "mms"
    assert [d["RegistrationId"] for d in result["deliveries"]] == [reg.registration_id]
    assert [p for p, _, _ in receiver.received] == ["/mms"]
    (form,) = receiver.forms()
    assert form["NumMedia"] == "1" and form["contentType"] == "image/png"
    assert form["MessageSid"] == form["SmsSid"] and form["MessageSid"].startswith("MM")
    assert form["mediaURL"].startswith("https://api.twilio.com/2010-04-01/Accounts/AC")


def test_given_fields_win_and_none_removes_a_field(client, sandbox, receiver):
    client.register_webhook(receiver.url + "/sms")
    result = inbound(
        sandbox,
        {"Body": "STOP", "SmsSid": "SM" + "0" * 32, "OptOutType": None, "ApiVersion": "2010-04-01"},
    )
    form = receiver.forms()[0]
    assert form["SmsSid"] == "SM" + "0" * 32
    assert "OptOutType" not in form
    assert form["ApiVersion"] == "2010-04-01"  # Twilio may add fields; they pass through
    assert result["payload"] == form


@pytest.mark.parametrize(
    ("body", "opt_out_type", "status"),
    [
        pytest.param("STOP", "STOP", "Unsubscribed", id="stop"),
        pytest.param(" unsubscribe ", "STOP", "Unsubscribed", id="synonym"),
        pytest.param("HELP", "HELP", "Active", id="help"),
        pytest.param("please stop texting", None, "Active", id="not-a-keyword"),
    ],
)
def test_keywords_set_opt_out_type_and_contact_status(
    client, sandbox, receiver, body, opt_out_type, status
):
    client.register_webhook(receiver.url + "/sms")
    inbound(sandbox, {"From": "+14155550104", "Body": body})
    assert receiver.forms()[0].get("OptOutType") == opt_out_type
    (contact,) = [c for c in client.contacts() if c.phone == "+14155550104"]
    assert contact.status == status


def test_unsubscribed_contacts_are_not_texted_until_start(client, sandbox):
    inbound(sandbox, {"From": "+14155550107", "Body": "STOP"})
    first = client.send_text("Shift swap?", group="Staff")
    assert (first.reach, first.sent_count, first.undelivered_count) == (2, 1, 1)
    assert [(m["phone"], m["status"]) for m in sandbox.messages()] == [
        ("+14155550107", "undelivered"),
        ("+14155550108", "sent"),
    ]
    assert inbound(sandbox, {"From": "+14155550107", "Body": "START"})["contact_status"] == "Active"
    assert client.send_text("Shift swap?", group="Staff").sent_count == 2


def test_failed_deliveries_are_reported_without_the_url(client, sandbox):
    dead = Receiver()
    url = dead.url + "/gone/secret-abc"
    dead.close()  # nothing listens there any more
    reg = client.register_webhook(url)
    failing = Receiver(status=500)
    try:
        reg500 = client.register_webhook(failing.url + "/secret-def")
        result = inbound(sandbox, {"Body": "hi"})
    finally:
        failing.close()
    by_id = {d["RegistrationId"]: d for d in result["deliveries"]}
    assert by_id[reg.registration_id]["status"] is None
    assert by_id[reg.registration_id]["error"].startswith("ConnectError")
    assert by_id[reg500.registration_id]["status"] == 500
    assert "secret" not in str(result["deliveries"])


def test_deleted_webhooks_get_nothing(client, sandbox, receiver):
    reg = client.register_webhook(receiver.url + "/sms")
    client.delete_webhook(reg)
    assert inbound(sandbox, {"Body": "hi"})["deliveries"] == []
    assert receiver.received == []


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        pytest.param({"kind": "fax"}, "kind: 'fax' must be 'sms' or 'mms'", id="bad-kind"),
        pytest.param({"NumMedia": "two"}, "NumMedia: 'two' is not a whole number", id="num-media"),
        pytest.param({"From": ""}, "From: the sender's phone number is required", id="no-from"),
    ],
)
def test_bad_inbound_requests_are_400(sandbox, payload, error):
    response = httpx.post(sandbox.url + "/_sandbox/inbound", json=payload)
    assert response.status_code == 400 and response.json() == {"error": error}
