"""The ``inmail`` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from inmail.config import Settings, open_context
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
console = Console()
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


if __name__ == "__main__":
    app()
