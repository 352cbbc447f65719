"""The forecast chart: the balance after each renewal ahead (the main line),
the p10-p90 band around it and the cap, drawn on the server as SVG.

As in the balance chart, text and the cap line sit in an outer SVG with
percentage positions, so labels keep their size at any width. The band and
the line are a polygon and a polyline in an inner SVG whose view box is 1,000
wide and as tall as the plot in pixels, stretched to the width
(``preserveAspectRatio="none"``) with strokes that do not stretch. The same
template draws the page's chart and the standalone file of ``inmail
simulate --svg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2

from inmail.domain.forecast import Forecast
from inmail.web.chart import Label, _nice_step
from inmail.web.text import short_date

HEIGHT = 230
TOP, BOTTOM = 24, 196  # the plot's pixel rows: 0 credits at BOTTOM
LEFT, RIGHT = 2.0, 97.0  # the plot's percent columns
WIDE = 1000  # the inner view box's width


@dataclass
class ForecastChart:
    title: str
    description: str
    height: int = HEIGHT
    left: float = LEFT
    width: float = RIGHT - LEFT
    grid: list[Label] = field(default_factory=list)
    ticks: list[Label] = field(default_factory=list)
    band: str = ""  # polygon points, inner view box
    line: str = ""  # polyline points, inner view box
    dots: list[tuple[str, float]] = field(default_factory=list)  # outer: circles stay round
    cap: Label | None = None
    now: Label | None = None
    last: Label | None = None
    rows: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)


def build(result: Forecast, cap: int | None) -> ForecastChart | None:
    """None when nothing lies ahead (no live subscription)."""
    rows = result.renewals
    if not rows:
        return None
    start, end = result.now, rows[-1].at
    span = max((end - start).total_seconds(), 1.0)
    highest = max([result.balance, *(r.p90 for r in rows), *(r.balance_after for r in rows)])
    top = max(highest, cap or 0, 1)
    step = _nice_step(top)
    top = -(-top // step) * step

    def share(at: datetime) -> float:
        return (at - start).total_seconds() / span

    def x(at: datetime) -> str:
        return f"{LEFT + (RIGHT - LEFT) * share(at):.2f}%"

    def inner(at: datetime) -> float:
        return round(WIDE * share(at), 1)

    def y(balance: int) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * balance / top, 1)

    last = rows[-1]
    chart = ForecastChart(
        title="Your credit balance ahead",
        description=(
            f"From {result.balance} credits today to {last.balance_after} after the "
            f"{short_date(last.at)} {'end' if last.kind == 'end' else 'renewal'}, likely between "
            f"{last.p10} and {last.p90}" + (f"; your plan's cap is {cap}." if cap else ".")
        ),
    )
    chart.grid = [
        Label("0", y(v) - 4, str(v), "start") for v in range(0, top + 1, step) if v != cap
    ]
    if cap:
        chart.cap = Label("0", y(cap) - 5, f"cap {cap}", "start")
    stride = 1 if len(rows) <= 6 else (2 if len(rows) <= 12 else 4)
    chart.ticks = [Label(x(r.at), HEIGHT - 8, f"{r.at:%b}") for r in rows[stride - 1 :: stride]]
    upper = [(0.0, y(result.balance))] + [(inner(r.at), y(r.p90)) for r in rows]
    lower = [(0.0, y(result.balance))] + [(inner(r.at), y(r.p10)) for r in rows]
    chart.band = " ".join(f"{px},{py}" for px, py in upper + lower[::-1])
    points = [(0.0, y(result.balance))] + [(inner(r.at), y(r.balance_after)) for r in rows]
    chart.line = " ".join(f"{px},{py}" for px, py in points)
    chart.dots = [(f"{LEFT + (RIGHT - LEFT) * px / WIDE:.2f}%", py) for px, py in points]

    def label_y(balance: int) -> float:
        # Below the line near the top, where the cap's label sits above it.
        return y(balance) + 17 if balance > 0.6 * top else y(balance) - 8

    # Clear of the axis labels at the left edge.
    chart.now = Label(f"{LEFT + 3:.2f}%", label_y(result.balance), f"now {result.balance}", "start")
    chart.last = Label(x(end), label_y(last.balance_after), str(last.balance_after), "end")
    chart.rows = [
        (short_date(r.at), r.balance_before, r.forfeited, r.balance_after, r.p10, r.p90)
        for r in rows
    ]
    return chart


_standalone = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def svg_document(chart: ForecastChart, width: int = 800) -> str:
    """The chart as an SVG file of its own (no page, no stylesheet)."""
    body = _standalone.get_template("_forecast_svg.html").render(
        chart=chart, standalone=True, width=width
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body
