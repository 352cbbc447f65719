"""Prometheus metrics, one registry per app (so tests can build many apps).

Requests and latencies are counted here, in the process that answered. The
credit totals and the due-event lag are read from the database at scrape time
instead: the ledger is
append-only, so its sums are true counters, and they include what other
processes (workers, other API instances) did, which no in-process counter
could see.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inmail.service import due, stats, webhooks
from inmail.service.context import Context
from inmail.service.due import DueResult

# Ledger kind -> metric name and sign (spends and forfeits are negative entries).
LEDGER_COUNTERS = {
    "spend": ("inmail_credits_spent", -1, "Credits spent on InMails."),
    "refund": ("inmail_credits_refunded", 1, "Credits given back for a response in time."),
    "forfeit": ("inmail_credits_forfeited", -1, "Credits trimmed at the cap or at an end."),
}


class DatabaseCollector(Collector):
    """What the database knows, read at each scrape: the ledger's credit
    totals and how far the due-event processing lags behind the clock."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def describe(self) -> list[Metric]:
        # Registering must not touch the database, so name the metrics here.
        return [
            *self._families({}),
            GaugeMetricFamily("inmail_database_up", ""),
            GaugeMetricFamily("inmail_due_lag_seconds", ""),
            GaugeMetricFamily("inmail_webhook_deliveries", ""),
            GaugeMetricFamily("inmail_webhook_oldest_pending_seconds", ""),
        ]

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("inmail_database_up", "1 if the last scrape could read the ledger.")
        lag = GaugeMetricFamily(
            "inmail_due_lag_seconds", "Age of the oldest due event not yet processed (0: none)."
        )
        try:
            totals = self._totals()
            oldest = due.oldest_due(self.ctx)
            lag_s = (due.clock_now(self.ctx) - oldest).total_seconds() if oldest else 0.0
            hooks = webhooks.stats(self.ctx)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        lag.add_metric([], lag_s)
        yield from (up, lag)
        yield from self._families(totals)
        deliveries = GaugeMetricFamily(
            "inmail_webhook_deliveries",
            "Webhook deliveries by outcome: pending, delivered, failed.",
            labels=["status"],
        )
        for status, count in hooks.by_status.items():
            deliveries.add_metric([status], count)
        yield deliveries
        yield GaugeMetricFamily(
            "inmail_webhook_oldest_pending_seconds",
            "Age of the oldest webhook delivery still pending, by the service clock (0: none).",
            value=hooks.oldest_pending_age_s,
        )

    def _totals(self) -> dict[str, int]:
        return stats.ledger_totals(self.ctx, list(LEDGER_COUNTERS))

    @staticmethod
    def _families(totals: dict[str, int]) -> Iterator[Metric]:
        for kind, (name, sign, doc) in LEDGER_COUNTERS.items():
            yield CounterMetricFamily(name, doc, value=sign * totals.get(kind, 0))


class Metrics:
    def __init__(self, ctx: Context) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "inmail_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "inmail_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.due_events = Counter(
            "inmail_due_events_processed",
            "Work done by run_due in this process (accounts settled, idempotency keys pruned).",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(ctx))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def record_due(self, result: DueResult) -> None:
        """Count a run_due result (the clock route calls this; so may a worker
        running in the same process)."""
        self.due_events.labels("accounts").inc(result.accounts)
        self.due_events.labels("idempotency_keys").inc(result.pruned_keys)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request and labels it by route template, not by the
    raw path, so ids never multiply the series."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(
                scope["method"], route, status, time.perf_counter() - started
            )
