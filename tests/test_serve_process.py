"""A real `inmail serve` process on a free port, driven over HTTP through a
month and more of life with the manual clock."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

ADMIN = "test-admin-token-0123456789abcdef-0123456789"
START = "2026-01-15T09:30:00Z"
DAY = 86400


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    # Webhook endpoints on any address: which hosts are private depends on
    # the network, which no schema can state (the refusal has its own tests).
    env = {**os.environ, "INMAIL_ADMIN_TOKEN": ADMIN, "INMAIL_WEBHOOK_ALLOW_PRIVATE": "true"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inmail.cli",
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--clock",
            "manual",
            "--start",
            START,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((tmp_path / "serve.log").read_text())
        time.sleep(0.2)
    yield base
    process.send_signal(signal.SIGTERM)
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Finished server process" in (tmp_path / "serve.log").read_text()
    log.close()


@pytest.fixture
def client():
    """Clients as a given token; all closed when the test ends."""
    made = []

    def make(base, token):
        made.append(
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        )
        return made[-1]

    yield make
    for c in made:
        c.close()


def kinds(api, member):
    body = api.get(f"/v1/members/{member}/notifications").json()
    return [n["kind"] for n in body["notifications"]]


def test_a_month_of_life_over_http(server, client):
    admin = client(server, ADMIN)
    for member in ("alice", "bob", "carol", "erin"):
        assert (
            admin.post("/v1/members", json={"id": member, "name": member.title()}).status_code
            == 201
        )
    assert admin.put("/v1/members/alice/connections/erin").status_code == 204
    sub = admin.put("/v1/members/alice/subscription", json={"plan": "pro"}).json()
    assert sub["status"] == "active" and sub["next_renewal_at"] == "2026-02-15T09:30:00Z"
    alice = client(server, admin.post("/v1/members/alice/tokens").json()["token"])
    bob = client(server, admin.post("/v1/members/bob/tokens").json()["token"])

    # An InMail costs a credit; a message to a connection is free.
    inmail = alice.post(
        "/v1/messages",
        json={"from": "alice", "to": "bob", "subject": "Hi", "body": "Open to a chat?"},
    )
    assert inmail.status_code == 201, inmail.text
    inmail = inmail.json()
    assert (inmail["kind"], inmail["credit_charged"], inmail["status"]) == (
        "inmail",
        True,
        "awaiting_response",
    )
    assert inmail["refund_deadline"] == "2026-04-15T09:30:00Z"
    assert (
        alice.post("/v1/messages", json={"from": "alice", "to": "erin", "body": "hey"}).json()[
            "kind"
        ]
        == "message"
    )
    assert alice.get("/v1/members/alice/credits").json()["balance"] == 19
    assert kinds(bob, "bob") == ["inmail_received"]

    # Three days on: the reminder.
    moved = admin.post("/v1/admin/clock", json={"advance_seconds": 3 * DAY})
    assert moved.json()["now"] == "2026-01-18T09:30:00Z"
    assert kinds(bob, "bob")[0] == "inmail_reminder"

    # Bob answers with a quick reply: the credit comes back.
    answer = bob.post(f"/v1/messages/{inmail['id']}/reply", json={"quick_reply": "interested"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["in_reply_to"] == inmail["id"]
    credits = alice.get("/v1/members/alice/credits").json()
    assert credits["balance"] == 20 and credits["response_rate"] == 1.0
    ledger = alice.get("/v1/members/alice/ledger").json()["entries"]
    assert [e["kind"] for e in ledger[:2]] == ["refund", "spend"]

    # An InMail to carol goes unanswered: it expires at 90 days.
    unanswered = alice.post(
        "/v1/messages", json={"from": "alice", "to": "carol", "body": "Hello?"}
    ).json()
    admin.post("/v1/admin/clock", json={"to": "2026-04-20T00:00:00Z"})
    assert alice.get(f"/v1/messages/{unanswered['id']}").json()["status"] == "expired"
    assert "inmail_expired" in kinds(alice, "alice")
    assert kinds(alice, "alice").count("credits_renewed") == 3
    credits = alice.get("/v1/members/alice/credits").json()
    assert credits["balance"] == 60 and credits["next_renewal_at"] == "2026-05-15T09:30:00Z"

    # Cancel: it ends at the next renewal and the balance goes then.
    cancelled = admin.delete("/v1/members/alice/subscription").json()
    assert (cancelled["status"], cancelled["ends_at"]) == ("cancelling", "2026-05-15T09:30:00Z")
    admin.post("/v1/admin/clock", json={"advance_seconds": 30 * DAY})
    sub = alice.get("/v1/members/alice/subscription").json()
    assert (sub["status"], sub["next_renewal_at"]) == ("cancelled", None)
    assert alice.get("/v1/members/alice/credits").json()["balance"] == 0
    refused = alice.post("/v1/messages", json={"from": "alice", "to": "carol", "body": "again"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "no-active-subscription"

    audit = admin.get("/v1/admin/audit").json()
    assert audit["ok"], audit
