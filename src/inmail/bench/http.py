"""Figure 2: ``POST /v1/messages`` from 16 concurrent clients against a real
``inmail serve`` (no worker) beside the bare raw app serving the same
transaction, each on its own identical copy of the database, in alternating
rounds of the same load generator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from inmail.bench import loadgen, populate, servers
from inmail.bench.loadgen import Request
from inmail.bench.report import Figure
from inmail.bench.run import Run, median, pairs
from inmail.bench.sends import BODY
from inmail.clock import utcnow

CLIENTS = 16
P99_TARGET_MS = 50.0


def _requests(members: int, seed: int) -> Iterator[Request]:
    for sender, recipient in pairs(members, seed):
        body = {"from": sender, "to": recipient, "body": BODY}
        yield Request("POST", "/v1/messages", body)


def measure(run: Run) -> None:
    sizes = run.sizes
    run.say("http sends: populating")
    ours_db = run.databases.fresh()
    populate.senders(ours_db, sizes.send_members, utcnow())
    raw_db = run.databases.copy(ours_db)
    ours_port, raw_port = servers.free_port(), servers.free_port()
    rates: dict[str, list[float]] = {"ours": [], "raw": []}
    latencies: dict[str, list[float]] = {"ours": [], "raw": []}
    statuses: dict[str, Counter[int]] = {"ours": Counter(), "raw": Counter()}
    run.say("http sends: starting the servers")
    with (
        servers.running(
            servers.inmail_serve(ours_db.url, ours_port, "system"),
            ours_port,
            run.folder / f"{run.backend}-serve-sends.log",
        ),
        servers.running(
            servers.raw_app(raw_db.url, raw_port),
            raw_port,
            run.folder / f"{run.backend}-raw-sends.log",
        ),
    ):
        sources = {
            "ours": _requests(sizes.send_members, seed=2),
            "raw": _requests(sizes.send_members, seed=2),
        }
        ports = {"ours": ours_port, "raw": raw_port}
        for round_ in range(sizes.http_rounds):
            order = ["ours", "raw"] if round_ % 2 == 0 else ["raw", "ours"]
            for side in order:
                run.say(f"http sends: round {round_ + 1}/{sizes.http_rounds}, {side}")
                result = loadgen.run(
                    ports[side],
                    servers.ADMIN_TOKEN,
                    sources[side],
                    sizes.requests_per_round,
                    CLIENTS,
                )
                rates[side].append(result.rate)
                latencies[side].extend(result.latencies_s)
                statuses[side].update(result.statuses)
    run.databases.drop(ours_db)
    run.databases.drop(raw_db)
    p = {
        side: {
            "p50_ms": loadgen.percentile(latencies[side], 0.50) * 1000,
            "p99_ms": loadgen.percentile(latencies[side], 0.99) * 1000,
        }
        for side in latencies
    }
    ours_rate, raw_rate = median(rates["ours"]), median(rates["raw"])
    run.figures.append(
        Figure(
            name=run.name("http_sends"),
            title=f"POST /v1/messages, {CLIENTS} clients",
            ours=ours_rate,
            raw=raw_rate,
            unit="req/s",
            target=f"ratio >= 0.5, p99 <= {P99_TARGET_MS:.0f} ms",
            # A refused send is not the same work: the figure then fails.
            met=ours_rate >= 0.5 * raw_rate
            and p["ours"]["p99_ms"] <= P99_TARGET_MS
            and all(set(c) == {201} for c in statuses.values()),
            higher=True,
            extra={
                "p50_ms": p["ours"]["p50_ms"],
                "p99_ms": p["ours"]["p99_ms"],
                "raw_p50_ms": p["raw"]["p50_ms"],
                "raw_p99_ms": p["raw"]["p99_ms"],
                "rounds": rates,
                "statuses": {side: dict(c) for side, c in statuses.items()},
            },
        )
    )
