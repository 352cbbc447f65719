"""Sending webhook deliveries: the worker's other job.

A delivery is claimed with a lease (wall time: how long a worker may hold it
before another may take it over), sent outside any transaction, and its
attempt recorded only while the lease still holds. A worker killed between
sending and recording leaves the delivery to be sent again when its lease
runs out: at least once, never lost. Retries follow the schedule of
domain.webhooks by the service's clock.

The dispatcher keeps several attempts in flight on a thread pool and gives
each endpoint at most a couple of them, so a slow or dead receiver holds up
only its own deliveries, never another endpoint's, and never a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from inmail.domain import webhooks as rules
from inmail.service import webhooks
from inmail.service.context import Context
from inmail.service.secret_box import SecretUnreadable
from inmail.store import webhooks as store

log = logging.getLogger("inmail.webhooks")

SLOTS = 8  # attempts in flight at once, per worker process
PER_ENDPOINT = 2  # of which one endpoint may hold at most this many

def lease_for(timeout_s: float) -> timedelta:
    """How long a claim holds: well beyond an attempt's timeout and its
    recording, so a live worker keeps what it sends; a dead one's claims come
    free again this long after it took them."""
    return timedelta(seconds=2 * timeout_s + 5)

ERROR_MAX = 500
USER_AGENT = "inmail-webhooks"


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def send(
    client: httpx.Client,
    url: str,
    secret: str,
    event_id: str,
    body: str,
    *,
    timeout_s: float,
    allow_private: bool,
) -> Attempt:
    """One signed POST: redirects not followed, at most 64 KiB of the answer
    read, a 2xx within ``timeout_s`` is a success."""
    started = time.monotonic()

    def done(code: int | None, error: str | None) -> Attempt:
        elapsed = time.monotonic() - started
        if error is None and elapsed > timeout_s:
            error = f"no complete answer within {timeout_s:g} s"
        return Attempt(code, error[:ERROR_MAX] if error else None, int(elapsed * 1000))

    if not allow_private:
        # Checked again at every attempt: the name may point elsewhere by now.
        address = webhooks.private_address(url)
        if address is not None:
            return done(None, f"refused: {urlsplit(url).hostname} resolves to {address}")
    signed_at = datetime.now(UTC)  # the wall clock: receivers check it against theirs
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, signed_at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    try:
        with client.stream(
            "POST", url, content=body.encode(), headers=headers, timeout=timeout_s
        ) as answer:
            read = 0
            for chunk in answer.iter_raw():
                read += len(chunk)
                if read >= rules.MAX_RESPONSE_BYTES or time.monotonic() - started > timeout_s:
                    break
            code = answer.status_code
    except httpx.HTTPError as exc:
        return done(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    if 300 <= code < 400:
        return done(code, f"redirect to {answer.headers.get('location', '?')} not followed")
    if not 200 <= code < 300:
        return done(code, f"HTTP {code}")
    return done(code, None)


def new_client() -> httpx.Client:
    return httpx.Client(follow_redirects=False, headers={"user-agent": USER_AGENT})


def _outcome(claimed: dict[str, Any], attempt: Attempt, now: datetime) -> dict[str, Any]:
    """The delivery's state after this attempt (made at service time ``now``)."""
    if attempt.ok:
        return {
            "status": "delivered",
            "delivered_at": now,
            "next_attempt_at": None,
            "last_status_code": attempt.status_code,
            "last_error": None,
        }
    retry_at = rules.next_attempt_at(claimed["attempts"] + 1, now)
    return {
        "status": "pending" if retry_at is not None else "failed",
        "next_attempt_at": retry_at,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error,
    }


def claim(ctx: Context, limit: int, *, skip: Counter[str] | None = None) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due deliveries, at most PER_ENDPOINT per endpoint
    counting those this process already has in flight (``skip``)."""
    busy = Counter(skip or {})
    wall_now = datetime.now(UTC)
    with ctx.unit_of_work(write=False) as work:
        candidates = store.due(work.conn, work.now, wall_now, limit * 4)
    chosen = []
    for row in candidates:
        if busy[row["endpoint_id"]] < PER_ENDPOINT and len(chosen) < limit:
            busy[row["endpoint_id"]] += 1
            chosen.append(row["id"])
    if not chosen:
        return []
    lease_until = wall_now + lease_for(ctx.webhooks.timeout_s)
    with ctx.unit_of_work() as work:
        return store.claim(work.conn, chosen, work.now, wall_now, lease_until)


def attempt(ctx: Context, client: httpx.Client, claimed: dict[str, Any]) -> bool:
    """Send one claimed delivery and record the attempt; True if delivered."""
    try:
        secret = ctx.webhooks.box.open(claimed["secret_sealed"])
    except SecretUnreadable as exc:
        result = Attempt(None, str(exc)[:ERROR_MAX], 0)
    else:
        result = send(
            client,
            claimed["url"],
            secret,
            claimed["event_id"],
            claimed["body"],
            timeout_s=ctx.webhooks.timeout_s,
            allow_private=ctx.webhooks.allow_private,
        )
    with ctx.unit_of_work() as work:
        kept = store.record(
            work.conn,
            claimed["id"],
            claimed["lease_until"],
            {
                "at": work.now,
                "status_code": result.status_code,
                "error": result.error,
                "duration_ms": result.duration_ms,
            },
            _outcome(claimed, result, work.now),
        )
    if not kept:
        log.warning("delivery %s: lease lost before the attempt was recorded", claimed["id"])
    return result.ok


def deliver_due(ctx: Context, client: httpx.Client, *, limit: int = 100) -> int:
    """Send every delivery due now, one at a time; how many were attempted.
    (The dispatcher does the same concurrently; this is the simple form.)"""
    total = 0
    while True:
        batch = claim(ctx, limit)
        if not batch:
            return total
        for claimed in batch:
            attempt(ctx, client, claimed)
        total += len(batch)


class Dispatcher:
    """Keeps up to SLOTS attempts in flight until stopped."""

    def __init__(self, ctx: Context, *, slots: int = SLOTS) -> None:
        self.ctx = ctx
        self.slots = slots
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._wake = threading.Event()

    def run(self, stop: threading.Event, *, idle_s: float = 0.5) -> None:
        with new_client() as client, ThreadPoolExecutor(self.slots, "inmail-webhook") as pool:
            while not stop.is_set():
                try:
                    started = self._step(client, pool)
                except Exception:  # a database hiccup: log, wait, go on
                    log.exception("webhook dispatch failed; retrying")
                    stop.wait(idle_s)
                    continue
                if not started:
                    self._wake.wait(idle_s)
                    self._wake.clear()

    def _step(self, client: httpx.Client, pool: ThreadPoolExecutor) -> int:
        with self._lock:
            free = self.slots - sum(self._in_flight.values())
            busy = Counter(self._in_flight)
        if free <= 0:
            return 0
        batch = claim(self.ctx, free, skip=busy)
        for claimed in batch:
            with self._lock:
                self._in_flight[claimed["endpoint_id"]] += 1
            pool.submit(self._attempt, client, claimed)
        return len(batch)

    def _attempt(self, client: httpx.Client, claimed: dict[str, Any]) -> None:
        try:
            attempt(self.ctx, client, claimed)
        except Exception:
            # The lease runs out and the delivery is tried again: nothing lost.
            log.exception("delivery %s failed to record", claimed["id"])
        finally:
            with self._lock:
                self._in_flight[claimed["endpoint_id"]] -= 1
                if self._in_flight[claimed["endpoint_id"]] <= 0:
                    del self._in_flight[claimed["endpoint_id"]]
            self._wake.set()
