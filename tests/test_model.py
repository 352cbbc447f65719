"""The engine against the reference model (tests/reference_model.py).

A Hypothesis state machine drives both with the same random operations on a
few members: connections, opt-out and open-profile toggles, subscriptions
(some started in the past), plan changes, cancels, sends, replies, quick
replies, deletes, adjustments and clock jumps from seconds to months, many
landing exactly on (or one second around) a 3-day or 90-day mark, a renewal,
a cap-forfeit warning or a month end. After every step it compares balances,
ledgers, notifications, messages, subscriptions and the credits summary, and
runs the audit. A refused operation must be refused by both, with one code.

Each example gets a database of its own, on each backend.

``INMAIL_MODEL_EXAMPLES`` (and ``INMAIL_MODEL_STEPS``) make the run bigger.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from inmail.domain.errors import InmailError
from inmail.domain.messages import QuickReply
from inmail.service import members as member_service
from inmail.service import messages as message_service
from inmail.service import subscriptions as subscription_service
from inmail.service.audit import audit
from inmail.service.due import clock_now, move_clock, run_due
from inmail.service.views import MessageView
from tests.conftest import Backend, fresh_context
from tests.engine_state import MESSAGE_FIELDS, notification_key, settle_everyone, snapshot
from tests.reference_model import (
    REFUND_WINDOW,
    REMINDER_AFTER,
    WARNING_BEFORE,
    Message,
    Model,
    Refused,
    anniversary,
)

# PostgreSQL takes about three times as long per step as SQLite; the
# defaults keep each backend near a minute.
DEFAULT_EXAMPLES = {"sqlite": 70, "postgresql": 35}
EXAMPLES = int(os.environ.get("INMAIL_MODEL_EXAMPLES", "0"))
STEPS = int(os.environ.get("INMAIL_MODEL_STEPS", "50"))

MEMBER_IDS = ("ann", "bob", "cy", "dee")
# never created at the start: operations naming it are refused until it is
STRANGER = "zed"
NO_SUCH_MESSAGE = 10**9

# Mostly real members; the stranger now and then.
member_ids = st.sampled_from([*MEMBER_IDS, *MEMBER_IDS, *MEMBER_IDS, STRANGER])
# Mostly two different members; now and then the same one twice or the stranger.
pairs = st.sampled_from(
    [(a, b) for a in MEMBER_IDS for b in MEMBER_IDS if a != b]
    + [("ann", "ann"), ("ann", STRANGER), (STRANGER, "bob")]
)
rare_true = st.sampled_from([False] * 5 + [True])
rare_false = st.sampled_from([True] * 3 + [False])
maybe_flag = st.sampled_from([None, None, False, True])
plans = st.sampled_from(["pro", "teams", "enterprise"])
bodies = st.sampled_from(["hello"] * 8 + ["", "x" * 2001])
subjects = st.sampled_from([None] * 5 + ["Hi there"] * 4 + ["s" * 201])
# None: now; a past offset; a month end in the past; "future" (refused)
started_ats = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "1s",
            "3d",
            "20d",
            "29d",
            "45d",
            "400d",
            "month-end-1",
            "month-end-2",
            "month-end-13",
            "future",
        ]
    ),
)
MARKS = ("reminder", "deadline", "renewal", "warning", "month-end")
# Around a mark: exactly on it mostly, else a second or a microsecond either side.
ONE_S, ONE_US = timedelta(seconds=1), timedelta(microseconds=1)
offsets = st.sampled_from([timedelta(0)] * 4 + [-ONE_S, ONE_S, -ONE_US, ONE_US])
processes = st.sampled_from([True, True, True, False])
jumps = st.one_of(
    st.tuples(st.just("seconds"), st.integers(0, 120)),
    st.tuples(st.just("hours"), st.integers(1, 48)),
    st.tuples(st.just("days"), st.integers(1, 45)),
    st.tuples(st.just("months"), st.integers(1, 4)),
    st.tuples(st.sampled_from(MARKS), st.integers(0, 50), offsets),
)

T = TypeVar("T")


def last_day_of_month(moment: datetime, months_ahead: int) -> datetime:
    """The last day of the month ``months_ahead`` after ``moment``'s, same time of day."""
    first = moment.replace(day=1)
    target = anniversary(first, months_ahead)
    return target.replace(day=calendar.monthrange(target.year, target.month)[1])


def resolve_started_at(choice: str | None, now: datetime) -> datetime | None:
    if choice is None:
        return None
    if choice == "future":
        return now + timedelta(days=1)
    if choice.startswith("month-end-"):
        months_back = int(choice.removeprefix("month-end-"))
        moment = last_day_of_month(now, -months_back)
        return moment.replace(hour=23, minute=0, second=0)
    amount, unit = int(choice[:-1]), choice[-1]
    return now - (timedelta(seconds=amount) if unit == "s" else timedelta(days=amount))


def mark_times(model: Model, mark: str) -> list[datetime]:
    """The moments of one kind that the model knows about, sorted."""
    times: list[datetime] = []
    if mark == "reminder":
        times = [m.sent_at + REMINDER_AFTER for m in model.messages.values() if m.kind == "inmail"]
    elif mark == "deadline":
        times = [m.sent_at + REFUND_WINDOW for m in model.messages.values() if m.credit_charged]
    elif mark in ("renewal", "warning"):
        for sub in model.subscriptions.values():
            if sub.next_renewal_at is None:
                continue
            for n in range(sub.renewals_done + 1, sub.renewals_done + 4):
                at = anniversary(sub.started_at, n)
                times.append(at if mark == "renewal" else at - WARNING_BEFORE)
    else:
        for ahead in range(3):
            end = last_day_of_month(model.now, ahead)
            times += [end, end.replace(hour=23, minute=59, second=59)]
    return sorted(set(times))


def resolve_jump(model: Model, jump: tuple[Any, ...]) -> datetime:
    now = model.now
    kind = jump[0]
    if kind == "seconds":
        return now + timedelta(seconds=jump[1])
    if kind == "hours":
        return now + timedelta(hours=jump[1])
    if kind == "days":
        return now + timedelta(days=jump[1])
    if kind == "months":
        return anniversary(now, jump[1])
    _, pick, offset = jump
    candidates = [t + offset for t in mark_times(model, kind) if t + offset >= now]
    if not candidates:
        return now + timedelta(days=1)
    return candidates[pick % len(candidates)]


class EngineMatchesModel(RuleBasedStateMachine):
    backend: Backend  # set by the test for its backend

    def __init__(self) -> None:
        super().__init__()
        self.resources = ExitStack()
        self.ctx = self.resources.enter_context(fresh_context(self.backend))
        self.model = Model(clock_now(self.ctx))
        self.steps = 0

    def teardown(self) -> None:
        self.resources.close()

    # -- running one operation on both ---------------------------------------

    def both(self, engine: Callable[[], T], model: Callable[[], Any]) -> T | None:
        """Run the operation on the engine, then on the model; both must agree
        on whether it is refused, and with which code."""
        try:
            result = engine()
        except InmailError as exc:
            try:
                model()
            except Refused as refused:
                assert refused.code == exc.code, f"engine refused {exc.code}, model {refused.code}"
                return None
            raise AssertionError(
                f"engine refused ({exc.code}: {exc.detail}), model did it"
            ) from exc
        try:
            model()
        except Refused as refused:
            raise AssertionError(
                f"model refused ({refused.code}), engine did it: {result}"
            ) from refused
        return result

    def send_both(self, engine: Callable[[], MessageView], model: Callable[[int], Message]) -> None:
        """Like :meth:`both` for a new message: the model takes the engine's id."""
        try:
            view = engine()
        except InmailError as exc:
            try:
                model(-1)
            except Refused as refused:
                assert refused.code == exc.code, f"engine refused {exc.code}, model {refused.code}"
                return
            raise AssertionError(
                f"engine refused ({exc.code}: {exc.detail}), model sent it"
            ) from exc
        try:
            message = model(view.id)
        except Refused as refused:
            raise AssertionError(f"model refused ({refused.code}), engine sent {view}") from refused
        self.compare_message(view, message)

    def pick_message(self, pick: int) -> Message | None:
        """A message by position, newest first; None now and then for "no such message"."""
        ids = sorted(self.model.messages, reverse=True)
        if not ids or pick == 0:
            return None
        return self.model.messages[ids[(pick - 1) % len(ids)]]

    # -- rules ---------------------------------------------------------------

    @initialize(
        flags=st.lists(st.tuples(rare_true, rare_true), min_size=4, max_size=4),
        subscribed=st.lists(st.tuples(rare_false, plans, started_ats), min_size=4, max_size=4),
    )
    def start(
        self,
        flags: list[tuple[bool, bool]],
        subscribed: list[tuple[bool, str, str | None]],
    ) -> None:
        for member_id, (opt_out, open_profile) in zip(MEMBER_IDS, flags, strict=True):
            self.create_member(member_id, opt_out, open_profile)
        for member_id, (subscribes, plan, started) in zip(MEMBER_IDS, subscribed, strict=True):
            if subscribes:
                self.put_subscription(member_id, plan, started)

    @rule(member_id=member_ids, opt_out=rare_true, open_profile=rare_true)
    def create_member(self, member_id: str, opt_out: bool, open_profile: bool) -> None:
        self.both(
            lambda: member_service.create_member(
                self.ctx,
                member_id,
                member_id.title(),
                inmail_opt_out=opt_out,
                open_profile=open_profile,
            ),
            lambda: self.model.create_member(
                member_id, inmail_opt_out=opt_out, open_profile=open_profile
            ),
        )

    @rule(member_id=member_ids, opt_out=maybe_flag, open_profile=maybe_flag)
    def update_member(
        self, member_id: str, opt_out: bool | None, open_profile: bool | None
    ) -> None:
        self.both(
            lambda: member_service.update_member(
                self.ctx, member_id, inmail_opt_out=opt_out, open_profile=open_profile
            ),
            lambda: self.model.update_member(
                member_id, inmail_opt_out=opt_out, open_profile=open_profile
            ),
        )

    @rule(pair=pairs)
    def connect(self, pair: tuple[str, str]) -> None:
        a, b = pair
        self.both(lambda: member_service.connect(self.ctx, a, b), lambda: self.model.connect(a, b))

    @rule(pair=pairs)
    def disconnect(self, pair: tuple[str, str]) -> None:
        a, b = pair
        self.both(
            lambda: member_service.disconnect(self.ctx, a, b), lambda: self.model.disconnect(a, b)
        )

    @rule(member_id=member_ids, plan=plans, started=started_ats)
    def put_subscription(self, member_id: str, plan: str, started: str | None) -> None:
        started_at = resolve_started_at(started, self.model.now)
        view = self.both(
            lambda: subscription_service.put_subscription(self.ctx, member_id, plan, started_at),
            lambda: self.model.put_subscription(member_id, plan, started_at),
        )
        if view is not None:
            expected = self.model.subscription(member_id)
            assert {k: getattr(view, k) for k in expected} == expected

    @rule(member_id=member_ids)
    def cancel_subscription(self, member_id: str) -> None:
        view = self.both(
            lambda: subscription_service.cancel_subscription(self.ctx, member_id),
            lambda: self.model.cancel_subscription(member_id),
        )
        if view is not None:
            expected = self.model.subscription(member_id)
            assert {k: getattr(view, k) for k in expected} == expected

    @rule(
        member_id=member_ids,
        amount=st.integers(-40, 40),
        reason=st.sampled_from(["goodwill", "goodwill", "goodwill", "  "]),
    )
    def adjust_credits(self, member_id: str, amount: int, reason: str) -> None:
        entry = self.both(
            lambda: subscription_service.adjust_credits(self.ctx, member_id, amount, reason),
            lambda: self.model.adjust_credits(member_id, amount, reason),
        )
        if entry is not None:
            last = self.model.members[member_id].entries[-1]
            assert (entry.kind, entry.amount, entry.at, entry.balance_after) == (
                last.kind,
                last.amount,
                last.at,
                last.balance_after,
            )

    @rule(pair=pairs, body=bodies, subject=subjects)
    def send_message(self, pair: tuple[str, str], body: str, subject: str | None) -> None:
        sender, recipient = pair
        self.send_both(
            lambda: message_service.send_message(self.ctx, sender, recipient, body, subject),
            lambda new_id: self.model.send_message(sender, recipient, body, subject, new_id=new_id),
        )

    @rule(
        pick=st.integers(0, 30),
        answer=st.one_of(
            st.sampled_from(["thanks", "thanks", ""]).map(lambda b: ("body", b)),
            st.sampled_from(QuickReply).map(lambda q: ("quick", q)),
        ),
    )
    def reply(self, pick: int, answer: tuple[str, Any]) -> None:
        original = self.pick_message(pick)
        self.reply_to(original.id if original is not None else NO_SUCH_MESSAGE, answer)

    def reply_to(self, message_id: int, answer: tuple[str, Any]) -> None:
        how, value = answer
        if how == "body":
            self.send_both(
                lambda: message_service.reply(self.ctx, message_id, body=value),
                lambda new_id: self.model.reply(message_id, body=value, new_id=new_id),
            )
        else:
            self.send_both(
                lambda: message_service.reply(self.ctx, message_id, quick_reply=value),
                lambda new_id: self.model.reply(message_id, quick_reply=value.value, new_id=new_id),
            )

    @rule(pick=st.integers(0, 30), who=st.sampled_from(["sender", "recipient", "other"]))
    def delete_message(self, pick: int, who: str) -> None:
        message = self.pick_message(pick)
        if message is None:
            message_id, member_id = NO_SUCH_MESSAGE, MEMBER_IDS[0]
        else:
            message_id = message.id
            parties = (message.sender, message.recipient)
            member_id = {
                "sender": message.sender,
                "recipient": message.recipient,
                "other": next(m for m in (*MEMBER_IDS, STRANGER) if m not in parties),
            }[who]
        self.both(
            lambda: message_service.delete_message(self.ctx, message_id, member_id),
            lambda: self.model.delete_message(message_id, member_id),
        )

    @rule(jump=jumps, process=processes)
    def move_clock(self, jump: tuple[Any, ...], process: bool) -> None:
        to = resolve_jump(self.model, jump)
        self.both(
            lambda: move_clock(self.ctx, to, process=process),
            lambda: self.model.move_clock(to, process=process),
        )

    @rule()
    def run_due(self) -> None:
        self.both(lambda: run_due(self.ctx), self.model.run_due)

    # Hypothesis picks among rules evenly; these register the busiest
    # operations again under other names so they run more often.

    @rule(pair=pairs, body=bodies, subject=subjects)
    def send_another(self, pair: tuple[str, str], body: str, subject: str | None) -> None:
        self.send_message(pair, body, subject)

    @rule(pair=pairs)
    def send_one_more(self, pair: tuple[str, str]) -> None:
        self.send_message(pair, "hello", None)

    @rule(pick=st.integers(0, 8), quick=st.sampled_from(QuickReply))
    def quick_reply(self, pick: int, quick: QuickReply) -> None:
        self.reply(pick, ("quick", quick))

    @rule(mark=st.sampled_from(MARKS), pick=st.integers(0, 50), offset=offsets, process=processes)
    def move_clock_to_mark(self, mark: str, pick: int, offset: timedelta, process: bool) -> None:
        self.move_clock((mark, pick, offset), process)

    @rule(
        pick=st.integers(0, 8),
        mark=st.sampled_from(["reminder", "deadline"]),
        offset=offsets,
        process=processes,
        how=st.sampled_from(["reply", "quick", "write"]),
    )
    def respond_at_mark(
        self, pick: int, mark: str, offset: timedelta, process: bool, how: str
    ) -> None:
        """The recipient of an InMail responds right on (or just around) its
        3-day or 90-day mark."""
        inmails = [
            m for _, m in sorted(self.model.messages.items(), reverse=True) if m.kind == "inmail"
        ]
        if not inmails:
            return
        inmail = inmails[pick % len(inmails)]
        at = (inmail.refund_deadline if mark == "deadline" else None) or inmail.reminder_at
        assert at is not None
        if at + offset > self.model.now:
            self.both(
                lambda: move_clock(self.ctx, at + offset, process=process),
                lambda: self.model.move_clock(at + offset, process=process),
            )
        if how == "write":
            self.send_both(
                lambda: message_service.send_message(
                    self.ctx, inmail.recipient, inmail.sender, "about your note"
                ),
                lambda new_id: self.model.send_message(
                    inmail.recipient, inmail.sender, "about your note", new_id=new_id
                ),
            )
        else:
            answer = ("body", "sure") if how == "reply" else ("quick", QuickReply.INTERESTED)
            self.reply_to(inmail.id, answer)

    # -- the comparison after every step -------------------------------------

    def compare_message(self, view: MessageView, message: Message) -> None:
        engine = {name: getattr(view, name) for name in MESSAGE_FIELDS}
        expected = {name: getattr(message, name) for name in MESSAGE_FIELDS}
        assert engine == expected, f"message {view.id}"
        if message.quick_reply is None:
            assert view.body == message.body

    @invariant()
    def engine_matches_model(self) -> None:
        model = self.model
        self.steps += 1
        ids = sorted(model.members)
        summaries = settle_everyone(self.ctx, ids)
        for member_id in ids:
            engine = {k: getattr(summaries[member_id], k) for k in model.credits(member_id)}
            assert engine == model.credits(member_id), f"credits of {member_id}"

        state = snapshot(self.ctx)
        assert state.now == model.now
        assert sorted(state.members) == ids
        for member_id, member in model.members.items():
            row = state.members[member_id]
            assert row["balance"] == member.balance, f"balance of {member_id}"
            assert (row["inmail_opt_out"], row["open_profile"]) == (
                member.inmail_opt_out,
                member.open_profile,
            )
            expected_ledger = [
                (e.kind, e.amount, e.at, e.balance_after, e.message_id) for e in member.entries
            ]
            assert state.ledger[member_id] == expected_ledger, f"ledger of {member_id}"
            expected_notes = sorted(
                ((n.at, n.kind, n.message_id) for n in member.notifications),
                key=notification_key,
            )
            assert state.notifications[member_id] == expected_notes, f"notifications of {member_id}"
        assert state.connections == model.connections
        assert sorted(state.subscriptions) == sorted(model.subscriptions)
        for member_id in model.subscriptions:
            expected = model.subscription(member_id)
            assert state.subscriptions[member_id] == {
                k: expected[k]
                for k in ("plan", "status", "started_at", "next_renewal_at", "ends_at")
            }, f"subscription of {member_id}"
        assert sorted(state.messages) == sorted(model.messages)
        for message_id, message in model.messages.items():
            engine = state.messages[message_id]
            expected = {name: getattr(message, name) for name in MESSAGE_FIELDS}
            assert {k: engine[k] for k in MESSAGE_FIELDS} == expected, f"message {message_id}"
            assert (engine["hidden_for_sender"], engine["hidden_for_recipient"]) == (
                message.hidden_for_sender,
                message.hidden_for_recipient,
            )

        # The public reads of one member per step (taking turns, including one
        # that may not exist), paged in small pages.
        everyone = (*MEMBER_IDS, STRANGER)
        self.compare_public_reads(everyone[self.steps % len(everyone)])

        report = audit(self.ctx)
        assert report.ok, [c for c in report.checks if not c.ok]

    def compare_public_reads(self, member_id: str) -> None:
        model = self.model
        connections = self.both(
            lambda: member_service.list_connections(self.ctx, member_id),
            lambda: model.connections_of(member_id),
        )
        if connections is not None:
            assert connections == model.connections_of(member_id)
        sub = self.both(
            lambda: subscription_service.get_subscription(self.ctx, member_id),
            lambda: model.subscription(member_id),
        )
        if sub is not None:
            expected = model.subscription(member_id)
            assert {k: getattr(sub, k) for k in expected} == expected
        if member_id not in model.members:
            for read in (
                subscription_service.get_credits,
                subscription_service.list_ledger,
                message_service.list_notifications,
                message_service.inbox,
                message_service.sent,
            ):
                with pytest.raises(InmailError) as info:
                    read(self.ctx, member_id)
                assert info.value.code == "not-found"
            return
        # small pages now and then, to walk the cursors; one page otherwise
        size = 3 if self.steps % 4 == 0 else 200
        entries = collect(
            lambda cursor: subscription_service.list_ledger(
                self.ctx, member_id, limit=size, cursor=cursor
            )
        )
        assert [(e.kind, e.amount, e.at, e.balance_after, e.message_id) for e in entries] == [
            (e.kind, e.amount, e.at, e.balance_after, e.message_id)
            for e in reversed(model.members[member_id].entries)
        ]
        notes = collect(
            lambda cursor: message_service.list_notifications(
                self.ctx, member_id, limit=size, cursor=cursor
            )
        )
        assert [n.at for n in notes] == sorted((n.at for n in notes), reverse=True)
        assert sorted(((n.at, n.kind, n.message_id) for n in notes), key=notification_key) == (
            sorted(
                ((n.at, n.kind, n.message_id) for n in model.members[member_id].notifications),
                key=notification_key,
            )
        )
        inbox = collect(
            lambda cursor: message_service.inbox(self.ctx, member_id, limit=size, cursor=cursor)
        )
        assert [m.id for m in inbox] == model.inbox(member_id)
        for view in inbox:
            self.compare_message(view, model.messages[view.id])
        sent = collect(
            lambda cursor: message_service.sent(self.ctx, member_id, limit=size, cursor=cursor)
        )
        assert [m.id for m in sent] == model.sent(member_id)
        for view in sent:
            self.compare_message(view, model.messages[view.id])


def collect(page: Callable[[str | None], Any]) -> list[Any]:
    """Every item of a paged list, following the cursors."""
    items: list[Any] = []
    cursor = None
    for _ in range(1000):
        result = page(cursor)
        items += result.items
        cursor = result.next_cursor
        if cursor is None:
            return items
    raise AssertionError("a list that never ends")


@pytest.mark.storage
@pytest.mark.slow
def test_engine_matches_model(backend: Backend) -> None:
    machine = type("EngineMatchesModel", (EngineMatchesModel,), {"backend": backend})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES or DEFAULT_EXAMPLES.get(backend.name, 30),
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_model_renews_on_month_ends() -> None:
    """The model's own calendar, against the contract's example."""
    start = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert [anniversary(start, n).date().isoformat() for n in range(1, 5)] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]
    assert anniversary(datetime(2027, 12, 31, tzinfo=UTC), 2).date().isoformat() == "2028-02-29"
