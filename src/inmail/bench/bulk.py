"""Figures 3, 4 and 6: the worker's bulk work beside set-based SQL.

3. Every member renewing at once; 4. every InMail reaching its refund
deadline at once. Ours: ``run_due`` in a worker process (``probe``) on a
database whose manual clock was moved past the moment with
``move_clock(..., process=False)``. Raw: the set-based statements of ``raw``
on an identical copy. Both then hold the same rows (compared) and, on the
smaller sizes, pass the audit.

6. The worker process's peak resident memory over the renewal peak beside
its peak over a small run of the same kind (the raw column holds the small
run: the figure asks that memory not grow with the work).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from inmail.bench import populate, raw
from inmail.bench.databases import Db
from inmail.bench.report import Figure
from inmail.bench.run import Run
from inmail.clock import ManualClock
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.service.due import move_clock
from inmail.store.database import Database

# The moment everything falls due (a Sunday night's renewal peak).
AT = datetime(2026, 3, 15, 9, tzinfo=UTC)
AFTER = AT + timedelta(minutes=1)
AIM_S = 60.0
MEMORY_GROWTH = 1.2

# What both sides must have written alike.
_SAME = {
    "ledger": "SELECT count(*), sum(amount), sum(balance_after) FROM ledger_entries",
    "notifications": "SELECT kind, count(*), min(at), max(at) FROM notifications GROUP BY kind",
    "members": "SELECT count(*), sum(balance), min(due_at), max(due_at) FROM members",
    "subscriptions": "SELECT sum(renewals_done), min(next_renewal_at), max(next_renewal_at),"
    " min(warning_due_at), max(warning_due_at) FROM subscriptions",
    "messages": "SELECT status, count(*) FROM messages GROUP BY status ORDER BY status",
}


def probe(run: Run, db: Db, profile: str | None = None) -> dict[str, Any]:
    """``run_due`` in a fresh worker process on ``db``, its clock moved to AFTER."""
    ctx = Context(Database(db.url), ManualClock(), dict(DEFAULT_PLANS))
    try:
        move_clock(ctx, AFTER, process=False)
    finally:
        ctx.database.dispose()
    command = [sys.executable, "-m", "inmail.bench.probe", "--database-url", db.url]
    if profile:
        command += ["--profile", profile]
    # Our own interpreter and module only.
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"the worker process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _plain(db: Db, work: str) -> float:
    conn = db.connect()
    try:
        started = time.perf_counter()
        if work == "renewals":
            raw.renew_all(conn, populate.PLAN, AFTER)
        else:
            raw.expire_all(conn, AFTER)
        return time.perf_counter() - started
    finally:
        conn.close()


def _snapshot(db: Db) -> dict[str, list[list[Any]]]:
    conn = db.connect()
    try:
        return {
            name: [[str(v) for v in row] for row in raw.run(conn, query).fetchall()]
            for name, query in _SAME.items()
        }
    finally:
        conn.close()


def _audit_ok(db: Db) -> bool:
    ctx = Context(Database(db.url), ManualClock(), dict(DEFAULT_PLANS))
    try:
        return audit(ctx).ok
    finally:
        ctx.database.dispose()


def _compare(run: Run, ours: Db, plain: Db, members: int) -> dict[str, Any]:
    ours_rows, raw_rows = _snapshot(ours), _snapshot(plain)
    checks: dict[str, Any] = {
        "same_rows": ours_rows == raw_rows,
        "differs": [k for k in ours_rows if ours_rows[k] != raw_rows[k]],
    }
    if members <= run.sizes.audit_max:
        checks["audit_ours"] = _audit_ok(ours)
        checks["audit_raw"] = _audit_ok(plain)
    return checks


def renewals(run: Run) -> dict[str, Any]:
    """Figure 3; returns the worker's peak memory for figure 6."""
    count = run.sizes.renewals
    run.say(f"renewals: populating {count:,} members")
    ours_db = run.databases.fresh()
    populate.renewing(ours_db, count, AT)
    raw_db = run.databases.copy(ours_db)
    run.say(f"renewals: raw SQL, {count:,} members")
    raw_s = _plain(raw_db, "renewals")
    run.say(f"renewals: the worker, {count:,} members")
    result = probe(run, ours_db)
    if result["accounts"] != count:
        raise RuntimeError(f"the worker settled {result['accounts']} of {count} accounts")
    run.say("renewals: comparing")
    checks = _compare(run, ours_db, raw_db, count)
    run.databases.drop(ours_db)
    run.databases.drop(raw_db)
    ours_s = result["seconds"]
    run.figures.append(
        Figure(
            name=run.name("renewals"),
            title=f"{count:,} members renewing at once (run_due)",
            ours=ours_s,
            raw=raw_s,
            unit="s",
            target=f"ratio <= 2 (aim: <= {AIM_S:.0f} s)",
            met=ours_s <= 2 * raw_s and checks["same_rows"],
            higher=False,
            extra={"members": count, "within_aim": ours_s <= AIM_S, **checks},
        )
    )
    return result


def memory(run: Run, large: dict[str, Any]) -> None:
    """Figure 6: the peak of the renewal run beside a small run's."""
    count = run.sizes.memory_small
    run.say(f"worker memory: {count:,} due events")
    db = run.databases.fresh()
    populate.renewing(db, count, AT)
    small = probe(run, db)
    run.databases.drop(db)
    ours_mib, small_mib = large["peak_rss_kib"] / 1024, small["peak_rss_kib"] / 1024
    run.figures.append(
        Figure(
            name=run.name("worker_memory"),
            title=f"worker peak RSS, {run.sizes.renewals:,} vs {count:,} due events",
            ours=ours_mib,
            raw=small_mib,
            unit="MiB",
            target=f"ratio <= {MEMORY_GROWTH}",
            met=ours_mib <= MEMORY_GROWTH * small_mib,
            higher=False,
            extra={"large_events": run.sizes.renewals, "small_events": count},
        )
    )


def expiries(run: Run, source: Db, messages: int) -> None:
    """Figure 4, on two copies of the network database ``source``."""
    run.say(f"expiries: copying the network ({messages:,} InMails)")
    ours_db, raw_db = run.databases.copy(source), run.databases.copy(source)
    run.say(f"expiries: raw SQL, {messages:,} InMails")
    raw_s = _plain(raw_db, "expiries")
    run.say(f"expiries: the worker, {messages:,} InMails")
    result = probe(run, ours_db)
    run.say("expiries: comparing")
    checks = _compare(run, ours_db, raw_db, run.sizes.network_members)
    run.databases.drop(ours_db)
    run.databases.drop(raw_db)
    ours_s = result["seconds"]
    run.figures.append(
        Figure(
            name=run.name("expiries"),
            title=f"{messages:,} InMails reaching their deadline at once (run_due)",
            ours=ours_s,
            raw=raw_s,
            unit="s",
            target="ratio <= 2",
            met=ours_s <= 2 * raw_s and checks["same_rows"],
            higher=False,
            extra={
                "inmails": messages,
                "accounts": result["accounts"],
                "peak_rss_mib": result["peak_rss_kib"] / 1024,
                **checks,
            },
        )
    )
