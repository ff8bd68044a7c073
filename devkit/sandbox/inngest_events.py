"""A fake Inngest Event API on 127.0.0.1 that records what the real SDK sends.

The SDK (0.5.x) posts JSON lists of events to `{event origin}/e/{event key}` and
reads `{"ids": [...], "status": 200}` back. It takes its event origin from
`INNGEST_EVENT_API_BASE_URL`, else `INNGEST_BASE_URL`, else `INNGEST_DEV` (a
URL). `EventSink` sets `INNGEST_DEV` and `INNGEST_BASE_URL` to its own URL,
clears the other overrides and the event key while it runs, resets the
project's client (`lib.inngest.client.reset_client`) on entry and exit, and
restores the environment afterwards.

    with EventSink() as sink:
        lib.inngest.client.send(FRONT_INBOUND_RECEIVED, data, id="evt_1")
        assert sink.events[0]["name"] == "front/inbound_received"

Like Inngest's Event API it refuses an event larger than `max_event_bytes` (default 256 KiB,
the free plan's "Single event size") with HTTP 400 and
`{"ids": [], "status": 400, "error": "Event is over the max size: ..."}` (inngest/inngest
`pkg/eventstream/eventstream.go`; the check is shared with the executor, `devkit/executor/event_size.py`).

`sink.fail_with(503)` makes every send answer 503 (the SDK retries 5xx a few
times, then raises); `sink.fail_with(503, times=2)` fails only the next two
requests; `sink.fail_with(None)` heals it; `sink.stop()` takes it down so
connections are refused. `sink.delay = 5.0` makes every answer that slow (the event
is taken only once the answer goes out): Inngest's Event API gives no latency guarantee,
and the SDK's send retries 5xx and network errors (inngest-py `send_sync`, 5 attempts).
`sink.hold()` keeps every arriving send waiting (a slow Inngest: the SDK's send blocks
until it times out or is answered) until `sink.release()`; `sink.wait_held(n)` returns
once n sends are waiting, so a test can act while a hand-over is in flight, deterministically.
"""

from __future__ import annotations

import threading
import time
import uuid
from types import TracebackType
from typing import Any

from flask import Flask, jsonify, request

from devkit.executor.event_size import DEFAULT_MAX_EVENT_BYTES, oversized
from devkit.sandbox.server import EnvSwap, LocalServer

# Env variables the SDK reads for its origins and key; saved and restored by EventSink.
_ENV_KEYS = (
    "INNGEST_DEV",
    "INNGEST_BASE_URL",
    "INNGEST_EVENT_API_BASE_URL",
    "INNGEST_API_BASE_URL",
    "INNGEST_EVENT_KEY",
)


class EventSink:
    """Records every event POSTed to `/e/<key>`; can be told to fail."""

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # {"key", "body", "status"} for every POST, failed ones too
        self._lock = threading.Lock()
        self._fail_status: int | None = None
        self._fail_times: int | None = None
        self._gate = threading.Event()
        self._gate.set()
        self._held = threading.Semaphore(0)
        self._env = EnvSwap()
        self.app = self._make_app()
        self._server = LocalServer(self.app)
        self._running = False
        self.delay: float = 0.0

    # -- control --------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    def fail_with(self, status: int | None, *, times: int | None = None) -> None:
        """Answer `status` (with an `{"error": ...}` body) to the next `times` sends, or to all of them; None heals."""
        with self._lock:
            self._fail_status = status
            self._fail_times = times if status is not None else None

    def hold(self) -> None:
        """Keep the next sends waiting, unanswered, until `release()`."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def wait_held(self, count: int = 1, timeout: float = 10.0) -> None:
        """Return once `count` sends are being held; AssertionError if they do not arrive within `timeout`."""
        for _ in range(count):
            assert self._held.acquire(timeout=timeout), "no send reached the fake Inngest event API"

    def named(self, name: str) -> list[dict[str, Any]]:
        """The recorded events with this name, in arrival order."""
        with self._lock:
            return [e for e in self.events if e.get("name") == name]

    @property
    def ids(self) -> list[str | None]:
        with self._lock:
            return [e.get("id") for e in self.events]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
            self.requests.clear()

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> "EventSink":
        self._server.start()
        self._running = True
        self._env.set({**dict.fromkeys(_ENV_KEYS), "INNGEST_DEV": self.url, "INNGEST_BASE_URL": self.url})
        _reset_client()
        return self

    def stop(self) -> None:
        """Shut the server down (later sends get connection refused); the env stays pointed at it until close()."""
        if self._running:
            self._server.stop()
            self._running = False

    def close(self) -> None:
        self.release()
        self.stop()
        self._env.restore()
        _reset_client()

    def __enter__(self) -> "EventSink":
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.close()

    # -- the fake API ---------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("fake-inngest-events")

        @app.post("/e/<key>")
        def receive(key: str) -> Any:
            body = request.get_json(silent=True)
            if self.delay:
                time.sleep(self.delay)
            if not self._gate.is_set():
                self._held.release()
                self._gate.wait(timeout=60)
            with self._lock:
                status = self._take_failure()
                self.requests.append({"key": key, "body": body, "status": status or 200})
                if status is not None:
                    return jsonify({"error": f"fake inngest answered {status}", "status": status}), status
                too_large = oversized(request.get_data(cache=True), self.max_event_bytes)
                if too_large is not None:
                    self.requests[-1]["status"] = 400
                    return jsonify({"ids": [], "status": 400, "error": too_large}), 400
                if not isinstance(body, list):
                    return jsonify({"error": "body must be a JSON list of events", "status": 400}), 400
                ids = []
                for event in body:
                    self.events.append(event)
                    ids.append(event.get("id") or uuid.uuid4().hex)
            return jsonify({"ids": ids, "status": 200})

        return app

    def _take_failure(self) -> int | None:
        if self._fail_status is None:
            return None
        status = self._fail_status
        if self._fail_times is not None:
            self._fail_times -= 1
            if self._fail_times <= 0:
                self._fail_status = None
                self._fail_times = None
        return status


def _reset_client() -> None:
    from lib.inngest.client import reset_client

    reset_client()
