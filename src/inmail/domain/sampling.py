"""Random counts for the forecast's seeded runs, from one ``random.Random``.

Python 3.11's ``random`` has no Poisson or binomial draw. One draw per
count, not one per event, is what keeps 100 runs of 24 months inside a few
milliseconds.
"""

from __future__ import annotations

import bisect
import functools
import math
import random

# Above this mean (or number of trials), a count is a rounded normal.
TABLE_MAX = 400


class Counts:
    """Poisson and binomial counts from one seeded ``random.Random``.

    A forecast draws thousands of counts from a few distributions (the
    periods are of a few lengths, the chance of an answer is one number), so
    each distribution's cumulative table is made once (and kept for the next
    forecast) and a draw is one uniform and a bisection. Large ones take the
    normal approximation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._uniform = rng.random

    def poisson(self, mean: float) -> int:
        """How many events a Poisson process with this mean brings."""
        if mean <= 0:
            return 0
        if mean > TABLE_MAX:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        return bisect.bisect_left(_poisson_table(mean), self._uniform())

    def binomial(self, n: int, p: float) -> int:
        """How many of ``n`` independent trials succeed, each with chance ``p``."""
        if n <= 0 or p <= 0:
            return 0
        if p >= 1:
            return n
        if n > TABLE_MAX:
            sd = math.sqrt(n * p * (1 - p))
            return min(n, max(0, round(self.rng.gauss(n * p, sd))))
        return bisect.bisect_left(_binomial_table(n, p), self._uniform())


# Tables are pure functions of their arguments: kept between forecasts, a
# few thousand at most (months of 28 to 31 days, paces people type).
@functools.lru_cache(maxsize=4096)
def _poisson_table(mean: float) -> list[float]:
    chance = math.exp(-mean)
    table = [chance]
    top = int(mean + 12 * math.sqrt(mean) + 12)  # beyond it: below 1e-12
    for k in range(1, top + 1):
        chance *= mean / k
        table.append(table[-1] + chance)
    table[-1] = 1.0  # the tail beyond it, and rounding, go to the last count
    return table


@functools.lru_cache(maxsize=4096)
def _binomial_table(n: int, p: float) -> list[float]:
    table, total = [], 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        table.append(total)
    table[-1] = 1.0  # rounding may leave the sum a hair under 1
    return table
