"""Renewal arithmetic: what a renewal adds and what it trims."""

from __future__ import annotations

from dataclasses import dataclass

from inmail.domain.plans import Plan


@dataclass(frozen=True)
class Renewal:
    """A renewal writes a ``grant`` of the full monthly amount, then a ``forfeit``
    of whatever passes the cap (0 means no forfeit entry)."""

    grant: int
    forfeit: int

    @property
    def net(self) -> int:
        return self.grant - self.forfeit


def renewal(balance: int, plan: Plan) -> Renewal:
    """The renewal of ``balance`` on ``plan``: the balance becomes min(balance + monthly, cap).

    A balance already above the cap (refunds and adjustments may pass it) is
    trimmed back to the cap, so the forfeit can exceed the grant.
    """
    if balance < 0:
        raise ValueError("a balance is never below zero")
    grant = plan.monthly_credits
    forfeit = max(0, balance + grant - plan.max_balance)
    return Renewal(grant=grant, forfeit=forfeit)


def next_renewal_credits(balance: int, plan: Plan) -> int:
    """What the next renewal really adds at this balance (never below 0)."""
    return max(0, renewal(balance, plan).net)


def forfeit_at_next_renewal(balance: int, plan: Plan) -> int:
    """What the next renewal trims at this balance."""
    return renewal(balance, plan).forfeit
