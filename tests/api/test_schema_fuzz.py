"""Schemathesis against the app's own OpenAPI document: no input the schema
allows (or fuzzed inputs it does not) makes a 5xx, every answer matches its
documented status, content type and schema, and the fixture's audit still
passes after all of it.

The in-process test below leaves out "schema-valid but refused"; the last
test runs the real `schemathesis run --checks all` (every phase, every check,
the repository's schemathesis.toml) against a live `inmail serve`, on a short
budget; `make fuzz` runs it long (INMAIL_FUZZ_EXAMPLES, INMAIL_FUZZ_SECONDS).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from inmail.service.audit import audit
from tests.api.conftest import ADMIN_TOKEN
from tests.conftest import make_context
from tests.test_serve_process import ADMIN, server  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture
def openapi_schema(app, api):
    # A few members and messages, so fuzzed ids sometimes hit real rows.
    for member_id in ("0", "a", "alice"):
        api.member(member_id)
    api.subscribe("alice")
    api.send("alice", "a")
    api.send("alice", "0", body="again")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_app_keeps_its_schema(openapi_schema):
    # Schemathesis's pytest plugin does not run on this pytest; drive each
    # operation's Hypothesis strategy directly instead.
    failures = []
    for result in openapi_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            derandomize=True,  # the same cases on every run: no flaky CI
            # A failure is reported as found: shrinking through clock moves
            # of up to 100 years can take minutes.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                excluded_checks=[positive_data_acceptance],
            )

        try:
            check()
        except Exception as exc:  # gather every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_schemathesis_run_with_every_check_finds_nothing(server, database_url):  # noqa: F811
    examples = os.environ.get("INMAIL_FUZZ_EXAMPLES", "10")
    budget = os.environ.get("INMAIL_FUZZ_SECONDS")
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{server}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {ADMIN}",
        "--workers",
        "1",
        "--max-examples",
        examples,
        "--seed",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        *(["--max-time", budget] if budget else []),
    ]
    # From the repository's root, so the run reads schemathesis.toml.
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert " passed" in report and "failures" not in report.lower().split("summary")[-1], report
    context = make_context(database_url)
    try:
        outcome = audit(context)
    finally:
        context.database.dispose()
    assert outcome.ok, [c for c in outcome.checks if not c.ok]
