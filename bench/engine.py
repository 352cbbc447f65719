"""Engine benchmarks on this machine: InMail sends through the service layer
and the monthly renewal peak through run_due.

    make bench                      # SQLite and PostgreSQL (postgres@127.0.0.1)
    .venv/bin/python bench/engine.py --backends sqlite --members 2000

Figures are printed, never asserted: a benchmark reports what it measured.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from inmail.clock import ManualClock
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service import messages, subscriptions
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.service.due import move_clock, run_due
from inmail.store import tables
from inmail.store.database import Database, normalise_url
from inmail.store.migrate import upgrade

START = datetime(2026, 1, 15, 9, tzinfo=UTC)
PG_URL = normalise_url(
    os.environ.get("INMAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)


def fresh_database(backend: str, folder: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    if backend == "sqlite":
        return f"sqlite:///{folder}/{uuid.uuid4().hex}.db", lambda: None
    name = f"inmail_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), drop


def populate(ctx: Context, count: int) -> None:
    with ctx.unit_of_work() as work:
        work.conn.execute(
            insert(tables.members),
            [
                {
                    "id": f"m{i:06d}",
                    "name": f"Member {i}",
                    "inmail_opt_out": False,
                    "open_profile": False,
                    "created_at": START,
                    "balance": 0,
                }
                for i in range(count)
            ],
        )
    for i in range(count):
        subscriptions.put_subscription(ctx, f"m{i:06d}", "enterprise")


def bench_sends(ctx: Context, members: int, threads: int, per_thread: int) -> float:
    """InMails/s: each thread's sender writes to fresh recipients."""

    for t in range(threads):
        subscriptions.adjust_credits(ctx, f"m{t:06d}", per_thread, "benchmark credits")

    def work(t: int) -> None:
        sender = f"m{t:06d}"
        for k in range(per_thread):
            recipient = f"m{(threads + t * per_thread + k) % members:06d}"
            if recipient != sender:
                messages.send_message(ctx, sender, recipient, "hello")

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return threads * per_thread / (time.perf_counter() - started)


def bench_renewals(ctx: Context, members: int) -> float:
    """Renewed accounts/s when every member renews at once."""
    move_clock(ctx, START + timedelta(days=31), process=False)
    started = time.perf_counter()
    result = run_due(ctx)
    elapsed = time.perf_counter() - started
    assert result.accounts >= members
    return members / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sends", type=int, default=250, help="sends per thread")
    args = parser.parse_args()
    console = Console()
    table = Table("backend", "measure", "result", title=f"inmail engine, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            url, drop = fresh_database(backend, folder)
            database = Database(url)
            upgrade(database)
            ctx = Context(database, ManualClock(START), dict(DEFAULT_PLANS))
            try:
                with console.status(f"{backend}: creating {args.members} subscribed members"):
                    populate(ctx, args.members)
                with console.status(f"{backend}: sending"):
                    sends = bench_sends(ctx, args.members, args.threads, args.sends)
                table.add_row(backend, f"InMail sends, {args.threads} threads", f"{sends:,.0f}/s")
                with console.status(f"{backend}: renewing"):
                    renewals = bench_renewals(ctx, args.members)
                table.add_row(
                    backend, f"renewal peak, {args.members} accounts", f"{renewals:,.0f}/s"
                )
                assert audit(ctx).ok
            finally:
                database.dispose()
                drop()
    console.print(table)
    console.print("rerun: make bench  (or .venv/bin/python bench/engine.py --help)")


if __name__ == "__main__":
    main()
