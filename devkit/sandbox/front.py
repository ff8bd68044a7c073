"""A fake Front API on 127.0.0.1 for the real `lib.front.client.FrontClient` to talk to.

    with FakeFront() as front:                      # sets FRONT_API_BASE_URL/TOKEN, resets get_front()
        front.add_conversation("cnv_1", messages=[front_message("msg_1", "Help!")])
        get_front().create_draft("cnv_1", "Hello")
        assert front.drafts[0]["body"] == "<p>Hello</p>"

It behaves as Front does where our client depends on it (sources named at each
behaviour: Front's OpenAPI spec, repository `frontapp/front-api-specs`,
`core-api/core-api.json`; Front's developer docs at dev.frontapp.com):

- Two host names, as Front has: requests go to the base URL (`api2.frontapp.com`
  in production, here `http://127.0.0.1:PORT`), but every link Front hands out
  (`_pagination.next`, `_links`, a merged conversation's `Location`) is on the
  company's own host (`https://<company>.api.frontapp.com`, here
  `http://localhost:PORT`, a second name for the same server).
- Lists answer `_results` newest first with `_pagination.next`; `limit` is at
  most 100 and `page_token` is opaque.
- Merged conversations answer 301 with a `Location` on the surviving one, for
  GET and POST alike (`merge`).
- Drafts carry a `version` that changes when a teammate edits one
  (`teammate_edits_draft`); deleting needs the current version (400 without, 409
  stale); editing with a stale version is a 409.
- A per-company limit per minute (Front's plans: 50/100/200 rpm) and a burst
  limit of 5 requests per second per conversation on writes, answered 429 with
  `Retry-After` (seconds to the window's end) and `x-ratelimit-*` on every
  answer. `advance(seconds)` moves the fake's clock instead of sleeping.

Failures are scriptable: `fail_next(prefix, status, times, retry_after)` answers
the next `times` requests whose path starts with `prefix`; `delay(prefix,
seconds)` makes such requests slow (for timeouts). Every request is logged in
`calls` as `(method, path)`, and `hosts` records which host name each went to.

`front_message`, `front_event`, `app_webhook` and `app_webhook_headers` build
real-shaped messages and webhook deliveries for posting to `/api/front`.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from devkit.sandbox.server import EnvSwap, LocalServer
from lib.front.messages import html_to_text

TOKEN = "front-test-token"
UID_ALIAS = "alt:uid:"


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
        "_links": {"self": f"https://acme.api.frontapp.com/messages/{message_id}"},
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


# An application webhook's outer `type` names the subscription; the event inside
# (`payload`) carries Front's own event type, as in the spec's `EventResponse.type`
# enum (core-api.json): `inbound` for a received message, `out_reply` for a
# teammate's reply (`outbound` for a new outbound message), `tag`, `comment`, ...
APP_EVENT_TYPES: dict[str, str] = {
    "inbound_received": "inbound",
    "outbound_sent": "out_reply",
    "tag_added": "tag",
    "tag_removed": "untag",
    "new_comment_added": "comment",
    "assignee_changed": "assign",
    "conversation_archived": "archive",
    "conversation_reopened": "reopen",
}


def front_event(
    event_type: str = "inbound",
    *,
    event_id: str = "evt_1",
    inbox_id: str = "inb_1",
    conversation_id: str = "cnv_1",
    message: dict[str, Any] | None = None,
    emitted_at: float = 1_700_000_123.456,
) -> dict[str, Any]:
    """A Front event (spec `EventResponse`) as a rule webhook sends it and an application webhook wraps it.

    `event_type` is Front's event type (`inbound`, `out_reply`, ...); an application
    subscription name (`inbound_received`) is translated to the type Front puts in the event.
    """
    return {
        "_links": {"self": f"https://acme.api.frontapp.com/events/{event_id}"},
        "id": event_id,
        "type": APP_EVENT_TYPES.get(event_type, event_type),
        "emitted_at": emitted_at,
        "conversation": {"id": conversation_id, "subject": "Help with my order", "status": "unassigned"},
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": inbox_id, "name": "Support"}]},
        "target": {"_meta": {"type": "message"}, "data": message if message is not None else front_message("msg_1", "Where is my refund?")},
    }


def app_webhook(event_type: str = "inbound_received", **kwargs: Any) -> dict[str, Any]:
    """An application webhook body: `{type: <subscription>, authorization, payload: <event>}` (kwargs as for `front_event`).

    Front's docs ("Application webhooks"): the outer `type` is the subscribed event
    (`inbound_received`, `outbound_sent`), the payload is the event with its own type.
    """
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


# Front's plans: Starter 50, Professional 100, Enterprise 200 requests per minute,
# per company (dev.frontapp.com/docs/rate-limiting). The fake defaults to Enterprise.
ENTERPRISE_RPM = 200
# "Generally, there is a limit of 5 requests per second, per resource" (Front's
# help center, "Front's API rate limit", burst limits). Applied to writes on one conversation.
BURST_PER_SECOND = 5
MAX_LIMIT = 100  # spec: parameter `limit`, maximum 100
COMPANY_HOST = "localhost"  # the fake's `<company>.api.frontapp.com`: another name for 127.0.0.1
# Spec `UpdateConversation` (core-api.json): its properties, and the `status` enum.
UPDATE_CONVERSATION_FIELDS = frozenset({"assignee_id", "inbox_id", "status", "status_id", "tag_ids", "description", "due_at", "custom_fields"})
CONVERSATION_STATUSES = ("archived", "open", "deleted", "spam")


class FakeFront:
    """Conversations, messages, inboxes, channels; records drafts, replies, comments and deleted drafts."""

    def __init__(
        self,
        *,
        token: str | None = TOKEN,
        page_size: int = 25,
        rate_limit_per_minute: int | None = ENTERPRISE_RPM,
        burst_per_second: int | None = BURST_PER_SECOND,
    ) -> None:
        self.token = token
        self.page_size = page_size  # the page size when a request names no `limit` (the spec's example: 25)
        self.rate_limit_per_minute = rate_limit_per_minute
        self.burst_per_second = burst_per_second
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.merged_into: dict[str, str] = {}
        self.drafts: list[dict[str, Any]] = []  # {"id", "version", "conversation_id", "body", "channel_id", "mode", ...}
        self.replies: list[dict[str, Any]] = []
        self.message_uids: dict[str, str] = {}  # a sent reply's uid -> its message id
        self.comments: list[dict[str, Any]] = []
        self.deleted_drafts: list[dict[str, Any]] = []
        self.tags: dict[str, str] = {}  # tag id -> name: the company's tags (`add_tag`)
        self.calls: list[tuple[str, str]] = []
        self.hosts: list[str] = []
        self.rate_limited: list[tuple[str, str, int]] = []  # (method, path, Retry-After) of each 429 the limiter gave
        self._failures: list[_Failure] = []
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._page_tokens: dict[str, tuple[str, int, int]] = {}
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._window: tuple[float, int] = (0.0, 0)  # (start, requests) of the current minute
        self._bursts: dict[str, tuple[int, int]] = {}  # resource -> (second, requests)
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
                "tags": [],
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

    def customer_of(self, conversation_id: str) -> str | None:
        """The first inbound message's sender: whom a reply goes to."""
        conversation = self.conversations.get(conversation_id) or {"message_ids": []}
        for message_id in conversation["message_ids"]:
            message = self.messages.get(message_id) or {}
            if message.get("is_inbound"):
                return next((r["handle"] for r in message.get("recipients") or [] if r.get("role") == "from"), None)
        return None

    def add_tag(self, tag_id: str, name: str) -> None:
        """A tag the company has (Front: created under Settings or `POST /tags`)."""
        with self._lock:
            self.tags[tag_id] = name

    def merge(self, source_id: str, into_id: str) -> None:
        """A teammate merges `source_id` into `into_id`: its messages move, and requests on it answer 301.

        Spec (core-api.json): the conversation endpoints (GET/POST `.../messages`,
        `.../drafts`, `.../comments`, GET `/conversations/{id}`) answer 301 "If the
        conversation has been merged, the response redirects you to the merged conversation."
        """
        with self._lock:
            source, target = self.conversations.pop(source_id), self.conversations[into_id]
            target["message_ids"].extend(source["message_ids"])
            for draft in self.drafts:
                if draft["conversation_id"] == source_id:
                    draft["conversation_id"] = into_id
            self.merged_into[source_id] = into_id

    def teammate_edits_draft(self, draft_id: str, body: str = "<p>Edited by a teammate</p>") -> dict[str, Any]:
        """A teammate edits a shared draft in Front: its body and `version` change."""
        with self._lock:
            draft = self._draft(draft_id)
            if draft is None:
                raise KeyError(draft_id)
            draft["body"] = body
            draft["version"] = self._new_version()
            return dict(draft)

    def draft(self, draft_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._draft(draft_id)
            return dict(found) if found else None

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

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (rate-limit windows) forward instead of sleeping."""
        with self._lock:
            self._offset += seconds

    def freeze(self) -> None:
        """Stop the fake's clock where it is (only `advance` moves it): a test of a per-second window
        then cannot straddle a second boundary on a slow machine."""
        with self._lock:
            self._frozen_at = time.time()

    def calls_to(self, method: str, path: str) -> int:
        return sum(1 for call in self.calls if call == (method, path))

    # -- lifecycle --------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL the client is configured with (Front: `https://api2.frontapp.com`)."""
        if self._server is None:
            raise RuntimeError("FakeFront is not started")
        return self._server.url

    @property
    def company_url(self) -> str:
        """Where Front's links point (Front: `https://<company>.api.frontapp.com`): same server, other host name."""
        if self._server is None:
            raise RuntimeError("FakeFront is not started")
        return f"http://{COMPANY_HOST}:{self._server.port}"

    def start(self, port: int = 0, app: Any = None) -> "FakeFront":
        """Serve on 127.0.0.1 and point `get_front()` at it (environment restored by `stop`).

        `port` 0 is any free port; `app` is a WSGI app to serve in this one's place that
        passes the API through to `self.app` (a sandbox's pages in front of it).
        """
        self._server = LocalServer(app or self.app, port=port).start()
        # token=None: any token is accepted. FRONT_API_LINK_HOSTS tells the client that
        # our company host name is Front's, as `*.api.frontapp.com` is in production.
        self._env.set({
            "FRONT_API_BASE_URL": self.url,
            "FRONT_API_TOKEN": self.token or "unchecked-token",
            "FRONT_API_LINK_HOSTS": COMPANY_HOST,
        })
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
        app.url_map.strict_slashes = False  # the spec's edit-draft path is `/drafts/{message_id}/`

        @app.before_request
        def _gate() -> ResponseReturnValue | None:
            path = request.path
            with self._lock:
                self.calls.append((request.method, path))
                self.hosts.append(request.host.split(":")[0])
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
            limited = self._limit(request.method, path)
            if limited is not None:
                return limited
            return self._redirect_if_merged(path)

        @app.after_request
        def _rate_headers(response: Any) -> Any:
            # "Every API call response will contain three headers related to the rate-limiting"
            # (dev.frontapp.com/docs/rate-limiting); reset is a UNIX timestamp.
            if self.rate_limit_per_minute:
                with self._lock:
                    start, used = self._window
                response.headers.setdefault("x-ratelimit-limit", str(self.rate_limit_per_minute))
                response.headers.setdefault("x-ratelimit-remaining", str(max(0, self.rate_limit_per_minute - used)))
                response.headers.setdefault("x-ratelimit-reset", str(int(start + 60)))
            return response

        @app.get("/messages/<message_id>")
        def get_message(message_id: str) -> ResponseReturnValue:
            # Drafts are messages: spec `MessageResponse` has `draft_mode` and `version`.
            draft = self.draft(message_id)
            if draft is not None:
                return jsonify(self._draft_json(draft))
            if message_id.startswith(UID_ALIAS):  # Front's alias for a message known by its uid
                message_id = self.message_uids.get(message_id[len(UID_ALIAS):], "")
            message = self.messages.get(message_id)
            return jsonify(message) if message else _error(404, f"message {message_id} not found")

        @app.get("/conversations/<conversation_id>")
        def get_conversation(conversation_id: str) -> ResponseReturnValue:
            conversation = self.conversations.get(conversation_id)
            if conversation is None:
                return _error(404, f"conversation {conversation_id} not found")
            shown = {k: v for k, v in conversation.items() if k not in ("message_ids", "inbox_id", "channel_id")}
            shown["tags"] = [{"id": t, "name": self.tags.get(t)} for t in conversation.get("tags", [])]  # spec: TagResponse objects
            return jsonify({"_links": {"self": f"{self.company_url}/conversations/{conversation_id}"}, **shown})

        @app.get("/conversations/<conversation_id>/messages")
        def list_messages(conversation_id: str) -> ResponseReturnValue:
            conversation = self.conversations.get(conversation_id)
            if conversation is None:
                return _error(404, f"conversation {conversation_id} not found")
            newest_first = sorted(
                (self.messages[m] for m in conversation["message_ids"]), key=lambda m: m["created_at"], reverse=True
            )
            return self._page(newest_first)

        @app.get("/conversations/<conversation_id>/drafts")
        def list_drafts(conversation_id: str) -> ResponseReturnValue:
            if conversation_id not in self.conversations:
                return _error(404, f"conversation {conversation_id} not found")
            with self._lock:
                drafts = [self._draft_json(d) for d in self.drafts if d["conversation_id"] == conversation_id]
            return self._page(drafts)

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
            draft = {"id": f"msg_draft{next(self._ids)}", "version": self._new_version(), "conversation_id": conversation_id, **body}
            with self._lock:
                self.drafts.append(draft)
            return jsonify(self._draft_json(draft)), 200

        @app.post("/conversations/<conversation_id>/messages")
        def reply(conversation_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True) or {}
            problem = self._check_write(conversation_id, body)
            if problem:
                return problem
            # Spec `reply-to-conversation`: 202 with only a `message_uid`; the message itself appears in the
            # conversation and is fetched with the uid as an alias, `GET /messages/alt:uid:{uid}` (Front's docs,
            # "Resource aliases"). Its id differs from the uid.
            uid = f"uid{next(self._ids)}"
            message = front_message(f"msg_sent{next(self._ids)}", html_to_text(str(body.get("body") or "")), is_inbound=False,
                                    sender=self.customer_of(conversation_id) or "customer@example.com", created_at=self._now())
            message["body"] = str(body.get("body") or "")
            message["author"] = None  # sent with an API token and no `author_id`
            with self._lock:
                self.replies.append({"conversation_id": conversation_id, **body})
                self.message_uids[uid] = message["id"]
            self.add_message(conversation_id, message)
            return jsonify({"status": "accepted", "message_uid": uid}), 202

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

        @app.patch("/conversations/<conversation_id>")
        def update_conversation(conversation_id: str) -> ResponseReturnValue:
            # Spec `update-conversation` (core-api.json, schema `UpdateConversation`): `status` is one of
            # archived/open/deleted/spam, `tag_ids` replaces the tags; "204 No content"; 400 "Invalid input".
            body = request.get_json(silent=True)
            with self._lock:
                conversation = self.conversations.get(conversation_id)
                if conversation is None:
                    return _error(404, f"conversation {conversation_id} not found")
                if not isinstance(body, dict) or not body:
                    return _error(400, "a JSON object with the fields to update is required")
                unknown = set(body) - UPDATE_CONVERSATION_FIELDS
                if unknown:
                    return _error(400, f"unknown fields: {', '.join(sorted(unknown))}")
                if "status" in body and body["status"] not in CONVERSATION_STATUSES:
                    return _error(400, f"status must be one of {', '.join(CONVERSATION_STATUSES)}")
                if "tag_ids" in body:
                    problem = self._check_tags(body["tag_ids"])
                    if problem:
                        return problem
                    conversation["tags"] = list(body["tag_ids"])
                if "status" in body:
                    conversation["status"] = body["status"]
            return "", 204

        @app.post("/conversations/<conversation_id>/tags")
        def add_conversation_tags(conversation_id: str) -> ResponseReturnValue:
            # Spec `add-conversation-tag`: body `TagIds` with `tag_ids` required; "204 No content".
            body = request.get_json(silent=True)
            with self._lock:
                conversation = self.conversations.get(conversation_id)
                if conversation is None:
                    return _error(404, f"conversation {conversation_id} not found")
                if not isinstance(body, dict) or "tag_ids" not in body:
                    return _error(400, "body.tag_ids is required")
                problem = self._check_tags(body["tag_ids"])
                if problem:
                    return problem
                conversation["tags"].extend(t for t in body["tag_ids"] if t not in conversation["tags"])
            return "", 204

        @app.delete("/drafts/<draft_id>")
        def delete_draft(draft_id: str) -> ResponseReturnValue:
            # Spec `DeleteDraft`: `version` is required; a version that is not the
            # draft's current one is a conflict (the draft changed since it was read).
            body = request.get_json(silent=True) or {}
            with self._lock:
                draft = self._draft(draft_id)
                if draft is None:
                    return _error(404, f"draft {draft_id} not found")
                if not body.get("version"):
                    return _error(400, "body.version is required")
                if body["version"] != draft["version"]:
                    return _error(409, "the draft version does not match: it was changed since you read it")
                self.drafts.remove(draft)
                self.deleted_drafts.append(draft)
            return "", 204

        @app.patch("/drafts/<draft_id>")
        def edit_draft(draft_id: str) -> ResponseReturnValue:
            # Spec `EditDraft`: body and channel_id required; a stale `version` is a conflict.
            body = request.get_json(silent=True) or {}
            with self._lock:
                draft = self._draft(draft_id)
                if draft is None:
                    return _error(404, f"draft {draft_id} not found")
                if not body.get("body") or not body.get("channel_id"):
                    return _error(400, "body and channel_id are required")
                if body.get("version") and body["version"] != draft["version"]:
                    return _error(409, "the draft version does not match: it was changed since you read it")
                draft.update({k: v for k, v in body.items() if k != "version"}, version=self._new_version())
                answer = self._draft_json(draft)
            return jsonify(answer), 200

        return app

    # -- helpers ----------------------------------------------------------------

    def _now(self) -> float:
        return (self._frozen_at if self._frozen_at is not None else time.time()) + self._offset

    def _limit(self, method: str, path: str) -> ResponseReturnValue | None:
        """Front's company limit per minute and burst limit per resource: 429 with Retry-After."""
        with self._lock:
            now = self._now()
            if self.burst_per_second and method in ("POST", "PATCH", "DELETE") and path.startswith("/conversations/"):
                resource = path.split("/")[2]
                second, used = self._bursts.get(resource, (int(now), 0))
                if second != int(now):
                    second, used = int(now), 0
                if used >= self.burst_per_second:
                    self.rate_limited.append((method, path, 1))
                    return _error(429, f"burst rate limit exceeded for {resource}", {"Retry-After": "1"})
                self._bursts[resource] = (second, used + 1)
            if not self.rate_limit_per_minute:
                return None
            start, used = self._window
            if now - start >= 60:
                start, used = now, 0
            if used >= self.rate_limit_per_minute:
                wait = max(1, int(start + 60 - now + 0.999))
                self.rate_limited.append((method, path, wait))
                return _error(429, "rate limit exceeded", {"Retry-After": str(wait)})
            self._window = (start, used + 1)
        return None

    def _redirect_if_merged(self, path: str) -> ResponseReturnValue | None:
        parts = path.split("/")
        if len(parts) < 3 or parts[1] != "conversations" or parts[2] not in self.merged_into:
            return None
        parts[2] = self.merged_into[parts[2]]
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return "", 301, {"Location": f"{self.company_url}{'/'.join(parts)}{query}"}

    def _draft(self, draft_id: str) -> dict[str, Any] | None:
        return next((d for d in self.drafts if d["id"] == draft_id), None)

    def _new_version(self) -> str:
        # Spec example: "551ba368f3e7803cce51503ee3e58ef0-26028-1701804863304-945c"
        return f"{uuid.uuid4().hex}-{next(self._ids)}-{int(self._now() * 1000)}"

    def _draft_json(self, draft: dict[str, Any]) -> dict[str, Any]:
        return {
            "_links": {
                "self": f"{self.company_url}/messages/{draft['id']}",
                "related": {"conversation": f"{self.company_url}/conversations/{draft['conversation_id']}"},
            },
            **{k: v for k, v in draft.items() if k != "mode"},
            "is_draft": True,
            "draft_mode": draft.get("mode"),
        }

    def _check_tags(self, tag_ids: Any) -> ResponseReturnValue | None:
        """`tag_ids` must be an array of ids (spec `TagIds`); an id the company does not have is refused.

        The spec lists no answer for an unknown tag; the fake answers 404 as Front does for any
        resource id it does not know, rather than silently accepting it (unkind on purpose).
        """
        if not isinstance(tag_ids, list) or not all(isinstance(t, str) and t for t in tag_ids):
            return _error(400, "tag_ids must be an array of tag ids")
        missing = [t for t in tag_ids if t not in self.tags]
        if missing:
            return _error(404, f"tag {missing[0]} not found")
        return None

    def _check_write(self, conversation_id: str, body: dict[str, Any]) -> ResponseReturnValue | None:
        if conversation_id not in self.conversations:
            return _error(404, f"conversation {conversation_id} not found")
        if not body.get("body"):
            return _error(400, "body is required")
        if body.get("channel_id") != self.conversations[conversation_id]["channel_id"]:
            return _error(400, f"channel {body.get('channel_id')} cannot reply in this conversation")
        return None

    def _page(self, items: list[dict[str, Any]]) -> ResponseReturnValue:
        """One page, as dev.frontapp.com/docs/pagination describes: `limit` (max 100), an opaque
        `page_token`, and `_pagination.next` as a full URL on the company host."""
        token = request.args.get("page_token")
        if token is not None:
            known = self._page_tokens.get(token)
            if known is None or known[0] != request.path:
                return _error(400, "invalid page_token")
            _, start, limit = known
        else:
            start = 0
            try:
                limit = int(request.args.get("limit", self.page_size))
            except ValueError:
                return _error(400, "limit must be an integer")
            if not 1 <= limit <= MAX_LIMIT:
                return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
        end = start + limit
        next_url = None
        if end < len(items):
            next_token = uuid.uuid4().hex
            with self._lock:
                self._page_tokens[next_token] = (request.path, end, limit)
            next_url = f"{self.company_url}{request.path}?limit={limit}&page_token={next_token}"
        return jsonify({
            "_pagination": {"next": next_url},
            "_links": {"self": f"{self.company_url}{request.full_path.rstrip('?')}"},
            "_results": items[start:end],
        })


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    return jsonify({"_error": {"status": status, "title": "error", "message": message}}), status, headers or {}


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _reset_front() -> None:
    from lib.front.client import reset_front

    reset_front()
