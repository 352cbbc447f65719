"""Figure 5: ``GET /v1/members/{id}/credits`` and the first ledger page of
random members, one request at a time, against a real ``inmail serve`` (no
worker, the manual clock before anything is due) beside the bare raw app
reading the same database with plain SQL, in alternating rounds."""

from __future__ import annotations

import random
from collections.abc import Iterator

from inmail.bench import loadgen, servers
from inmail.bench.databases import Db
from inmail.bench.loadgen import Request
from inmail.bench.populate import member_id
from inmail.bench.report import Figure
from inmail.bench.run import Run

P99_TARGET_MS = 10.0
ROUNDS = 4


def _requests(route: str, members: int, seed: int) -> Iterator[Request]:
    rng = random.Random(seed)  # noqa: S311 (a repeatable workload, not a secret)
    while True:
        yield Request("GET", f"/v1/members/{member_id(rng.randrange(members))}/{route}")


def measure(run: Run, db: Db, members: int, messages: int, entries: int) -> None:
    ours_port, raw_port = servers.free_port(), servers.free_port()
    latencies = {(route, side): [] for route in ("credits", "ledger") for side in ("ours", "raw")}
    statuses: dict[str, set[int]] = {"ours": set(), "raw": set()}
    run.say("reads: starting the servers")
    with (
        servers.running(
            servers.inmail_serve(db.url, ours_port, "manual"),
            ours_port,
            run.folder / f"{run.backend}-serve-reads.log",
        ),
        servers.running(
            servers.raw_app(db.url, raw_port),
            raw_port,
            run.folder / f"{run.backend}-raw-reads.log",
        ),
    ):
        ports = {"ours": ours_port, "raw": raw_port}
        per_round = max(1, run.sizes.read_requests // ROUNDS)
        for round_ in range(ROUNDS):
            for route in ("credits", "ledger"):
                order = ["ours", "raw"] if round_ % 2 == 0 else ["raw", "ours"]
                for side in order:
                    run.say(f"reads: round {round_ + 1}/{ROUNDS}, {route}, {side}")
                    source = _requests(route, members, seed=round_)
                    result = loadgen.run(ports[side], servers.ADMIN_TOKEN, source, per_round, 1)
                    latencies[(route, side)].extend(result.latencies_s)
                    statuses[side].update(result.statuses)
    for route, path in (("credits", "credits"), ("ledger", "ledger (first page)")):
        ours = loadgen.percentile(latencies[(route, "ours")], 0.99) * 1000
        plain = loadgen.percentile(latencies[(route, "raw")], 0.99) * 1000
        run.figures.append(
            Figure(
                name=run.name(f"read_{route}_p99"),
                title=f"GET {path}, {messages:,} messages, {entries:,} entries: p99",
                ours=ours,
                raw=plain,
                unit="ms",
                target=f"p99 <= {P99_TARGET_MS:.0f} ms",
                met=ours <= P99_TARGET_MS and statuses["ours"] == {200},
                higher=False,
                extra={
                    "p50_ms": loadgen.percentile(latencies[(route, "ours")], 0.5) * 1000,
                    "raw_p50_ms": loadgen.percentile(latencies[(route, "raw")], 0.5) * 1000,
                    "requests": len(latencies[(route, "ours")]),
                    "statuses": {side: sorted(s) for side, s in statuses.items()},
                },
            )
        )
