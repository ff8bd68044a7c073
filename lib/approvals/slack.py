"""Slack: the approval message (Block Kit), posting and updating it, and verifying Slack's callbacks.

Messages go out with a bot token (`chat.postMessage` on `SLACK_API_BASE_URL`,
which tests point at a fake) or, failing that, an incoming webhook. Buttons
carry the action id as their value; `action_id` says approve or reject.
Interactive callbacks are verified here, in one place: Slack's `v0` HMAC-SHA256
over `v0:{timestamp}:{body}` with `SLACK_SIGNING_SECRET`, refused when the
timestamp is more than five minutes away (replays).

Every text that did not come from our own code (customer e-mail, the agent's
reasoning, parameters, names, ids) goes through `escape` before it enters mrkdwn:
Slack turns `<!channel>`, `<@U123>` and `<https://x|label>` into live mentions and
links, and only `&amp;` `&lt;` `&gt;` stop that (Slack, "Formatting text for app
surfaces", escaping text). `plain_text` objects are not parsed and stay as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from lib import config
from lib.lazy import lazy
from lib.web import parsing
from lib.web.parsing import BadInput, digits

if TYPE_CHECKING:
    import requests

    from lib.approvals.store import ApprovalView

MAX_SKEW_SECONDS = 300
APPROVE = "approve"
REJECT = "reject"
TIMEOUT = (5, 15)


class SlackSignatureError(Exception):
    """The callback is not provably from Slack (missing, forged or stale signature)."""


class SlackError(RuntimeError):
    """Slack answered with an error (`ok: false` or an HTTP failure)."""


class SlackGone(SlackError):
    """The response URL is spent or expired (Slack allows 5 uses within 30 minutes): retrying cannot help."""


class SlackMessage(BaseModel):
    """Where an approval message went: a bot message (`channel`, `ts`: editable) or an incoming webhook (not)."""

    via: str  # bot | webhook
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class Interaction:
    """One button click from an approval message."""

    action_id: str
    decision: str  # approved | rejected
    user: str
    channel: str | None
    message_ts: str | None
    response_url: str | None


@lazy(close=lambda session: session.close())
def get_session() -> "requests.Session":
    """The process-wide pooled Session for Slack's API, response URLs and webhooks."""
    import requests

    return requests.Session()


reset_session = get_session.reset


# -- signatures ---------------------------------------------------------------


def signature_for(body: bytes, timestamp: str, secret: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, timestamp: str | None, signature: str | None, now: float | None = None) -> None:
    """Raise `SlackSignatureError` unless Slack signed this body within the last five minutes."""
    if not timestamp or not signature:
        raise SlackSignatureError("missing X-Slack-Request-Timestamp or X-Slack-Signature")
    sent_at = digits(timestamp, max_digits=12)  # Unix seconds; never int() on 400 digits (OverflowError)
    if sent_at is None:
        raise SlackSignatureError("X-Slack-Request-Timestamp is not a Unix timestamp")
    secret = config.require("SLACK_SIGNING_SECRET", "it verifies Slack's interactive callbacks")
    if abs((time.time() if now is None else now) - sent_at) > MAX_SKEW_SECONDS:
        raise SlackSignatureError("the request timestamp is more than five minutes old (or ahead)")
    if not hmac.compare_digest(signature_for(body, timestamp, secret).encode(), signature.encode()):
        raise SlackSignatureError("the signature does not match")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Button(_Model):
    action_id: str | None = None
    value: str | None = None


class _User(_Model):
    id: str | None = None
    username: str | None = None
    name: str | None = None


class _Container(_Model):
    channel_id: str | None = None
    message_ts: str | None = None


class _Channel(_Model):
    id: str | None = None


class _Message(_Model):
    ts: str | None = None


class _Payload(_Model):
    """The fields of a `block_actions` payload we read (Slack: reference/interaction-payloads/block_actions-payload)."""

    type: str
    actions: list[_Button] = []
    user: _User | None = None
    container: _Container | None = None
    channel: _Channel | None = None
    message: _Message | None = None
    response_url: str | None = None


def parse_interaction(payload: str | None) -> Interaction:
    """The click inside an interactive `payload`; `BadInput` (400) names what is wrong, types included."""
    if not payload:
        raise BadInput("form field 'payload' is missing")
    data = parsing.validate(_Payload, parsing.loads_object(payload, what="payload"), what="payload")
    if data.type != "block_actions":
        raise BadInput("payload is not a block_actions interaction")
    clicked = next((a for a in data.actions if a.action_id in (APPROVE, REJECT)), None)
    if clicked is None or not clicked.value or len(clicked.value) > 64:
        raise BadInput("payload carries no approve/reject button with an action id")
    user, container = data.user or _User(), data.container or _Container()
    response_url = data.response_url
    return Interaction(
        action_id=clicked.value,
        decision="approved" if clicked.action_id == APPROVE else "rejected",
        user=(user.username or user.name or user.id or "unknown Slack user")[:150],
        channel=container.channel_id or (data.channel.id if data.channel else None),
        message_ts=container.message_ts or (data.message.ts if data.message else None),
        response_url=response_url if response_url and (response_url.startswith("https://") or _local(response_url)) else None,
    )


def _local(url: Any) -> bool:
    """Plain-http response URLs are accepted only for local fakes (tests); Slack's are https."""
    return isinstance(url, str) and url.startswith(("http://127.0.0.1:", "http://localhost:"))


# -- messages -----------------------------------------------------------------


def escape(text: str) -> str:
    """Text shown literally in mrkdwn: `&`, `<`, `>` as Slack's entities (and nothing else, Slack decodes only these)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    """`<url|label>` with a URL our code built; its `&`s escaped as Slack expects inside links."""
    return f"<{escape(url)}|{label}>"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def approval_blocks(view: "ApprovalView", web_url: str | None) -> list[dict[str, Any]]:
    """The Block Kit message: who, what, why, and Approve/Reject buttons whose value is the action id."""
    parameters = escape(json.dumps(view.parameters, indent=2, sort_keys=True, default=str))
    fields = [
        {"type": "mrkdwn", "text": f"*Customer*\n{escape(view.customer_email or 'unknown')}"},
        {"type": "mrkdwn", "text": f"*Action*\n`{escape(view.action_type)}`"},
    ]
    if view.app_name:
        fields.append({"type": "mrkdwn", "text": f"*App*\n{escape(view.app_name)}"})
    links = _link(f"https://app.frontapp.com/open/{quote(view.conversation_id, safe='')}", "Front conversation")
    if web_url:
        links += " · " + _link(web_url, "Open in the approvals page")
    return [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(f"Approval needed: {view.action_type}", 150)}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(f"*Parameters*\n```{parameters}```", 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(f"*Agent's reasoning*\n{escape(view.agent_reasoning or '(none)')}", 3000)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
        {
            "type": "actions",
            "block_id": "approval",
            "elements": [
                {"type": "button", "action_id": APPROVE, "style": "primary", "value": view.action_id,
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": REJECT, "style": "danger", "value": view.action_id,
                 "text": {"type": "plain_text", "text": "Reject"}},
            ],
        },
    ]


def decided_blocks(view: "ApprovalView") -> list[dict[str, Any]]:
    """The message after a decision: the same facts, the buttons replaced by who decided."""
    blocks = [b for b in approval_blocks(view, None) if b["type"] != "actions"]
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(decided_text(view))}*"}})
    return blocks


def decided_text(view: "ApprovalView") -> str:
    """"Approved by X at T", "Expired: ..." (not escaped)."""
    state = view.describe().removeprefix("already ")
    return f"{state[:1].upper()}{state[1:]}"


def _api(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    token = config.require("SLACK_BOT_TOKEN", "the Slack Web API needs a bot token")
    base = config.require("SLACK_API_BASE_URL", "it is Slack's API origin").rstrip("/")
    response = get_session().post(f"{base}/{method}", json=payload, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    if response.status_code >= 400:
        raise SlackError(f"Slack {method} answered HTTP {response.status_code}: {response.text[:200]}")
    body = response.json()
    if not body.get("ok"):
        raise SlackError(f"Slack {method} failed: {body.get('error', 'unknown error')}")
    return body


def post_approval(view: "ApprovalView", web_url: str | None) -> SlackMessage:
    """Post the approval message; returns where it went (channel and ts, or the webhook)."""
    text = escape(f"Approval needed: {view.action_type} for {view.customer_email or 'a customer'}")
    blocks = approval_blocks(view, web_url)
    if config.env("SLACK_BOT_TOKEN"):
        channel = config.require("SLACK_CHANNEL", "the bot token needs a channel to post approval messages in")
        body = _api("chat.postMessage", {"channel": channel, "text": text, "blocks": blocks})
        return SlackMessage(via="bot", channel=body.get("channel", channel), ts=body.get("ts"))
    webhook = config.require("SLACK_WEBHOOK_URL", "set SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL to notify Slack")
    response = get_session().post(webhook, json={"text": text, "blocks": blocks}, timeout=TIMEOUT)
    if response.status_code >= 400:
        raise SlackError(f"Slack webhook answered HTTP {response.status_code}: {response.text[:200]}")
    return SlackMessage(via="webhook")


def update_decided(view: "ApprovalView", channel: str, ts: str) -> dict[str, Any]:
    """Replace the buttons of a posted message by the decision (bot token only)."""
    return _api("chat.update", {"channel": channel, "ts": ts, "text": escape(decided_text(view)), "blocks": decided_blocks(view)})


def replace_through_response_url(view: "ApprovalView", response_url: str) -> None:
    """Replace the clicked message (buttons included) by the decision: the only way to edit an incoming-webhook message.

    Slack accepts a click's `response_url` 5 times within 30 minutes; a spent or
    expired one answers 404 (`SlackGone`), anything else >= 400 is worth a retry.
    """
    response = get_session().post(response_url, json={"replace_original": True, "text": escape(decided_text(view)),
                                                      "blocks": decided_blocks(view)}, timeout=TIMEOUT)
    if response.status_code == 404:
        raise SlackGone(f"the response_url is no longer usable: {response.text[:100]}")
    if response.status_code >= 400:
        raise SlackError(f"Slack response_url answered HTTP {response.status_code}: {response.text[:200]}")


def configured() -> bool:
    return bool(config.env("SLACK_BOT_TOKEN") or config.env("SLACK_WEBHOOK_URL"))
