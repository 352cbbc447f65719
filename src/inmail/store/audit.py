"""The queries of the ledger's invariants (``inmail.service.audit`` runs them
for ``inmail audit``, the admin route and the tests after every run that
writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Connection, case, func, or_, select, union_all

from inmail.domain.messages import Status
from inmail.store.tables import ledger_entries, members, messages, subscriptions

# How many offending rows a failed check names.
SHOWN = 5

L, M, Msg = ledger_entries.c, members.c, messages.c


class Check(NamedTuple):
    name: str
    ok: bool
    detail: str


def _listing(name: str, bad: list[str], ok_detail: str) -> Check:
    if not bad:
        return Check(name, True, ok_detail)
    more = f" (+{len(bad) - SHOWN} more)" if len(bad) > SHOWN else ""
    return Check(name, False, "; ".join(bad[:SHOWN]) + more)


def balances_match_ledger(conn: Connection) -> Check:
    sums = select(L.member_id, func.sum(L.amount).label("total")).group_by(L.member_id).subquery()
    rows = conn.execute(
        select(M.id, M.balance, func.coalesce(sums.c.total, 0))
        .select_from(members.outerjoin(sums, sums.c.member_id == M.id))
        .where(M.balance != func.coalesce(sums.c.total, 0))
        .order_by(M.id)
    ).all()
    bad = [f"{mid}: balance {bal} but entries sum to {total}" for mid, bal, total in rows]
    return _listing("balances_match_ledger", bad, "every balance equals the sum of its entries")


def balance_after_chain(conn: Connection) -> Check:
    running = select(
        L.id,
        L.member_id,
        L.balance_after,
        func.sum(L.amount).over(partition_by=L.member_id, order_by=L.id).label("running"),
    ).subquery()
    rows = conn.execute(
        select(running.c.id, running.c.member_id, running.c.balance_after, running.c.running)
        .where(running.c.balance_after != running.c.running)
        .order_by(running.c.id)
    ).all()
    bad = [
        f"entry {i} of {mid}: balance_after {after}, running sum {run}"
        for i, mid, after, run in rows
    ]
    return _listing("balance_after_chain", bad, "every entry's balance_after is its running sum")


def no_negative_balance(conn: Connection) -> Check:
    rows = conn.execute(select(M.id, M.balance).where(M.balance < 0).order_by(M.id)).all()
    neg_entries = conn.execute(select(func.count()).where(L.balance_after < 0)).scalar_one()
    bad = [f"{mid}: {bal}" for mid, bal in rows]
    if neg_entries:
        bad.append(f"{neg_entries} entries with balance_after below 0")
    return _listing("no_negative_balance", bad, "no balance below zero")


def credits_conserved(conn: Connection) -> Check:
    def total(kind: str) -> int:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(L.amount), 0)).where(L.kind == kind)
            ).scalar_one()
        )

    issued = total("grant") + total("adjustment") + total("forfeit")  # forfeits are negative
    balances = int(conn.execute(select(func.coalesce(func.sum(M.balance), 0))).scalar_one())
    held, expired = conn.execute(
        select(
            func.count().filter(Msg.status == Status.AWAITING),
            func.count().filter(Msg.status == Status.EXPIRED),
        ).where(Msg.credit_charged.is_(True))
    ).one()
    accounted = balances + int(held) + int(expired)
    detail = (
        f"grants + adjustments - forfeits = {issued}; balances {balances} + awaiting {held}"
        f" + expired {expired} = {accounted}"
    )
    return Check("credits_conserved", issued == accounted, detail)


def inmail_entries_match_state(conn: Connection) -> Check:
    """A paid InMail has exactly one spend; a refund iff it is refunded, and
    only when responded; free messages move no credit."""
    spends = func.count(L.id).filter(L.kind == "spend")
    refund_count = func.count(L.id).filter(L.kind == "refund")
    rows = conn.execute(
        select(Msg.id, Msg.kind, Msg.status, Msg.credit_charged, Msg.refunded, spends, refund_count)
        .select_from(messages.outerjoin(ledger_entries, L.message_id == Msg.id))
        .group_by(Msg.id, Msg.kind, Msg.status, Msg.credit_charged, Msg.refunded)
        .having(
            (spends != case((Msg.credit_charged.is_(True), 1), else_=0))
            | (refund_count != case((Msg.refunded.is_(True), 1), else_=0))
            | (Msg.refunded.is_(True) & (Msg.status != Status.RESPONDED))
            | (
                (Msg.kind == "inmail")
                & Msg.status.not_in([s.value for s in Status if s != Status.DELIVERED])
            )
            | ((Msg.kind == "message") & (Msg.status != Status.DELIVERED))
        )
        .order_by(Msg.id)
    ).all()
    bad = [
        f"message {mid} ({kind}, {status}, charged={charged}, refunded={refunded}):"
        f" {s} spends, {r} refunds"
        for mid, kind, status, charged, refunded, s, r in rows
    ]
    return _listing(
        "inmail_entries_match_state", bad, "every message has exactly the entries its state implies"
    )


def due_times_not_late(conn: Connection) -> Check:
    """An account's due_at is never later than anything due for it, or the
    worker and settle-before-act would miss that event."""
    S = subscriptions.c
    due = union_all(
        select(S.member_id.label("id"), S.next_renewal_at.label("at")),
        select(S.member_id, S.warning_due_at),
        select(Msg.sender_id, Msg.refund_deadline).where(Msg.status == Status.AWAITING),
        select(Msg.recipient_id, Msg.reminder_due_at),
    ).subquery()
    earliest = select(due.c.id, func.min(due.c.at).label("at")).group_by(due.c.id).subquery()
    rows = conn.execute(
        select(M.id, M.due_at, earliest.c.at)
        .join(earliest, earliest.c.id == M.id)
        .where(earliest.c.at.is_not(None), or_(M.due_at.is_(None), M.due_at > earliest.c.at))
        .order_by(M.id)
    ).all()
    bad = [f"{mid}: due_at {due_at} but something falls due at {at}" for mid, due_at, at in rows]
    return _listing("due_times_not_late", bad, "no account has an event due before its due_at")


CHECKS: list[Callable[[Connection], Check]] = [
    balances_match_ledger,
    balance_after_chain,
    no_negative_balance,
    credits_conserved,
    inmail_entries_match_state,
    due_times_not_late,
]
