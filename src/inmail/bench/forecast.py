"""Figure 8: a member's credit forecast, 24 months ahead with its random
runs and the advice over every plan, as ``GET /v1/members/{id}/forecast``
computes it (in process, no HTTP), beside the same reads in plain SQL on the
driver. The forecast is arithmetic on top of those reads: the ratio says
what it costs beyond them, the target is on the whole answer."""

from __future__ import annotations

import random
import time
from datetime import datetime

from inmail.bench.databases import Db
from inmail.bench.loadgen import percentile
from inmail.bench.populate import member_id
from inmail.bench.report import Figure
from inmail.bench.run import Run
from inmail.clock import ManualClock
from inmail.domain.forecast import HISTORY, MONTHS_MAX
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service.context import Context
from inmail.service.forecast import member_forecast
from inmail.store.database import Database

P99_TARGET_MS = 50.0
ROUNDS = 4
# A member who sends more than the plan holds: every renewal, refunds and
# shortfalls in play (response_days still comes from the history).
PACE = {"sends_per_week": 8.0, "response_rate": 0.25}

# What the service reads for a forecast, written by hand.
ACCOUNT = (
    "SELECT m.balance, s.plan, s.status, s.started_at, s.renewals_done, s.next_renewal_at,"
    " s.warning_due_at, s.ends_at FROM members m LEFT JOIN subscriptions s"
    " ON s.member_id = m.id WHERE m.id = {p}"
)
AWAITING = (
    "SELECT sent_at FROM messages WHERE sender_id = {p} AND kind = 'inmail'"
    " AND credit_charged AND status = 'awaiting_response' ORDER BY sent_at, id LIMIT 10000"
)
ANSWERS = (
    "SELECT sent_at, responded_at FROM messages WHERE sender_id = {p} AND kind = 'inmail'"
    " AND credit_charged AND sent_at > {p} AND refunded ORDER BY sent_at DESC LIMIT 10000"
)


def _plain(db: Db, ids: list[str], since: datetime) -> list[float]:
    conn = db.connect()
    p = "?" if db.backend == "sqlite" else "%s"
    # Both keep naive UTC; SQLite as text in the engine's format.
    naive = since.replace(tzinfo=None)
    at = naive.strftime("%Y-%m-%d %H:%M:%S.%f") if db.backend == "sqlite" else naive
    times = []
    try:
        for member in ids:
            started = time.perf_counter()
            cur = conn.cursor()
            cur.execute(ACCOUNT.format(p=p), (member,))
            cur.fetchall()
            cur.execute(AWAITING.format(p=p), (member,))
            cur.fetchall()
            cur.execute(ANSWERS.format(p=p), (member, at))
            cur.fetchall()
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
    return times


def _ours(ctx: Context, ids: list[str]) -> list[float]:
    times = []
    for member in ids:
        started = time.perf_counter()
        member_forecast(ctx, member, months=MONTHS_MAX, **PACE)
        times.append(time.perf_counter() - started)
    return times


def measure(run: Run, db: Db, members: int) -> None:
    ctx = Context(Database(db.url), ManualClock(), dict(DEFAULT_PLANS))
    try:
        rng = random.Random(8)  # noqa: S311 (a repeatable workload, not a secret)
        per_round = max(1, run.sizes.read_requests // ROUNDS)
        with ctx.unit_of_work(write=False) as work:
            since = work.now - HISTORY
        _ours(ctx, [member_id(0)])  # the first call loads and caches what it needs
        ours: list[float] = []
        plain: list[float] = []
        for round_ in range(ROUNDS):
            ids = [member_id(rng.randrange(members)) for _ in range(per_round)]
            run.say(f"forecast: round {round_ + 1}/{ROUNDS}")
            if round_ % 2 == 0:
                ours += _ours(ctx, ids)
                plain += _plain(db, ids, since)
            else:
                plain += _plain(db, ids, since)
                ours += _ours(ctx, ids)
    finally:
        ctx.database.dispose()
    p99 = percentile(ours, 0.99) * 1000
    run.figures.append(
        Figure(
            name=run.name("forecast_p99"),
            title=f"a {MONTHS_MAX}-month forecast with its random runs and advice: p99"
            " (raw: its reads in plain SQL)",
            ours=p99,
            raw=percentile(plain, 0.99) * 1000,
            unit="ms",
            target=f"p99 < {P99_TARGET_MS:.0f} ms",
            met=p99 < P99_TARGET_MS,
            higher=False,
            extra={
                "p50_ms": percentile(ours, 0.5) * 1000,
                "raw_p50_ms": percentile(plain, 0.5) * 1000,
                "forecasts": len(ours),
                "pace": PACE,
            },
        )
    )
