"""A fake Slack on 127.0.0.1: `chat.postMessage`, `chat.update`, an incoming webhook, response URLs, and clicks.

    with FakeSlack(token="xoxb-test") as slack:
        os.environ["SLACK_API_BASE_URL"] = slack.api_url
        ...
        slack.posted[0]["blocks"]
        slack.click(endpoint_url, slack.message("webhook:1"), "approve", signing_secret)

As unkind as Slack, each behaviour with its source:

- Web API calls must carry `Authorization: Bearer <token>` and a `channel`; answers have
  Slack's shape (`ok`, `channel`, `ts`, `error`) (Slack Web API reference, chat.postMessage,
  chat.update).
- `delay` makes every answer (Web API, webhook, response URLs) that many seconds slow:
  Slack's API has no latency guarantee.
- `click()` is Slack delivering a `block_actions` payload to the app's interactivity URL,
  signed with the `v0` scheme, and giving up after 3 s: the app must send the acknowledgment
  response (HTTP 200) within 3000 ms, or Slack shows the user an error (Slack, "Handling
  user interaction", acknowledgment response).
- Each click carries its own `response_url`, good for 5 uses within 30 minutes ("Handling
  user interaction", message responses); a sixth use answers 404 `used_url`.
  `replace_original: true` replaces the message the click came from (buttons included),
  `delete_original: true` deletes it, anything else is an ephemeral/new response.
- Text in `mrkdwn` objects and the top-level `text` is parsed the way Slack parses it:
  `<...>` is a control sequence (`<!channel>`, `<!here>`, `<@U123>`, `<#C123>`,
  `<https://x|label>`), and only `&amp;` `&lt;` `&gt;` escape it (Slack, "Formatting text
  for app surfaces", escaping text). `live_entities()` lists what would be live.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, jsonify, request

from devkit.sandbox.server import LocalServer

ACK_BUDGET_SECONDS = 3.0  # Slack: acknowledgment response within 3000 ms
RESPONSE_URL_USES = 5  # Slack: a response_url works up to 5 times within 30 minutes
RESPONSE_URL_LIFETIME = 30 * 60

_CONTROL = re.compile(r"<([^<>]*)>")


@dataclass
class Delivery:
    """What Slack saw when it delivered a click: the answer, or that the app took longer than 3 s."""

    status: int | None
    body: Any
    elapsed: float
    timed_out: bool

    @property
    def acknowledged(self) -> bool:
        """Slack shows the clicker no error only for a 200 within the budget."""
        return not self.timed_out and self.status == 200


def _sign(body: bytes, timestamp: str, secret: str) -> str:
    """Slack's request signature: `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{body}` (Slack, "Verifying requests from Slack")."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def live_entities(payload: dict[str, Any]) -> list[str]:
    """Every control sequence Slack would turn into a mention or a link in this message payload."""
    found: list[str] = []
    for text in _mrkdwn_texts(payload):
        found.extend(match.group(1) for match in _CONTROL.finditer(text))
    return found


def mentions(payload: dict[str, Any]) -> list[str]:
    """Live `@channel`/`@here`/`@everyone`/user-group/user/channel mentions in a message payload."""
    return [e for e in live_entities(payload) if e[:1] in ("!", "@", "#")]


def links(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """Live links as `(url, label)`; a bare `<url>` is labelled with the url."""
    out = []
    for entity in live_entities(payload):
        if entity[:1] not in ("!", "@", "#"):
            url, _, label = entity.partition("|")
            out.append((url, label or url))
    return out


def _mrkdwn_texts(payload: Any) -> list[str]:
    """Texts Slack parses as mrkdwn: text objects of type mrkdwn, and the top-level `text` (mrkdwn by default)."""
    texts: list[str] = []
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") in (None, "mrkdwn") and payload.get("mrkdwn", True):
            texts.append(payload["text"])
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                texts.extend(_mrkdwn_texts(value))
    elif isinstance(payload, list):
        for item in payload:
            texts.extend(_mrkdwn_texts(item))
    return texts


class FakeSlack:
    def __init__(self, token: str = "xoxb-test") -> None:
        self.token = token
        self.posted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.webhook: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # every accepted response_url post
        self.messages: dict[str, dict[str, Any]] = {}  # current state: "C123:ts" or "webhook:N" -> {"text", "blocks"}
        self.fail_status: int | None = None  # answer every call with this status (Slack outage)
        self.fail_times: int | None = None  # ... only the next N calls, then heal
        self.delay: float = 0.0
        self._response_urls: dict[str, dict[str, Any]] = {}  # token -> {"message", "uses", "issued"}
        self._ts = itertools.count(1)
        self._hooks = itertools.count(1)
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
        """A response URL not tied to any message (ephemeral answers only)."""
        return self._issue_response_url(None)

    def message(self, key: str) -> dict[str, Any]:
        """The current state of a message: `"webhook:1"` for the first webhook post, `"C123:ts"` for a bot post."""
        with self._lock:
            return self.messages[key]

    def has_buttons(self, key: str) -> bool:
        return any(b.get("type") == "actions" for b in self.message(key).get("blocks") or [])

    def _issue_response_url(self, message_key: str | None) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._response_urls[token] = {"message": message_key, "uses": 0, "issued": time.monotonic()}
        return f"{self.url}/actions/{token}"

    # -- Slack delivering a click to the app ------------------------------------

    def click_payload(self, message_key: str, button: str, *, user: str = "ann", user_id: str = "U1") -> dict[str, Any]:
        """The `block_actions` payload Slack sends when `user` clicks `button` on that message."""
        state = self.message(message_key)
        element = next(e for b in state.get("blocks") or [] if b.get("type") == "actions"
                       for e in b.get("elements") or [] if e.get("action_id") == button)
        channel, _, ts = message_key.partition(":")
        container = ({"type": "message", "channel_id": channel, "message_ts": ts} if channel != "webhook"
                     else {"type": "message", "channel_id": "C_WEBHOOK", "message_ts": f"hook.{ts}"})
        return {
            "type": "block_actions",
            "user": {"id": user_id, "username": user},
            "container": container,
            "response_url": self._issue_response_url(message_key),
            "actions": [{"action_id": button, "block_id": "approval", "value": element.get("value"), "type": "button"}],
        }

    def click(self, endpoint: str, payload: dict[str, Any], signing_secret: str) -> Delivery:
        """POST the signed interaction as Slack does, waiting at most Slack's 3 s for the answer."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        ts = str(int(time.time()))
        started = time.monotonic()
        try:
            response = requests.post(endpoint, data=body, timeout=ACK_BUDGET_SECONDS, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": _sign(body, ts, signing_secret),
            })
        except requests.Timeout:
            return Delivery(None, None, time.monotonic() - started, True)
        elapsed = time.monotonic() - started
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = response.text
        return Delivery(response.status_code, parsed, elapsed, elapsed > ACK_BUDGET_SECONDS)

    # -- the fake API -----------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("fake-slack")

        @app.before_request
        def slow() -> Any:
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                if self.fail_status and self.fail_times is not None:
                    self.fail_times -= 1
                    status = self.fail_status
                    if self.fail_times <= 0:
                        self.fail_status = self.fail_times = None
                    return jsonify({"ok": False, "error": "fatal_error"}), status
            return None

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
                key = f"{body['channel']}:{ts}"
                if needs_ts and key not in self.messages:
                    return jsonify({"ok": False, "error": "message_not_found"})
                kind.append({**body, "ts": ts})
                self.messages[key] = {"text": body.get("text"), "blocks": body.get("blocks")}
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
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
                return "no_text", 400  # Slack: incoming webhooks answer 400 no_text
            with self._lock:
                self.webhook.append(body)
                self.messages[f"webhook:{next(self._hooks)}"] = {"text": body.get("text"), "blocks": body.get("blocks")}
            return "ok"

        @app.post("/actions/<token>")
        def response(token: str) -> Any:
            body = request.get_json(silent=True)
            with self._lock:
                issued = self._response_urls.get(token)
                if issued is None or time.monotonic() - issued["issued"] > RESPONSE_URL_LIFETIME:
                    return "expired_url", 404
                if issued["uses"] >= RESPONSE_URL_USES:
                    return "used_url", 404
                issued["uses"] += 1
                if not isinstance(body, dict):
                    return "invalid_payload", 400
                self.responses.append(body)
                key = issued["message"]
                if key is not None and body.get("delete_original"):
                    self.messages.pop(key, None)
                elif key is not None and body.get("replace_original"):
                    self.messages[key] = {"text": body.get("text"), "blocks": body.get("blocks")}
            return jsonify({"ok": True})

        return app

    def __enter__(self) -> "FakeSlack":
        self._server.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self._server.stop()
