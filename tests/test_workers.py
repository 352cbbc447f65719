"""Three `inmail worker` processes share thousands of due events: each one is
processed exactly once, and SIGTERM stops a worker cleanly."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, insert, select

from inmail.service import messages, subscriptions
from inmail.service.due import move_clock, oldest_due
from inmail.store import tables
from tests.conftest import START

MEMBERS = (
    600  # 600 renewals x 2 months, 600 InMails: 1,200 renewals and 600 reminders, 600 expiries
)
WORKERS = 3


def _populate(ctx):
    with ctx.unit_of_work() as work:
        work.conn.execute(
            insert(tables.members),
            [
                {
                    "id": f"m{i:04d}",
                    "name": f"Member {i}",
                    "inmail_opt_out": False,
                    "open_profile": False,
                    "created_at": START,
                    "balance": 0,
                }
                for i in range(MEMBERS)
            ],
        )
    for i in range(MEMBERS):
        subscriptions.put_subscription(ctx, f"m{i:04d}", "pro")
        messages.send_message(ctx, f"m{i:04d}", f"m{(i + 1) % MEMBERS:04d}", "hello")


def _start_worker(url):
    env = {**os.environ, "INMAIL_DATABASE_URL": url, "INMAIL_CLOCK": "manual"}
    return subprocess.Popen(
        [sys.executable, "-m", "inmail.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_three_workers_process_every_due_event_exactly_once(ctx, database_url):
    _populate(ctx)
    # 95 days on: renewals on Feb 15, Mar 15 and Apr 15, every reminder, every expiry.
    move_clock(ctx, START + timedelta(days=95), process=False)
    assert oldest_due(ctx) is not None
    workers = [_start_worker(database_url) for _ in range(WORKERS)]
    try:
        deadline = time.monotonic() + 240
        while oldest_due(ctx) is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert oldest_due(ctx) is None, "workers did not finish in time"
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert [w.returncode for w in workers] == [0] * WORKERS, outputs
    assert all("worker stopped" in out for out in outputs)

    with ctx.unit_of_work(write=False) as work:
        conn = work.conn
        grants = Counter(
            conn.execute(
                select(tables.ledger_entries.c.member_id).where(
                    tables.ledger_entries.c.kind == "grant"
                )
            ).scalars()
        )
        kinds = Counter(conn.execute(select(tables.notifications.c.kind)).scalars())
        reminders_per_message = Counter(
            conn.execute(
                select(tables.notifications.c.message_id).where(
                    tables.notifications.c.kind == "inmail_reminder"
                )
            ).scalars()
        )
        expired = conn.execute(
            select(func.count()).where(tables.messages.c.status == "expired")
        ).scalar_one()
    assert set(grants.values()) == {4}  # the first grant and three renewals each
    assert len(grants) == MEMBERS
    assert kinds["credits_renewed"] == 3 * MEMBERS
    assert kinds["inmail_expired"] == MEMBERS
    assert expired == MEMBERS
    assert len(reminders_per_message) == MEMBERS
    assert set(reminders_per_message.values()) == {1}
    assert subscriptions.get_credits(ctx, "m0000").balance == 60


def _stopped_cleanly(worker):
    try:
        output = worker.communicate(timeout=120)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        output = worker.communicate()[0]
        raise AssertionError(f"the worker did not stop:\n{output}") from None
    assert worker.returncode == 0, output
    assert "worker stopped" in output
    assert "Traceback" not in output


def test_sigterm_right_after_spawning_stops_the_worker_cleanly(database_url):
    # The stop request is sent before the worker has run any code of its own.
    # Blocking SIGTERM around the spawn keeps it pending in the new process
    # (the mask is inherited through exec) instead of letting it kill the
    # interpreter before the worker exists: the worker must take it from there.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        worker = _start_worker(database_url)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    worker.send_signal(signal.SIGTERM)
    _stopped_cleanly(worker)


def test_sigterm_during_start_up_stops_the_worker_cleanly(database_url):
    worker = _start_worker(database_url)
    # Its first line comes before its imports and its database set-up.
    assert worker.stdout.readline().strip() == "worker starting"
    worker.send_signal(signal.SIGTERM)
    _stopped_cleanly(worker)
