"""The ``inmail`` command line."""

from __future__ import annotations

import dataclasses
import logging
import secrets
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from inmail.config import Settings, admin_token_problem, open_context, parse_time
from inmail.domain.errors import InmailError
from inmail.service.audit import audit as run_audit
from inmail.store.database import Database
from inmail.store.migrate import upgrade

app = typer.Typer(
    help="inmail: paid outreach credits, InMail style. Run `inmail COMMAND --help` for more.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)  # long tokens and links stay on one line
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (sqlite:///file.db or postgresql://...). "
        "Default: $INMAIL_DATABASE_URL, else sqlite:///inmail.db in this folder.",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply the database migrations (create the schema on a new database)."""
    settings = Settings.from_env(database_url=database_url)
    database = Database(settings.database_url)
    try:
        upgrade(database)
    finally:
        database.dispose()
    console.print(f"schema is up to date at {database.engine.url.render_as_string()}")


@app.command()
def audit(database_url: DatabaseUrl = None) -> None:
    """Check the ledger's invariants; exit 1 if any check fails."""
    try:
        ctx = open_context(Settings.from_env(database_url=database_url))
    except InmailError as exc:
        raise fail(exc.detail) from exc
    report = run_audit(ctx)
    ctx.database.dispose()
    table = Table("check", "ok", "detail")
    for check in report.checks:
        table.add_row(check.name, "[green]yes[/]" if check.ok else "[red]NO[/]", check.detail)
    console.print(table)
    if not report.ok:
        raise typer.Exit(1)


ClockMode = Annotated[
    str | None,
    typer.Option(
        "--clock",
        help="system (wall time) or manual (moves only through the admin clock route). "
        "Default: $INMAIL_CLOCK, else system.",
        show_default=False,
    ),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
    clock: ClockMode = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="With --clock manual: the clock's first time (ISO 8601) for a database "
            "that has no clock yet. An existing database keeps its own time."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Fill an empty database with a small network and print sign-in links."
        ),
    ] = False,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the due-event worker in this process.")
    ] = False,
) -> None:
    """Run the HTTP API and the web pages, with the due-event worker inside."""
    try:
        settings = Settings.from_env(
            database_url=database_url,
            clock=clock,
            start=parse_time(start) if start else None,
        )
    except (InmailError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if settings.start is not None and settings.clock != "manual":
        err.print("warning: --start only applies with --clock manual; ignored")
    if settings.admin_token is None and (demo or settings.clock == "manual"):
        # Demos and manual-clock runs without a token get a random one.
        settings = dataclasses.replace(settings, admin_token=secrets.token_urlsafe(32))
        console.print(f"admin token (this run only): [bold]{settings.admin_token}[/]")
    problem = admin_token_problem(settings)
    if problem and settings.clock == "system":
        raise fail(problem)
    if problem:
        # A short token is the operator's choice on a test clock; say so.
        err.print(f"warning: {problem}")
    try:
        ctx = open_context(settings)
    except InmailError as exc:
        raise fail(exc.detail) from exc
    base = f"http://{host}:{port}"
    if demo:
        _prepare_demo(ctx, base)
    import uvicorn

    from inmail.api.app import create_app

    application = create_app(ctx, settings)
    worker = None
    if not no_worker:
        from inmail.worker import start_worker_thread

        worker = start_worker_thread(ctx, on_result=getattr(application.state, "on_due", None))
    console.print(f"inmail is serving on [bold]{base}/[/]  (API docs: {base}/docs)")
    try:
        uvicorn.run(application, host=host, port=port, log_level="info")
    finally:
        if worker is not None:
            thread, stop = worker
            stop.set()
            thread.join(timeout=30)
        ctx.database.dispose()


def _prepare_demo(ctx: object, base: str) -> None:
    from inmail import demo
    from inmail.service.context import Context
    from inmail.service.due import clock_now

    assert isinstance(ctx, Context)
    if demo.is_empty(ctx):
        with console.status("Filling the database with the demo network..."):
            demo.seed(ctx, clock_now(ctx))
        console.print("demo network created (8 members, four months of history)")
    console.print(f"sign in at {base}/login with one of these member tokens:")
    for member_id, token in demo.tokens_for_demo(ctx).items():
        console.print(f"  {member_id:<12} {token}")
    console.print(f"the admin page is {base}/admin (sign in with the admin token)")


@app.command()
def worker(
    database_url: DatabaseUrl = None,
    clock: ClockMode = None,
) -> None:
    """Run the due-event worker alone (any number may share one PostgreSQL)."""
    from inmail.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        ctx = open_context(Settings.from_env(database_url=database_url, clock=clock))
    except InmailError as exc:
        raise fail(exc.detail) from exc
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    console.print("worker started; SIGTERM or Ctrl-C stops it after the current batch")
    try:
        run_worker(ctx, stop)
    finally:
        ctx.database.dispose()
    console.print("worker stopped")


@app.command()
def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Scaled-down sizes: the whole run in about a minute.")
    ] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
    backends: Annotated[
        str, typer.Option(help="Comma-separated: sqlite, postgresql (PostgreSQL at "
        "$INMAIL_BENCH_PG_URL, else $INMAIL_TEST_PG_URL, else postgres@127.0.0.1).")
    ] = "sqlite,postgresql",
) -> None:
    """Benchmark the engine beside the same work in plain SQL (figures are
    printed, never asserted)."""
    from inmail.bench.runner import Unavailable, run_bench

    names = [b.strip() for b in backends.split(",") if b.strip()]
    try:
        run_bench(names, quick=quick, json_path=json_path, console=console)
    except (Unavailable, ValueError) as exc:
        raise fail(str(exc)) from exc


if __name__ == "__main__":
    app()
