"""A fake Front API on 127.0.0.1 for the real `lib.front.client.FrontClient` to talk to.

    with FakeFront() as front:                      # sets FRONT_API_BASE_URL/TOKEN, resets get_front()
        front.add_conversation("cnv_1", messages=[front_message("msg_1", "Help!")])
        get_front().create_draft("cnv_1", "Hello")
        assert front.drafts[0]["body"] == "<p>Hello</p>"

Lists answer Front's shape (`_results`, `_pagination.next`), newest first, in
pages of `page_size`. Failures are scriptable: `fail_next(prefix, status,
times, retry_after)` answers the next `times` requests whose path starts with
`prefix`; `delay(prefix, seconds)` makes such requests slow (for timeouts).
Every request is logged in `calls` as `(method, path)`.

`front_message`, `front_event`, `app_webhook` and `app_webhook_headers` build
real-shaped messages and webhook deliveries for posting to `/api/front`.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from tests.fakes.server import EnvSwap, LocalServer

TOKEN = "front-test-token"


def front_message(
    message_id: str,
    text: str | None = "Hello, I need help.",
    *,
    sender: str = "customer@example.com",
    sender_name: str | None = "Casey Customer",
    reply_to: str | None = None,
    subject: str = "Help with my order",
    created_at: float = 1_700_000_000.0,
    is_inbound: bool = True,
    inbox_address: str = "support@example.com",
) -> dict[str, Any]:
    """A message shaped like Front's `GET /messages/{id}` answer."""
    recipients = [
        {"handle": sender if is_inbound else inbox_address, "role": "from", "name": sender_name if is_inbound else "Support"},
        {"handle": inbox_address if is_inbound else sender, "role": "to", "name": None},
    ]
    if reply_to:
        recipients.append({"handle": reply_to, "role": "reply-to", "name": None})
    return {
        "_links": {"self": f"https://api2.frontapp.com/messages/{message_id}"},
        "id": message_id,
        "type": "email",
        "is_inbound": is_inbound,
        "is_draft": False,
        "created_at": created_at,
        "subject": subject,
        "blurb": (text or "")[:100],
        "body": f"<p>{text}</p>" if text is not None else "",
        "text": text or "",
        "author": None if is_inbound else {"id": "tea_1", "email": "agent@example.com"},
        "recipients": recipients,
        "attachments": [],
        "metadata": {},
    }


def front_event(
    event_type: str = "inbound_received",
    *,
    event_id: str = "evt_1",
    inbox_id: str = "inb_1",
    conversation_id: str = "cnv_1",
    message: dict[str, Any] | None = None,
    emitted_at: float = 1_700_000_123.456,
) -> dict[str, Any]:
    """A Front event as a rule webhook sends it (and as an application webhook wraps it in `payload`)."""
    return {
        "_links": {"self": f"https://api2.frontapp.com/events/{event_id}"},
        "id": event_id,
        "type": event_type,
        "emitted_at": emitted_at,
        "conversation": {"id": conversation_id, "subject": "Help with my order", "status": "unassigned"},
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": inbox_id, "name": "Support"}]},
        "target": {"_meta": {"type": "message"}, "data": message if message is not None else front_message("msg_1", "Where is my refund?")},
    }


def app_webhook(event_type: str = "inbound_received", **kwargs: Any) -> dict[str, Any]:
    """An application webhook body: `{type, authorization, payload: event}` (kwargs as for `front_event`)."""
    return {"type": event_type, "authorization": {"id": "cmp_123"}, "payload": front_event(event_type, **kwargs)}


def app_webhook_headers(body: bytes, secret: str, *, timestamp_ms: int | None = None) -> dict[str, str]:
    """The headers Front signs an application webhook with (`x-front-signature`, `x-front-request-timestamp`)."""
    from lib.front.webhooks import sign_app

    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    return {"x-front-signature": sign_app(body, ts, secret), "x-front-request-timestamp": ts, "Content-Type": "application/json"}


@dataclass
class _Failure:
    prefix: str
    status: int
    times: int
    retry_after: float | None


class FakeFront:
    """Conversations, messages, inboxes, channels; records drafts, replies, comments and deleted drafts."""

    def __init__(self, *, token: str | None = TOKEN, page_size: int = 25) -> None:
        self.token = token
        self.page_size = page_size
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.drafts: list[dict[str, Any]] = []  # {"id", "version", "conversation_id", "body", "channel_id", "mode", ...}
        self.replies: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.deleted_drafts: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self._failures: list[_Failure] = []
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._env = EnvSwap()
        self.app = self._make_app()
        self._server: LocalServer | None = None

    # -- data -------------------------------------------------------------------

    def add_conversation(
        self,
        conversation_id: str,
        *,
        messages: list[dict[str, Any]] | None = None,
        inbox_id: str = "inb_1",
        channel_id: str = "cha_1",
        subject: str = "Help with my order",
    ) -> dict[str, Any]:
        with self._lock:
            conversation = {
                "id": conversation_id,
                "subject": subject,
                "status": "unassigned",
                "inbox_id": inbox_id,
                "channel_id": channel_id,
                "message_ids": [],
            }
            self.conversations[conversation_id] = conversation
        for message in messages or []:
            self.add_message(conversation_id, message)
        return conversation

    def add_message(self, conversation_id: str, message: dict[str, Any]) -> None:
        with self._lock:
            self.messages[message["id"]] = message
            self.conversations[conversation_id]["message_ids"].append(message["id"])

    # -- scripted trouble -------------------------------------------------------

    def fail_next(self, path_prefix: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` requests under `path_prefix` answer `status` (429s may carry Retry-After)."""
        with self._lock:
            self._failures.append(_Failure(path_prefix, status, times, retry_after))

    def delay(self, path_prefix: str, seconds: float) -> None:
        """Requests under `path_prefix` wait `seconds` before answering (0 removes the delay)."""
        with self._lock:
            if seconds > 0:
                self._delays[path_prefix] = seconds
            else:
                self._delays.pop(path_prefix, None)

    def calls_to(self, method: str, path: str) -> int:
        return sum(1 for call in self.calls if call == (method, path))

    # -- lifecycle --------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeFront is not started")
        return self._server.url

    def start(self) -> "FakeFront":
        """Serve on 127.0.0.1 and point `get_front()` at it (environment restored by `stop`)."""
        self._server = LocalServer(self.app).start()
        # token=None: any token is accepted
        self._env.set({"FRONT_API_BASE_URL": self.url, "FRONT_API_TOKEN": self.token or "unchecked-token"})
        _reset_front()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._env.restore()
        _reset_front()

    def __enter__(self) -> "FakeFront":
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.stop()

    # -- the fake API -------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("fake-front")

        @app.before_request
        def _gate() -> ResponseReturnValue | None:
            path = request.path
            with self._lock:
                self.calls.append((request.method, path))
                delay = next((s for prefix, s in self._delays.items() if path.startswith(prefix)), 0.0)
                failure = next((f for f in self._failures if path.startswith(f.prefix)), None)
                if failure is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
            if delay:
                time.sleep(delay)
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                return _error(401, "missing or wrong bearer token")
            if failure is not None:
                headers = {"Retry-After": _fmt(failure.retry_after)} if failure.retry_after is not None else {}
                return _error(failure.status, f"scripted failure {failure.status}", headers)
            return None

        @app.get("/messages/<message_id>")
        def get_message(message_id: str) -> ResponseReturnValue:
            message = self.messages.get(message_id)
            return jsonify(message) if message else _error(404, f"message {message_id} not found")

        @app.get("/conversations/<conversation_id>")
        def get_conversation(conversation_id: str) -> ResponseReturnValue:
            conversation = self.conversations.get(conversation_id)
            if conversation is None:
                return _error(404, f"conversation {conversation_id} not found")
            return jsonify({k: v for k, v in conversation.items() if k not in ("message_ids", "inbox_id", "channel_id")})

        @app.get("/conversations/<conversation_id>/messages")
        def list_messages(conversation_id: str) -> ResponseReturnValue:
            conversation = self.conversations.get(conversation_id)
            if conversation is None:
                return _error(404, f"conversation {conversation_id} not found")
            newest_first = sorted(
                (self.messages[m] for m in conversation["message_ids"]), key=lambda m: m["created_at"], reverse=True
            )
            return self._page(newest_first)

        @app.get("/conversations/<conversation_id>/inboxes")
        def conversation_inboxes(conversation_id: str) -> ResponseReturnValue:
            conversation = self.conversations.get(conversation_id)
            if conversation is None:
                return _error(404, f"conversation {conversation_id} not found")
            return self._page([{"id": conversation["inbox_id"], "name": "Support", "is_private": False}])

        @app.get("/inboxes/<inbox_id>/channels")
        def inbox_channels(inbox_id: str) -> ResponseReturnValue:
            channels = sorted({c["channel_id"] for c in self.conversations.values() if c["inbox_id"] == inbox_id})
            if not channels:
                return _error(404, f"inbox {inbox_id} not found")
            return self._page([{"id": c, "type": "smtp", "address": "support@example.com"} for c in channels])

        @app.post("/conversations/<conversation_id>/drafts")
        def create_draft(conversation_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True) or {}
            problem = self._check_write(conversation_id, body)
            if problem:
                return problem
            draft = {"id": f"msg_draft{next(self._ids)}", "version": "v1", "conversation_id": conversation_id, **body}
            with self._lock:
                self.drafts.append(draft)
            return jsonify({**draft, "is_draft": True, "draft_mode": body.get("mode")}), 200

        @app.post("/conversations/<conversation_id>/messages")
        def reply(conversation_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True) or {}
            problem = self._check_write(conversation_id, body)
            if problem:
                return problem
            with self._lock:
                self.replies.append({"conversation_id": conversation_id, **body})
            return jsonify({"status": "accepted", "message_uid": f"uid{next(self._ids)}"}), 202

        @app.post("/conversations/<conversation_id>/comments")
        def comment(conversation_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True) or {}
            if conversation_id not in self.conversations:
                return _error(404, f"conversation {conversation_id} not found")
            if not body.get("body"):
                return _error(400, "body is required")
            created = {"id": f"com_{next(self._ids)}", "conversation_id": conversation_id, "body": body["body"]}
            with self._lock:
                self.comments.append(created)
            return jsonify(created), 201

        @app.delete("/drafts/<draft_id>")
        def delete_draft(draft_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True) or {}
            with self._lock:
                draft = next((d for d in self.drafts if d["id"] == draft_id), None)
                if draft is None:
                    return _error(404, f"draft {draft_id} not found")
                if body.get("version") and body["version"] != draft["version"]:
                    return _error(409, "draft version mismatch")
                self.drafts.remove(draft)
                self.deleted_drafts.append(draft)
            return "", 204

        return app

    def _check_write(self, conversation_id: str, body: dict[str, Any]) -> ResponseReturnValue | None:
        if conversation_id not in self.conversations:
            return _error(404, f"conversation {conversation_id} not found")
        if not body.get("body"):
            return _error(400, "body is required")
        if body.get("channel_id") != self.conversations[conversation_id]["channel_id"]:
            return _error(400, f"channel {body.get('channel_id')} cannot reply in this conversation")
        return None

    def _page(self, items: list[dict[str, Any]]) -> ResponseReturnValue:
        try:
            start = int(request.args.get("page_token", "0"))
        except ValueError:
            return _error(400, "bad page_token")
        end = start + self.page_size
        next_url = f"{request.base_url}?page_token={end}" if end < len(items) else None
        return jsonify({"_pagination": {"next": next_url}, "_links": {"self": request.url}, "_results": items[start:end]})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    return jsonify({"_error": {"status": status, "title": "error", "message": message}}), status, headers or {}


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _reset_front() -> None:
    from lib.front.client import reset_front

    reset_front()
