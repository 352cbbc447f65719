"""The due-event loop: `inmail worker`, and a thread inside `inmail serve`.

It only hastens what settle-before-act would do anyway, so a stopped worker
never changes an answer, only how soon a reminder or an expiry is heard of.
It stops between batches: a SIGTERM mid-batch lets the batch's transaction
finish.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from inmail.service.context import Context
from inmail.service.due import BATCH, DueResult, run_due

log = logging.getLogger("inmail.worker")

IDLE_S = 1.0
# After a database error, wait this long before trying again (doubling to the max).
BACKOFF_S, BACKOFF_MAX_S = 0.5, 30.0


def run_worker(
    ctx: Context,
    stop: threading.Event,
    *,
    idle_s: float = IDLE_S,
    batch: int = BATCH,
    on_result: Callable[[DueResult], None] | None = None,
) -> None:
    """Process due events until ``stop`` is set."""
    backoff = BACKOFF_S
    while not stop.is_set():
        try:
            result = run_due(ctx, batch=batch, stop=stop)
        except DBAPIError as exc:
            # A lost connection or a deadlock victim: nothing was half-applied
            # (each batch is one transaction), so wait and run again.
            log.warning("due-event batch failed, retrying in %.1fs: %s", backoff, exc.orig)
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)
            continue
        backoff = BACKOFF_S
        if on_result is not None and result.total:
            on_result(result)
        if result.total:
            log.info(
                "settled %d accounts, pruned %d idempotency keys",
                result.accounts,
                result.pruned_keys,
            )
        else:
            stop.wait(idle_s)


def start_worker_thread(
    ctx: Context, on_result: Callable[[DueResult], None] | None = None
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(ctx, stop),
        kwargs={"on_result": on_result},
        name="inmail-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop


def start_delivery_thread(ctx: Context) -> tuple[threading.Thread, threading.Event]:
    """Webhook delivery (service.delivery) on a thread of its own, so a slow
    receiver never delays due events."""
    from inmail.service.delivery import Dispatcher

    stop = threading.Event()
    thread = threading.Thread(
        target=Dispatcher(ctx).run, args=(stop,), name="inmail-webhooks", daemon=True
    )
    thread.start()
    return thread, stop
