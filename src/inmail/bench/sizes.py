"""How big each benchmark is: the full run and ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    send_members: int  # the send benchmarks' network
    send_rounds: int  # alternating rounds, ours then raw (the order swaps each round)
    sends_per_round: int
    http_rounds: int
    requests_per_round: int
    renewals: int  # members renewing at once
    network_members: int  # the expiry and read benchmarks' network
    inmails_per_member: int
    history: int  # past renewals (a grant and a forfeit each) per member
    read_requests: int  # per route and side
    memory_small: int  # due events of the worker-memory baseline
    audit_max: int  # run the full audit on databases up to this many members


FULL = Sizes(
    send_members=10_000,
    send_rounds=5,
    sends_per_round=2_000,
    http_rounds=4,
    requests_per_round=2_000,
    renewals=1_000_000,
    network_members=100_000,
    inmails_per_member=10,
    history=10,
    read_requests=400,
    memory_small=10_000,
    audit_max=100_000,
)

QUICK = Sizes(
    send_members=1_000,
    send_rounds=3,
    sends_per_round=300,
    http_rounds=2,
    requests_per_round=300,
    renewals=20_000,
    network_members=2_000,
    inmails_per_member=10,
    history=10,
    read_requests=200,
    memory_small=2_000,
    audit_max=100_000,
)
