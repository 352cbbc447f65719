"""The admin clock and audit routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inmail.api import create_app
from inmail.clock import SystemClock
from inmail.service.context import Context
from tests.api.conftest import Api, assert_problem, snapshot

DAY = 86400


def test_clock_reads_manual_time(api):
    assert api.ok("GET", "/v1/admin/clock") == {"now": "2026-01-15T09:30:00Z", "mode": "manual"}


def test_advance_and_to(api):
    assert api.advance(90) == {"now": "2026-01-15T09:31:30Z"}
    assert api.advance(0.5) == {"now": "2026-01-15T09:31:30.500000Z"}
    moved = api.ok("POST", "/v1/admin/clock", json={"to": "2026-03-01T00:00:00Z"})
    assert moved == {"now": "2026-03-01T00:00:00Z"}
    same = api.ok("POST", "/v1/admin/clock", json={"to": "2026-03-01T01:00:00+01:00"})
    assert same == moved  # to "now" itself is no move back
    assert api.ok("GET", "/v1/admin/clock")["now"] == "2026-03-01T00:00:00Z"


def test_moving_time_processes_due_events_before_answering(api, ctx):
    from sqlalchemy import select

    from inmail.store.tables import messages, notifications

    api.member("alice")
    api.member("bob")
    api.subscribe("alice")
    sent = api.send("alice", "bob")
    api.advance(91 * DAY)  # a day past the refund deadline
    # Read the rows themselves: any read through the API would settle the
    # accounts it touches, and this is about what the move did on its own.
    with ctx.database.transaction(write=False) as conn:
        status = conn.execute(select(messages.c.status)).scalar_one()
        kinds = conn.execute(select(notifications.c.kind).order_by(notifications.c.id)).scalars()
        kinds = list(kinds)
    assert status == "expired"
    assert kinds.count("credits_renewed") == 3  # Feb 15, Mar 15, Apr 15
    assert "inmail_reminder" in kinds and "inmail_expired" in kinds
    assert api.ok("GET", f"/v1/messages/{sent['id']}")["status"] == "expired"


def test_time_never_goes_back(api, ctx):
    before = snapshot(ctx)
    past = api.post("/v1/admin/clock", json={"to": "2026-01-15T09:29:59Z"})
    assert_problem(past, 422, "validation-error")
    assert_problem(
        api.post("/v1/admin/clock", json={"advance_seconds": -1}), 422, "validation-error"
    )
    assert snapshot(ctx) == before


def test_one_move_is_at_most_100_years(api):
    assert_problem(
        api.post("/v1/admin/clock", json={"to": "2126-01-16T09:30:01Z"}),
        422,
        "validation-error",
    )
    assert_problem(
        api.post("/v1/admin/clock", json={"advance_seconds": 36_526 * 86400}),
        422,
        "validation-error",
    )
    assert api.advance(36_525 * 86400) == {"now": "2126-01-16T09:30:00Z"}  # 36,525 days


def test_the_clock_stops_at_the_year_9999(api):
    for year in range(2100, 10000, 100):  # at most 100 years a move
        api.ok("POST", "/v1/admin/clock", json={"to": f"{year}-01-01T00:00:00Z"})
    api.ok("POST", "/v1/admin/clock", json={"to": "9999-06-01T00:00:00Z"})
    response = api.post("/v1/admin/clock", json={"advance_seconds": 366 * 86400})
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance_seconds": 60, "to": "2026-02-01T00:00:00Z"},
        {"advance_seconds": "60"},
        {"advance_seconds": 1e12},
        {"to": 1767225600},
        {"to": "soon"},
        {"advance_seconds": 60, "process": False},
    ],
)
def test_invalid_clock_moves(api, body):
    assert_problem(api.post("/v1/admin/clock", json=body), 422, "validation-error")


def test_system_clock_cannot_move(ctx, settings):
    system = Context(database=ctx.database, clock=SystemClock(), plans=ctx.plans)
    with TestClient(create_app(system, settings)) as client:
        api = Api(client)
        clock = api.ok("GET", "/v1/admin/clock")
        assert clock["mode"] == "system" and clock["now"].endswith("Z")
        response = api.post("/v1/admin/clock", json={"advance_seconds": 60})
        assert_problem(response, 409, "clock-not-manual")
        assert_problem(
            api.post("/v1/admin/clock", json={"to": "2099-01-01T00:00:00Z"}),
            409,
            "clock-not-manual",
        )


def test_audit(api):
    api.member("alice")
    api.member("bob")
    api.subscribe("alice")
    api.send("alice", "bob")
    report = api.ok("GET", "/v1/admin/audit")
    assert report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"balances_match_ledger", "credits_conserved"}
    assert all(set(c) == {"name", "ok", "detail"} and c["ok"] for c in report["checks"])


def test_audit_reports_a_broken_ledger(api, ctx):
    from sqlalchemy import update

    from inmail.store.tables import members

    api.member("alice")
    with ctx.database.transaction() as conn:
        conn.execute(update(members).where(members.c.id == "alice").values(balance=5))
    report = api.ok("GET", "/v1/admin/audit")
    assert report["ok"] is False
    failed = {c["name"] for c in report["checks"] if not c["ok"]}
    assert "balances_match_ledger" in failed
    with ctx.database.transaction() as conn:  # mend it for the fixture's own audit
        conn.execute(update(members).where(members.c.id == "alice").values(balance=0))
