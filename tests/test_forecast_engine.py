"""The forecast against the engine itself, on random histories, on every backend.

Each case gives a member a random past (plan, sends, answers, maybe a plan
change or a cancel), asks for a forecast, then drives the engine with the
manual clock over the same months:

- with the main line's sends and answers (worked out here from the contract's
  words), the engine's balance just before and just after every renewal
  equals the main line's, and so does the number of sends refused;
- with random sends and answers of the same averages, the engine's balance
  after each renewal falls inside p10..p90 in at least 80 % of cases.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from inmail.domain.errors import InsufficientCredits
from inmail.service import forecast, members, messages, subscriptions
from inmail.service.audit import audit
from inmail.service.due import clock_now, move_clock
from tests.conftest import fresh_context

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
US = timedelta(microseconds=1)
PLANS = ("pro", "teams", "enterprise")


class Engine:
    """alice and as many fresh recipients as she needs: one conversation
    each, so an answer refunds exactly its own InMail."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.count = 0
        members.create_member(ctx, "alice", "Alice")

    def to(self, at):
        if at > clock_now(self.ctx):
            move_clock(self.ctx, at, process=False)

    def send(self, at):
        """alice's InMail at ``at``: its id, or None when refused for credits."""
        self.to(at)
        self.count += 1
        recipient = f"r{self.count}"
        members.create_member(self.ctx, recipient, recipient)
        try:
            return messages.send_message(self.ctx, "alice", recipient, "Hello").id
        except InsufficientCredits:
            return None

    def answer(self, at, message_id):
        self.to(at)
        messages.reply(self.ctx, message_id, body="Thanks")

    def balance(self, at):
        self.to(at)
        return subscriptions.get_credits(self.ctx, "alice").balance


def random_history(engine, rng):
    """A plan, 0 to 40 days of InMails (some answered, some still awaiting),
    and now and then a plan change or a cancel. Returns {id: sent_at} of the
    InMails still awaiting an answer."""
    ctx = engine.ctx
    subscriptions.put_subscription(ctx, "alice", rng.choice(PLANS))
    sent = {}
    for _ in range(rng.randint(0, 25)):
        at = clock_now(ctx) + timedelta(hours=rng.randint(1, 40))
        message_id = engine.send(at)
        if message_id is not None:
            sent[message_id] = at
    for message_id in list(sent):
        if rng.random() < 0.3:
            engine.answer(sent[message_id] + timedelta(hours=rng.randint(1, 30)), message_id)
            del sent[message_id]
    engine.to(clock_now(ctx) + timedelta(hours=rng.randint(0, 200)))
    change = rng.random()
    if change < 0.25:
        subscriptions.put_subscription(ctx, "alice", rng.choice(PLANS))
    elif change < 0.35:
        subscriptions.cancel_subscription(ctx, "alice")
    return sent


def random_assumptions(rng):
    return {
        "months": rng.randint(1, 3),
        "sends_per_week": rng.choice([0, 1.5, 3, 5, 8, 12]),
        "response_rate": rng.choice([0, 0.2, 0.25, 0.5, 0.75, 1]),
        "response_days": rng.randint(1, 12),
    }


def is_answered(j, rate):
    """The j-th InMail (from 1) is answered: every k-th, spread evenly."""
    return math.floor(j * rate + 1e-9) > math.floor((j - 1) * rate + 1e-9)


def replay(engine, result, actions):
    """Run ``actions`` (time, order, what, arg) in time order with the
    renewal checkpoints, and return ([(before, after)], refused sends).

    ``what`` is "send" (arg: a callback given the id, or None if refused)
    or "answer" (arg: a message id). At one instant the renewal comes first,
    then answers, then sends, as in the engine."""
    checkpoints = [(row.at, 0, "renewal", None) for row in result.renewals]
    queue = sorted(checkpoints + actions, key=lambda a: (a[0], a[1]))
    rows, refused = [], 0
    while queue:
        at, _, what, arg = queue.pop(0)
        if at >= result.horizon and what != "renewal":
            continue
        if what == "renewal":
            rows.append((engine.balance(at - US), engine.balance(at)))
        elif what == "answer":
            engine.answer(at, arg)
        else:
            message_id = engine.send(at)
            if message_id is None:
                refused += 1
            else:
                for later in arg(message_id, at):
                    queue.append(later)
                queue.sort(key=lambda a: (a[0], a[1]))
    return rows, refused


@pytest.mark.parametrize("seed", range(10))
def test_the_main_line_is_what_the_engine_does(ctx, seed):
    rng = random.Random(seed)
    engine = Engine(ctx)
    awaiting = random_history(engine, rng)
    params = random_assumptions(rng)
    result = forecast.member_forecast(ctx, "alice", **params).forecast
    now, rate = result.now, params["response_rate"]
    delay = timedelta(days=params["response_days"])
    actions = []
    # Awaiting InMails whose usual answer time is ahead: every k-th answered then.
    ahead = sorted((at, mid) for mid, at in awaiting.items() if at + delay > now)
    for j, (sent_at, message_id) in enumerate(ahead, start=1):
        if is_answered(j, rate):
            actions.append((sent_at + delay, 1, "answer", message_id))
    sent = 0

    def answered_later(message_id, at):
        nonlocal sent
        sent += 1
        return [(at + delay, 1, "answer", message_id)] if is_answered(sent, rate) else []

    spw = params["sends_per_week"]
    i = 1
    while spw and now + WEEK * i / spw < result.horizon:
        actions.append((now + WEEK * i / spw, 2, "send", answered_later))
        i += 1
    rows, refused = replay(engine, result, actions)
    assert rows == [(r.balance_before, r.balance_after) for r in result.renewals]
    assert refused == result.shortfall


def test_the_band_holds_the_engine_in_at_least_80_percent_of_random_runs(backend):
    inside = total = 0
    for seed in range(16):
        rng = random.Random(1000 + seed)
        with fresh_context(backend) as ctx:
            engine = Engine(ctx)
            awaiting = random_history(engine, rng)
            params = random_assumptions(rng)
            result = forecast.member_forecast(ctx, "alice", **params).forecast
            now, rate = result.now, params["response_rate"]
            delay = timedelta(days=params["response_days"])
            actions = [
                (at + delay, 1, "answer", mid)
                for mid, at in awaiting.items()
                if at + delay > now and rng.random() < rate
            ]

            def maybe_answered(message_id, at, rng=rng, rate=rate, delay=delay):
                return [(at + delay, 1, "answer", message_id)] if rng.random() < rate else []

            # Sends as a Poisson process of sends_per_week / 7 a day.
            spw, at = params["sends_per_week"], now
            while spw:
                at += timedelta(days=rng.expovariate(spw / 7))
                if at >= result.horizon:
                    break
                actions.append((at, 2, "send", maybe_answered))
            rows, _ = replay(engine, result, actions)
            assert audit(ctx).ok
            for (_, after), row in zip(rows, result.renewals, strict=True):
                total += 1
                inside += row.p10 <= after <= row.p90
    assert total >= 16
    assert inside / total >= 0.8, (inside, total)
