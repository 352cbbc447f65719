"""The command line, run as a user would run it."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.engine import make_url

from inmail.service import members, subscriptions
from inmail.store.tables import members as members_table
from tests.conftest import PG_URL, _postgres_reachable


def inmail(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "inmail.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    "command", [[], ["db"], ["db", "upgrade"], ["audit"], ["serve"], ["worker"], ["simulate"]]
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
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert inmail("db", "upgrade", "--database-url", url).returncode == 0
    result = inmail("audit", "--database-url", url, env={"INMAIL_CONFIG": str(plans)})
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
    # It says how to make one, and how to try the service without one.
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in result.stderr
    assert "--clock manual" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    env["INMAIL_ADMIN_TOKEN"] = "short"
    result = inmail("serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}", env=env)
    assert result.returncode == 2
    assert "too short" in result.stderr


def test_serve_help_shows_the_demo_flag_and_the_environment():
    result = inmail("serve", "--help")
    assert result.returncode == 0
    demo_line = next(line for line in result.stdout.splitlines() if "--demo" in line)
    assert "<" not in demo_line and "TEXT" not in demo_line  # a flag: it takes no value
    for variable in (
        "INMAIL_DATABASE_URL",
        "INMAIL_ADMIN_TOKEN",
        "INMAIL_CLOCK",
        "INMAIL_CONFIG",
        "INMAIL_RATE_LIMIT",
    ):
        assert variable in result.stdout


def test_the_demo_flag_takes_no_value(tmp_path):
    # Were --demo to take a value, "--no-worker" would be swallowed as it.
    result = inmail("serve", "--demo", "--no-worker", "--database-url", "nonsense")
    assert result.returncode == 2
    assert "is not a URL" in result.stderr


def _one_line_error(result):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_audit_refuses_a_missing_sqlite_file_and_creates_nothing(tmp_path):
    path = tmp_path / "missing.db"
    line = _one_line_error(inmail("audit", "--database-url", f"sqlite:///{path}"))
    assert "no database at" in line and str(path) in line
    assert list(tmp_path.iterdir()) == []


def test_audit_refuses_an_sqlite_database_without_the_schema(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a database file, with no tables
    line = _one_line_error(inmail("audit", "--database-url", f"sqlite:///{path}"))
    assert "has no inmail schema" in line
    assert "inmail db upgrade" in line


def test_audit_refuses_a_postgresql_database_without_the_schema():
    problem = _postgres_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(f"PostgreSQL is unreachable: {problem}")
    name = f"inmail_empty_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        line = _one_line_error(inmail("audit", "--database-url", url))
        assert "has no inmail schema" in line
        engine = create_engine(url)
        try:
            with engine.connect() as conn:  # and it created none
                assert not inspect(conn).get_table_names()
        finally:
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BAD_DATABASES = {
    "not a URL": ("nonsense", "is not a URL"),
    "another database": ("mysql://app@db.example/app", "names 'mysql'"),
    # Port 1 on this machine: nothing listens there.
    "no server": ("postgresql://postgres@127.0.0.1:1/inmail", "Connection refused"),
    "no such directory": ("sqlite:////nonexistent-dir/inmail.db", "unable to open"),
}
COMMANDS = {
    "serve": ["serve", "--no-worker"],
    "worker": ["worker"],
    "db upgrade": ["db", "upgrade"],
    "audit": ["audit"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BAD_DATABASES)
def test_every_command_says_in_one_line_what_is_wrong_with_the_database(command, case):
    url, reason = BAD_DATABASES[case]
    if command == "audit" and case == "no such directory":
        reason = "no database at"
    env = {"INMAIL_ADMIN_TOKEN": "x" * 40}  # so serve gets as far as the database
    line = _one_line_error(inmail(*COMMANDS[command], "--database-url", url, env=env))
    assert reason in line, line


def test_a_password_in_the_database_url_is_never_printed():
    url = "postgresql://app:s3cret-pw@127.0.0.1:1/inmail"
    result = inmail("db", "upgrade", "--database-url", url)
    line = _one_line_error(result)
    assert "s3cret-pw" not in line and "***" in line


def _serve_demo(database, port):
    """Start `inmail serve --demo`; return the process and the member tokens
    it printed, once it says it is serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "inmail.cli", "serve", "--demo", "--clock", "manual"]
        + ["--no-worker", "--port", str(port), "--database-url", f"sqlite:///{database}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "INMAIL_ADMIN_TOKEN": ""},
    )
    tokens, lines = {}, []
    for line in process.stdout:  # the demo's lines come before "serving"
        lines.append(line)
        parts = line.split()
        if line.startswith("  ") and len(parts) == 2:
            tokens[parts[0]] = parts[1]
        if "inmail is serving on" in line:
            break
    else:
        process.wait(timeout=60)
        raise AssertionError("".join(lines))
    return process, tokens


def _stop(process):
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)


def test_serve_demo_prints_a_working_token_for_every_demo_member(tmp_path):
    from inmail import demo
    from tests.test_serve_process import free_port

    database = tmp_path / "demo.db"
    for _ in range(2):  # a first start fills the database; a restart keeps it
        port = free_port()
        process, tokens = _serve_demo(database, port)
        try:
            assert set(tokens) == {member_id for member_id, *_ in demo.PEOPLE}
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while not _answers(f"{base}/healthz") and time.monotonic() < deadline:
                time.sleep(0.1)
            for member_id, token in tokens.items():
                response = httpx.get(
                    f"{base}/v1/members/{member_id}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                assert response.status_code == 200, response.text
                assert response.json()["id"] == member_id
        finally:
            _stop(process)


def _answers(url):
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_make_demo_reset_removes_the_demo_database_before_running():
    root = Path(__file__).resolve().parent.parent
    dry_run = subprocess.run(
        ["make", "-n", "demo-reset"], cwd=root, capture_output=True, text=True, timeout=60
    ).stdout
    assert "rm -f demo.db demo.db-wal demo.db-shm" in dry_run
    assert dry_run.index("rm -f demo.db") < dry_run.index("serve --demo")


def test_simulate_prints_the_forecast_of_a_made_up_member_and_draws_it(tmp_path):
    chart = tmp_path / "forecast.svg"
    result = inmail(
        "simulate",
        "--plan",
        "teams",
        "--sends-per-week",
        "0",
        "--months",
        "3",
        "--svg",
        str(chart),
    )
    assert result.returncode == 0, result.stderr
    # Teams: the first grant of 30, then 60, 90, and the cap of 90 keeps it there.
    after = [line.split("│")[5].strip() for line in result.stdout.splitlines() if "+30" in line]
    assert after == ["60", "90", "90"]
    assert "At your pace you lose about 10 credits a month at the cap" in result.stdout
    svg = ElementTree.parse(chart).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    names = {element.tag.split("}")[1] for element in svg.iter()}
    assert {"polygon", "polyline", "line", "text"} <= names


@pytest.mark.parametrize("args", [["--plan", "gold"], ["--months", "25"], ["--response-rate", "2"]])
def test_simulate_refuses_what_it_cannot_forecast(args):
    result = inmail("simulate", "--plan", "pro", "--sends-per-week", "3", *args)
    assert result.returncode == 2
    assert "error:" in result.stderr
