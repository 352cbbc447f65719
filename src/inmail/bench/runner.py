"""The whole suite, backend by backend, with a progress display, the table
at the end and the JSON file."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from inmail.bench import bulk, forecast, http, reads, sends
from inmail.bench.databases import Databases, postgres_problem
from inmail.bench.populate import Network
from inmail.bench.report import Figure, show, write_json
from inmail.bench.run import Run
from inmail.bench.sizes import FULL, QUICK

BACKENDS = ("sqlite", "postgresql")
STEPS = (
    "sends",
    "http sends",
    "renewals",
    "worker memory",
    "network",
    "reads",
    "forecast",
    "expiries",
)


class Unavailable(Exception):
    """A backend that was asked for cannot be reached."""


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run_backend(run: Run, advance: Any) -> None:
    sends.measure(run)
    advance()
    http.measure(run)
    advance()
    peak = bulk.renewals(run)
    advance()
    bulk.memory(run, peak)
    advance()
    sizes = run.sizes
    network = Network(sizes.network_members, sizes.inmails_per_member, sizes.history, bulk.AT)
    run.say(
        f"network: populating {network.messages:,} messages, {network.entries:,} ledger entries"
    )
    source = run.databases.fresh()
    network.write(source)
    advance()
    reads.measure(run, source, network.members, network.messages, network.entries)
    advance()
    forecast.measure(run, source, network.members)
    advance()
    bulk.expiries(run, source, network.messages)
    advance()
    run.databases.drop(source)


def run_bench(
    backends: Sequence[str], *, quick: bool, json_path: Path | None, console: Console
) -> list[Figure]:
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s): {', '.join(unknown)}; use {', '.join(BACKENDS)}")
    if "postgresql" in backends and (problem := postgres_problem()) is not None:
        raise Unavailable(f"PostgreSQL cannot be reached: {problem}")
    sizes = QUICK if quick else FULL
    started_at = datetime.now(UTC)
    load_before = _load()
    figures: list[Figure] = []
    wall = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="inmail-bench-") as folder,
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[backend]}[/]"),
            TextColumn("{task.description}"),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        for backend in backends:
            task = progress.add_task("starting", total=len(STEPS), backend=backend)
            databases = Databases(backend, Path(folder))
            run = Run(
                backend=backend,
                databases=databases,
                sizes=sizes,
                folder=Path(folder),
                say=lambda text, task=task: progress.update(task, description=text),
            )
            try:
                run_backend(run, lambda task=task: progress.advance(task))
            finally:
                databases.drop_all()
                figures.extend(run.figures)
    about = {
        "date": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "quick": quick,
        "backends": list(backends),
        "seconds": round(time.perf_counter() - wall, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": _load(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "sizes": sizes.__dict__,
    }
    title = (
        f"inmail bench{' --quick' if quick else ''}, {about['date']}, {os.cpu_count()} CPUs,"
        f" load {load_before} -> {about['machine']['load_after']}, {about['seconds']} s"
    )
    show(console, figures, title)
    if json_path is not None:
        write_json(json_path, figures, about)
        console.print(f"written to {json_path}")
    return figures
