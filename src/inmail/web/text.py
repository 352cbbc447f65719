"""The words the pages use: dates, amounts, warnings, and friendly versions of
the engine's errors. Kept apart from the routes so the wording is in one place
and can be tested on its own."""

from __future__ import annotations

from datetime import datetime

from inmail.domain.errors import InmailError
from inmail.domain.forecast import Forecast
from inmail.domain.messages import Charge
from inmail.domain.plans import Plan
from inmail.service.views import CreditsView, NotificationView

STATUS_BY_CODE = {
    "not-found": 404,
    "validation-error": 422,
    "conflict": 409,
    "forbidden": 403,
    "insufficient-credits": 402,
    "no-active-subscription": 403,
    "recipient-opted-out": 403,
    "clock-not-manual": 409,
}

FRIENDLY = {
    "insufficient-credits": (
        "You have no InMail credits left, and this message needs one. Messages to your "
        "connections and replies to people who wrote to you stay free."
    ),
    "no-active-subscription": (
        "Sending an InMail needs a Premium subscription. Messages to your connections "
        "and replies to people who wrote to you are free without one."
    ),
    "recipient-opted-out": (
        "This member does not accept InMails. If you are connected, you can still "
        "message them for free."
    ),
    "clock-not-manual": "The clock can only be moved when the service runs with a manual clock.",
}

LEDGER_KINDS = {
    "grant": "Credits added",
    "forfeit": "Credits lost",
    "spend": "InMail sent",
    "refund": "Credit refunded",
    "adjustment": "Adjustment",
}


def friendly(exc: InmailError) -> str:
    """A sentence a member understands, with the engine's own detail when it is
    the more precise (validation messages name the field and the limit)."""
    if exc.code in FRIENDLY:
        return FRIENDLY[exc.code]
    detail = exc.detail.rstrip(".")
    return detail[:1].upper() + detail[1:] + "."


def status_of(exc: InmailError) -> int:
    return STATUS_BY_CODE.get(exc.code, 400)


def day(at: datetime | None, now: datetime | None = None) -> str:
    """'3 March', with the year when it is not this year's."""
    if at is None:
        return "—"
    text = f"{at.day} {at:%B}"
    return text if now is not None and at.year == now.year else f"{text} {at.year}"


def when(at: datetime | None) -> str:
    """'3 Mar 2026, 09:30 UTC': the service keeps UTC and knows no viewer's zone."""
    if at is None:
        return "—"
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


def recent(at: datetime, now: datetime) -> str:
    """A list's time: '09:30' today, '3 Mar' this year, else '3 Mar 2025'."""
    if at.date() == now.date():
        return f"{at:%H:%M}"
    if at.year == now.year:
        return f"{at.day} {at:%b}"
    return f"{at.day} {at:%b %Y}"


SNIPPET_CHARS = 90


def snippet(body: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a message on one line, cut at a word with an ellipsis."""
    flat = " ".join(body.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" ,.;:") + "…"


def short_date(at: datetime | None) -> str:
    return "—" if at is None else f"{at.day} {at:%b %Y}"


def signed(amount: int) -> str:
    """+20 or −1 (a real minus sign, read out correctly by screen readers)."""
    return f"+{amount}" if amount > 0 else f"\u2212{-amount}"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


def forfeit_warning(credits: CreditsView, *, cancelling: bool = False) -> str | None:
    """The plain warning of credits the next renewal (or the end of a cancelled
    subscription) will take, or None when nothing will be lost."""
    lost = credits.forfeit_at_next_renewal
    if not lost or credits.next_renewal_at is None:
        return None
    on = day(credits.next_renewal_at, credits.as_of)
    if cancelling:
        return (
            f"Your subscription ends on {on}: your {credits.balance} credits will be lost "
            "then unless you use them."
        )
    monthly = credits.monthly_credits or 0
    if lost <= monthly:
        return (
            f"You have {credits.balance} of {credits.max_balance} credits: {lost} of your next "
            f"{monthly} credits will be lost on {on} unless you use them."
        )
    # Refunds and adjustments may pass the cap; the renewal trims that too.
    return (
        f"You have {credits.balance} credits, more than your cap of {credits.max_balance}: "
        f"on {on} your next {monthly} credits and {lost - monthly} of the ones you have "
        "will be lost unless you use them."
    )


def renewal_text(credits: CreditsView) -> str:
    """What the next renewal does to the balance, in one sentence. Above the
    cap it adds nothing and trims, so it says that rather than "adds 0"."""
    adds = credits.next_renewal_credits
    lost = credits.forfeit_at_next_renewal
    monthly = credits.monthly_credits or 0
    on = day(credits.next_renewal_at, credits.as_of)
    if adds > 0 and not lost:
        return f"Adds {adds} credit{'s' if adds != 1 else ''} on {on}."
    if adds > 0:
        return (
            f"Adds {adds} of your {monthly} monthly credits on {on}: "
            f"{lost} would pass your cap of {credits.max_balance}."
        )
    trimmed = lost - monthly  # what the renewal takes from the balance itself
    if trimmed > 0:
        return (
            f"{credits.balance} of {credits.max_balance}: {trimmed} will be trimmed on {on}, "
            "and no credits are added."
        )
    return (
        f"{credits.balance} of {credits.max_balance}: you are at your cap, so nothing is "
        f"added on {on}."
    )


def response_rate_text(credits: CreditsView) -> str:
    """What the response rate counts, so a low figure is not a mystery."""
    if credits.response_rate is None:
        return "You have not sent an InMail yet."
    waiting = credits.awaiting_response
    still = f" The {waiting} still awaiting an answer count as not answered yet." if waiting else ""
    return f"of the InMails you sent were answered within 90 days.{still}"


def quote_text(charge: Charge, name: str, balance: int) -> str:
    """Why this message costs what it costs, in the member's words."""
    if charge is Charge.CONNECTION:
        return (
            f"Free: {name} is a 1st-degree connection. Messages to connections never cost a credit."
        )
    if charge is Charge.ANSWERED:
        return f"Free: {name} has written to you before, so this conversation is open to you."
    if charge is Charge.OPEN_PROFILE:
        return (
            f"Free InMail: {name} has an open profile. It needs your Premium subscription "
            "but costs no credit."
        )
    return (
        f"This is an InMail: it costs 1 credit (you have {balance}). If {name} responds "
        "within 90 days, the credit comes back to you."
    )


def notification_text(n: NotificationView, names: dict[str, str], partner: str | None) -> str:
    """One line for a notification; ``partner`` is the other member of the
    message it is about, when there is one."""
    who = names.get(partner or "", partner or "someone")
    data = n.data
    if n.kind == "inmail_received":
        return f"New InMail from {who}."
    if n.kind == "inmail_reminder":
        return f"Reminder: {who}'s InMail is waiting for your answer."
    if n.kind == "response_received":
        sender = names.get(data.get("from", ""), data.get("from", who))
        refunded = len(data.get("refunded_ids", []))
        back = f" {refunded} credit{'s' if refunded != 1 else ''} came back." if refunded else ""
        return f"{sender} responded to your InMail.{back}"
    if n.kind == "credit_refunded":
        return f"A credit came back: {who} responded to your InMail in time."
    if n.kind == "inmail_expired":
        return f"Your InMail to {who} expired without a response; its credit is not refunded."
    if n.kind == "credits_renewed":
        lost = data.get("forfeited", 0)
        extra = f", {lost} lost over your cap" if lost else ""
        return (
            f"Your credits renewed: +{data.get('granted', 0)}{extra}. "
            f"Balance {data.get('balance', '?')}."
        )
    if n.kind == "cap_forfeit_warning":
        renewal = datetime.fromisoformat(data["renewal_at"]) if "renewal_at" in data else None
        return (
            f"Use your credits: {data.get('forfeit', '?')} will be lost at your renewal on "
            f"{day(renewal, n.at)}."
        )
    return n.kind.replace("_", " ").capitalize() + "."


def forecast_advice(result: Forecast, plans: dict[str, Plan]) -> str:
    """The forecast in one sentence: what is lost at the cap (and how to avoid
    it), or when credits run out, and which plan would suit the pace."""
    best = plans[result.best_plan].name if result.best_plan in plans else result.best_plan
    other = result.best_plan != result.plan
    by_plan = {p.code: p for p in result.plans}
    best_short = by_plan[result.best_plan].expected_shortfall
    if result.status == "none":
        return (
            f"At this pace, {best} would do."
            if not best_short
            else (f"At this pace even {best} would leave {best_short} InMails unsent.")
        )
    if result.ends_at is not None:
        lost = result.renewals[-1].forfeited
        end = day(result.ends_at, result.now)
        if lost:
            return (
                f"Your subscription ends on {end}: at your pace {lost} credits are left "
                f"then and lost. Send {lost} more before then, or keep {best}."
            )
        return f"Your subscription ends on {end}; at your pace your credits are used by then."
    months = max(1, len(result.renewals))
    if result.shortfall:
        out = day(result.runs_out_at, result.now)
        sentence = (
            f"At your pace you run out on {out}, and about "
            f"{round(result.shortfall / months)} InMails a month cannot go out"
        )
        if other and not best_short:
            return f"{sentence}: {best} would do."
        return f"{sentence}." if not other else f"{sentence}: {best} would leave the fewest unsent."
    if result.forfeited:
        per_month = max(1, round(result.forfeited / months))
        sentence = f"At your pace you lose about {per_month} credits a month at the cap"
        first = result.renewals[0]
        ways = []
        if result.send_before_next_renewal:
            ways.append(
                f"send {result.send_before_next_renewal} more before {day(first.at, result.now)}"
            )
        if other:
            ways.append(f"{best} would do")
        return f"{sentence}: {', or '.join(ways)}." if ways else f"{sentence}."
    return "At your pace your credits last, and none are lost at the cap."
