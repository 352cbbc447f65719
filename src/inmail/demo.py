"""A small, believable network with a few months of history, for `--demo`.

The history is played forward through the real use cases on a clock of its
own, from about four months ago up to the service's present, so every entry
and notification is one the engine itself wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from inmail.domain.messages import QuickReply
from inmail.service import members, messages, subscriptions
from inmail.service.context import Context
from inmail.service.due import run_due
from inmail.service.tokens import issue_token
from inmail.store.tables import members as members_table

PEOPLE = [
    # id, name, open profile, opted out
    ("maya.chen", "Maya Chen", False, False),
    ("jonas.weber", "Jonas Weber", False, False),
    ("priya.raman", "Priya Raman", True, False),
    ("tom.becker", "Tom Becker", False, True),
    ("lena.park", "Lena Park", False, False),
    ("omar.haddad", "Omar Haddad", False, False),
    ("sofia.rossi", "Sofia Rossi", False, False),
    ("kenji.sato", "Kenji Sato", False, False),
]
CONNECTIONS = [
    ("maya.chen", "jonas.weber"),
    ("maya.chen", "tom.becker"),
    ("jonas.weber", "lena.park"),
    ("omar.haddad", "sofia.rossi"),
]
DAY = timedelta(days=1)


class ScriptClock:
    """A clock the demo script moves by hand; it is never stored."""

    manual = False

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self, conn: Connection) -> datetime:
        return self.current


@dataclass
class Script:
    ctx: Context
    clock: ScriptClock
    end: datetime

    def at(self, when: datetime) -> None:
        self.clock.current = min(when, self.end)
        run_due(self.ctx)


def is_empty(ctx: Context) -> bool:
    with ctx.unit_of_work(write=False) as work:
        return work.conn.execute(select(func.count()).select_from(members_table)).scalar_one() == 0


def seed(ctx: Context, now: datetime) -> None:
    """Fill an empty database with the demo network, its history ending at ``now``."""
    start = now - 120 * DAY
    clock = ScriptClock(start)
    script_ctx = Context(database=ctx.database, clock=clock, plans=ctx.plans)
    script = Script(script_ctx, clock, now)
    for member_id, name, open_profile, opted_out in PEOPLE:
        members.create_member(
            script_ctx, member_id, name, open_profile=open_profile, inmail_opt_out=opted_out
        )
    for a, b in CONNECTIONS:
        members.connect(script_ctx, a, b)
    for step in _history(script_ctx):
        step(script)


def _history(c: Context) -> list[Callable[[Script], None]]:
    send = messages.send_message
    start = None

    def begin(s: Script) -> None:
        nonlocal start
        start = s.clock.current
        subscriptions.put_subscription(c, "maya.chen", "pro")
        subscriptions.put_subscription(c, "jonas.weber", "teams")

    def week(n: int) -> datetime:
        assert start is not None
        return start + n * 7 * DAY

    ids: dict[str, int] = {}

    def outreach(s: Script) -> None:
        s.at(week(1))
        ids["lena"] = send(
            c,
            "maya.chen",
            "lena.park",
            "Hi Lena, we are hiring a staff engineer for our payments team. Open to a chat?",
            subject="Staff engineer, payments",
        ).id
        ids["omar"] = send(
            c,
            "maya.chen",
            "omar.haddad",
            "Hello Omar, your talk on observability was great. Would you consider a new role?",
            subject="Platform lead role",
        ).id
        ids["priya"] = send(
            c,
            "maya.chen",
            "priya.raman",
            "Hi Priya, quick question about your open-source work.",
            subject="Your project",
        ).id
        s.at(week(1) + 2 * DAY)
        messages.reply(c, ids["lena"], quick_reply=QuickReply.INTERESTED)
        s.at(week(2))
        send(c, "maya.chen", "lena.park", "Great! Does Thursday 3pm work for you?")
        send(c, "lena.park", "maya.chen", "Thursday works. Talk then!")
        ids["kenji"] = send(
            c,
            "jonas.weber",
            "kenji.sato",
            "Hi Kenji, are you still doing freelance design work?",
            subject="Design help",
        ).id
        s.at(week(3))
        messages.reply(c, ids["priya"], body="Sure, happy to help. What would you like to know?")
        messages.reply(c, ids["kenji"], quick_reply=QuickReply.MAYBE_LATER)
        s.at(week(6))
        ids["sofia"] = send(
            c,
            "maya.chen",
            "sofia.rossi",
            "Hi Sofia, I'd love to tell you about a product role.",
            subject="Product manager",
        ).id
        s.at(week(8))
        messages.reply(c, ids["sofia"], quick_reply=QuickReply.NOT_INTERESTED)
        s.at(week(14))
        ids["kenji2"] = send(
            c,
            "maya.chen",
            "kenji.sato",
            "Hi Kenji, we're looking for a design lead.",
            subject="Design lead",
        ).id
        s.at(week(16))
        # Leaves Maya at 58 of 60, so her page warns of a forfeit.
        send(
            c,
            "maya.chen",
            "omar.haddad",
            "Hi Omar, following up on the platform lead role: it is still open.",
            subject="Platform lead role",
        )
        s.at(s.end)

    return [begin, outreach]


def tokens_for_demo(ctx: Context) -> dict[str, str]:
    """A fresh sign-in token for every demo member (earlier ones stay valid):
    tokens are stored hashed, so a restart cannot show the old ones again."""
    return {member_id: issue_token(ctx, member_id) for member_id, *_ in PEOPLE}
