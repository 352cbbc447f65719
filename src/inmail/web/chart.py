"""The balance-over-time chart, drawn on the server as SVG.

Horizontal positions are percentages and vertical ones pixels: the chart
stretches to any width while its text keeps its size (a scaled viewBox would
shrink the labels to nothing on a phone). So the line is drawn as <line>
segments, the only SVG shapes that take percentages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inmail.service.views import LedgerEntryView
from inmail.web.text import short_date

HEIGHT = 220
TOP, BOTTOM = 24, 190  # the plot's pixel rows: 0 credits at BOTTOM
LEFT, RIGHT = 2.0, 97.0  # the plot's percent columns


@dataclass(frozen=True)
class Segment:
    x1: str
    y1: float
    x2: str
    y2: float


@dataclass(frozen=True)
class Label:
    x: str
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    title: str
    description: str
    height: int = HEIGHT
    grid: list[Label] = field(default_factory=list)  # y-axis lines, labelled
    ticks: list[Label] = field(default_factory=list)  # x-axis dates
    steps: list[Segment] = field(default_factory=list)
    points: list[Label] = field(default_factory=list)  # one marker per change
    cap: Label | None = None
    last: Label | None = None
    rows: list[tuple[str, int]] = field(default_factory=list)  # the table twin


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def build(entries: list[LedgerEntryView], now: datetime, cap: int | None) -> Chart | None:
    """``entries`` oldest first; None when there is nothing to draw."""
    if not entries:
        return None
    # Entries of one instant (a renewal's grant and forfeit) are one change.
    entries = [
        e
        for e, after in zip(entries, [*entries[1:], None], strict=True)
        if after is None or after.at != e.at
    ]
    start = entries[0].at
    span = max((now - start).total_seconds(), 1.0)
    highest = max(e.balance_after for e in entries)
    top = max(highest, cap or 0, 1)
    step = _nice_step(top)
    top = -(-top // step) * step  # round up to a whole step

    def x(at: datetime) -> str:
        return _pct(LEFT + (RIGHT - LEFT) * (at - start).total_seconds() / span)

    def y(balance: int) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * balance / top, 1)

    first, latest = entries[0], entries[-1]
    chart = Chart(
        title="Your credit balance over time",
        description=(
            f"From {first.balance_after} credits on {short_date(first.at)} to "
            f"{latest.balance_after} on {short_date(latest.at)}; the highest was {highest}"
            + (f"; your plan's cap is {cap}." if cap else ".")
        ),
    )
    chart.grid = [
        Label("0", y(v) - 4, str(v), "start") for v in range(0, top + 1, step) if v != cap
    ]
    if cap:
        chart.cap = Label("0", y(cap) - 5, f"cap {cap}", "start")
    chart.ticks = _month_ticks(start, now, x)
    for here, after in zip(entries, [*entries[1:], None], strict=True):
        end = after.at if after is not None else now
        chart.steps.append(
            Segment(x(here.at), y(here.balance_after), x(end), y(here.balance_after))
        )
        if after is not None:
            chart.steps.append(
                Segment(x(end), y(here.balance_after), x(end), y(after.balance_after))
            )
        chart.points.append(Label(x(here.at), y(here.balance_after), str(here.balance_after)))
    chart.last = Label(x(now), y(latest.balance_after) - 8, str(latest.balance_after), "end")
    chart.rows = [(short_date(e.at), e.balance_after) for e in entries]
    return chart


def _month_ticks(start: datetime, now: datetime, x) -> list[Label]:  # type: ignore[no-untyped-def]
    """A label at the first of each month in range (every other one past six)."""
    months = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        first = start.replace(year=year, month=month, day=1, hour=0, minute=0, second=0)
        if first > now:
            break
        months.append(first)
    stride = 1 if len(months) <= 6 else 2
    return [Label(x(m), HEIGHT - 8, f"{m:%b}") for m in months[::stride]]
