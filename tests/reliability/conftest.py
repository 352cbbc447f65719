"""Real processes for the reliability tests: ``inmail serve`` and
``inmail worker`` on a free port and the test's database, which a test may
kill (SIGKILL) and start again as often as it likes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from inmail.api import create_app
from inmail.config import Settings
from inmail.service.context import Context
from tests.api.conftest import ADMIN_TOKEN, Api

ADMIN = "reliability-admin-token-0123456789abcdef-0123"
START = "2026-01-15T09:30:00Z"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    """One restartable process; its output goes to ``log`` (appended to)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM, and the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def serve(database_url: str, port: int, log: Path, **env: str) -> Proc:
    args = [sys.executable, "-m", "inmail.cli", "serve", "--port", str(port)]
    args += ["--database-url", database_url, "--clock", "manual", "--start", START]
    return Proc(args, {**os.environ, "INMAIL_ADMIN_TOKEN": ADMIN, **env}, log)


def worker(database_url: str, log: Path, **env: str) -> Proc:
    args = [sys.executable, "-m", "inmail.cli", "worker", "--database-url", database_url]
    return Proc(args + ["--clock", "manual"], {**os.environ, **env}, log)


def wait_healthy(base: str, proc: Proc, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not proc.alive() or time.monotonic() > deadline:
            raise RuntimeError(proc.log.read_text(errors="replace")[-5000:])
        time.sleep(0.1)


# ---- an in-process app on the test's database (the ``ctx`` fixture) ---------


@pytest.fixture
def app(ctx: Context) -> FastAPI:
    return create_app(ctx, Settings(admin_token=ADMIN_TOKEN))


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client)
