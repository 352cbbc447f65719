"""Nothing lost, nothing doubled: a real ``inmail serve`` and a real
``inmail worker`` are killed with SIGKILL at random moments while client
threads send, reply, adjust, subscribe, cancel and move the clock, retrying
every request (same Idempotency-Key) until it is answered.

Each client thread owns its own members (two senders, six recipients), so
the order its requests were acknowledged in is the order they took effect
in; the only thing the threads share is the clock, and every answer says at
what time it acted (``sent_at``, ``at``, ``started_at``, ``ends_at``). A
reference model replays the acknowledged requests per thread at those times
and must end with the same balances, spends and refunds as the server.

Short by default (a few kills, about half a minute per backend, part of
``make test``); ``make chaos`` runs it long::

    INMAIL_CHAOS_KILLS=40 INMAIL_CHAOS_SECONDS=300 pytest tests/reliability/test_crash.py

INMAIL_CHAOS_SEED replays one run's choices (the kill moments still race
with the load, so a replay is similar, not identical).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from inmail.store.database import normalise_url
from inmail.store.tables import idempotency_keys, ledger_entries, messages
from tests.reliability.conftest import ADMIN, Proc, free_port, serve, wait_healthy, worker
from tests.reliability.ledger_model import Model

KILLS = int(os.environ.get("INMAIL_CHAOS_KILLS", "4"))
SECONDS = float(os.environ.get("INMAIL_CHAOS_SECONDS", "20"))
CLIENTS = int(os.environ.get("INMAIL_CHAOS_CLIENTS", "4"))
SEED = int(os.environ.get("INMAIL_CHAOS_SEED", str(random.SystemRandom().randrange(10**6))))
# One request may wait this long for an answer across restarts before the test fails.
ANSWER_DEADLINE_S = 120.0
# How far one clock move goes: an hour up to nine days (reminders, renewals, expiries).
STEPS_H = (1, 12, 24, 72, 24 * 9)

pytestmark = [pytest.mark.slow]

TRANSPORT_ERRORS = (httpx.TransportError,)


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    replays: int = 0
    server_errors: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)


class Caller:
    """Sends one request until it has an answer (a transport error or a 5xx
    is retried, with the same Idempotency-Key)."""

    def __init__(self, base: str, stats: Stats, lock: threading.Lock) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        self.stats, self.lock = stats, lock

    def close(self) -> None:
        self.client.close()

    def __call__(
        self,
        method: str,
        path: str,
        token: str,
        *,
        json: Any = None,
        key: str | None = None,
        on_retry: Any = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + ANSWER_DEADLINE_S
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self.client.request(method, path, headers=headers, json=json)
            except TRANSPORT_ERRORS:
                response = None
            if response is not None and response.status_code < 500:
                break
            if response is not None:
                with self.lock:
                    self.stats.server_errors.append(
                        f"{method} {path}: {response.status_code} {response.text[:300]}"
                    )
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to {method} {path} in {ANSWER_DEADLINE_S} s")
            if on_retry is not None:
                on_retry()
            time.sleep(0.05)
        with self.lock:
            self.stats.requests += 1
            self.stats.retries += attempts - 1
            self.stats.replays += response.headers.get("idempotent-replayed") == "true"
            self.stats.statuses[f"{method} {response.status_code}"] += 1
        response.retried = attempts > 1  # type: ignore[attr-defined]
        return response


@dataclass
class Owned:
    """One client thread's members, tokens and what it knows of them."""

    index: int
    senders: list[str]
    recipients: list[str]
    tokens: dict[str, str] = field(default_factory=dict)
    model: Model = field(default_factory=Model)
    received: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)
    acked_messages: list[int] = field(default_factory=list)
    retried_message_keys: dict[str, int] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # the last known subscription status


def _members(index: int) -> Owned:
    return Owned(
        index=index,
        senders=[f"s{index}a", f"s{index}b"],
        recipients=[f"r{index}{c}" for c in "abcdef"],
    )


def _set_up(call: Caller, owned: Owned) -> None:
    for member in owned.senders + owned.recipients:
        answer = call("POST", "/v1/members", ADMIN, json={"id": member, "name": member})
        assert answer.status_code == 201, answer.text
        owned.model.add_member(member)
        owned.tokens[member] = call("POST", f"/v1/members/{member}/tokens", ADMIN).json()["token"]
        owned.received[member] = []
    a, r = owned.senders[0], owned.recipients[0]
    assert call("PUT", f"/v1/members/{a}/connections/{r}", ADMIN).status_code == 204
    owned.model.connect(a, r)
    for sender in owned.senders:
        _subscribe(call, owned, sender)


def _subscribe(call: Caller, owned: Owned, member: str) -> None:
    answer = call("PUT", f"/v1/members/{member}/subscription", ADMIN, json={"plan": "pro"})
    assert answer.status_code == 200, answer.text
    sub = answer.json()
    owned.model.put_subscription(
        member, sub["plan"], parse(sub["started_at"]), parse(sub["next_renewal_at"])
    )
    owned.status[member] = sub["status"]


def _cancel(call: Caller, owned: Owned, member: str) -> None:
    answer = call("DELETE", f"/v1/members/{member}/subscription", ADMIN)
    if answer.status_code == 409 and getattr(answer, "retried", False):
        # The first attempt cancelled it and its end has come since: read when.
        answer = call("GET", f"/v1/members/{member}/subscription", ADMIN)
    assert answer.status_code == 200, answer.text
    sub = answer.json()
    owned.model.cancel(member, parse(sub["ends_at"]))
    owned.status[member] = "cancelling"


def _record_message(owned: Owned, answer: httpx.Response, key: str) -> None:
    message = answer.json()
    owned.model.send(
        parse(message["sent_at"]),
        message["from"],
        message["to"],
        message["id"],
        message["credit_charged"],
    )
    owned.acked_messages.append(message["id"])
    owned.received[message["to"]].append(
        (message["id"], message["from"], message["kind"] == "inmail")
    )
    if getattr(answer, "retried", False):
        owned.retried_message_keys[key] = message["id"]


def _one_step(call: Caller, owned: Owned, rng: random.Random, n: int) -> None:
    key = f"c{owned.index}-{n}"
    roll = rng.random()
    if roll < 0.50:
        sender, to = rng.choice(owned.senders), rng.choice(owned.recipients)
        body = {"from": sender, "to": to, "body": f"hello {n}", "subject": "chaos"}
        answer = call("POST", "/v1/messages", owned.tokens[sender], json=body, key=key)
        if answer.status_code == 201:
            _record_message(owned, answer, key)
        else:
            assert answer.status_code in (402, 403), answer.text
    elif roll < 0.62:
        replier = rng.choice(owned.recipients)
        if not owned.received[replier]:
            return
        message_id, _, was_inmail = rng.choice(owned.received[replier])
        quick = was_inmail and rng.random() < 0.5
        body = {"quick_reply": "interested"} if quick else {"body": f"re {n}"}
        answer = call(
            "POST",
            f"/v1/messages/{message_id}/reply",
            owned.tokens[replier],
            json=body,
            key=key,
        )
        assert answer.status_code == 201, answer.text
        _record_message(owned, answer, key)
    elif roll < 0.74:
        member = rng.choice(owned.senders)
        amount = rng.choice([-2, -1, 1, 2, 3])
        answer = call(
            "POST",
            f"/v1/members/{member}/credits/adjustments",
            ADMIN,
            json={"amount": amount, "reason": f"chaos {n}"},
            key=key,
        )
        if answer.status_code == 201:
            entry = answer.json()
            owned.model.adjust(parse(entry["at"]), member, entry["amount"])
        else:
            assert answer.status_code == 409, answer.text
    elif roll < 0.86:
        member = rng.choice(owned.senders)
        if owned.status[member] == "active" and rng.random() < 0.5:
            _cancel(call, owned, member)
        elif owned.status[member] != "active":
            _subscribe(call, owned, member)  # resumes, or starts afresh once ended
    else:
        member = rng.choice(owned.senders + owned.recipients)
        answer = call("GET", f"/v1/members/{member}/credits", owned.tokens[member])
        assert answer.status_code == 200, answer.text


def _client_loop(call: Caller, owned: Owned, seed: int, stop: threading.Event) -> None:
    rng = random.Random(seed)
    n = 0
    while not stop.is_set():
        n += 1
        _one_step(call, owned, rng, n)


def _clock_loop(call: Caller, seed: int, stop: threading.Event, moves: list[str]) -> None:
    rng = random.Random(seed)
    now = parse(call("GET", "/v1/admin/clock", ADMIN).json()["now"])
    n = 0
    while not stop.is_set():
        n += 1
        now = now.replace(microsecond=0) + timedelta(hours=rng.choice(STEPS_H))
        target = now.isoformat().replace("+00:00", "Z")
        answer = call("POST", "/v1/admin/clock", ADMIN, json={"to": target}, key=f"clock-{n}")
        assert answer.status_code == 200, answer.text
        moves.append(target)
        stop.wait(rng.uniform(0.05, 0.4))


def _database_facts(url: str) -> dict[str, Any]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            spends = Counter(
                conn.execute(
                    select(ledger_entries.c.message_id).where(ledger_entries.c.kind == "spend")
                ).scalars()
            )
            refunds = Counter(
                conn.execute(
                    select(ledger_entries.c.message_id).where(ledger_entries.c.kind == "refund")
                ).scalars()
            )
            message_ids = set(conn.execute(select(messages.c.id)).scalars())
            pending_keys = conn.execute(
                select(func.count())
                .select_from(idempotency_keys)
                .where(idempotency_keys.c.status == 0)
            ).scalar_one()
    finally:
        engine.dispose()
    return {
        "spends": spends,
        "refunds": refunds,
        "message_ids": message_ids,
        "pending_keys": pending_keys,
    }


def test_nothing_lost_nothing_doubled_under_sigkill(database_url, backend, tmp_path):
    rng = random.Random(SEED)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(database_url, port, tmp_path / "serve.log")
    background = worker(database_url, tmp_path / "worker.log")
    server.start()
    wait_healthy(base, server)
    background.start()

    stats, lock = Stats(), threading.Lock()
    everyone = [_members(i) for i in range(CLIENTS)]
    callers: list[Caller] = []
    stop = threading.Event()
    failures: list[BaseException] = []
    moves: list[str] = []

    def guarded(target: Any, *args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            stop.set()

    kills = Counter[str]()
    try:
        setup = Caller(base, stats, lock)
        callers.append(setup)
        for owned in everyone:
            _set_up(setup, owned)
        threads = []
        for owned in everyone:
            callers.append(Caller(base, stats, lock))
            threads.append(
                threading.Thread(
                    target=guarded,
                    args=(_client_loop, callers[-1], owned, rng.randrange(10**9), stop),
                )
            )
        callers.append(Caller(base, stats, lock))
        threads.append(
            threading.Thread(
                target=guarded, args=(_clock_loop, callers[-1], rng.randrange(10**9), stop, moves)
            )
        )
        started = time.monotonic()
        for thread in threads:
            thread.start()
        moments = sorted(rng.uniform(0.5, SECONDS - 0.5) for _ in range(KILLS))
        for i, moment in enumerate(moments):
            if stop.wait(max(0.0, started + moment - time.monotonic())):
                break
            victim, name = (server, "serve") if i % 3 != 1 else (background, "worker")
            victim.kill()
            kills[name] += 1
            time.sleep(rng.uniform(0, 0.3))
            victim.start()
            if victim is server:
                wait_healthy(base, server)
        stop.wait(max(0.0, started + SECONDS - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=ANSWER_DEADLINE_S + 30)
        if failures:
            raise failures[0]

        # ---- the checks ---------------------------------------------------
        admin = setup
        report = admin("GET", "/v1/admin/audit", ADMIN).json()
        assert report["ok"], report
        end = parse(admin("GET", "/v1/admin/clock", ADMIN).json()["now"])
        balances, model_balances = {}, {}
        for owned in everyone:
            for member in owned.senders + owned.recipients:
                owned.model.advance(member, end)
                # Reading the credits settles the account up to the clock's time.
                credits = admin("GET", f"/v1/members/{member}/credits", ADMIN).json()
                balances[member] = credits["balance"]
                model_balances[member] = owned.model.balances[member]
            assert not owned.model.mismatches, owned.model.mismatches
        assert balances == model_balances

        facts = _database_facts(database_url)
        acked = [m for owned in everyone for m in owned.acked_messages]
        assert len(acked) == len(set(acked)), "one message acknowledged twice"
        # Every answered send is stored once, and nothing else was sent.
        assert facts["message_ids"] == set(acked)
        charged = set().union(*(o.model.charged_ids() for o in everyone))
        refunded = set().union(*(o.model.refunded_ids() for o in everyone))
        assert set(facts["spends"]) == charged and set(facts["spends"].values()) <= {1}
        assert set(facts["refunds"]) == refunded and set(facts["refunds"].values()) <= {1}
        retried = {k: v for o in everyone for k, v in o.retried_message_keys.items()}
        assert all(facts["spends"].get(m, 0) <= 1 for m in retried.values())
        assert facts["pending_keys"] == 0, "a claimed key without its answer was committed"
        assert not stats.server_errors, stats.server_errors[:5]

        server.stop()
        audit = subprocess.run(
            [sys.executable, "-m", "inmail.cli", "audit", "--database-url", database_url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
        print(
            f"\n[chaos {backend.name}] seed={SEED} seconds={SECONDS} clients={CLIENTS} "
            f"kills={dict(kills)} requests={stats.requests} retried={stats.retries} "
            f"replayed={stats.replays} clock_moves={len(moves)} last_time={end.isoformat()} "
            f"messages={len(acked)} spends={len(charged)} refunds={len(refunded)} "
            f"retried_sends={len(retried)} statuses={dict(stats.statuses)}"
        )
    finally:
        stop.set()
        for caller in callers:
            caller.close()
        for proc in (server, background):
            _stop_quietly(proc)


def _stop_quietly(proc: Proc) -> None:
    if proc.process is not None and proc.process.poll() is None:
        proc.stop()
