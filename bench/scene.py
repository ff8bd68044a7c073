"""The whole support flow on 127.0.0.1 for the pipeline and memory benchmarks, in three processes.

    this process:   fake Front, fake product app, fake OpenAI (each answering after a fixed
                    delay, each request recorded), and `/api/front` (the webhook function)
    executor:       `python -m devkit.executor` (the offline Inngest executor), time scale 1
    serve function: `python -m bench.serve_proc` (`api/inngest.py`, all workflows)

All three share one migrated temp SQLite database with the app registered for
the inbox. The agent is the real OpenAI SDK pointed at the fake (`OPENAI_API_KEY`
and `OPENAI_BASE_URL`), so the model's delay is on the critical path.
`customer_writes` delivers a signed `inbound_received` application webhook.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import requests

from bench.recorder import Recorder
from bench.workspace import PYTHON, BenchError, Workspace, child_env

FRONT_SECRET = "bench-front-app-secret"
INBOX = "inb_acme"
CUSTOMER = "ada@example.com"
QUESTION = "What are your opening hours?"  # no action: the run goes straight to a draft


@dataclass(frozen=True)
class Delays:
    """Seconds each fake waits before answering any request."""

    front: float
    product: float
    openai: float


class Scene:
    def __init__(self, ws: Workspace, name: str, delays: Delays, *, record_serve: bool) -> None:
        self.ws = ws
        self.name = name
        self.delays = delays
        self.record_serve = record_serve
        self.recorder = Recorder()
        self.http = requests.Session()
        self._opened: list[Any] = []
        self.executor_url = ""
        self.serve_url = ""

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "Scene":
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _start(self) -> None:
        from lib.apps import registry
        from lib.db import reset_db
        from lib.inngest.client import reset_client
        from devkit.sandbox.front import FakeFront
        from devkit.sandbox.openai_server import FakeOpenAI
        from devkit.sandbox.product_app import FakeProductApp
        from devkit.sandbox.server import LocalServer

        database_url = self.ws.new_database(self.name)
        os.environ["DATABASE_URL"] = database_url
        reset_db()
        registry.clear_cache()

        # The bench measures our pipeline, not the Front plan's per-minute quota (the client's
        # handling of 429s is tested in tests/front); 50 conversations back to back exceed 200 rpm.
        self.front = FakeFront(rate_limit_per_minute=None)
        self.front.app.wsgi_app = self.recorder.wrap("front", self.front.app.wsgi_app)  # type: ignore[method-assign]
        self.front.delay("/", self.delays.front)
        self._opened.append(self.front.start())

        secret = registry.generate_secret()
        self.product = FakeProductApp(secret)
        self.product.delay = self.delays.product
        self.product.add_user(CUSTOMER, name="Ada Lovelace", purchases=[{"id": "pi_100", "product": "Pro plan", "amount": 4900, "currency": "usd"}])
        self.product.app.wsgi_app = self.recorder.wrap("product", self.product.app.wsgi_app)  # type: ignore[method-assign]
        product_server = LocalServer(self.product.app).start()
        self._opened.append(product_server)

        self.openai = FakeOpenAI()
        self.openai.delay = self.delays.openai
        self._opened.append(self.openai.start())

        registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, integration_url=f"{product_server.url}/support",
                            integration_secret=secret)

        executor = self.ws.spawn(f"{self.name}-executor", [PYTHON, "-m", "devkit.executor", "--port", "0", "--no-migrate"],
                                 child_env(DATABASE_URL=database_url))
        self._opened.append(executor)
        self.executor_url = self.ws.wait_for_line(f"{self.name}-executor", executor, r"executor on (http://\S+)").group(1)

        env = child_env(
            DATABASE_URL=database_url,
            INNGEST_DEV=self.executor_url,
            INNGEST_BASE_URL=self.executor_url,
            INNGEST_EVENT_KEY="local",
            **{k: os.environ[k] for k in ("FRONT_API_BASE_URL", "FRONT_API_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MAX_RETRIES")},
        )
        serve = self.ws.spawn(f"{self.name}-serve", [PYTHON, "-m", "bench.serve_proc"] + (["--record"] if self.record_serve else []), env)
        self._opened.append(serve)
        port = self.ws.wait_for_line(f"{self.name}-serve", serve, r"serving on (\d+)").group(1)
        self.serve_url = f"http://127.0.0.1:{port}"
        registered = self.http.put(f"{self.serve_url}/api/inngest", timeout=60)
        if registered.status_code >= 400:
            raise BenchError(f"registering the functions failed: {registered.status_code} {registered.text[:500]}")

        # The webhook function, here, sending to the executor.
        os.environ.update(FRONT_APP_SECRET=FRONT_SECRET, INNGEST_DEV=self.executor_url, INNGEST_BASE_URL=self.executor_url,
                          INNGEST_EVENT_KEY="local")
        reset_client()
        import api.front

        self.webhook = LocalServer(api.front.app).start()
        self._opened.append(self.webhook)

    def close(self) -> None:
        from lib.inngest.client import reset_client

        for thing in reversed(self._opened):
            if hasattr(thing, "send_signal"):
                self.ws.stop(thing)
            else:
                thing.stop()
        self._opened.clear()
        for key in ("FRONT_APP_SECRET", "INNGEST_DEV", "INNGEST_BASE_URL", "INNGEST_EVENT_KEY"):
            os.environ.pop(key, None)
        reset_client()
        self.http.close()

    # ---- driving it ----------------------------------------------------------------------------

    def customer_writes(self, conversation_id: str, event_id: str) -> float:
        """Front delivers the customer's message; the wall-clock time the webhook was sent."""
        from devkit.sandbox.front import app_webhook, app_webhook_headers, front_message

        message = front_message(f"msg_{event_id}", QUESTION, sender=CUSTOMER, sender_name="Ada Lovelace")
        self.front.add_conversation(conversation_id, inbox_id=INBOX)
        self.front.add_message(conversation_id, message)
        body = json.dumps(app_webhook(event_id=event_id, inbox_id=INBOX, conversation_id=conversation_id, message=message)).encode()
        headers = app_webhook_headers(body, FRONT_SECRET)
        sent = time.time()
        response = self.http.post(f"{self.webhook.url}/api/front", data=body, headers=headers, timeout=30)
        if response.status_code != 200 or response.json().get("status") != "sent":
            raise BenchError(f"webhook answered {response.status_code}: {response.text[:300]}")
        return sent

    def wait_for_drafts(self, count: int, timeout: float = 60) -> None:
        """Until the fake Front holds `count` drafts.

        Polls every 20 ms: the figures come from the recorder's timestamps, not from this loop,
        and a tighter loop in the fakes' own process took the GIL from them (a 2 ms poll added
        0.2 ms to the median and 0.7 ms to the p90 of each Front request, measured cross-process).
        """
        deadline = time.monotonic() + timeout
        while len(self.front.drafts) < count:
            if time.monotonic() > deadline:
                raise BenchError(f"{len(self.front.drafts)} of {count} drafts after {timeout}s; runs: {self._run_summary()}")
            time.sleep(0.02)

    def wait_until_idle(self, timeout: float = 60) -> None:
        """Until the executor has no run of handle-inbound-message still going.

        Polls every 50 ms, after a first pause: asking the executor more often would
        take its time from the very runs being measured.
        """
        deadline = time.monotonic() + timeout
        while True:
            time.sleep(0.05)
            if not (self.runs(status="Running") or self.runs(status="Queued")):
                return
            if time.monotonic() > deadline:
                raise BenchError(f"runs still going after {timeout}s: {self._run_summary()}")

    def runs(self, status: str | None = None) -> list[dict[str, Any]]:
        params = {"function_id": "handle-inbound-message"}
        if status:
            params["status"] = status
        response = self.http.get(f"{self.executor_url}/v1/runs", params=params, timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    def serve_calls(self) -> list[dict[str, Any]]:
        return self.http.get(f"{self.serve_url}/__bench/calls", timeout=30).json()

    def serve_memory_kb(self) -> dict[str, int]:
        return self.http.get(f"{self.serve_url}/__bench/memory", timeout=30).json()

    def _run_summary(self) -> Any:
        try:
            return [{k: r.get(k) for k in ("id", "status", "error")} for r in self.runs()][:5]
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return str(exc)
