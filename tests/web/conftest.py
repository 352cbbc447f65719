"""Fixtures for the pages: a real server on a demo database, and Chromium.

The server is uvicorn in a background thread on a free loopback port, serving
the service's own app (the API with the pages), so a browser meets the same
answers it would in production, the "Page not found" page among them; the
TestClient tests use a bare FastAPI app with ``install_web``. Chromium is
Debian's (/usr/bin/chromium): when it or the playwright package is missing
the browser tests fail under CI and are skipped, loudly, elsewhere, like the
PostgreSQL ones.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from inmail import demo
from inmail.api.app import create_app
from inmail.config import Settings
from inmail.service.audit import audit
from inmail.service.context import Context
from inmail.service.due import clock_now
from inmail.service.tokens import issue_token
from inmail.web import install_web
from tests.conftest import make_context

CHROMIUM = os.environ.get("INMAIL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class DemoServer:
    url: str
    ctx: Context
    tokens: dict[str, str]
    admin_token: str = ADMIN_TOKEN


def make_app(ctx: Context) -> FastAPI:
    app = FastAPI()
    install_web(app, ctx, Settings(admin_token=ADMIN_TOKEN, clock="manual"))
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo_ctx(database_url: str) -> Iterator[Context]:
    """The demo network on a fresh database of each backend; the audit must
    pass when the test is done."""
    ctx = make_context(database_url)
    demo.seed(ctx, clock_now(ctx))
    yield ctx
    report = audit(ctx)
    ctx.database.dispose()
    assert report.ok, [c for c in report.checks if not c.ok]


@pytest.fixture
def demo_server(demo_ctx: Context) -> Iterator[DemoServer]:
    config = uvicorn.Config(
        create_app(demo_ctx, Settings(admin_token=ADMIN_TOKEN, clock="manual")),
        host="127.0.0.1",
        port=_free_port(),
        log_level="warning",
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    tokens = {member_id: issue_token(demo_ctx, member_id) for member_id, *_ in demo.PEOPLE}
    yield DemoServer(f"http://127.0.0.1:{config.port}", demo_ctx, tokens)
    server.should_exit = True
    thread.join(timeout=20)


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    problem = _browser_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):  # type: ignore[no-untyped-def]
    """A fresh cookie jar per test; more can be opened from ``chromium``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots when INMAIL_UPDATE_SCREENSHOTS=1 (to refresh the
    committed copies), else a temporary folder."""
    if os.environ.get("INMAIL_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
