"""The ``inmail`` command line.

The engine (SQLAlchemy, Alembic, FastAPI) is imported inside each command, not
here: ``inmail worker`` installs its SIGTERM handler before any of that loads,
and ``--help`` answers at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from inmail.config import Settings
    from inmail.service.context import Context

T = TypeVar("T")

ENVIRONMENT = (
    "Environment (flags win over it): "
    "INMAIL_DATABASE_URL the database URL; "
    "INMAIL_ADMIN_TOKEN the admin token, at least 32 characters; "
    "INMAIL_CLOCK system or manual; "
    "INMAIL_CONFIG a TOML plans file; "
    "INMAIL_RATE_LIMIT per-token request rate such as 120/60s (off by default); "
    "INMAIL_WEBHOOK_KEY the key that seals webhook secrets (default: derived from the "
    "admin token); INMAIL_WEBHOOK_ALLOW_PRIVATE=true lets webhooks reach loopback, "
    "private and link-local addresses; INMAIL_WEBHOOK_TIMEOUT_SECONDS how long a webhook "
    "receiver has to answer (at most and by default 10)."
)
HOW_TO_MAKE_ONE = (
    'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))" '
    "(or, to try it out, run with --clock manual and one is made for the run)"
)

app = typer.Typer(
    help="inmail: paid outreach credits, InMail style. Run `inmail COMMAND --help` for more.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)  # long tokens and links stay on one line
err = Console(stderr=True, soft_wrap=True)  # an error stays one line

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
    # markup=False: a message may quote a URL or a plans file with [brackets].
    err.print("[bold red]error:[/] ", end="")
    err.print(message, markup=False, highlight=False)
    return typer.Exit(2)


@contextmanager
def refusals() -> Iterator[None]:
    """Whatever stops a command before it starts (bad settings, a plans file
    with a mistake, a database it cannot use) is one line and exit 2."""
    from inmail.domain.errors import InmailError

    try:
        yield
    except InmailError as exc:
        raise fail(exc.detail) from exc
    except ValueError as exc:  # a --start that is not a time
        raise fail(str(exc)) from exc


def settings_of(**flags: object) -> Settings:
    from inmail.config import Settings

    with refusals():
        return Settings.from_env(**flags)


def opened(settings: Settings, *, migrate: bool = True) -> Context:
    """The engine's context on the settings' database (its schema created or
    upgraded unless ``migrate`` is false), or exit 2 saying what is wrong."""
    from inmail import preflight
    from inmail.config import open_context

    with refusals(), preflight.database_errors(settings.database_url):
        return open_context(settings, migrate=migrate)


def on_database(url: str, action: Callable[[], T]) -> T:
    """``action``'s result, or exit 2 if the database fails it (it went away)."""
    from inmail import preflight

    with refusals(), preflight.database_errors(url):
        return action()


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply the database migrations (create the schema on a new database)."""
    from inmail import preflight
    from inmail.store.database import Database
    from inmail.store.migrate import upgrade

    settings = settings_of(database_url=database_url)
    with refusals(), preflight.database_errors(settings.database_url):
        database = Database(settings.database_url)
        try:
            upgrade(database)
        finally:
            database.dispose()
    console.print(f"schema is up to date at {preflight.shown(settings.database_url)}")


@app.command()
def audit(database_url: DatabaseUrl = None) -> None:
    """Check the ledger's invariants; exit 1 if any check fails, exit 2 if the
    database does not exist or has no schema (it is never created here)."""
    from rich.table import Table

    from inmail import preflight
    from inmail.service.audit import audit as run_audit

    settings = settings_of(database_url=database_url)
    with refusals(), preflight.database_errors(settings.database_url):
        preflight.require_schema(settings.database_url)
    ctx = opened(settings, migrate=False)
    try:
        report = on_database(settings.database_url, lambda: run_audit(ctx))
    finally:
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


@app.command(epilog=ENVIRONMENT)
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
            "--demo",
            help="Fill an empty database with a small network (a database that has one "
            "keeps it) and print a sign-in token for every demo member.",
        ),
    ] = False,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="Do not run the due-event worker (nor webhook delivery) in this process.",
        ),
    ] = False,
) -> None:
    """Run the HTTP API and the web pages, with the due-event worker and webhook
    delivery inside."""
    import dataclasses
    import secrets

    from inmail.config import admin_token_problem, parse_time

    with refusals():
        parsed_start = parse_time(start) if start else None
    settings = settings_of(database_url=database_url, clock=clock, start=parsed_start)
    if settings.start is not None and settings.clock != "manual":
        err.print("warning: --start only applies with --clock manual; ignored")
    if settings.admin_token is None and (demo or settings.clock == "manual"):
        # Demos and manual-clock runs without a token get a random one.
        settings = dataclasses.replace(settings, admin_token=secrets.token_urlsafe(32))
        console.print(f"admin token (this run only): [bold]{settings.admin_token}[/]")
    problem = admin_token_problem(settings)
    if problem and settings.clock == "system":
        raise fail(f"{problem}; {HOW_TO_MAKE_ONE}")
    if problem:
        # A short token is the operator's choice on a test clock; say so.
        err.print(f"warning: {problem}")
    ctx = opened(settings)
    base = f"http://{host}:{port}"
    if demo:
        on_database(settings.database_url, lambda: _prepare_demo(ctx, base))
    import uvicorn

    from inmail.api.app import create_app

    application = create_app(ctx, settings)
    workers = []
    if not no_worker:
        from inmail.worker import start_delivery_thread, start_worker_thread

        workers.append(
            start_worker_thread(ctx, on_result=getattr(application.state, "on_due", None))
        )
        workers.append(start_delivery_thread(ctx))
    console.print(f"inmail is serving on [bold]{base}/[/]  (API docs: {base}/docs)")
    try:
        uvicorn.run(application, host=host, port=port, log_level="info")
    finally:
        for _, stop in workers:
            stop.set()
        for thread, _ in workers:
            thread.join(timeout=30)
        ctx.database.dispose()


def _prepare_demo(ctx: Context, base: str) -> None:
    from inmail import demo
    from inmail.service.due import clock_now

    if demo.is_empty(ctx):
        with console.status("Filling the database with the demo network..."):
            demo.seed(ctx, clock_now(ctx))
        console.print("demo network created (8 members, four months of history)")
    # Tokens are kept hashed, so each start prints new ones (old ones still work).
    console.print(f"sign in at {base}/login with any of these member tokens:")
    for member_id, token in demo.tokens_for_demo(ctx).items():
        console.print(f"  {member_id:<12} {token}")
    console.print(f"the admin page is {base}/admin (sign in with the admin token)")


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT. Unblocked too: a process started
    with them blocked (as some supervisors do between fork and exec) would
    otherwise keep a stop request pending forever."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    return stop


@app.command(epilog=ENVIRONMENT)
def worker(
    database_url: DatabaseUrl = None,
    clock: ClockMode = None,
) -> None:
    """Run the due-event worker and webhook delivery alone (any number may
    share one PostgreSQL). SIGTERM or Ctrl-C stops it after the current batch
    and the attempts in flight, also during start-up."""
    # First of all: a stop request during the slow start-up below (imports,
    # migrations) must end the worker cleanly, not kill it.
    stop = stop_on_signals()
    console.print("worker starting")
    import logging

    from inmail.worker import run_worker, start_delivery_thread

    settings = settings_of(database_url=database_url, clock=clock)
    if not stop.is_set():
        ctx = opened(settings)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        console.print("worker started; SIGTERM or Ctrl-C stops it after the current batch")
        delivery, delivery_stop = start_delivery_thread(ctx)
        try:
            run_worker(ctx, stop)
        finally:
            delivery_stop.set()
            delivery.join(timeout=30)
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
        str,
        typer.Option(
            help="Comma-separated: sqlite, postgresql (PostgreSQL at "
            "$INMAIL_BENCH_PG_URL, else $INMAIL_TEST_PG_URL, else postgres@127.0.0.1)."
        ),
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


@app.command()
def simulate(
    plan: Annotated[
        str, typer.Option("--plan", help="The plan code the made-up member starts on today.")
    ],
    sends_per_week: Annotated[
        float,
        typer.Option(
            "--sends-per-week", help="InMails the member wants to send a week (0 to 500)."
        ),
    ],
    response_rate: Annotated[
        float,
        typer.Option(
            "--response-rate", help="The share of InMails answered within 90 days (0 to 1)."
        ),
    ] = 0.0,
    response_days: Annotated[
        int,
        typer.Option("--response-days", help="Days from an InMail to its answer (1 to 89)."),
    ] = 3,
    months: Annotated[
        int, typer.Option("--months", help="How many renewals to look ahead (1 to 24).")
    ] = 6,
    svg: Annotated[
        Path | None,
        typer.Option("--svg", help="Also draw the forecast chart into this SVG file."),
    ] = None,
) -> None:
    """Forecast the credits of a made-up member who starts on a plan today
    (plans from $INMAIL_CONFIG, else the built-in ones): the balance at each
    renewal with its p10-p90 band, the shortfall, and which plan would do."""
    from datetime import UTC, datetime

    from inmail import forecast_report
    from inmail.domain.forecast import Assumptions
    from inmail.domain.plans import load_plans
    from inmail.service.forecast import simulate as run_simulation

    settings = settings_of()
    with refusals():
        plans = load_plans(settings.plans_file)
        assumptions = Assumptions(sends_per_week, response_rate, response_days)
        result = run_simulation(plans, plan, datetime.now(UTC), assumptions, months)
    title = (
        f"{plans[plan].name}: {sends_per_week:g} InMails a week, "
        f"{response_rate:.0%} answered after {response_days} days"
    )
    forecast_report.show(console, result, plans, title)
    if svg is not None:
        forecast_report.write_svg(svg, result, plans[plan].max_balance)
        console.print(f"chart written to {svg}")


if __name__ == "__main__":
    app()
