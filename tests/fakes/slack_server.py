"""A fake Slack on 127.0.0.1: `chat.postMessage`, `chat.update`, an incoming webhook and a response_url.

    with FakeSlack(token="xoxb-test") as slack:
        os.environ["SLACK_API_BASE_URL"] = slack.api_url
        ...
        slack.posted[0]["blocks"]

Web API calls must carry `Authorization: Bearer <token>` and a `channel`, as
Slack demands; the answers have Slack's shape (`ok`, `channel`, `ts`, `error`).
"""

from __future__ import annotations

import itertools
import threading
from types import TracebackType
from typing import Any

from flask import Flask, jsonify, request

from tests.fakes.server import LocalServer


class FakeSlack:
    def __init__(self, token: str = "xoxb-test") -> None:
        self.token = token
        self.posted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.webhook: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.fail_status: int | None = None
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._server = LocalServer(self._make_app())

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    @property
    def webhook_url(self) -> str:
        return self.url + "/services/T000/B000/hook"

    @property
    def response_url(self) -> str:
        return self.url + "/actions/response"

    def _make_app(self) -> Flask:
        app = Flask("fake-slack")

        def web_api(kind: list[dict[str, Any]], needs_ts: bool) -> Any:
            if self.fail_status:
                return jsonify({"ok": False, "error": "fatal_error"}), self.fail_status
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify({"ok": False, "error": "invalid_auth"})
            body = request.get_json(silent=True) or {}
            if not body.get("channel"):
                return jsonify({"ok": False, "error": "channel_not_found"})
            if needs_ts and not body.get("ts"):
                return jsonify({"ok": False, "error": "message_not_found"})
            with self._lock:
                ts = body.get("ts") or f"1700000000.{next(self._ts):06d}"
                kind.append({**body, "ts": ts})
            return jsonify({"ok": True, "channel": body["channel"], "ts": ts})

        @app.post("/api/chat.postMessage")
        def post_message() -> Any:
            return web_api(self.posted, needs_ts=False)

        @app.post("/api/chat.update")
        def update() -> Any:
            return web_api(self.updated, needs_ts=True)

        @app.post("/services/T000/B000/hook")
        def hook() -> Any:
            if self.fail_status:
                return "internal_error", self.fail_status
            with self._lock:
                self.webhook.append(request.get_json(silent=True) or {})
            return "ok"

        @app.post("/actions/response")
        def response() -> Any:
            with self._lock:
                self.responses.append(request.get_json(silent=True) or {})
            return jsonify({"ok": True})

        return app

    def __enter__(self) -> "FakeSlack":
        self._server.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self._server.stop()
