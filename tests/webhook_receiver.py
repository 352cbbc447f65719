"""A real webhook receiver on 127.0.0.1 for the tests: it verifies every
request's signature with the standardwebhooks library, keeps what it got,
and answers with the status codes it is told to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    webhook_id: str
    timestamp: int
    event: dict[str, Any]


@dataclass
class Receiver:
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    # Statuses to answer, consumed one per request; 200 when empty.
    answers: list[int] = field(default_factory=list)
    bad_signatures: int = 0
    # While set to an unset event, every request waits for it (a hung receiver).
    hold: threading.Event | None = None
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                if receiver.hold is not None:
                    receiver.hold.wait(timeout=60)
                length = int(self.headers.get("content-length", "0"))
                try:
                    body = self.rfile.read(length)
                except OSError:
                    return
                if len(body) < length:
                    return  # the sender died mid-request: nothing was delivered
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                except Exception:
                    with receiver._changed:
                        receiver.bad_signatures += 1
                        receiver._changed.notify_all()
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._changed:
                    receiver.received.append(
                        Received(
                            headers["webhook-id"],
                            int(headers["webhook-timestamp"]),
                            json.loads(body),
                        )
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver._changed.notify_all()
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, condition: Callable[[Receiver], bool], timeout: float = 60.0) -> None:
        """Wait until ``condition`` holds (checked whenever a request lands)."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self), timeout):
                raise AssertionError(
                    f"receiver: condition not met in {timeout} s; got {len(self.received)}"
                )

    def types(self) -> list[str]:
        return [r.event["type"] for r in self.received]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.event["type"] == kind]
