"""The webhook outbox: every notification, ledger entry and subscription
change becomes an event in the same transaction as its cause.

Use cases write notifications and ledger entries through :func:`notify` and
:func:`post` here (settling writes its batches and then calls
:func:`notified` and :func:`entries_written`), so no cause can skip its
event. Events gather on the unit of work and are written, one delivery per
endpoint that hears them, just before it commits (:func:`flush`); a rollback
takes them with it. Nothing is written when no endpoint listens.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inmail.domain import webhooks as rules
from inmail.domain.lifecycle import Subscription
from inmail.domain.times import rfc3339
from inmail.service.work import Work
from inmail.store import ledger
from inmail.store import notify as notify_store
from inmail.store import webhooks as store


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    member_id: str | None
    data: dict[str, Any]
    # Only to this endpoint (a ping); None: every endpoint that hears the type.
    endpoint_id: str | None = None


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def _listeners(work: Work) -> list[tuple[str, list[str] | None]]:
    if work.listeners is None:
        work.listeners = store.listening(work.conn)
    return work.listeners


def listening(work: Work, event_type: str) -> bool:
    """Whether any endpoint hears this type (read once per unit of work)."""
    return any(rules.hears(events, event_type) for _, events in _listeners(work))


def emit(work: Work, event: Event) -> None:
    if event.endpoint_id is not None or listening(work, event.type):
        work.events.append(event)


def notify(
    work: Work,
    member_id: str,
    kind: str,
    at: datetime,
    *,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write a notification and its event."""
    row = notify_store.notify(work.conn, member_id, kind, at, message_id=message_id, data=data)
    notified(work, [row])


def notified(work: Work, rows: Iterable[dict[str, Any]]) -> None:
    """The events of notifications written (as store.notify makes them)."""
    if not _listeners(work):  # the usual case, a whole worker batch at a time
        return
    for row in rows:
        if not listening(work, row["kind"]):
            continue
        data = {**row["data"], "message_id": row["message_id"]}
        emit(work, Event(row["kind"], row["at"], row["member_id"], data))


def post(
    work: Work,
    member_id: str,
    kind: str,
    amount: int,
    at: datetime,
    *,
    message_id: int | None = None,
    note: str | None = None,
    due_at: datetime | None = None,
) -> dict[str, Any] | None:
    """ledger.post, and the entry's event; None when it would go below zero."""
    written = ledger.post(
        work.conn, member_id, kind, amount, at, message_id=message_id, note=note, due_at=due_at
    )
    if written is not None:
        entries_written(work, [written])
    return written


def append_entries(work: Work, entries: list[dict[str, Any]]) -> None:
    """ledger.append, and the entries' events."""
    wanted = listening(work, "ledger_entry")
    ledger.append(work.conn, entries, ids=wanted)
    if wanted:
        entries_written(work, entries)


def entries_written(work: Work, entries: Iterable[dict[str, Any]]) -> None:
    for entry in entries:
        data = {
            "id": entry["id"],
            "at": rfc3339(entry["at"]),
            "kind": entry["kind"],
            "amount": entry["amount"],
            "balance_after": entry["balance_after"],
            "message_id": entry["message_id"],
            "note": entry["note"],
        }
        emit(work, Event("ledger_entry", entry["at"], entry["member_id"], data))


def subscription_changed(work: Work, member_id: str, sub: Subscription, at: datetime) -> None:
    """The subscription as GET .../subscription shows it, after a change."""
    if not listening(work, "subscription_changed"):
        return
    plan = work.plans[sub.plan]
    data = {
        "plan": plan.code,
        "status": sub.status.value,
        "started_at": rfc3339(sub.started_at),
        "next_renewal_at": rfc3339(sub.next_renewal_at) if sub.next_renewal_at else None,
        "ends_at": rfc3339(sub.ends_at) if sub.ends_at else None,
        "monthly_credits": plan.monthly_credits,
        "max_balance": plan.max_balance,
    }
    emit(work, Event("subscription_changed", at, member_id, data))


def body(event_id: str, event: Event) -> str:
    """The exact bytes every attempt sends (and signs)."""
    document = {
        "id": event_id,
        "type": event.type,
        "at": rfc3339(event.at),
        "member_id": event.member_id,
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def flush(work: Work) -> None:
    """Write the gathered events and a delivery for each endpoint that hears
    each one, due now by the service clock. Called before the commit."""
    if not work.events:
        return
    listeners = _listeners(work)
    events, deliveries = [], []
    for event in work.events:
        if event.endpoint_id is not None:
            targets = [event.endpoint_id]
        else:
            targets = [eid for eid, types in listeners if rules.hears(types, event.type)]
        if not targets:
            continue
        event_id = new_event_id()
        events.append(
            {
                "id": event_id,
                "type": event.type,
                "member_id": event.member_id,
                "at": event.at,
                "body": body(event_id, event),
            }
        )
        deliveries += [{"endpoint_id": t, "event_id": event_id, "at": work.now} for t in targets]
    work.events.clear()
    store.add_events(work.conn, events, deliveries)
