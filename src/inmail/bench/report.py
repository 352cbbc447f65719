"""Figures, the Rich table at the end and the JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Figure:
    """One measure beside the same work in plain SQL. ``ratio`` is ours ÷
    raw; ``higher`` says whether more is better (rates) or less (times,
    latencies, memory). ``met`` is None where no target applies."""

    name: str
    title: str
    ours: float
    raw: float
    unit: str
    target: str
    met: bool | None
    higher: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.ours / self.raw if self.raw else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "ours": self.ours,
            "raw": self.raw,
            "ratio": self.ratio,
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
            "better": "higher" if self.higher else "lower",
            **self.extra,
        }


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def table(figures: list[Figure], title: str) -> Table:
    out = Table(title=title)
    for column in ("figure", "ours", "raw", "ratio", "unit", "target", "met?"):
        out.add_column(column, justify="right" if column in ("ours", "raw", "ratio") else "left")
    for f in figures:
        met = "-" if f.met is None else ("[green]yes[/]" if f.met else "[red]no[/]")
        out.add_row(
            f.name, _number(f.ours), _number(f.raw), f"{f.ratio:.2f}", f.unit, f.target, met
        )
    return out


def write_json(path: Path, figures: list[Figure], about: dict[str, Any]) -> None:
    document = {"figures": {f.name: f.as_json() for f in figures}, **about}
    path.write_text(json.dumps(document, indent=2) + "\n")


def show(console: Console, figures: list[Figure], title: str) -> None:
    # Wide enough for every column, also when the output is not a terminal.
    wide = Console(file=console.file, width=max(console.width, 132))
    wide.print(table(figures, title))
