"""Everything the engine holds, read in one transaction, in plain values the
model-based and lag tests can compare.

Read the credits of every member first (:func:`settle_everyone`): that
settles each account, so the rows then show every due event applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from inmail.service import subscriptions as subscription_service
from inmail.service.context import Context
from inmail.service.views import CreditsView, MessageView
from inmail.store.tables import connections, ledger_entries, members, messages, notifications
from inmail.store.tables import subscriptions as subscription_table

# (kind, amount, at, balance_after, message_id), in the order written
LedgerRow = tuple[str, int, datetime, int, int | None]
# (at, kind, message_id)
NotificationRow = tuple[datetime, str, int | None]

MESSAGE_FIELDS = (
    "sender",
    "recipient",
    "subject",
    "kind",
    "quick_reply",
    "in_reply_to",
    "sent_at",
    "credit_charged",
    "status",
    "refund_deadline",
    "reminder_at",
    "responded_at",
    "refunded",
)


@dataclass
class EngineState:
    now: datetime
    members: dict[str, dict[str, Any]]
    connections: set[frozenset[str]]
    subscriptions: dict[str, dict[str, Any]]
    ledger: dict[str, list[LedgerRow]]
    notifications: dict[str, list[NotificationRow]]
    messages: dict[int, dict[str, Any]]


def settle_everyone(ctx: Context, member_ids: list[str]) -> dict[str, CreditsView]:
    return {m: subscription_service.get_credits(ctx, m) for m in member_ids}


def notification_key(row: NotificationRow) -> tuple[datetime, str, int]:
    at, kind, message_id = row
    return (at, kind, -1 if message_id is None else message_id)


def snapshot(ctx: Context) -> EngineState:
    with ctx.unit_of_work(write=False) as work:
        conn = work.conn
        member_rows = conn.execute(select(members).order_by(members.c.id)).mappings().all()
        state = EngineState(
            now=work.now,
            members={
                r["id"]: {
                    "balance": r["balance"],
                    "inmail_opt_out": r["inmail_opt_out"],
                    "open_profile": r["open_profile"],
                    "created_at": r["created_at"],
                }
                for r in member_rows
            },
            connections=set(),
            subscriptions={},
            ledger={r["id"]: [] for r in member_rows},
            notifications={r["id"]: [] for r in member_rows},
            messages={},
        )
        for a, b in conn.execute(select(connections.c.member_id, connections.c.other_id)):
            assert (
                conn.execute(
                    select(connections.c.member_id).where(
                        connections.c.member_id == b, connections.c.other_id == a
                    )
                ).first()
                is not None
            ), f"connection {a}-{b} is not mutual"
            state.connections.add(frozenset((a, b)))
        for r in conn.execute(select(subscription_table)).mappings():
            state.subscriptions[r["member_id"]] = {
                "plan": r["plan"],
                "status": r["status"],
                "started_at": r["started_at"],
                "next_renewal_at": r["next_renewal_at"],
                "ends_at": r["ends_at"],
            }
        for r in conn.execute(select(ledger_entries).order_by(ledger_entries.c.id)).mappings():
            state.ledger[r["member_id"]].append(
                (r["kind"], r["amount"], r["at"], r["balance_after"], r["message_id"])
            )
        for r in conn.execute(select(notifications).order_by(notifications.c.id)).mappings():
            state.notifications[r["member_id"]].append((r["at"], r["kind"], r["message_id"]))
        for rows in state.notifications.values():
            rows.sort(key=notification_key)
        for r in conn.execute(select(messages).order_by(messages.c.id)).mappings():
            view = MessageView.of(r, work.now)
            fields = {name: getattr(view, name) for name in MESSAGE_FIELDS}
            fields["body"] = view.body
            fields["hidden_for_sender"] = r["hidden_for_sender"]
            fields["hidden_for_recipient"] = r["hidden_for_recipient"]
            state.messages[view.id] = fields
    return state
