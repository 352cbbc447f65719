"""Security: tokens never stored or logged in clear, member tokens found by
hash and the admin token compared in constant time, limits on bodies, pages
and the per-token request rate, the pages' security headers, no SQL built
from strings, and the locked dependencies against the advisories."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from inmail.api import auth, create_app
from inmail.api.ratelimit import RateLimit, TokenBuckets, parse_rate_limit
from inmail.config import Settings
from inmail.domain.errors import ValidationFailed
from inmail.service import tokens
from inmail.store import tokens as token_store
from tests.api.conftest import ADMIN_TOKEN, Api, assert_problem, snapshot
from tests.reliability.conftest import ADMIN, free_port, serve, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def _all_cells(ctx) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(repr(row) for rows in snapshot(ctx).values() for row in rows)


# ---- tokens -----------------------------------------------------------------


def test_tokens_are_stored_only_as_hashes(ctx, api):
    api.member("alice")
    token = api.token("alice")
    # A replayed answer holds the token too: it is stored sealed, not in clear.
    again = api.post("/v1/members/alice/tokens", headers={"Idempotency-Key": "k1"}).json()["token"]
    stored = _all_cells(ctx)
    for secret in (token, again, ADMIN_TOKEN):
        assert secret not in stored
    assert tokens.hash_token(token) in stored and tokens.hash_token(again) in stored
    assert api.post("/v1/members/alice/tokens", headers={"Idempotency-Key": "k1"}).json() == {
        "token": again
    }


def test_member_tokens_are_found_by_hash_and_the_admin_token_in_constant_time(ctx, api):
    api.member("alice")
    token = api.token("alice")
    assert tokens.member_for_token(ctx, token) == "alice"
    # One character off, or the hash itself offered as a token: nobody.
    assert tokens.member_for_token(ctx, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tokens.member_for_token(ctx, tokens.hash_token(token)) is None
    # The lookup is by the hash: the service hashes, the store's query matches it.
    assert "member_of(work.conn, hash_token(token))" in inspect.getsource(tokens.member_for_token)
    assert "token_hash == token_hash" in inspect.getsource(token_store.member_of)
    assert "hmac.compare_digest" in inspect.getsource(auth.current_caller)
    assert api.get("/v1/members/alice", token=tokens.hash_token(token)).status_code == 401


def test_no_token_reaches_the_server_log(database_url, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = serve(database_url, port, log)
    server.start()
    try:
        wait_healthy(base, server)
        with httpx.Client(base_url=base, timeout=30) as http:
            admin = {"Authorization": f"Bearer {ADMIN}"}
            assert http.post("/v1/members", json={"id": "ann", "name": "Ann"}, headers=admin)
            token = http.post("/v1/members/ann/tokens", headers=admin).json()["token"]
            member = {"Authorization": f"Bearer {token}", "Idempotency-Key": "key-1"}
            assert http.get("/v1/members/ann", headers=member).status_code == 200
            assert http.post("/v1/messages", json={"x": 1}, headers=member).status_code == 422
            bad = {"Authorization": "Bearer im_not-a-real-token-but-secret-looking"}
            assert http.get("/v1/members/ann", headers=bad).status_code == 401
            # The token as a query parameter would be logged with the path: the
            # API never asks for that, and the web login takes it in a POST form.
            assert http.post("/login", data={"token": token}).status_code in (200, 303, 403)
    finally:
        assert server.stop() in (0, -15)
    text = log.read_text(errors="replace")
    assert "GET /v1/members/ann" in text  # the access log is there ...
    for secret in (ADMIN, token, "im_not-a-real-token-but-secret-looking"):
        assert secret not in text  # ... and no token in it


# ---- limits -------------------------------------------------------------------


def test_bodies_and_pages_are_limited(ctx, api):
    api.member("alice")
    before = snapshot(ctx)
    huge = {"id": "bob", "name": "x" * (64 * 1024)}
    assert_problem(api.post("/v1/members", json=huge), 413, "content-too-large")
    assert_problem(api.get("/v1/members/alice/ledger?limit=201"), 422, "validation-error")
    assert_problem(api.get("/v1/members/alice/inbox?limit=0"), 422, "validation-error")
    assert snapshot(ctx) == before


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_per_token_rate_limit(ctx):
    fake = FakeTime()
    app = create_app(ctx, Settings(admin_token=ADMIN_TOKEN, rate_limit="3/60s"), rate_clock=fake)
    with TestClient(app) as client:
        api = Api(client)
        api.member("alice")  # 1
        token = api.token("alice")  # 2
        assert api.get("/v1/members/alice").status_code == 200  # 3
        before = snapshot(ctx)
        refused = api.post("/v1/members", json={"id": "bob", "name": "Bob"})
        assert_problem(refused, 429, "rate-limited")
        assert refused.headers["retry-after"] == "20"  # one request's refill at 3 per 60 s
        assert snapshot(ctx) == before  # a limited request changes nothing
        # Another token has its own bucket; no token (health, plans) is not limited.
        assert api.get("/v1/members/alice", token=token).status_code == 200
        assert all(client.get("/v1/plans").status_code == 200 for _ in range(10))
        fake.now += 20
        assert api.post("/v1/members", json={"id": "bob", "name": "Bob"}).status_code == 201
        assert api.get("/v1/members/bob").status_code == 429
        assert "/v1/members" in client.get("/metrics").text


def test_rate_limit_settings():
    assert parse_rate_limit("120/60s") == RateLimit(120, 60.0)
    assert parse_rate_limit(" 20 / 1m ") == RateLimit(20, 60.0)
    assert parse_rate_limit("1000/1h") == RateLimit(1000, 3600.0)
    assert parse_rate_limit("5/2") == RateLimit(5, 2.0)
    for bad in ("", "fast", "0/60s", "10/0s", "-1/60s", "10/60d", "1e3/60s"):
        with pytest.raises(ValidationFailed):
            parse_rate_limit(bad)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INMAIL_RATE_LIMIT", "120/60s")
        assert Settings.from_env().rate_limit == "120/60s"
        env.setenv("INMAIL_RATE_LIMIT", "lots")
        with pytest.raises(ValidationFailed):
            Settings.from_env()
        env.delenv("INMAIL_RATE_LIMIT")
        assert Settings.from_env().rate_limit is None  # off by default


def test_token_buckets_stay_bounded():
    fake = FakeTime()
    buckets = TokenBuckets(RateLimit(2, 1.0), clock=fake, max_buckets=100)
    for i in range(1000):
        assert buckets.take(f"made-up-{i}") == 0
    assert len(buckets._buckets) == 100
    assert buckets.take("a") == 0 and buckets.take("a") == 0 and buckets.take("a") == 0.5


# ---- pages ---------------------------------------------------------------------


def test_pages_carry_the_security_headers(ctx, app):
    with TestClient(app) as client:
        page = client.get("/login")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


# ---- no SQL from strings --------------------------------------------------------

# A call that runs SQL with an f-string, a %-formatted or a .format()ted string.
SQL_CALL = re.compile(
    r"\b(text|exec_driver_sql|execute)\(\s*(f[\"']|[\"'][^\"']*[\"']\s*(%|\.format\())"
)
# No call is exempt (SQLite's pragmas are module constants in store/database.py).
KNOWN_CONSTANT: set[str] = set()


def test_no_sql_is_built_from_strings():
    found = []
    for path in sorted((ROOT / "src" / "inmail").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            if SQL_CALL.search(line) and line.strip() not in KNOWN_CONSTANT:
                found.append(where)
            if re.search(r"from sqlalchemy import .*\btext\b", line):
                found.append(where + "  (raw SQL text; use the expression language)")
    assert not found, "\n".join(found)
    # The pattern itself finds what it is for, and not the safe forms.
    assert SQL_CALL.search('conn.execute(text(f"SELECT {x}"))')
    assert SQL_CALL.search('conn.exec_driver_sql("DROP %s" % name)')
    assert SQL_CALL.search('execute("x {}".format(y))')
    assert not SQL_CALL.search("conn.execute(select(members).where(members.c.id == x))")


# ---- the dependencies against the advisories --------------------------------------


@pytest.mark.skipif(
    not os.environ.get("INMAIL_PIP_AUDIT"),
    reason="set INMAIL_PIP_AUDIT=1 where PyPI's and OSV's advisory services are reachable "
    "(they are not from the development machine; see docs/reliability.md)",
)
def test_the_locked_dependencies_have_no_known_vulnerabilities():
    pip_audit = shutil.which("pip-audit") or str(ROOT / ".venv" / "bin" / "pip-audit")
    # --strict: a dependency that could not be audited is a failure, not a pass.
    result = subprocess.run(
        [pip_audit, "--strict", "--progress-spinner", "off", "-r", "requirements.lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
