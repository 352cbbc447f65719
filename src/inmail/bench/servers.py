"""Server subprocesses on a free port of 127.0.0.1: a real ``inmail serve``
and the bare raw app, started the same way and stopped by SIGTERM."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
ADMIN_TOKEN = secrets.token_urlsafe(32)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def inmail_serve(url: str, port: int, clock: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inmail.cli",
        "serve",
        "--no-worker",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        url,
        "--clock",
        clock,
    ]


def raw_app(url: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inmail.bench.rawapp",
        "--database-url",
        url,
        "--port",
        str(port),
    ]


@contextmanager
def running(command: list[str], port: int, log: Path) -> Iterator[int]:
    """Run ``command`` until the block ends; yields its pid once
    ``/healthz`` answers."""
    env = {**os.environ, "INMAIL_ADMIN_TOKEN": ADMIN_TOKEN}
    with log.open("w") as out:
        # Our own interpreter and modules only.
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            _wait_healthy(process, port, log)
            yield process.pid
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # not listening yet; ask again
    raise RuntimeError(f"no answer from {url} in {START_TIMEOUT_S:.0f} s")
