"""Random counts for the forecast's seeded runs, from one ``random.Random``.

Python 3.11's ``random`` has no Poisson or binomial draw. One draw per
count, not one per event, is what keeps 200 runs of 24 months inside a few
milliseconds.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable

# Above this mean (or number of trials), a count is a rounded normal.
TABLE_MAX = 400


class Counts:
    """Poisson and binomial counts from one seeded ``random.Random``.

    A forecast draws thousands of counts from a few distributions (the
    periods are of a few lengths, the chance of an answer is one number), so
    each distribution's cumulative table is made once and a draw is one
    uniform and a bisection. Large ones take the normal approximation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._tables: dict[tuple[int, float], list[float]] = {}

    def _draw(self, key: tuple[int, float], make: Callable[[], list[float]]) -> int:
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = make()
        # The last entry is a hair under 1 at worst: count it as the top.
        return min(bisect.bisect_left(table, self.rng.random()), len(table) - 1)

    def poisson(self, mean: float) -> int:
        """How many events a Poisson process with this mean brings."""
        if mean <= 0:
            return 0
        if mean > TABLE_MAX:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        return self._draw((-1, mean), lambda: _poisson_table(mean))

    def binomial(self, n: int, p: float) -> int:
        """How many of ``n`` independent trials succeed, each with chance ``p``."""
        if n <= 0 or p <= 0:
            return 0
        if p >= 1:
            return n
        if n > TABLE_MAX:
            sd = math.sqrt(n * p * (1 - p))
            return min(n, max(0, round(self.rng.gauss(n * p, sd))))
        return self._draw((n, p), lambda: _binomial_table(n, p))


def _poisson_table(mean: float) -> list[float]:
    chance = math.exp(-mean)
    table = [chance]
    top = int(mean + 12 * math.sqrt(mean) + 12)  # beyond it: below 1e-12
    for k in range(1, top + 1):
        chance *= mean / k
        table.append(table[-1] + chance)
    return table


def _binomial_table(n: int, p: float) -> list[float]:
    table, total = [], 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        table.append(total)
    return table
