"""`inmail simulate`'s output: the forecast as Rich tables and the advice,
and its chart as an SVG file (the same drawing as My Premium Page's)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from inmail.domain.forecast import Forecast
from inmail.domain.plans import Plan
from inmail.web import forecast_chart, text


def show(console: Console, result: Forecast, plans: dict[str, Plan], title: str) -> None:
    table = Table("renewal", "before", "granted", "forfeited", "after", "p10-p90", title=title)
    for row in result.renewals:
        table.add_row(
            text.short_date(row.at),
            str(row.balance_before),
            f"+{row.granted}",
            f"[red]-{row.forfeited}[/]" if row.forfeited else "0",
            f"[bold]{row.balance_after}[/]",
            f"{row.p10}-{row.p90}",
        )
    console.print(table)
    console.print(
        f"starts with {result.balance} credits; runs out: "
        f"{text.when(result.runs_out_at) if result.runs_out_at else 'never'}; "
        f"InMails that cannot go out: {result.shortfall}"
    )
    advice = Table("plan", "forfeited", "cannot go out", title="The same pace on every plan")
    for option in result.plans:
        mark = " (best)" if option.code == result.best_plan else ""
        advice.add_row(
            f"{option.code}{mark}", str(option.expected_forfeited), str(option.expected_shortfall)
        )
    console.print(advice)
    console.print(text.forecast_advice(result, plans))


def write_svg(path: Path, result: Forecast, max_balance: int) -> None:
    chart = forecast_chart.build(result, max_balance)
    assert chart is not None  # a made-up member always has renewals ahead
    path.write_text(forecast_chart.svg_document(chart), encoding="utf-8")
