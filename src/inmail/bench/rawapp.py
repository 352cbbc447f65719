"""The bare HTTP side of the HTTP figures: a FastAPI app whose routes run
the plain-SQL transactions of ``raw`` and nothing else (no auth, no
idempotency, no service layer). Served by uvicorn exactly as ``inmail
serve`` is served.

On SQLite every request goes through one lock-guarded connection (the
fastest way to share SQLite's one writer); on PostgreSQL through a pool of
connections, one per concurrent request.

    python -m inmail.bench.rawapp --database-url URL --port PORT
"""

from __future__ import annotations

import argparse
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field

from inmail.bench import raw
from inmail.bench.databases import Db
from inmail.clock import utcnow
from inmail.domain.plans import DEFAULT_PLANS
from inmail.store.database import normalise_url

POOL_SIZE = 20


class Connections:
    def __init__(self, db: Db) -> None:
        self.sqlite = db.backend == "sqlite"
        if self.sqlite:
            self.lock = threading.Lock()
            self.one = db.connect()
        else:
            self.pool: queue.Queue[Any] = queue.Queue()
            for _ in range(POOL_SIZE):
                self.pool.put(db.connect())

    @contextmanager
    def take(self) -> Iterator[Any]:
        if self.sqlite:
            with self.lock:
                yield self.one
            return
        conn = self.pool.get()
        try:
            yield conn
        finally:
            self.pool.put(conn)


class MessageIn(BaseModel):
    sender: str = Field(alias="from", min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=64)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=2000)


def create_app(db: Db) -> FastAPI:
    app = FastAPI()
    connections = Connections(db)
    plans = dict(DEFAULT_PLANS)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/messages", status_code=201)
    def send(message: MessageIn) -> Response:
        with connections.take() as conn:
            sent = raw.send_inmail(conn, message.sender, message.to, message.body, utcnow())
        return Response(raw.dumps(sent), status_code=201, media_type="application/json")

    @app.get("/v1/members/{member_id}/credits")
    def credits(member_id: str) -> Response:
        with connections.take() as conn:
            found = raw.credits(conn, member_id, plans)
        if found is None:
            raise HTTPException(404)
        return Response(raw.dumps(found), media_type="application/json")

    @app.get("/v1/members/{member_id}/ledger")
    def ledger(member_id: str) -> Response:
        with connections.take() as conn:
            found = raw.ledger_page(conn, member_id)
        if found is None:
            raise HTTPException(404)
        return Response(raw.dumps(found), media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    url = normalise_url(args.database_url)
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    import uvicorn

    uvicorn.run(create_app(Db(url, backend)), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
