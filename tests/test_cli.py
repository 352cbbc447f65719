"""The command line, run as a user would run it."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import update

from inmail.service import members, subscriptions
from inmail.store.tables import members as members_table


def inmail(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "inmail.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    "command", [[], ["db"], ["db", "upgrade"], ["audit"], ["serve"], ["worker"]]
)
def test_every_command_has_help(command):
    result = inmail(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_db_upgrade_creates_the_schema_in_a_new_sqlite_file(tmp_path):
    path = tmp_path / "new.db"
    result = inmail("db", "upgrade", "--database-url", f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert path.exists()
    assert inmail("audit", "--database-url", f"sqlite:///{path}").returncode == 0


def test_environment_gives_the_database(tmp_path):
    path = tmp_path / "env.db"
    result = inmail("db", "upgrade", env={"INMAIL_DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    assert path.exists()


def test_audit_passes_then_fails_on_a_tampered_balance(ctx, database_url):
    members.create_member(ctx, "alice", "Alice")
    subscriptions.put_subscription(ctx, "alice", "pro")
    ok = inmail("audit", "--database-url", database_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "balances_match_ledger" in ok.stdout
    with ctx.unit_of_work() as work:
        work.conn.execute(update(members_table).values(balance=25))
    bad = inmail("audit", "--database-url", database_url)
    assert bad.returncode == 1
    assert "alice: balance 25 but entries sum to 20" in bad.stdout
    with ctx.unit_of_work() as work:  # put it back so the fixture's audit passes
        work.conn.execute(update(members_table).values(balance=20))


def test_a_bad_plans_file_is_a_clear_error_at_start(tmp_path):
    plans = tmp_path / "plans.toml"
    plans.write_text("[plans.pro]\nmonthly_credits = 20\nmax_balance = 10\n")
    result = inmail(
        "audit",
        "--database-url",
        f"sqlite:///{tmp_path / 'x.db'}",
        env={"INMAIL_CONFIG": str(plans)},
    )
    assert result.returncode == 2
    assert "max_balance must be at least monthly_credits" in result.stderr


def test_a_plans_file_without_a_plan_in_use_is_refused(ctx, database_url, tmp_path):
    members.create_member(ctx, "alice", "Alice")
    subscriptions.put_subscription(ctx, "alice", "teams")
    plans = tmp_path / "plans.toml"
    plans.write_text("[plans.pro]\nmonthly_credits = 20\nmax_balance = 60\n")
    result = inmail("audit", "--database-url", database_url, env={"INMAIL_CONFIG": str(plans)})
    assert result.returncode == 2
    assert "missing from the plans file: teams" in result.stderr


def test_serve_refuses_to_start_without_an_admin_token_on_the_system_clock(tmp_path):
    env = {"INMAIL_ADMIN_TOKEN": "", "INMAIL_CLOCK": "system"}
    result = inmail("serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}", env=env)
    assert result.returncode == 2
    assert "INMAIL_ADMIN_TOKEN" in result.stderr
    env["INMAIL_ADMIN_TOKEN"] = "short"
    result = inmail("serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}", env=env)
    assert result.returncode == 2
    assert "too short" in result.stderr
