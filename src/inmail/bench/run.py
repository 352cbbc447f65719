"""What every figure gets: the backend's databases, the sizes, a folder for
logs, and the progress display."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from inmail.bench.databases import Databases
from inmail.bench.populate import member_id
from inmail.bench.report import Figure
from inmail.bench.sizes import Sizes


@dataclass
class Run:
    backend: str
    databases: Databases
    sizes: Sizes
    folder: Path
    say: Callable[[str], None]  # what is happening now (the progress display)
    figures: list[Figure] = field(default_factory=list)

    def name(self, figure: str) -> str:
        return f"{self.backend}.{figure}"


def pairs(members: int, seed: int) -> Iterator[tuple[str, str]]:
    """Endless (sender, recipient) pairs with the sender's index below the
    recipient's, so no recipient has ever written to its sender: every send
    is a paid InMail, the same work each time."""
    rng = random.Random(seed)  # noqa: S311 (a repeatable workload, not a secret)
    while True:
        a = rng.randrange(members - 1)
        yield member_id(a), member_id(rng.randrange(a + 1, members))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
