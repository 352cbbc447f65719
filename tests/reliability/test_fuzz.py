"""Fuzzing the API: schemathesis's stateful mode over the whole API (links
inferred from the OpenAPI document, so ids made by one call feed the next),
and Hypothesis on every request body model with hostile JSON (unicode, NUL,
huge numbers, nulls, wrong types, extra fields). Never a 5xx; a refused
request changes no row of any table.

Bounded for CI: derandomized (the same cases on every run), modest example
counts, no shrinking. INMAIL_FUZZ_EXAMPLES raises the counts for a long run.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance
from sqlalchemy import delete

from inmail.store.tables import metadata
from tests.api.conftest import ADMIN_TOKEN, snapshot

EXAMPLES = int(os.environ.get("INMAIL_FUZZ_EXAMPLES", "40"))

pytestmark = pytest.mark.slow

BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# ---- schemathesis, stateful -------------------------------------------------


def _fresh_world(app: Any, api: Any) -> None:
    """Every table emptied (the manual clock back at its start), then alice
    (subscribed) has sent bob an InMail."""
    with app.state.ctx.database.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    api.member("alice")
    api.member("bob")
    api.subscribe("alice")
    api.send("alice", "bob")


def test_stateful_workflows_over_the_whole_api(app, api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    base = schema.as_state_machine()
    seen: dict[str, int] = {}

    class Workflows(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Each scenario from the same state: what a call answers must
            # depend only on the scenario, or Hypothesis cannot replay it.
            _fresh_world(app, api)

        def before_call(self, case: Any) -> None:
            # The admin token, whatever the generator put there.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_TOKEN}"}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            key = f"{case.method} {case.path} {response.status_code}"
            seen[key] = seen.get(key, 0) + 1
            assert response.status_code < 500, f"{key}: {response.text[:500]}"
            # The stateful checks (and the recorder they read), without "a
            # schema-valid body is accepted": some rules are the engine's, not
            # the schema's (from != to, either body or quick_reply); and
            # without "invalid auth is refused": before_call replaced whatever
            # auth was generated with the admin token (tests/api check auth).
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance, ignored_auth],
                recorder=getattr(self, "recorder", None),
            )

    Workflows.run(
        settings=settings(BOUNDED, max_examples=max(EXAMPLES // 2, 10), stateful_step_count=8)
    )
    # The links really chain calls: some answers were successes past the first call.
    assert sum(n for key, n in seen.items() if key.split()[-1].startswith("2")) > 10, seen


# ---- Hypothesis on every request body ---------------------------------------

NASTY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=3000),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "😀" * 300, "alice", "bob", "pro"]),
)
HUGE = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, -(10**30), 0, -1, 1_000_001]),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALAR = st.one_of(st.none(), st.booleans(), HUGE, NASTY_TEXT)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMES = st.sampled_from(
    ["2026-01-15T09:30:00Z", "2025-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "1-01-01", "now"]
)


def body_of(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """A model's fields (each left out, well-typed or hostile) plus extra keys;
    sometimes not an object at all."""
    keyed = st.fixed_dictionaries(
        {},
        optional={name: st.one_of(good, VALUE) for name, good in fields.items()},
    )
    extra = st.dictionaries(st.text(max_size=8), VALUE, max_size=2)
    return st.one_of(
        st.builds(lambda a, b: {**b, **a}, keyed, extra),
        keyed,
        VALUE,
    )


BODIES: dict[str, tuple[str, str, st.SearchStrategy[Any]]] = {
    "MemberCreate": (
        "POST",
        "/v1/members",
        body_of(
            {
                "id": st.from_regex(r"^[a-z0-9][a-z0-9_.-]{0,63}\Z"),
                "name": NASTY_TEXT,
                "inmail_opt_out": st.booleans(),
                "open_profile": st.booleans(),
            }
        ),
    ),
    "MemberPatch": (
        "PATCH",
        "/v1/members/alice",
        body_of({"name": NASTY_TEXT, "inmail_opt_out": st.booleans(), "open_profile": st.just(0)}),
    ),
    "SubscriptionPut": (
        "PUT",
        "/v1/members/bob/subscription",
        body_of({"plan": st.sampled_from(["pro", "teams", "gold"]), "started_at": TIMES}),
    ),
    "AdjustmentIn": (
        "POST",
        "/v1/members/alice/credits/adjustments",
        body_of({"amount": HUGE, "reason": NASTY_TEXT}),
    ),
    "SendMessageIn": (
        "POST",
        "/v1/messages",
        body_of(
            {
                "from": st.sampled_from(["alice", "bob", "nobody"]),
                "to": st.sampled_from(["alice", "bob", "carol"]),
                "subject": NASTY_TEXT,
                "body": NASTY_TEXT,
            }
        ),
    ),
    "ReplyIn": (
        "POST",
        "/v1/messages/1/reply",
        body_of(
            {
                "body": NASTY_TEXT,
                "quick_reply": st.sampled_from(["interested", "maybe_later", "no", ""]),
            }
        ),
    ),
    "ClockMoveIn": (
        "POST",
        "/v1/admin/clock",
        body_of({"advance_seconds": HUGE, "to": TIMES}),
    ),
}


def _encode(body: Any) -> bytes:
    # Lone surrogates cannot be UTF-8: send them as JSON escapes, as a client would.
    return json.dumps(body, ensure_ascii=True).encode()


@pytest.mark.parametrize("model", sorted(BODIES))
def test_hostile_bodies_never_fail_the_server_and_refusals_change_nothing(ctx, api, model):
    api.member("alice")
    api.member("bob")
    api.member("carol", inmail_opt_out=True)
    api.subscribe("alice")
    api.send("alice", "bob")  # message 1, an InMail to bob
    method, path, bodies = BODIES[model]
    outcomes: dict[int, int] = {}

    @BOUNDED
    @given(body=bodies, cut=st.integers(0, 9))
    def check(body: Any, cut: int) -> None:
        before = snapshot(ctx)
        content = _encode(body)
        if cut == 0:  # sometimes not JSON at all
            content = content[:-1] or b"{"
        response = api.call(
            method, path, content=content, headers={"content-type": "application/json"}
        )
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert snapshot(ctx) == before, f"{response.status_code} changed rows: {body!r}"

    check()
    assert any(status >= 400 for status in outcomes), outcomes
