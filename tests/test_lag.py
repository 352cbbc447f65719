"""The lag test: no answer may depend on when the due-event worker ran.

One random scenario (Hypothesis) runs twice, each on a database of its own:
once with the due events processed after every clock move
(``move_clock(ctx, to)``), and once with nothing processed at all until the
very end (``move_clock(..., process=False)``, then one ``run_due``). Every
operation must answer the same in both runs, and in the end both must hold
the same balances, ledgers (kinds, amounts, times), messages, subscriptions
and notifications, reminders included: a reminder whose time came while
nothing ran still goes out exactly once, dated at its time, even when a
response came before any worker did.

Clock moves in the scenario are resolved to absolute times in the first run
(marks such as "exactly 90 days after this InMail" need its state) and
replayed as those times in the second.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inmail.domain.errors import InmailError
from inmail.domain.messages import QuickReply
from inmail.service import members as member_service
from inmail.service import messages as message_service
from inmail.service import subscriptions as subscription_service
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.service.due import clock_now, move_clock
from inmail.service.views import MessageView
from tests.conftest import Backend, fresh_context
from tests.engine_state import (
    MESSAGE_FIELDS,
    EngineState,
    notification_key,
    settle_everyone,
    snapshot,
)
from tests.reference_model import WARNING_BEFORE, anniversary
from tests.test_model import (
    MEMBER_IDS,
    last_day_of_month,
    offsets,
    pairs,
    plans,
    resolve_started_at,
    started_ats,
)

pytestmark = [pytest.mark.storage, pytest.mark.slow]

DEFAULT_EXAMPLES = {"sqlite": 150, "postgresql": 60}
EXAMPLES = int(os.environ.get("INMAIL_LAG_EXAMPLES", "0"))

members = st.sampled_from(MEMBER_IDS)
picks = st.integers(0, 10)
answers = st.one_of(
    st.just(("body", "thanks")), st.sampled_from(QuickReply).map(lambda q: ("quick", q))
)
MARKS = ("reminder", "deadline", "renewal", "warning", "month-end")
operations = st.one_of(
    # the busiest ones more than once: one_of picks its branches evenly
    st.tuples(st.just("send"), pairs),
    st.tuples(st.just("send"), pairs),
    st.tuples(st.just("send"), pairs),
    st.tuples(st.just("reply"), picks, answers),
    st.tuples(st.just("reply"), picks, answers),
    st.tuples(st.just("write-back"), picks),
    st.tuples(st.just("connect"), pairs),
    st.tuples(st.just("disconnect"), pairs),
    st.tuples(st.just("subscribe"), members, plans, started_ats),
    st.tuples(st.just("cancel"), members),
    st.tuples(st.just("adjust"), members, st.integers(-30, 30).filter(bool)),
    st.tuples(st.just("profile"), members, st.booleans(), st.booleans()),
    st.tuples(st.just("delete"), picks, st.booleans()),
    st.tuples(st.just("peek"), members),
    st.tuples(st.just("jump"), st.sampled_from(["seconds", "hours", "days"]), st.integers(1, 40)),
    st.tuples(st.just("jump"), st.just("months"), st.integers(1, 3)),
    st.tuples(st.just("mark"), st.sampled_from(MARKS), picks, offsets),
    st.tuples(st.just("mark"), st.sampled_from(["reminder", "deadline"]), picks, offsets),
)
scenarios = st.fixed_dictionaries(
    {
        "profiles": st.lists(
            st.tuples(st.sampled_from([False] * 5 + [True]), st.sampled_from([False] * 4 + [True])),
            min_size=len(MEMBER_IDS),
            max_size=len(MEMBER_IDS),
        ),
        "subscriptions": st.lists(
            st.sampled_from([True] * 4 + [False]).flatmap(
                lambda subscribes: st.tuples(plans, started_ats) if subscribes else st.none()
            ),
            min_size=len(MEMBER_IDS),
            max_size=len(MEMBER_IDS),
        ),
        "operations": st.lists(operations, min_size=20, max_size=50),
    }
)


@dataclass
class Run:
    """One pass over a scenario on one database."""

    ctx: Context
    process: bool
    # absolute clock moves: made by the first run, replayed by the second
    moves: list[datetime]
    replaying: bool
    outcomes: list[Any] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    moved: int = 0

    def ordinal(self, message_id: int | None) -> int | None:
        return None if message_id is None else self.message_ids.index(message_id)

    def record(self, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except InmailError as exc:
            self.outcomes.append(("refused", exc.code))
            return None
        self.outcomes.append(("ok", self.summary(result)))
        return result

    def summary(self, result: Any) -> Any:
        if isinstance(result, MessageView):
            self.message_ids.append(result.id)
            fields = {name: getattr(result, name) for name in MESSAGE_FIELDS}
            fields["in_reply_to"] = self.ordinal(result.in_reply_to)
            return fields
        if hasattr(result, "__dataclass_fields__"):
            fields = {k: getattr(result, k) for k in result.__dataclass_fields__}
            for key in ("id", "message_id"):
                fields.pop(key, None)
            return fields
        return result

    def message(self, pick: int) -> int | None:
        """The ``pick``-th newest message this run has sent, if any."""
        if not self.message_ids:
            return None
        return self.message_ids[-1 - pick % len(self.message_ids)]

    def inmail(self, pick: int) -> MessageView | None:
        inmails = [
            view
            for view in (message_service.get_message(self.ctx, i) for i in self.message_ids)
            if view.kind == "inmail"
        ]
        return inmails[-1 - pick % len(inmails)] if inmails else None

    def move(self, target: Callable[[], datetime]) -> None:
        if self.replaying:
            to = self.moves[self.moved]
        else:
            to = target()
            self.moves.append(to)
        self.moved += 1
        self.record(lambda: move_clock(self.ctx, to, process=self.process))

    # -- the scenario ----------------------------------------------------------

    def setup(self, scenario: dict[str, Any]) -> None:
        for member_id, (opt_out, open_profile) in zip(
            MEMBER_IDS, scenario["profiles"], strict=True
        ):
            member_service.create_member(
                self.ctx,
                member_id,
                member_id.title(),
                inmail_opt_out=opt_out,
                open_profile=open_profile,
            )
        now = clock_now(self.ctx)
        for member_id, plan_and_start in zip(MEMBER_IDS, scenario["subscriptions"], strict=True):
            if plan_and_start is not None:
                plan, started = plan_and_start
                started_at = resolve_started_at(started, now)
                self.record(
                    lambda m=member_id, p=plan, s=started_at: subscription_service.put_subscription(
                        self.ctx, m, p, s
                    )
                )

    def step(self, op: tuple[Any, ...]) -> None:
        ctx, kind = self.ctx, op[0]
        if kind == "send":
            sender, recipient = op[1]
            self.record(lambda: message_service.send_message(ctx, sender, recipient, "hello"))
        elif kind == "reply":
            original = self.message(op[1])
            if original is not None:
                how, value = op[2]
                if how == "body":
                    self.record(lambda: message_service.reply(ctx, original, body=value))
                else:
                    self.record(lambda: message_service.reply(ctx, original, quick_reply=value))
        elif kind == "write-back":
            inmail = self.inmail(op[1])
            if inmail is not None:
                self.record(
                    lambda: message_service.send_message(
                        ctx, inmail.recipient, inmail.sender, "about your note"
                    )
                )
        elif kind == "connect":
            self.record(lambda: member_service.connect(ctx, *op[1]))
        elif kind == "disconnect":
            self.record(lambda: member_service.disconnect(ctx, *op[1]))
        elif kind == "subscribe":
            _, member_id, plan, started = op
            started_at = resolve_started_at(started, clock_now(ctx))
            self.record(
                lambda: subscription_service.put_subscription(ctx, member_id, plan, started_at)
            )
        elif kind == "cancel":
            self.record(lambda: subscription_service.cancel_subscription(ctx, op[1]))
        elif kind == "adjust":
            self.record(lambda: subscription_service.adjust_credits(ctx, op[1], op[2], "fix"))
        elif kind == "profile":
            self.record(
                lambda: member_service.update_member(
                    ctx, op[1], inmail_opt_out=op[2], open_profile=op[3]
                )
            )
        elif kind == "delete":
            message_id = self.message(op[1])
            if message_id is not None:
                view = message_service.get_message(ctx, message_id)
                member_id = view.sender if op[2] else view.recipient
                self.record(lambda: message_service.delete_message(ctx, message_id, member_id))
        elif kind == "peek":
            self.record(lambda: subscription_service.get_credits(ctx, op[1]))
        elif kind == "jump":
            _, unit, amount = op
            if unit == "months":
                self.move(lambda: anniversary(clock_now(ctx), amount))
            else:
                self.move(lambda: clock_now(ctx) + timedelta(**{unit: amount}))
        elif kind == "mark":
            _, mark, pick, offset = op
            self.move(lambda: self.mark_time(mark, pick, offset))
        else:  # pragma: no cover
            raise AssertionError(f"unknown operation {kind}")

    def mark_time(self, mark: str, pick: int, offset: timedelta) -> datetime:
        """A moment of the first run's state: an InMail's 3-day or 90-day mark,
        a renewal, a warning or a month end (the next ones; a day on if none)."""
        state = snapshot(self.ctx)  # reads only: this is the run that processes as it goes
        now = state.now
        times: list[datetime] = []
        if mark in ("reminder", "deadline"):
            key = "reminder_at" if mark == "reminder" else "refund_deadline"
            times = [m[key] for m in state.messages.values() if m[key] is not None]
        elif mark in ("renewal", "warning"):
            for sub in state.subscriptions.values():
                if sub["next_renewal_at"] is None:
                    continue
                upcoming = [anniversary(sub["started_at"], n) for n in range(1, 200)]
                upcoming = [t for t in upcoming if t >= sub["next_renewal_at"]][:3]
                times += upcoming if mark == "renewal" else [t - WARNING_BEFORE for t in upcoming]
        else:
            for ahead in range(3):
                end = last_day_of_month(now, ahead)
                times += [end, end.replace(hour=23, minute=59, second=59)]
        candidates = sorted({t + offset for t in times if t + offset >= now})
        return candidates[pick % len(candidates)] if candidates else now + timedelta(days=1)


def run_scenario(scenario: dict[str, Any], run: Run) -> None:
    run.setup(scenario)
    for op in scenario["operations"]:
        run.step(op)


def final_state(ctx: Context) -> tuple[dict[str, Any], EngineState]:
    credits = {
        member_id: {k: v for k, v in vars(view).items()}
        for member_id, view in settle_everyone(ctx, list(MEMBER_IDS)).items()
    }
    state = snapshot(ctx)
    report = audit(ctx)
    assert report.ok, [c for c in report.checks if not c.ok]
    return credits, state


def comparable(state: EngineState, run: Run) -> dict[str, Any]:
    """The state with message ids replaced by their order of sending."""
    ids = sorted(state.messages)
    assert ids == sorted(run.message_ids)

    def n(message_id: int | None) -> int | None:
        return None if message_id is None else ids.index(message_id)

    messages = {}
    for message_id, fields in state.messages.items():
        fields = dict(fields)
        fields["in_reply_to"] = n(fields["in_reply_to"])
        messages[n(message_id)] = fields
    return {
        "now": state.now,
        "members": state.members,
        "connections": state.connections,
        "subscriptions": state.subscriptions,
        "ledger": {
            m: [(kind, amount, at, after, n(mid)) for kind, amount, at, after, mid in rows]
            for m, rows in state.ledger.items()
        },
        "notifications": {
            m: sorted(((at, kind, n(mid)) for at, kind, mid in rows), key=notification_key)
            for m, rows in state.notifications.items()
        },
        "messages": messages,
    }


def check_same(backend: Backend, scenario: dict[str, Any]) -> None:
    with fresh_context(backend) as on_time_ctx, fresh_context(backend) as lagging_ctx:
        on_time = Run(on_time_ctx, process=True, moves=[], replaying=False)
        run_scenario(scenario, on_time)
        lagging = Run(lagging_ctx, process=False, moves=on_time.moves, replaying=True)
        run_scenario(scenario, lagging)
        # No worker run at all: reading every account settles everything.

        assert lagging.outcomes == on_time.outcomes
        on_time_credits, on_time_state = final_state(on_time_ctx)
        lagging_credits, lagging_state = final_state(lagging_ctx)
        assert lagging_credits == on_time_credits
        expected = comparable(on_time_state, on_time)
        got = comparable(lagging_state, lagging)
        for key in ("now", "members", "connections", "subscriptions", "ledger", "messages"):
            assert got[key] == expected[key], key
        for member_id in MEMBER_IDS:
            notes = got["notifications"][member_id]
            assert notes == expected["notifications"][member_id], member_id


def test_no_result_depends_on_when_the_worker_ran(backend: Backend) -> None:
    @settings(
        max_examples=EXAMPLES or DEFAULT_EXAMPLES.get(backend.name, 40),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenario=scenarios)
    def same_either_way(scenario: dict[str, Any]) -> None:
        check_same(backend, scenario)

    same_either_way()
