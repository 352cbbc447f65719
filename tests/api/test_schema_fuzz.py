"""Schemathesis against the app's own OpenAPI document: no input the schema
allows (or fuzzed inputs it does not) makes a 5xx, every answer matches its
documented status, content type and schema, and the fixture's audit still
passes after all of it.

"Schema-valid but refused" is not checked: some rules are the engine's and
not in the schema (from != to, an adjustment is not 0, a cursor is one we made).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import ADMIN_TOKEN

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
