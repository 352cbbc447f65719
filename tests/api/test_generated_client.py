"""A client generated from /openapi.json by openapi-python-client works
against a live server: create members, subscribe, send, reply, read credits."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.test_serve_process import ADMIN, server  # noqa: F401 (a fixture)

BIN = Path(sys.executable).parent


class Operations:
    """A tag's operations: one module each, as the generator writes them."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __getattr__(self, operation: str):  # type: ignore[no-untyped-def]
        return importlib.import_module(f"inmail_client.api.{self.tag}.{operation}")


@pytest.fixture
def inmail_client(server, tmp_path):  # noqa: F811
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{server}/openapi.json", timeout=30).content)
    result = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", document]
        + ["--output-path", tmp_path / "inmail_client", "--meta", "none"],
        capture_output=True,
        text=True,
        timeout=600,
        # Its post-hooks format the code with ruff, which lives beside it.
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("inmail_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "inmail_client"]:
            del sys.modules[name]


def test_the_generated_client_runs_an_inmail_round_trip(server, inmail_client):  # noqa: F811
    models = importlib.import_module("inmail_client.models")
    members = Operations("members")
    subscriptions = Operations("subscriptions")
    messages = Operations("messages")
    with inmail_client.AuthenticatedClient(base_url=server, token=ADMIN) as client:
        for member_id in ("alice", "bob"):
            created = members.create_member.sync(
                client=client, body=models.MemberCreate(id=member_id, name=member_id.title())
            )
            assert isinstance(created, models.MemberOut) and created.id == member_id
        bob_token = members.issue_token.sync("bob", client=client).token
        subscription = subscriptions.put_subscription.sync(
            "alice",
            client=client,
            body=models.SubscriptionPut(plan=models.SubscriptionPutPlan.PRO),
        )
        assert subscription.status.value == "active"
        sent = messages.send_message.sync(
            client=client,
            body=models.SendMessageIn(from_="alice", to="bob", body="Hello Bob"),
            idempotency_key="first-hello",
        )
        assert sent.kind.value == "inmail" and sent.credit_charged
        assert subscriptions.get_credits.sync("alice", client=client).balance == 19

    # Bob answers with his own token: the InMail's credit comes back.
    with inmail_client.AuthenticatedClient(base_url=server, token=bob_token) as bob:
        reply = messages.reply_to_message.sync(
            sent.id, client=bob, body={"quick_reply": "interested"}
        )
        assert isinstance(reply, models.MessageOut) and reply.in_reply_to == sent.id
        refused = subscriptions.get_credits.sync("alice", client=bob)
        assert isinstance(refused, models.Problem) and refused.type_.value == "forbidden"
    with inmail_client.AuthenticatedClient(base_url=server, token=ADMIN) as client:
        credits = subscriptions.get_credits.sync("alice", client=client)
        assert credits.balance == 20 and credits.awaiting_response == 0
