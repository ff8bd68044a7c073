"""Sandbox Front: `devkit.sandbox.front.FakeFront` on a fixed port, its state in `.data/sandbox/front.json`.

The API is the fake's, as strict as in the tests (bearer token, channel checks,
Front's pagination). Added next to it, outside the API's token gate:

- `GET /`: every conversation with its messages, the drafts (and their versions),
  sent replies and comments, newest conversation first; refreshes itself.
- `GET /_sandbox/state`: the same as JSON.
- `POST /_sandbox/conversations/<id>/messages` `{text, from, name?, subject?, inbound?}`:
  puts a message into a conversation (creating it in the sandbox inbox), as a
  customer writing (`from` is the customer) or a teammate replying (`inbound: false`,
  sent from the inbox to the conversation's customer, else to `from`) would; `python -m devkit customer` uses it
  before it sends Front's webhook.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from markupsafe import escape

from devkit.sandbox.state import StateFile, persist_after_writes
from devkit.sandbox.web import PageDispatcher, page, text_of
from devkit.sandbox.front import TOKEN, FakeFront, front_message

INBOX = "inb_sandbox"
CHANNEL = "cha_sandbox"
INBOX_ADDRESS = "support@acme.example"
_KEPT = ("conversations", "messages", "message_uids", "drafts", "replies", "comments", "deleted_drafts")


def _highest_number(saved: dict[str, Any]) -> int:
    """The largest counter value in the saved ids (`msg_draft7`, `com_8`, `uid9`) and versions (`<hex>-10-<ms>`)."""
    text = json.dumps(saved)
    found = [int(a or b) for a, b in re.findall(r"(?:msg_draft|msg_sent|com_|uid)(\d+)|[0-9a-f]{32}-(\d+)-\d+", text)]
    return max(found, default=0)


class SandboxFront:
    def __init__(self, state_dir: Path, *, token: str = TOKEN) -> None:
        self.token = token
        self.fake = FakeFront(token=token)
        self.state = StateFile(state_dir / "front.json")
        self._restore()
        persist_after_writes(self.fake.app, self.state, self.snapshot)
        self.pages = self._pages()
        self.app = PageDispatcher(self.fake.app, self.pages)

    def serve(self, port: int, host: str = "127.0.0.1") -> FakeFront:
        """Serve the API and the pages on `port`; sets FRONT_API_BASE_URL/TOKEN/LINK_HOSTS for this process (`stop()` restores them)."""
        if host != "127.0.0.1":
            raise ValueError("the sandbox Front serves on 127.0.0.1 only (its links name localhost)")
        return self.fake.start(port=port, app=self.app)

    def snapshot(self) -> dict[str, Any]:
        return {name: getattr(self.fake, name) for name in _KEPT}

    def _restore(self) -> None:
        saved = self.state.load()
        if not saved:
            return
        for name in _KEPT:
            if name in saved:
                setattr(self.fake, name, saved[name])
        # New ids and draft versions must not repeat restored ones: the fake numbers them all from one counter.
        self.fake._ids = itertools.count(_highest_number(saved) + 1)

    def add_message(self, conversation_id: str, text: str, *, sender: str, name: str | None = None,
                    subject: str = "Question about my purchase", inbound: bool = True) -> dict[str, Any]:
        """A customer's message from `sender`, or (`inbound=False`) a teammate's reply to the conversation's customer."""
        if not inbound:
            sender = self.fake.customer_of(conversation_id) or sender
        if conversation_id not in self.fake.conversations:
            self.fake.add_conversation(conversation_id, inbox_id=INBOX, channel_id=CHANNEL, subject=subject)
        message = front_message(f"msg_{uuid.uuid4().hex[:12]}", text, sender=sender, sender_name=name, subject=subject,
                                created_at=time.time(), is_inbound=inbound, inbox_address=INBOX_ADDRESS)
        self.fake.add_message(conversation_id, message)
        self.state.save(self.snapshot)
        return message

    def _pages(self) -> Flask:
        app = Flask("sandbox-front-pages")

        @app.post("/_sandbox/conversations/<conversation_id>/messages")
        def post_message(conversation_id: str) -> ResponseReturnValue:
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not isinstance(body.get("from"), str):
                return jsonify({"error": "expected JSON {text, from, name?, subject?, inbound?}"}), 400
            message = self.add_message(conversation_id, body["text"], sender=body["from"], name=body.get("name"),
                                       subject=str(body.get("subject") or "Question about my purchase"),
                                       inbound=bool(body.get("inbound", True)))
            return jsonify({"conversation_id": conversation_id, "inbox_id": INBOX, "message": message}), 201

        @app.get("/_sandbox/state")
        def state() -> ResponseReturnValue:
            return jsonify(self.snapshot())

        @app.get("/")
        def index() -> Response:
            return Response(self.render(), mimetype="text/html")

        return app

    def render(self) -> str:
        fake = self.fake
        cards = []
        for conversation in reversed(list(fake.conversations.values())):
            cid = conversation["id"]
            parts = [f"<h2>{escape(conversation['subject'])} <small>{escape(cid)} · {escape(conversation['inbox_id'])}</small></h2>"]
            for message_id in conversation["message_ids"]:
                message = fake.messages[message_id]
                who = next((r["handle"] for r in message["recipients"] if r["role"] == "from"), "?")
                kind = "inbound" if message["is_inbound"] else "outbound"
                parts.append(f"<div class='msg {kind}'><small>{kind} from {escape(who)}</small>\n{escape(message['text'])}</div>")
            for draft in (d for d in fake.drafts if d["conversation_id"] == cid):
                parts.append(f"<div class='msg draft' id='draft-{escape(draft['id'])}'><small>draft {escape(draft['id'])}"
                             f" (version {escape(draft.get('version'))})</small>\n{escape(text_of(draft.get('body', '')))}</div>")
            for reply in (r for r in fake.replies if r["conversation_id"] == cid):
                parts.append(f"<div class='msg reply'><small>sent reply</small>\n{escape(text_of(reply.get('body', '')))}</div>")
            for comment in (c for c in fake.comments if c["conversation_id"] == cid):
                parts.append(f"<div class='msg comment' id='comment-{escape(comment['id'])}'><small>comment</small>\n{escape(comment['body'])}</div>")
            cards.append(f"<div class='card' id='conversation-{escape(cid)}'>{''.join(parts)}</div>")
        body = "".join(cards) or "<p id='empty'>No conversations yet: <code>python -m devkit customer \"I'd like a refund for Acme Pro\"</code></p>"
        return page("Sandbox Front", f"<p><small>inbox {INBOX} · JSON at <a href='/_sandbox/state'>/_sandbox/state</a></small></p>{body}")
