"""The HTTP load generator, the same for both sides: ``concurrency``
keep-alive HTTP/1.1 connections on asyncio streams, each sending the next
request as soon as its last answer is read. Lighter than a full client
library, so on a 2-core machine the client takes less of the CPU the
servers need."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None


@dataclass
class Round:
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies_s) / self.seconds if self.seconds else 0.0


def _encode(request: Request, host: str, token: str) -> bytes:
    body = b"" if request.body is None else json.dumps(request.body).encode()
    head = (
        f"{request.method} {request.path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status


async def _run(
    port: int, token: str, requests: Iterator[Request], count: int, concurrency: int
) -> Round:
    host = f"127.0.0.1:{port}"
    result = Round()
    left = count

    async def client() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                data = _encode(next(requests), host, token)
                started = time.perf_counter()
                writer.write(data)
                status = await asyncio.wait_for(_answer(reader), TIMEOUT_S)
                result.latencies_s.append(time.perf_counter() - started)
                result.statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def run(port: int, token: str, requests: Iterator[Request], count: int, concurrency: int) -> Round:
    """Send ``count`` requests from ``concurrency`` connections; the round's
    wall time, each request's latency and the statuses."""
    return asyncio.run(_run(port, token, requests, count, concurrency))


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1), nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]
