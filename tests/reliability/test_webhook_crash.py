"""Webhooks under SIGKILL: a real ``inmail worker`` delivering to a real
receiver is killed at random moments, many times, while the API keeps
making events. Every event must reach the receiver at least once (none
lost), every delivery must end delivered with exactly one successful attempt
recorded, and a receiver may see an event twice only when a worker was cut
between sending it and recording the attempt (counted and printed).

``INMAIL_CHAOS_KILLS`` sets the number of kills (``make chaos`` runs more).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import create_engine, select

from inmail.service.delivery import SLOTS
from inmail.store.database import normalise_url
from inmail.store.tables import webhook_attempts, webhook_deliveries, webhook_events
from tests.reliability.conftest import ADMIN, free_port, serve, wait_healthy, worker
from tests.webhook_receiver import Receiver

KILLS = int(os.environ.get("INMAIL_CHAOS_KILLS", "4")) * 2
PER_WAVE = 30  # adjustments (one ledger_entry event each) before each kill
EVENTS = KILLS * PER_WAVE
ENV = {
    "INMAIL_WEBHOOK_KEY": "reliability-webhook-key",
    "INMAIL_WEBHOOK_ALLOW_PRIVATE": "true",
    # A short timeout makes a killed worker's claims come free in seconds.
    "INMAIL_WEBHOOK_TIMEOUT_SECONDS": "1",
}

pytestmark = [pytest.mark.slow]


def _facts(url: str) -> tuple[set[str], dict[str, tuple[str, int, int]]]:
    """The events in the database, and per event: (status, attempts recorded,
    successful attempts recorded)."""
    engine = create_engine(normalise_url(url))
    D, A = webhook_deliveries.c, webhook_attempts.c
    try:
        with engine.connect() as conn:
            events = set(conn.execute(select(webhook_events.c.id)).scalars())
            deliveries = {
                row.event_id: [row.status, 0, 0]
                for row in conn.execute(select(D.id, D.event_id, D.status))
            }
            ids = dict(conn.execute(select(D.id, D.event_id)).all())
            for attempt in conn.execute(select(A.delivery_id, A.status_code)):
                found = deliveries[ids[attempt.delivery_id]]
                found[1] += 1
                found[2] += int(attempt.status_code == 200)
    finally:
        engine.dispose()
    return events, {event: tuple(v) for event, v in deliveries.items()}  # type: ignore[misc]


def test_no_event_lost_under_sigkill(database_url, backend, tmp_path):
    rng = random.Random()
    receiver = Receiver().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(database_url, port, tmp_path / "serve.log", **ENV)
    server.args.append("--no-worker")  # deliveries only by the worker we kill
    server.start()
    wait_healthy(base, server)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60)
    created = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["ledger_entry"]})
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]
    assert api.post("/v1/members", json={"id": "alice", "name": "Alice"}).status_code == 201

    def make_events(wave: int) -> None:
        for n in range(PER_WAVE):
            answer = api.post(
                "/v1/members/alice/credits/adjustments",
                json={"amount": 1, "reason": f"wave {wave} event {n}"},
            )
            assert answer.status_code == 201, answer.text

    def all_delivered() -> bool:
        events, deliveries = _facts(database_url)
        return len(events) == EVENTS and all(d[0] == "delivered" for d in deliveries.values())

    proc = worker(database_url, tmp_path / "worker.log", **ENV)
    proc.start()
    try:
        for wave in range(KILLS):
            make_events(wave)
            # Kill once this wave's deliveries are flowing, at a random moment.
            seen = len(receiver.received)
            receiver.wait_for(lambda r, seen=seen: len(r.received) > seen, timeout=120)
            time.sleep(rng.uniform(0.0, 0.2))
            proc.kill()
            proc.start()
        deadline = time.monotonic() + 180
        while not all_delivered():  # polled: the worker makes progress on its own
            assert proc.alive(), (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "deliveries still pending after 180 s"
            time.sleep(0.2)
    finally:
        if proc.alive():
            proc.stop()
        server.stop()
        receiver.stop()
        api.close()

    events, deliveries = _facts(database_url)
    got = Counter(r.webhook_id for r in receiver.received)
    assert receiver.bad_signatures == 0
    assert len(events) == EVENTS
    assert set(got) == events  # none lost, none invented
    cut = 0
    for event, (status, recorded, succeeded) in deliveries.items():
        assert status == "delivered"
        # One successful attempt recorded: no two workers ever held it at once.
        assert succeeded == 1, (event, recorded, succeeded)
        # Sends the receiver got beyond the attempts recorded were cut by a kill.
        cut += max(0, got[event] - recorded)
    duplicates = sum(n - 1 for n in got.values())
    # Each kill can cut at most the attempts it had in flight.
    assert cut <= KILLS * SLOTS
    print(
        f"\n{backend.name}: {EVENTS} events, {KILLS} kills, {sum(got.values())} received,"
        f" {duplicates} duplicates, {cut} sends cut between sending and recording"
    )
