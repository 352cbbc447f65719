"""A per-token request rate limit: ``INMAIL_RATE_LIMIT="120/60s"``.

Off unless configured. Each bearer token (keyed by its SHA-256, so the token
itself is never held) has a token bucket of ``count`` requests that refills
at ``count / seconds`` per second; a request that finds it empty is answered
429 ``rate-limited`` with a ``Retry-After`` header before any route runs, so
it changes nothing. Requests without a bearer token (health, metrics, plans,
the cookie-signed web pages) are not limited here.

The buckets live in this process's memory: with several ``inmail serve``
processes behind a load balancer each one counts on its own, so a token gets
up to N times the limit. It keeps at most ``MAX_BUCKETS`` buckets (the least
recently used go first), so a flood of made-up tokens cannot grow it.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from inmail.api.errors import problem, problem_response
from inmail.domain.errors import ValidationFailed

MAX_BUCKETS = 100_000
_FORMAT = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*(s|m|h)?\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class RateLimit:
    count: int  # requests a token may make in a burst
    per_s: float  # ... refilled over this many seconds

    @property
    def rate(self) -> float:
        return self.count / self.per_s


def parse_rate_limit(text: str) -> RateLimit:
    """``"120/60s"``, ``"120/60"`` (seconds), ``"1000/1h"``, ``"20/1m"``."""
    match = _FORMAT.match(text)
    if match is None:
        raise ValidationFailed(
            f"INMAIL_RATE_LIMIT {text!r} is not COUNT/SECONDS (like 120/60s, 20/1m, 1000/1h)"
        )
    count, amount, unit = int(match[1]), int(match[2]), match[3] or "s"
    if count < 1 or amount < 1:
        raise ValidationFailed("INMAIL_RATE_LIMIT needs a count and a period of at least 1")
    return RateLimit(count=count, per_s=float(amount * _UNIT_S[unit]))


class TokenBuckets:
    """One bucket per key; ``take`` answers 0 when allowed, else the seconds
    to wait. Thread-safe."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.limit.count), now))
            tokens = min(float(self.limit.count), tokens + (now - last) * self.limit.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.limit.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
            return wait


def _bearer_key(scope: Scope) -> str | None:
    value = Headers(scope=scope).get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: RateLimit, clock: Callable[[], float] | None) -> None:
        self.app = app
        self.buckets = TokenBuckets(limit, clock=clock or time.monotonic)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _bearer_key(scope) if scope["type"] == "http" else None
        if key is not None:
            wait = self.buckets.take(key)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                body = problem(
                    "rate-limited",
                    f"this token may make {self.buckets.limit.count} requests per "
                    f"{self.buckets.limit.per_s:g} seconds; retry after {retry_after} s",
                )
                response = problem_response(body, headers={"Retry-After": str(retry_after)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
