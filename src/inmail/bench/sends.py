"""Figure 1: InMail sends per second through the service layer
(``send_message`` with the system clock) beside the same transaction in
plain SQL on the same driver, in alternating rounds of the same process.
SQLite: one thread. PostgreSQL: 16 threads, each raw thread with its own
connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from inmail.bench import populate, raw
from inmail.bench.report import Figure
from inmail.bench.run import Run, median, pairs
from inmail.clock import SystemClock, utcnow
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.service.messages import send_message
from inmail.store.database import Database

BODY = "Would you be open to a chat about a role?"


def threads_for(backend: str) -> int:
    return 1 if backend == "sqlite" else 16


def _timed(
    threads: int,
    per_thread: int,
    send: Callable[[int, str, str], Any],
    source: Iterator[tuple[str, str]],
) -> float:
    """Sends per second of ``threads`` threads sending ``per_thread`` each."""
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for _ in range(per_thread):
                with lock:
                    sender, recipient = next(source)
                send(t, sender, recipient)
        except BaseException as exc:  # reported below, never swallowed
            failures.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return threads * per_thread / elapsed


def measure(run: Run) -> None:
    sizes, backend = run.sizes, run.backend
    threads = threads_for(backend)
    run.say("sends: populating")
    db = run.databases.fresh()
    populate.senders(db, sizes.send_members, utcnow())
    ctx = Context(Database(db.url), SystemClock(), dict(DEFAULT_PLANS))
    connections = [db.connect() for _ in range(threads)]
    source = pairs(sizes.send_members, seed=1)
    per_thread = max(1, sizes.sends_per_round // threads)

    def ours(_t: int, sender: str, recipient: str) -> None:
        send_message(ctx, sender, recipient, BODY)

    def plain(t: int, sender: str, recipient: str) -> None:
        raw.send_inmail(connections[t], sender, recipient, BODY, utcnow())

    rates: dict[str, list[float]] = {"ours": [], "raw": []}
    try:
        for round_ in range(sizes.send_rounds):
            order = [("ours", ours), ("raw", plain)]
            for side, send in order if round_ % 2 == 0 else order[::-1]:
                run.say(f"sends: round {round_ + 1}/{sizes.send_rounds}, {side}")
                rates[side].append(_timed(threads, per_thread, send, source))
        checked = sizes.send_members <= sizes.audit_max
        audit_ok = audit(ctx).ok if checked else None
    finally:
        for conn in connections:
            conn.close()
        ctx.database.dispose()
        run.databases.drop(db)
    ours_rate, raw_rate = median(rates["ours"]), median(rates["raw"])
    run.figures.append(
        Figure(
            name=run.name("sends"),
            title=f"InMail sends through the service, {threads} thread(s)",
            ours=ours_rate,
            raw=raw_rate,
            unit="sends/s",
            target="ratio >= 0.5",
            met=ours_rate >= 0.5 * raw_rate,
            higher=True,
            extra={"threads": threads, "rounds": rates, "audit_ok": audit_ok},
        )
    )
