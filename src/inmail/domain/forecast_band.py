"""The forecast's band: ``p10``/``p90`` of the balance after each due date,
from seeded random runs with the main line's averages.

Sends are a Poisson process of ``sends_per_week / 7`` a day, each answered
with chance ``rate`` ``response_days`` after a send at a random moment of its
period. A run moves a period (between two due dates) at a time: the sends a
period wants go out while its balance and the refunds landing in it allow,
and the refunds of its answers land in the periods their send moments lead
to. That is what makes 100 runs of 24 months cost milliseconds rather than a
second. A due date's change is the engine's own (lifecycle.due_date_change).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from inmail.domain import lifecycle, messages, sampling
from inmail.domain.lifecycle import Subscription
from inmail.domain.plans import Plan
from inmail.domain.times import MICROSECOND, micros_between

if TYPE_CHECKING:
    from inmail.domain.forecast import Assumptions

DAY_US = 86_400_000_000


def _percentile(sorted_values: list[int], share: float) -> int:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def band(
    schedule: list[tuple[int, Subscription]],
    now: datetime,
    awaiting: Sequence[datetime],
    balance0: int,
    plans: dict[str, Plan],
    a: Assumptions,
    rng: random.Random,
    runs: int,
) -> list[tuple[int, int]]:
    """(p10, p90) of the balance after each due date of ``schedule`` (the due
    dates in microseconds from ``now``, each with the subscription just
    before it), starting from ``balance0`` with these ``awaiting`` InMails."""
    periods = len(schedule)
    if periods == 0 or runs == 0:
        return []
    bounds = [0] + [t for t, _ in schedule]
    delay_us = timedelta(days=a.response_days) // MICROSECOND
    refunding = messages.refunds(
        now + timedelta(days=a.response_days),
        messages.refund_deadline(now, messages.Charge.INMAIL),
    )
    means = [a.sends_per_week * (bounds[k + 1] - bounds[k]) / DAY_US / 7 for k in range(periods)]
    # Where the refunds of period k's answers land: a send at a uniform
    # moment of the period, answered delay later, lands in period j with the
    # share of overlap; drawn one period after another as conditional chances.
    landing: list[list[tuple[int, float]]] = []
    for k in range(periods):
        start, stop = bounds[k] + delay_us, bounds[k + 1] + delay_us
        length, left, splits = stop - start, 1.0, []
        for j in range(k, periods):
            overlap = min(stop, bounds[j + 1]) - max(start, bounds[j])
            if overlap > 0 and left > 0:
                share = overlap / length
                splits.append((j, min(1.0, share / left)))
                left -= share
        landing.append(splits)
    # Awaiting InMails that may still be answered, by the period they would land in.
    delay = timedelta(days=a.response_days)
    waiting = [0] * periods
    for sent_at in awaiting:
        t = micros_between(now, sent_at + delay)
        deadline = messages.refund_deadline(sent_at, messages.Charge.INMAIL)
        if 0 < t < bounds[-1] and messages.refunds(sent_at + delay, deadline):
            waiting[next(k for k in range(periods) if t <= bounds[k + 1])] += 1
    # A due date's change depends only on the balance: worked out once per
    # balance seen, by the engine's own function.
    changes: list[dict[int, int]] = [{} for _ in range(periods)]
    subs = [(sub, plans[sub.plan]) for _, sub in schedule]
    rate = a.response_rate
    counts = sampling.Counts(rng)
    afters = [[0] * runs for _ in range(periods)]
    poisson, binomial = counts.poisson, counts.binomial  # the hot loop's names
    for run in range(runs):
        land = [binomial(c, rate) if c else 0 for c in waiting]
        balance = balance0
        for k in range(periods):
            wanted = poisson(means[k])
            sent = min(wanted, balance + land[k])
            balance += land[k] - sent
            back = 0  # refunds of this period's answers landing in it
            if refunding and sent:
                answers = binomial(sent, rate)
                for j, chance in landing[k]:
                    if not answers:
                        break
                    n = answers if chance >= 1 else binomial(answers, chance)
                    answers -= n
                    if j == k:
                        back += n
                    else:
                        land[j] += n
            # Sends still wanted take the credits that came back meanwhile;
            # sent late in the period, they are answered in the next one.
            late = min(wanted - sent, back)
            balance += back - late
            if refunding and late and k + 1 < periods:
                land[k + 1] += binomial(late, rate)
            change = changes[k].get(balance)
            if change is None:
                sub, plan = subs[k]
                change = changes[k][balance] = lifecycle.due_date_change(sub, balance, plan).net
            balance += change
            afters[k][run] = balance
    band = []
    for values in afters:
        values.sort()
        band.append((_percentile(values, 0.10), _percentile(values, 0.90)))
    return band
